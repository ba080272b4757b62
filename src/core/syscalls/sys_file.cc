// Open files and descriptors: open, openat, creat, close, read, write, pread64, pwrite64,
// lseek, dup, dup2, dup3.

#include <vector>

#include "core/abi/fs.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

constexpr size_t kChunk = 64 * 1024;  // bounce buffer for guest data

Result<std::string> path_arg(long addr) {
  return copy_string_from_user(static_cast<uintptr_t>(addr), abi::PATH_MAX_ - 1);
}

Result<RefPtr<File>> file_arg(Task& t, long fd) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(fd));
  if (!f) return Errno::BADF;
  return f;
}

Result<long> do_open(Task& t, int dirfd, long path_addr, int flags, uint32_t mode) {
  const std::string path = TRY(path_arg(path_addr));
  RefPtr<File> f = TRY(t.kernel().vfs().open(t, dirfd, path, flags, mode));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

// Reads (into the guest) or writes (from the guest) len bytes through a bounce buffer, one
// chunk at a time; a short transfer ends the call, as one read(2) would.
template <typename Op>
Result<long> transfer(uintptr_t ubuf, size_t len, bool to_guest, Op&& op) {
  if (!user_range_ok(ubuf, len)) return Errno::FAULT;
  std::vector<uint8_t> buf(std::min(len, kChunk));
  size_t done = 0;
  while (done < len) {
    const size_t want = std::min(len - done, kChunk);
    if (!to_guest && !copy_from_user(buf.data(), ubuf + done, want)) {
      if (done == 0) return Errno::FAULT;
      break;
    }
    auto r = op(buf.data(), want, done);
    if (!r.has_value()) {
      if (done == 0) return r.error();
      break;
    }
    const size_t n = r.value();
    if (to_guest && n && !copy_to_user(ubuf + done, buf.data(), n)) {
      if (done == 0) return Errno::FAULT;
      break;
    }
    done += n;
    if (n < want) break;
  }
  return static_cast<long>(done);
}

}  // namespace

Result<long> sys_open(Task& t, const SyscallArgs& a) {
  return do_open(t, abi::AT_FDCWD_, a.a[0], static_cast<int>(a.a[1]), static_cast<uint32_t>(a.a[2]));
}
Result<long> sys_openat(Task& t, const SyscallArgs& a) {
  return do_open(t, static_cast<int>(a.a[0]), a.a[1], static_cast<int>(a.a[2]),
                 static_cast<uint32_t>(a.a[3]));
}
Result<long> sys_creat(Task& t, const SyscallArgs& a) {
  return do_open(t, abi::AT_FDCWD_, a.a[0], abi::O_CREAT_ | abi::O_WRONLY_ | abi::O_TRUNC_,
                 static_cast<uint32_t>(a.a[1]));
}

Result<long> sys_close(Task& t, const SyscallArgs& a) {
  TRY(t.files().close(static_cast<int32_t>(a.a[0])));
  return 0;
}

Result<long> sys_read(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  return transfer(static_cast<uintptr_t>(a.a[1]), static_cast<size_t>(a.a[2]), true,
                  [&](void* b, size_t n, size_t) { return f->read(t, b, n); });
}

Result<long> sys_write(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  return transfer(static_cast<uintptr_t>(a.a[1]), static_cast<size_t>(a.a[2]), false,
                  [&](void* b, size_t n, size_t) { return f->write(t, b, n); });
}

Result<long> sys_pread64(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  if (a.a[3] < 0) return Errno::INVAL;
  const uint64_t off = static_cast<uint64_t>(a.a[3]);
  return transfer(static_cast<uintptr_t>(a.a[1]), static_cast<size_t>(a.a[2]), true,
                  [&](void* b, size_t n, size_t done) { return f->pread(t, b, n, off + done); });
}

Result<long> sys_pwrite64(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  if (a.a[3] < 0) return Errno::INVAL;
  const uint64_t off = static_cast<uint64_t>(a.a[3]);
  return transfer(static_cast<uintptr_t>(a.a[1]), static_cast<size_t>(a.a[2]), false,
                  [&](void* b, size_t n, size_t done) { return f->pwrite(t, b, n, off + done); });
}

Result<long> sys_lseek(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  return TRY(f->lseek(t, a.a[1], static_cast<int>(a.a[2])));
}

Result<long> sys_dup(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  return TRY(t.files().install(std::move(f), false));
}

Result<long> sys_dup2(Task& t, const SyscallArgs& a) {
  const auto oldfd = static_cast<int32_t>(a.a[0]), newfd = static_cast<int32_t>(a.a[1]);
  if (oldfd == newfd) {
    TRY(file_arg(t, oldfd));
    return newfd;
  }
  return TRY(t.files().dup_to(oldfd, newfd, false));
}

Result<long> sys_dup3(Task& t, const SyscallArgs& a) {
  const auto oldfd = static_cast<int32_t>(a.a[0]), newfd = static_cast<int32_t>(a.a[1]);
  const auto flags = static_cast<int32_t>(a.a[2]);
  if (flags & ~abi::O_CLOEXEC_) return Errno::INVAL;
  if (oldfd == newfd) return Errno::INVAL;
  return TRY(t.files().dup_to(oldfd, newfd, flags & abi::O_CLOEXEC_));
}

}  // namespace uml::kern
