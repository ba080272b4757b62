// Pipes: pipe, pipe2 (fs/pipe.c), splice, tee (fs/splice.c).

#include <algorithm>
#include <memory>
#include <optional>

#include "core/abi/fs.h"
#include "core/ipc/pipe.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/vfs/file.h"

namespace uml::kern {

namespace {

constexpr int O_DIRECT_ = 040000;

// do_pipe2: two descriptors on one new pipe, installed only once the caller has them.
Result<long> do_pipe2(Task& t, long addr, int flags) {
  if (flags & ~(abi::O_CLOEXEC_ | abi::O_NONBLOCK_ | O_DIRECT_)) return Errno::INVAL;
  auto pipe = std::make_shared<Pipe>();
  pipe->set_packet_mode(flags & O_DIRECT_);
  const Credentials& c = t.creds();
  const Path p = t.kernel().vfs().pipefs().make(abi::S_IFIFO_ | 0600, c.fsuid, c.fsgid, "pipe");
  const int status = flags & (abi::O_NONBLOCK_ | O_DIRECT_);
  auto rf = make_ref<File>(p, p.inode(), abi::O_RDONLY_ | status, std::make_shared<PipeEnd>(pipe, true, false));
  auto wf = make_ref<File>(p, p.inode(), abi::O_WRONLY_ | status, std::make_shared<PipeEnd>(pipe, false, true));
  const bool cloexec = flags & abi::O_CLOEXEC_;
  const int rfd = TRY(t.files().install(std::move(rf), cloexec));
  auto wfd = t.files().install(std::move(wf), cloexec);
  if (!wfd.has_value()) {
    (void)t.files().close(rfd);
    return wfd.error();
  }
  const int32_t fds[2] = {rfd, wfd.value()};
  if (!copy_to_user(static_cast<uintptr_t>(addr), fds, sizeof fds).has_value()) {
    (void)t.files().close(fds[0]);
    (void)t.files().close(fds[1]);
    return Errno::FAULT;
  }
  return 0;
}

}  // namespace

Result<long> sys_pipe(Task& t, const SyscallArgs& a) { return do_pipe2(t, a.a[0], 0); }
Result<long> sys_pipe2(Task& t, const SyscallArgs& a) { return do_pipe2(t, a.a[0], static_cast<int>(a.a[1])); }

namespace {

constexpr unsigned kSpliceNonblock = 2;
constexpr unsigned kSpliceAll = 1 | 2 | 4 | 8;  // MOVE, NONBLOCK, MORE, GIFT

Pipe* pipe_of(File& f) {
  auto* end = dynamic_cast<PipeEnd*>(f.ops());
  return end ? &end->pipe() : nullptr;
}

Result<std::optional<int64_t>> user_offset(long addr) {
  if (!addr) return std::optional<int64_t>{};
  return std::optional<int64_t>(TRY(copy_from_user(UserPtr<int64_t>(addr))));
}

// do_splice, in Linux's order of checks.
Result<long> do_splice(Task& t, File& in, long uoff_in, File& out, long uoff_out, size_t len, unsigned flags) {
  Pipe* ip = pipe_of(in);
  Pipe* op = pipe_of(out);
  if (ip && uoff_in) return Errno::SPIPE;
  if (op && uoff_out) return Errno::SPIPE;
  std::optional<int64_t> off_out = TRY(user_offset(uoff_out));
  std::optional<int64_t> off_in = TRY(user_offset(uoff_in));
  if (!in.readable() || !out.writable()) return Errno::BADF;
  size_t n = 0;
  if (ip && op) {
    if (ip == op) return Errno::INVAL;
    const bool nonblock = (flags & kSpliceNonblock) || ((in.flags() | out.flags()) & abi::O_NONBLOCK_);
    n = TRY(Pipe::splice_pipes(t, *ip, *op, len, nonblock, false));
  } else if (ip) {
    if (off_out && *off_out < 0) return Errno::INVAL;
    if (out.flags() & abi::O_APPEND_) return Errno::INVAL;
    const bool nonblock = (flags & kSpliceNonblock) || (in.flags() & abi::O_NONBLOCK_);
    n = TRY(Pipe::splice_to_file(t, *ip, out, off_out ? &*off_out : nullptr, len, nonblock));
  } else if (op) {
    if (off_in && *off_in < 0) return Errno::INVAL;
    if (in.inode().is_dir()) return Errno::ISDIR;
    const bool nonblock = (flags & kSpliceNonblock) || (out.flags() & abi::O_NONBLOCK_);
    n = TRY(Pipe::splice_from_file(t, in, off_in ? &*off_in : nullptr, *op, len, nonblock));
  } else {
    return Errno::INVAL;
  }
  if (off_in) TRY(copy_to_user(UserPtr<int64_t>(uoff_in), *off_in));
  if (off_out) TRY(copy_to_user(UserPtr<int64_t>(uoff_out), *off_out));
  return static_cast<long>(n);
}

}  // namespace

Result<long> sys_splice(Task& t, const SyscallArgs& a) {
  const auto len = static_cast<size_t>(a.a[4]);
  const auto flags = static_cast<unsigned>(a.a[5]);
  if (!len) return 0;
  if (flags & ~kSpliceAll) return Errno::INVAL;
  RefPtr<File> in = t.files().get(static_cast<int>(a.a[0]));
  if (!in) return Errno::BADF;
  RefPtr<File> out = t.files().get(static_cast<int>(a.a[2]));
  if (!out) return Errno::BADF;
  return do_splice(t, *in, a.a[1], *out, a.a[3], std::min<size_t>(len, 0x7ffff000), flags);
}

// do_tee: both ends pipes, distinct, the input readable and the output writable.
Result<long> sys_tee(Task& t, const SyscallArgs& a) {
  const auto len = static_cast<size_t>(a.a[2]);
  const auto flags = static_cast<unsigned>(a.a[3]);
  if (flags & ~kSpliceAll) return Errno::INVAL;
  if (!len) return 0;
  RefPtr<File> in = t.files().get(static_cast<int>(a.a[0]));
  if (!in) return Errno::BADF;
  RefPtr<File> out = t.files().get(static_cast<int>(a.a[1]));
  if (!out) return Errno::BADF;
  if (!in->readable() || !out->writable()) return Errno::BADF;
  Pipe* ip = pipe_of(*in);
  Pipe* op = pipe_of(*out);
  if (!ip || !op || ip == op) return Errno::INVAL;
  const bool nonblock = (flags & kSpliceNonblock) || ((in->flags() | out->flags()) & abi::O_NONBLOCK_);
  return static_cast<long>(TRY(Pipe::splice_pipes(t, *ip, *op, std::min<size_t>(len, 0x7ffff000), nonblock, true)));
}

}  // namespace uml::kern
