// Process timers: alarm, getitimer, setitimer (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF), timer_create, timer_settime,
// timer_gettime, timer_getoverrun, timer_delete (kernel/time/itimer.c, posix-timers.c).

#include <climits>

#include "core/abi/signal.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/time/clock.h"
#include "core/time/posix_timer.h"

namespace uml::kern {

namespace {

using namespace abi;

timeval to_timeval(int64_t ns) { return {ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000}; }

// ITIMER_REAL's setting and old value, in ns.
void set_real(Task& t, int64_t value, int64_t interval, int64_t* old_left, int64_t* old_interval) {
  const int64_t deadline = value ? t.monotonic_ns() + value : 0;
  t.group().timers().real().set(deadline, interval, old_left, old_interval);
}

itimerval itimerval_of(int64_t left, int64_t interval) {
  return {to_timeval(interval), to_timeval(left)};
}

// The clocks a POSIX timer may run on: their current time, or -1 when timer_create has none.
int64_t clock_now(const Task& t, int clock) {
  switch (clock) {
    case CLOCK_REALTIME_: case CLOCK_TAI_: return t.kernel().realtime().now();
    case CLOCK_MONOTONIC_: return t.monotonic_ns();
    case CLOCK_BOOTTIME_: return t.kernel().sched().time().boottime_ns();
    default: return -1;
  }
}

}  // namespace

Result<long> sys_alarm(Task& t, const SyscallArgs& a) {
  const auto secs = static_cast<unsigned>(a.a[0]);
  int64_t left = 0;
  set_real(t, int64_t{secs} * NSEC_PER_SEC, 0, &left, nullptr);
  // alarm_setitimer: the old value rounded to the nearest second, and never 0 when armed.
  const timeval tv = to_timeval(left);
  int64_t r = tv.tv_sec;
  if ((!tv.tv_sec && tv.tv_usec) || tv.tv_usec >= 500000) ++r;
  return r;
}

Result<long> sys_getitimer(Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a.a[0]);
  if (which != ITIMER_REAL_ && which != ITIMER_VIRTUAL_ && which != ITIMER_PROF_) return Errno::INVAL;
  int64_t left = 0, interval = 0;
  if (which == ITIMER_REAL_) t.group().timers().real().get(&left, &interval);
  else t.group().timers().get_cpu(which, t.kernel().procs().process_cpu_ns(t.group()), &left, &interval);
  TRY(copy_to_user(UserPtr<itimerval>(a.a[1]), itimerval_of(left, interval)));
  return 0;
}

Result<long> sys_setitimer(Task& t, const SyscallArgs& a) {
  const int which = static_cast<int>(a.a[0]);
  itimerval nv{};
  if (a.a[1]) {
    nv = TRY(copy_from_user(UserPtr<itimerval>(a.a[1])));
    if (!timeval_valid(nv.it_value) || !timeval_valid(nv.it_interval)) return Errno::INVAL;
  }
  if (which != ITIMER_REAL_ && which != ITIMER_VIRTUAL_ && which != ITIMER_PROF_) return Errno::INVAL;
  int64_t left = 0, interval = 0;
  if (which == ITIMER_REAL_) {
    set_real(t, to_ns_saturated(nv.it_value), to_ns_saturated(nv.it_interval), &left, &interval);
  } else {
    // set_cpu_itimer: the CPU clock read now; a value rounds up to a tick at least.
    t.group().timers().set_cpu(which, t.kernel().procs().process_cpu_ns(t.group()), to_ns_saturated(nv.it_value),
                               to_ns_saturated(nv.it_interval), &left, &interval);
  }
  if (a.a[2]) TRY(copy_to_user(UserPtr<itimerval>(a.a[2]), itimerval_of(left, interval)));
  return 0;
}

Result<long> sys_timer_create(Task& t, const SyscallArgs& a) {
  const int clock = static_cast<int>(a.a[0]);
  switch (clock) {
    case CLOCK_REALTIME_: case CLOCK_MONOTONIC_: case CLOCK_BOOTTIME_: case CLOCK_TAI_:
      break;
    case CLOCK_REALTIME_ALARM_: case CLOCK_BOOTTIME_ALARM_:
      if (!t.creds().capable(CAP_WAKE_ALARM)) return Errno::PERM;
      break;
    case CLOCK_PROCESS_CPUTIME_ID_: case CLOCK_THREAD_CPUTIME_ID_:
      return Errno::OPNOTSUPP;  // FIXME: CPU-time timers
    case CLOCK_MONOTONIC_RAW_: case CLOCK_REALTIME_COARSE_: case CLOCK_MONOTONIC_COARSE_:
      return Errno::OPNOTSUPP;  // no timers on these clocks (Linux's kclock has no timer_create)
    default:
      return Errno::INVAL;
  }
  sigevent ev{};
  if (a.a[1]) ev = TRY(copy_from_user(UserPtr<sigevent>(a.a[1])));
  const int base = clock == CLOCK_REALTIME_ALARM_ ? CLOCK_REALTIME_
                   : clock == CLOCK_BOOTTIME_ALARM_ ? CLOCK_BOOTTIME_ : clock;
  ProcessTimers& timers = t.group().timers();
  const int id = TRY(timers.create(base, a.a[1] ? &ev : nullptr, t.tid()));
  if (Result<void> r = copy_to_user(UserPtr<int32_t>(a.a[2]), id); !r) {
    (void)timers.remove(id);
    return r.error();
  }
  return 0;
}

Result<long> sys_timer_settime(Task& t, const SyscallArgs& a) {
  const int id = static_cast<int>(a.a[0]);
  const int flags = static_cast<int>(a.a[1]);
  if (!a.a[2]) return Errno::INVAL;
  const itimerspec nv = TRY(copy_from_user(UserPtr<itimerspec>(a.a[2])));
  if (!timespec_valid(nv.it_value) || !timespec_valid(nv.it_interval)) return Errno::INVAL;
  auto timer = t.group().timers().find(id);
  if (!timer) return Errno::INVAL;
  int64_t deadline = 0;
  const int64_t value = to_ns_saturated(nv.it_value);
  if (value) {
    const int64_t mono = t.monotonic_ns();
    if (flags & TIMER_ABSTIME_) {
      const int64_t now = clock_now(t, timer->clock());
      deadline = std::max<int64_t>(mono + (value - now), 1);
    } else {
      deadline = mono + value;
    }
  }
  int64_t left = 0, interval = 0;
  timer->set(deadline, to_ns_saturated(nv.it_interval), &left, &interval);
  if (a.a[3]) TRY(copy_to_user(UserPtr<itimerspec>(a.a[3]), itimerspec{to_timespec(interval), to_timespec(left)}));
  return 0;
}

Result<long> sys_timer_gettime(Task& t, const SyscallArgs& a) {
  auto timer = t.group().timers().find(static_cast<int>(a.a[0]));
  if (!timer) return Errno::INVAL;
  int64_t left = 0, interval = 0;
  timer->get(&left, &interval);
  TRY(copy_to_user(UserPtr<itimerspec>(a.a[1]), itimerspec{to_timespec(interval), to_timespec(left)}));
  return 0;
}

Result<long> sys_timer_getoverrun(Task& t, const SyscallArgs& a) {
  auto timer = t.group().timers().find(static_cast<int>(a.a[0]));
  if (!timer) return Errno::INVAL;
  return timer->overrun_last();
}

Result<long> sys_timer_delete(Task& t, const SyscallArgs& a) {
  TRY(t.group().timers().remove(static_cast<int>(a.a[0])));
  return 0;
}

}  // namespace uml::kern
