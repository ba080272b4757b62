#pragma once
// KTimer: a kernel timer with a callback (Linux's hrtimer), for timers that belong to no
// sleeping task: interval timers, POSIX timers, timerfds. Armed at an absolute
// CLOCK_MONOTONIC deadline on one vCPU, whose scheduler loop runs the callback with no lock
// held. cancel() waits for a running callback, so the owner may be freed after it.

#include <cstdint>

#include "core/base/spinlock.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

class KTimer {
 public:
  using Fn = void (*)(KTimer* t);

  KTimer(Scheduler& s, Fn fn, void* ctx) : m_ctx(ctx), m_fn(fn) {
    // Spread timers over the vCPUs by address.
    const auto h = reinterpret_cast<uintptr_t>(this) >> 6;
    m_vcpu = &s.vcpu(static_cast<unsigned>(h % s.vcpu_count()));
    m_timer.fire = &KTimer::trampoline;
    m_timer.arg = this;
  }
  ~KTimer() { cancel(); }
  KTimer(const KTimer&) = delete;
  KTimer& operator=(const KTimer&) = delete;

  // The clocks its deadlines are on (its instance's).
  const TimeSource& time() const { return m_vcpu->scheduler().time(); }
  // (Re)arms at deadline; from outside the callback, cancel first.
  void arm(int64_t deadline_ns) {
    m_timer.deadline = deadline_ns;
    m_vcpu->add_timer(&m_timer);
  }
  // true if it was queued (it will not fire now).
  bool cancel() { return m_vcpu->cancel_timer(&m_timer); }

  // Changes the setting of a timer whose callback keeps its state under `state`, one change
  // at a time: disarm() runs under state and must leave a running callback nothing to re-arm
  // (false: nothing to change, stop here); a running callback is then waited out; rearm()
  // runs under state and may arm() again.
  template <typename Disarm, typename Rearm>
  void reprogram(SpinLock& state, Disarm&& disarm, Rearm&& rearm) {
    SpinGuard one(m_reprogram_lock);
    {
      SpinGuard g(state);
      if (!disarm()) return;
    }
    cancel();
    SpinGuard g(state);
    rearm();
  }
  void* ctx() const { return m_ctx; }
  int64_t deadline() const { return m_timer.deadline; }

 private:
  static void trampoline(Timer* t) {
    auto* self = static_cast<KTimer*>(t->arg);
    self->m_fn(self);
  }
  Timer m_timer;
  SpinLock m_reprogram_lock;  // held while cancelling; the callback never takes it
  Vcpu* m_vcpu;
  void* m_ctx;
  Fn m_fn;
};

}  // namespace uml::kern
