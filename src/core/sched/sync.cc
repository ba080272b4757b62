#include "core/sched/sync.h"

namespace uml::kern {

// The claim happens inside the wait queue's predicate, out of the analysis's sight.
void Mutex::lock_slow(SchedEntity& self) NO_THREAD_SAFETY_ANALYSIS {
  // A short spin first: most kernel critical sections are shorter than a park.
  for (int i = 0; i < 64; ++i) {
    if (m_state.load(std::memory_order_relaxed) == 0 && try_lock()) return;
    host::cpu_relax();
  }
  // Claim with state 2 so that the holder's unlock knows to wake someone.
  (void)m_wq.wait(self, [&] { return m_state.exchange(2, std::memory_order_acquire) == 0; });
}

Result<void> Condition::wait(SchedEntity& self, Mutex& m, WaitOptions opt) {
  Waiter w(self);
  if (opt.interruptible && self.m_interrupt.load(std::memory_order_acquire)) return Errno::RESTARTSYS;
  m_wq.prepare(w);
  m.unlock();
  bool in_time = Scheduler::park(self, opt.deadline_ns);
  bool woken = m_wq.finish(w);
  m.lock(self);
  if (woken) return {};
  if (!in_time) return Errno::TIMEDOUT;
  if (opt.interruptible && self.m_interrupt.load(std::memory_order_acquire)) return Errno::RESTARTSYS;
  return {};  // spurious: callers re-check their predicate
}

void Semaphore::up(int64_t n) {
  if (n <= 0) return;
  m_wq.update_and_wake(n > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(n),
                       [&] { m_count += n; });
}

}  // namespace uml::kern
