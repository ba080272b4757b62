// Event files: eventfd, eventfd2 (fs/eventfd.c), timerfd_create, timerfd_settime,
// timerfd_gettime (fs/timerfd.c), signalfd, signalfd4 (fs/signalfd.c).

#include <memory>

#include "core/abi/fs.h"
#include "core/abi/signal.h"
#include "core/ipc/eventfd.h"
#include "core/ipc/signalfd.h"
#include "core/syscalls/abi_conv.h"
#include "core/time/timerfd.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

constexpr int EFD_SEMAPHORE_ = 1;

// anon_inode_getfile: one shared inode, mode 0600 with no file type, named "[name]".
Result<long> install_anon(Task& t, const char* name, int flags, std::shared_ptr<FileOps> ops) {
  const Credentials& c = t.creds();
  const Path p = t.kernel().vfs().anon_inodefs().make(0600, c.fsuid, c.fsgid, name, false);
  auto f = make_ref<File>(p, p.inode(), abi::O_RDWR_ | (flags & abi::O_NONBLOCK_), std::move(ops));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

Result<long> do_eventfd2(Task& t, uint32_t initial, int flags) {
  if (flags & ~(abi::O_CLOEXEC_ | abi::O_NONBLOCK_ | EFD_SEMAPHORE_)) return Errno::INVAL;
  return install_anon(t, "anon_inode:[eventfd]", flags, std::make_shared<EventFd>(initial, flags & EFD_SEMAPHORE_));
}

template <typename T>
Result<RefPtr<File>> file_of(Task& t, int fd, T** ops) {
  RefPtr<File> f = t.files().get(fd);
  if (!f) return Errno::BADF;
  *ops = dynamic_cast<T*>(f->ops());
  if (!*ops) return Errno::INVAL;
  return f;
}

Result<long> do_signalfd4(Task& t, int fd, long umask, long size, int flags) {
  if (flags & ~(abi::SFD_CLOEXEC_ | abi::SFD_NONBLOCK_)) return Errno::INVAL;
  if (size != sizeof(SigSet)) return Errno::INVAL;
  const SigSet mask = TRY(copy_from_user(UserPtr<SigSet>(umask))) & ~kUnblockable;
  if (fd == -1) return install_anon(t, "anon_inode:[signalfd]", flags, std::make_shared<SignalFd>(mask));
  SignalFd* sfd = nullptr;
  RefPtr<File> f = TRY(file_of(t, fd, &sfd));
  sfd->set_mask(mask);
  return fd;
}

}  // namespace

Result<long> sys_eventfd(Task& t, const SyscallArgs& a) { return do_eventfd2(t, static_cast<uint32_t>(a.a[0]), 0); }
Result<long> sys_eventfd2(Task& t, const SyscallArgs& a) {
  return do_eventfd2(t, static_cast<uint32_t>(a.a[0]), static_cast<int>(a.a[1]));
}

Result<long> sys_timerfd_create(Task& t, const SyscallArgs& a) {
  const int clock = static_cast<int>(a.a[0]);
  const int flags = static_cast<int>(a.a[1]);
  if (flags & ~(abi::O_CLOEXEC_ | abi::O_NONBLOCK_)) return Errno::INVAL;
  switch (clock) {
    case abi::CLOCK_REALTIME_: case abi::CLOCK_MONOTONIC_: case abi::CLOCK_BOOTTIME_:
      break;
    case abi::CLOCK_REALTIME_ALARM_: case abi::CLOCK_BOOTTIME_ALARM_:
      if (!t.creds().capable(abi::CAP_WAKE_ALARM)) return Errno::PERM;
      break;
    default:
      return Errno::INVAL;
  }
  return install_anon(t, "anon_inode:[timerfd]", flags, std::make_shared<TimerFd>(t.kernel(), clock));
}

Result<long> sys_timerfd_settime(Task& t, const SyscallArgs& a) {
  const int flags = static_cast<int>(a.a[1]);
  const abi::itimerspec nv = TRY(copy_from_user(UserPtr<abi::itimerspec>(a.a[2])));
  if (flags & ~(TimerFd::kAbsTime | TimerFd::kCancelOnSet)) return Errno::INVAL;
  if (!timespec_valid(nv.it_value) || !timespec_valid(nv.it_interval)) return Errno::INVAL;
  TimerFd* tfd = nullptr;
  RefPtr<File> f = TRY(file_of(t, static_cast<int>(a.a[0]), &tfd));
  int64_t left = 0, interval = 0;
  tfd->set(flags, to_ns_saturated(nv.it_value), to_ns_saturated(nv.it_interval), &left, &interval);
  if (a.a[3]) TRY(copy_to_user(UserPtr<abi::itimerspec>(a.a[3]), abi::itimerspec{to_timespec(interval), to_timespec(left)}));
  return 0;
}

Result<long> sys_timerfd_gettime(Task& t, const SyscallArgs& a) {
  TimerFd* tfd = nullptr;
  RefPtr<File> f = TRY(file_of(t, static_cast<int>(a.a[0]), &tfd));
  int64_t left = 0, interval = 0;
  tfd->get(&left, &interval);
  TRY(copy_to_user(UserPtr<abi::itimerspec>(a.a[1]), abi::itimerspec{to_timespec(interval), to_timespec(left)}));
  return 0;
}

Result<long> sys_signalfd(Task& t, const SyscallArgs& a) {
  return do_signalfd4(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], 0);
}

Result<long> sys_signalfd4(Task& t, const SyscallArgs& a) {
  return do_signalfd4(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], static_cast<int>(a.a[3]));
}

}  // namespace uml::kern
