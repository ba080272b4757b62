#include "core/sched/timer_heap.h"

#include "core/base/verify.h"

namespace uml::kern {

bool TimerHeap::add(Timer* t) {
  if (!VERIFY(!t->queued())) return false;
  m_heap.push_back(t);
  t->index = m_heap.size() - 1;
  sift_up(t->index);
  return t->index == 0;
}

void TimerHeap::remove(Timer* t) {
  if (!VERIFY(t->queued() && t->index < m_heap.size() && m_heap[t->index] == t)) return;
  size_t i = t->index;
  Timer* last = m_heap.back();
  m_heap.pop_back();
  t->index = Timer::kNotQueued;
  if (last == t) return;
  place(i, last);
  sift_up(i);
  sift_down(last->index);
}

Timer* TimerHeap::pop_expired(int64_t now) {
  if (m_heap.empty() || m_heap.front()->deadline > now) return nullptr;
  Timer* t = m_heap.front();
  remove(t);
  return t;
}

void TimerHeap::sift_up(size_t i) {
  Timer* t = m_heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (m_heap[parent]->deadline <= t->deadline) break;
    place(i, m_heap[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerHeap::sift_down(size_t i) {
  Timer* t = m_heap[i];
  const size_t n = m_heap.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && m_heap[child + 1]->deadline < m_heap[child]->deadline) ++child;
    if (m_heap[child]->deadline >= t->deadline) break;
    place(i, m_heap[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace uml::kern
