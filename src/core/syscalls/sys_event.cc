// Event files: eventfd, eventfd2 (fs/eventfd.c), timerfd_create, timerfd_settime,
// timerfd_gettime (fs/timerfd.c), signalfd, signalfd4 (fs/signalfd.c).

#include <memory>

#include "core/abi/fs.h"
#include "core/abi/signal.h"
#include "core/ipc/eventfd.h"
#include "core/task/signalfd.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/anon_file.h"
#include "core/time/timerfd.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

constexpr int EFD_SEMAPHORE_ = 1;

Result<long> do_eventfd2(Task& t, uint32_t initial, int flags) {
  if (flags & ~(abi::O_CLOEXEC_ | abi::O_NONBLOCK_ | EFD_SEMAPHORE_)) return Errno::INVAL;
  return install_anon_file(t, "anon_inode:[eventfd]", flags, std::make_shared<EventFd>(initial, flags & EFD_SEMAPHORE_));
}

Result<long> do_signalfd4(Task& t, int fd, long umask, long size, int flags) {
  if (flags & ~(abi::SFD_CLOEXEC_ | abi::SFD_NONBLOCK_)) return Errno::INVAL;
  if (size != sizeof(SigSet)) return Errno::INVAL;
  const SigSet mask = TRY(copy_from_user(UserPtr<SigSet>(umask))) & ~kUnblockable;
  if (fd == -1) return install_anon_file(t, "anon_inode:[signalfd]", flags, std::make_shared<SignalFd>(mask));
  SignalFd* sfd = nullptr;
  RefPtr<File> f = TRY(file_with_ops(t, fd, &sfd));
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
  return install_anon_file(t, "anon_inode:[timerfd]", flags, std::make_shared<TimerFd>(t.kernel(), clock));
}

Result<long> sys_timerfd_settime(Task& t, const SyscallArgs& a) {
  const int flags = static_cast<int>(a.a[1]);
  const abi::itimerspec nv = TRY(copy_from_user(UserPtr<abi::itimerspec>(a.a[2])));
  if (flags & ~(TimerFd::kAbsTime | TimerFd::kCancelOnSet)) return Errno::INVAL;
  if (!timespec_valid(nv.it_value) || !timespec_valid(nv.it_interval)) return Errno::INVAL;
  TimerFd* tfd = nullptr;
  RefPtr<File> f = TRY(file_with_ops(t, static_cast<int>(a.a[0]), &tfd));
  int64_t left = 0, interval = 0;
  tfd->set(flags, to_ns_saturated(nv.it_value), to_ns_saturated(nv.it_interval), &left, &interval);
  if (a.a[3]) TRY(copy_to_user(UserPtr<abi::itimerspec>(a.a[3]), abi::itimerspec{to_timespec(interval), to_timespec(left)}));
  return 0;
}

Result<long> sys_timerfd_gettime(Task& t, const SyscallArgs& a) {
  TimerFd* tfd = nullptr;
  RefPtr<File> f = TRY(file_with_ops(t, static_cast<int>(a.a[0]), &tfd));
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
