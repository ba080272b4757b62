#include "core/sched/wait_queue.h"

namespace uml::kern {

// Unparks a waiter taken off the queue, then marks it woken: the mark is the last touch of
// w (on its owner's stack), and wait_event's owner may return as soon as it sees it. An
// owner that wakes before the mark takes the queue's lock, which the caller holds.
void WaitQueue::wake_entity(Waiter& w) {
  Scheduler::unpark(*w.entity);
  w.woken.store(true, std::memory_order_release);
}

unsigned WaitQueue::wake(unsigned n) {
  SpinGuard g(m_lock);
  return wake_locked(n, 0);
}

void WaitQueue::wake_poll(uint32_t key) {
  SpinGuard g(m_lock);
  if (m_waiters.empty()) return;
  bool exclusive_taken = false;
  m_waiters.for_each([&](Waiter& w) {
    if (w.fn) {
      if (w.exclusive && exclusive_taken) return;
      if (w.fn(w, key) && w.exclusive) exclusive_taken = true;
      return;
    }
    m_waiters.remove(w);
    wake_entity(w);
  });
}

unsigned WaitQueue::wake_locked(unsigned n, uint32_t key) {
  unsigned woken = 0;
  if (n == 0) return 0;
  m_waiters.for_each_until([&](Waiter& w) {
    if (w.fn) {
      if (w.fn(w, key) && w.exclusive) ++woken;
    } else {
      m_waiters.remove(w);
      wake_entity(w);
      ++woken;
    }
    return woken >= n;
  });
  return woken;
}

}  // namespace uml::kern
