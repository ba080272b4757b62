// Pipes: pipe, pipe2 (fs/pipe.c).

#include <memory>

#include "core/abi/fs.h"
#include "core/ipc/pipe.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

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

}  // namespace uml::kern
