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

// A process's timers: its POSIX timers by id and ITIMER_REAL.
class ProcessTimers {
 public:
  ProcessTimers(Kernel& k, ThreadGroup& g);
  ~ProcessTimers();

  // timer_create: the new id. Errors: INVAL (a bad notification or signal), AGAIN.
  Result<int> create(int clock, const abi::sigevent* ev, int self_tid);
  Result<void> remove(int id);
  std::shared_ptr<PosixTimer> find(int id);
  PosixTimer& real() { return *m_real; }
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
};

}  // namespace uml::kern
