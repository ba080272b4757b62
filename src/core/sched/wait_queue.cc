#include "core/sched/wait_queue.h"

namespace uml::kern {

unsigned WaitQueue::wake(unsigned n) {
  SpinGuard g(m_lock);
  return wake_locked(n);
}

unsigned WaitQueue::wake_locked(unsigned n) {
  unsigned woken = 0;
  while (woken < n) {
    Waiter* w = m_waiters.pop_front();
    if (!w) break;
    w->woken = true;
    SchedEntity* e = w->entity;  // w lives on the waiter's stack: read it before unpark
    Scheduler::unpark(*e);
    ++woken;
  }
  return woken;
}

}  // namespace uml::kern
