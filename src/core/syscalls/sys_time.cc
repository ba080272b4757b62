// Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep,
// clock_nanosleep, and setting the instance's realtime clock: clock_settime, settimeofday.

#include "core/abi/time.h"
#include "core/sched/sleep.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

using namespace abi;

enum class ClockBase { Realtime, Monotonic, Boottime, ProcessCpu, ThreadCpu, Invalid };

ClockBase clock_base(int32_t id) {
  switch (id) {
    case CLOCK_REALTIME_: case CLOCK_REALTIME_COARSE_: case CLOCK_REALTIME_ALARM_: case CLOCK_TAI_:
      return ClockBase::Realtime;
    case CLOCK_MONOTONIC_: case CLOCK_MONOTONIC_RAW_: case CLOCK_MONOTONIC_COARSE_:
      return ClockBase::Monotonic;
    case CLOCK_BOOTTIME_: case CLOCK_BOOTTIME_ALARM_:
      return ClockBase::Boottime;
    case CLOCK_PROCESS_CPUTIME_ID_: return ClockBase::ProcessCpu;
    case CLOCK_THREAD_CPUTIME_ID_: return ClockBase::ThreadCpu;
    default: return ClockBase::Invalid;  // FIXME: negative (per-pid CPU) clock ids
  }
}

int64_t process_cpu_ns(Task& t) { return t.kernel().procs().process_cpu_ns(t.group()); }

int64_t read_clock(Task& t, ClockBase b) {
  switch (b) {
    case ClockBase::Realtime: return t.kernel().realtime().now();
    case ClockBase::Monotonic: return t.monotonic_ns();
    case ClockBase::Boottime: return t.kernel().sched().time().boottime_ns();
    case ClockBase::ProcessCpu: return process_cpu_ns(t);
    case ClockBase::ThreadCpu: return t.cpu_time_ns();
    case ClockBase::Invalid: break;
  }
  return 0;
}

Result<long> sleep_restart(Task& t, RestartBlock& rb);

// Sleeps until the monotonic deadline; on interruption writes the time left to rem and
// leaves a restart toward the same deadline (used when no handler runs: a stop and
// SIGCONT), as hrtimer_nanosleep does.
Result<long> do_sleep(Task& t, int64_t deadline, uintptr_t rem) {
  Result<void> r = sleep_until(t, deadline);
  if (r.has_value()) return 0;
  if (rem) {
    int64_t left = deadline - t.monotonic_ns();
    TRY(copy_to_user(UserPtr<abi::timespec>(static_cast<long>(rem)), to_timespec(left > 0 ? left : 0)));
  }
  RestartBlock& rb = t.restart_block();
  rb.fn = &sleep_restart;
  rb.deadline = deadline;
  rb.arg[0] = rem;
  return Errno::RESTART_RESTARTBLOCK;
}

Result<long> sleep_restart(Task& t, RestartBlock& rb) { return do_sleep(t, rb.deadline, rb.arg[0]); }

}  // namespace

Result<long> sys_clock_gettime(Task& t, const SyscallArgs& a) {
  ClockBase b = clock_base(static_cast<int32_t>(a.a[0]));
  if (b == ClockBase::Invalid) return Errno::INVAL;
  TRY(copy_to_user(UserPtr<abi::timespec>(a.a[1]), to_timespec(read_clock(t, b))));
  return 0;
}

Result<long> sys_clock_getres(Task&, const SyscallArgs& a) {
  const auto id = static_cast<int32_t>(a.a[0]);
  if (clock_base(id) == ClockBase::Invalid) return Errno::INVAL;
  if (a.a[1] == 0) return 0;
  const bool coarse = id == CLOCK_REALTIME_COARSE_ || id == CLOCK_MONOTONIC_COARSE_;
  const int64_t res = coarse ? host::coarse_resolution_ns() : 1;
  TRY(copy_to_user(UserPtr<abi::timespec>(a.a[1]), to_timespec(res)));
  return 0;
}

Result<long> sys_gettimeofday(Task& t, const SyscallArgs& a) {
  if (a.a[0]) {
    int64_t ns = t.kernel().realtime().now();
    abi::timeval tv{ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000};
    TRY(copy_to_user(UserPtr<abi::timeval>(a.a[0]), tv));
  }
  if (a.a[1]) TRY(copy_to_user(UserPtr<abi::timezone>(a.a[1]), t.kernel().timezone()));
  return 0;
}

namespace {
// do_sys_settimeofday64: a time within range, then the capability, then the zone.
Result<long> set_time(Task& t, const abi::timespec* ts, const abi::timezone* tz) {
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC ||
             ts->tv_sec >= (INT64_MAX / NSEC_PER_SEC) - 30 * 365 * 86400))
    return Errno::INVAL;
  if (!t.creds().capable(abi::CAP_SYS_TIME)) return Errno::PERM;
  if (tz) {
    if (tz->tz_minuteswest > 15 * 60 || tz->tz_minuteswest < -15 * 60) return Errno::INVAL;
    t.kernel().set_timezone(*tz);
  }
  if (ts) t.kernel().realtime().set(ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec);
  return 0;
}
}  // namespace

Result<long> sys_clock_settime(Task& t, const SyscallArgs& a) {
  if (static_cast<int32_t>(a.a[0]) != CLOCK_REALTIME_) return Errno::INVAL;  // the one settable clock
  const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[1])));
  return set_time(t, &ts, nullptr);
}

Result<long> sys_settimeofday(Task& t, const SyscallArgs& a) {
  abi::timespec ts{};
  abi::timezone tz{};
  if (a.a[0]) {
    const abi::timeval tv = TRY(copy_from_user(UserPtr<abi::timeval>(a.a[0])));
    if (tv.tv_usec > 1000000 || tv.tv_usec < 0) return Errno::INVAL;
    ts = {tv.tv_sec, tv.tv_usec * 1000};
  }
  if (a.a[1]) tz = TRY(copy_from_user(UserPtr<abi::timezone>(a.a[1])));
  return set_time(t, a.a[0] ? &ts : nullptr, a.a[1] ? &tz : nullptr);
}

Result<long> sys_time(Task& t, const SyscallArgs& a) {
  const int64_t secs = t.kernel().realtime().now() / NSEC_PER_SEC;
  if (a.a[0]) TRY(copy_to_user(UserPtr<int64_t>(a.a[0]), secs));
  return secs;
}

Result<long> sys_nanosleep(Task& t, const SyscallArgs& a) {
  abi::timespec req = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[0])));
  if (!timespec_valid(req)) return Errno::INVAL;
  return do_sleep(t, t.monotonic_ns() + to_ns_saturated(req), static_cast<uintptr_t>(a.a[1]));
}

// kernel/time/posix-timers.c: clock_nanosleep, same order of checks.
Result<long> sys_clock_nanosleep(Task& t, const SyscallArgs& a) {
  const auto id = static_cast<int32_t>(a.a[0]);
  const auto flags = static_cast<int32_t>(a.a[1]);
  const ClockBase b = clock_base(id);
  if (b == ClockBase::Invalid) return Errno::INVAL;
  const bool sleepable = id == CLOCK_REALTIME_ || id == CLOCK_MONOTONIC_ ||
                         id == CLOCK_BOOTTIME_ || id == CLOCK_TAI_;
  // Linux's clocks without nsleep (raw, coarse, thread CPU) say EOPNOTSUPP; the alarm
  // clocks and CLOCK_PROCESS_CPUTIME_ID can sleep on Linux but not here yet (FIXME).
  if (!sleepable) return Errno::OPNOTSUPP;
  abi::timespec req = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[2])));
  if (!timespec_valid(req)) return Errno::INVAL;
  const int64_t now_mono = t.monotonic_ns();
  int64_t deadline;
  uintptr_t rem = static_cast<uintptr_t>(a.a[3]);
  if (flags & TIMER_ABSTIME_) {
    rem = 0;  // absolute sleeps never report a remainder
    const int64_t target = to_ns_saturated(req);
    const int64_t now = b == ClockBase::Monotonic ? now_mono : read_clock(t, b);
    deadline = now_mono + (target - now);
  } else {
    deadline = now_mono + to_ns_saturated(req);
  }
  return do_sleep(t, deadline, rem);
}

}  // namespace uml::kern
