// Event files: eventfd, eventfd2 (fs/eventfd.c).

#include <memory>

#include "core/abi/fs.h"
#include "core/ipc/eventfd.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

constexpr int EFD_SEMAPHORE_ = 1;

Result<long> do_eventfd2(Task& t, uint32_t initial, int flags) {
  if (flags & ~(abi::O_CLOEXEC_ | abi::O_NONBLOCK_ | EFD_SEMAPHORE_)) return Errno::INVAL;
  const Credentials& c = t.creds();
  // anon_inode_getfile: one shared inode, mode 0600 with no file type, named "[eventfd]".
  const Path p = t.kernel().vfs().anon_inodefs().make(0600, c.fsuid, c.fsgid, "anon_inode:[eventfd]", false);
  auto f = make_ref<File>(p, p.inode(), abi::O_RDWR_ | (flags & abi::O_NONBLOCK_),
                          std::make_shared<EventFd>(initial, flags & EFD_SEMAPHORE_));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

}  // namespace

Result<long> sys_eventfd(Task& t, const SyscallArgs& a) { return do_eventfd2(t, static_cast<uint32_t>(a.a[0]), 0); }
Result<long> sys_eventfd2(Task& t, const SyscallArgs& a) {
  return do_eventfd2(t, static_cast<uint32_t>(a.a[0]), static_cast<int>(a.a[1]));
}

}  // namespace uml::kern
