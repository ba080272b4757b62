#include "core/sched/wait_queue.h"

namespace uml::kern {

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
    w.woken = true;
    SchedEntity* e = w.entity;  // w lives on the waiter's stack: read it before unpark
    Scheduler::unpark(*e);
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
      w.woken = true;
      SchedEntity* e = w.entity;
      Scheduler::unpark(*e);
      ++woken;
    }
    return woken >= n;
  });
  return woken;
}

}  // namespace uml::kern
