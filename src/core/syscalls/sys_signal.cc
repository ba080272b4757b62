// Signals: rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend, pause,
// rt_sigtimedwait, kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo (kernel/signal.c).

#include "core/abi/signal.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/task/signal.h"

namespace uml::kern {

namespace {

using namespace abi;

constexpr long kSigsetSize = 8;

// Parks until a signal interrupts the task (sigsuspend, pause).
void wait_for_signal(Task& t) {
  while (!t.m_interrupt.load(std::memory_order_acquire) && !t.exit_pending()) Scheduler::park(t);
}

int64_t timeout_deadline(const Task& t, const abi::timespec& ts) {
  const int64_t ns = to_ns_saturated(ts);
  return ns >= kForeverNs ? -1 : t.monotonic_ns() + ns;
}

// do_rt_sigqueueinfo's rule: a process may not forge kill(2)'s or the kernel's codes for
// another process.
bool forged(const siginfo& info, bool self) {
  return (info.code >= 0 || info.code == SI_TKILL_) && !self;
}

}  // namespace

Result<long> sys_rt_sigaction(Task& t, const SyscallArgs& a) {
  const int sig = static_cast<int>(a.a[0]);
  if (a.a[3] != kSigsetSize) return Errno::INVAL;
  kernel_sigaction act{}, old{};
  if (a.a[1]) act = TRY(copy_from_user(UserPtr<kernel_sigaction>(a.a[1])));
  TRY(Signals::action(t, sig, a.a[1] ? &act : nullptr, &old));
  if (a.a[2]) TRY(copy_to_user(UserPtr<kernel_sigaction>(a.a[2]), old));
  return 0;
}

// sigaltstack: the new setting read first (EFAULT), the old one written last.
Result<long> sys_sigaltstack(Task& t, const SyscallArgs& a) {
  stack_t_ ss{}, old{};
  if (a.a[0]) ss = TRY(copy_from_user(UserPtr<stack_t_>(a.a[0])));
  TRY(Signals::sigaltstack(t, a.a[0] ? &ss : nullptr, a.a[1] ? &old : nullptr));
  if (a.a[1]) TRY(copy_to_user(UserPtr<stack_t_>(a.a[1]), old));
  return 0;
}

Result<long> sys_rt_sigprocmask(Task& t, const SyscallArgs& a) {
  const int how = static_cast<int>(a.a[0]);
  if (a.a[3] != kSigsetSize) return Errno::INVAL;
  const SigSet old = Signals::blocked(t);
  if (a.a[1]) {
    const SigSet set = TRY(copy_from_user(UserPtr<SigSet>(a.a[1]))) & ~kUnblockable;
    switch (how) {
      case SIG_BLOCK_: Signals::set_blocked(t, old | set); break;
      case SIG_UNBLOCK_: Signals::set_blocked(t, old & ~set); break;
      case SIG_SETMASK_: Signals::set_blocked(t, set); break;
      default: return Errno::INVAL;
    }
  }
  if (a.a[2]) TRY(copy_to_user(UserPtr<SigSet>(a.a[2]), old));
  return 0;
}

Result<long> sys_rt_sigpending(Task& t, const SyscallArgs& a) {
  const auto size = static_cast<unsigned long>(a.a[1]);
  if (size > kSigsetSize) return Errno::INVAL;
  const SigSet set = Signals::pending(t) & Signals::blocked(t);
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[0]), &set, size));
  return 0;
}

Result<long> sys_rt_sigsuspend(Task& t, const SyscallArgs& a) {
  if (a.a[1] != kSigsetSize) return Errno::INVAL;
  const SigSet mask = TRY(copy_from_user(UserPtr<SigSet>(a.a[0])));
  Signals::set_temporary_mask(t, mask);
  wait_for_signal(t);
  return Errno::RESTARTNOHAND;
}

Result<long> sys_pause(Task& t, const SyscallArgs&) {
  wait_for_signal(t);
  return Errno::RESTARTNOHAND;
}

// kernel/signal.c: rt_sigtimedwait and do_sigtimedwait.
Result<long> sys_rt_sigtimedwait(Task& t, const SyscallArgs& a) {
  if (a.a[3] != kSigsetSize) return Errno::INVAL;
  const SigSet set = TRY(copy_from_user(UserPtr<SigSet>(a.a[0]))) & ~kUnblockable;
  int64_t deadline = -1;
  bool poll_only = false;
  if (a.a[2]) {
    const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[2])));
    if (!timespec_valid(ts)) return Errno::INVAL;
    poll_only = ts.tv_sec == 0 && ts.tv_nsec == 0;
    deadline = timeout_deadline(t, ts);
  }
  siginfo info{};
  int sig = Signals::dequeue_from(t, set, &info);
  if (!sig && !poll_only) {
    Signals::set_waiting(t, set);
    bool in_time = true;
    while (!t.m_interrupt.load(std::memory_order_acquire) && !t.exit_pending() && in_time)
      in_time = Scheduler::park(t, deadline);
    Signals::set_waiting(t, 0);
    sig = Signals::dequeue_from(t, set, &info);
    if (!sig) return in_time ? Errno::INTR : Errno::AGAIN;
  }
  if (!sig) return Errno::AGAIN;
  if (a.a[1]) TRY(copy_to_user(UserPtr<siginfo>(a.a[1]), info));
  return sig;
}

Result<long> sys_kill(Task& t, const SyscallArgs& a) {
  TRY(Signals::kill(t, static_cast<int>(a.a[0]), static_cast<int>(a.a[1])));
  return 0;
}

Result<long> sys_tkill(Task& t, const SyscallArgs& a) {
  TRY(Signals::tgkill(t, -1, static_cast<int>(a.a[0]), static_cast<int>(a.a[1])));
  return 0;
}

Result<long> sys_tgkill(Task& t, const SyscallArgs& a) {
  const int tgid = static_cast<int>(a.a[0]);
  if (tgid <= 0) return Errno::INVAL;
  TRY(Signals::tgkill(t, tgid, static_cast<int>(a.a[1]), static_cast<int>(a.a[2])));
  return 0;
}

Result<long> sys_rt_sigqueueinfo(Task& t, const SyscallArgs& a) {
  const int pid = static_cast<int>(a.a[0]);
  const int sig = static_cast<int>(a.a[1]);
  siginfo info = TRY(copy_from_user(UserPtr<siginfo>(a.a[2])));
  if (forged(info, pid == t.pid())) return Errno::PERM;
  info.signo = sig;
  if (pid <= 0) return Errno::SRCH;  // kill_proc_info finds no process for such an id
  TRY(Signals::kill(t, pid, sig, &info));
  return 0;
}

Result<long> sys_rt_tgsigqueueinfo(Task& t, const SyscallArgs& a) {
  const int tgid = static_cast<int>(a.a[0]);
  const int tid = static_cast<int>(a.a[1]);
  const int sig = static_cast<int>(a.a[2]);
  if (tgid <= 0 || tid <= 0) return Errno::INVAL;
  siginfo info = TRY(copy_from_user(UserPtr<siginfo>(a.a[3])));
  if (forged(info, tgid == t.pid())) return Errno::PERM;
  info.signo = sig;
  TRY(Signals::tgkill(t, tgid, tid, sig, &info));
  return 0;
}

}  // namespace uml::kern
