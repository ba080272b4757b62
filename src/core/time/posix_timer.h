#pragma once
// Process timers (kernel/time/posix-timers.c, itimer.c, alarm): POSIX timers (timer_create
// and friends), ITIMER_REAL and alarm, which is ITIMER_REAL in whole seconds.
//
// A timer runs on a KTimer. At expiry it queues its signal unless the previous one is still
// pending, in which case it counts an overrun instead (what timer_getoverrun reports for
// the signal, once taken). Periodic timers re-arm from the callback, skipping (and
// counting) the periods already past.
//
// Lock order: tasklist > siglock > PosixTimer::m_lock; the callback sends its signal after
// dropping m_lock.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>

#include "core/abi/signal.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/ktimer.h"

namespace uml::kern {

class Kernel;
class ThreadGroup;

class PosixTimer {
 public:
  // notify: SIGEV_SIGNAL, SIGEV_NONE, or SIGEV_THREAD_ID with tid; code: SI_TIMER for
  // POSIX timers, SI_KERNEL for ITIMER_REAL.
  PosixTimer(Kernel& k, ThreadGroup& g, int id, int clock, const abi::sigevent& ev, int code);
  ~PosixTimer() = default;

  // Arms (value > 0) or disarms; deadlines are CLOCK_MONOTONIC ns; interval 0: one shot.
  // Returns what was left and the old interval.
  void set(int64_t deadline, int64_t interval, int64_t* old_left, int64_t* old_interval);
  // The time left (0: disarmed) and the interval.
  void get(int64_t* left, int64_t* interval);
  int overrun_last() const { return m_overrun_last.load(std::memory_order_relaxed); }
  int clock() const { return m_clock; }
  int id() const { return m_id; }
  // Its signal was dequeued (siglock held): fill si_overrun, start counting afresh.
  void taken(abi::siginfo* info);

 private:
  static void expire(KTimer* kt);

  ThreadGroup& m_group;
  const int m_id;
  const int m_clock;
  const abi::sigevent m_ev;
  const int m_code;
  SpinLock m_lock;
  int64_t m_deadline = 0;  // 0: disarmed
  int64_t m_interval = 0;
  int m_overrun = 0;       // since its signal was queued
  bool m_queued = false;   // its signal is pending
  std::atomic<int> m_overrun_last{0};
  KTimer m_timer;  // last: cancelled (in its destructor) before the rest goes
};

// A process's timers: its POSIX timers by id, ITIMER_REAL, and the CPU-time itimers
// ITIMER_VIRTUAL and ITIMER_PROF (signal_struct's it[], checked as run_posix_cpu_timers
// checks them: at the process's syscalls, against its CPU time, which libuml does not split
// into user and system time, so both count all of it).
class ProcessTimers {
 public:
  ProcessTimers(Kernel& k, ThreadGroup& g);
  ~ProcessTimers();

  // timer_create: the new id. Errors: INVAL (a bad notification or signal), AGAIN.
  Result<int> create(int clock, const abi::sigevent* ev, int self_tid);
  Result<void> remove(int id);
  std::shared_ptr<PosixTimer> find(int id);
  PosixTimer& real() { return *m_real; }
  // setitimer/getitimer for ITIMER_VIRTUAL (which 1) and ITIMER_PROF (2): value and
  // interval in CPU ns (value 0 disarms); now is the process's CPU time.
  void set_cpu(int which, int64_t now, int64_t value, int64_t interval, int64_t* old_left, int64_t* old_interval);
  void get_cpu(int which, int64_t now, int64_t* left, int64_t* interval);
  // Whether a CPU itimer is armed (one load: the syscall path asks it every time).
  bool cpu_armed() const { return m_cpu_armed.load(std::memory_order_relaxed); }
  // check_cpu_itimer: each armed CPU itimer whose expiry now has passed sends its signal
  // (SIGVTALRM, SIGPROF) to the process and re-arms by its interval, or disarms.
  void check_cpu(int64_t now);
  // A dequeued SI_TIMER signal (siglock held).
  void taken(abi::siginfo* info);
  // exit_itimers: every timer stops (process exit).
  void clear();

 private:
  Kernel& m_kernel;
  ThreadGroup& m_group;
  SpinLock m_lock;
  std::map<int, std::shared_ptr<PosixTimer>> m_timers;
  int m_next_id = 0;
  std::unique_ptr<PosixTimer> m_real;
  struct CpuItimer {
    int64_t expires = 0;  // process CPU ns; 0: disarmed
    int64_t incr = 0;
  };
  CpuItimer m_cpu[2];  // ITIMER_VIRTUAL, ITIMER_PROF (m_lock)
  static constexpr int64_t kTickNs = 4'000'000;  // TICK_NSEC at HZ=250
  std::atomic<bool> m_cpu_armed{false};
};

}  // namespace uml::kern
