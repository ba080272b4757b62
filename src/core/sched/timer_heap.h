#pragma once
// A binary min-heap of timers keyed by absolute CLOCK_MONOTONIC deadline. Each Timer knows
// its slot, so cancellation is O(log n). Not thread-safe: the owning vCPU's timer lock
// guards it.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace uml::kern {

class Vcpu;

struct Timer {
  static constexpr size_t kNotQueued = SIZE_MAX;
  int64_t deadline = 0;
  // Runs on the owning vCPU once the deadline has passed, with no lock held. Must not park
  // or cancel its own timer; it may re-arm it (add_timer).
  void (*fire)(Timer*) = nullptr;
  void* arg = nullptr;
  size_t index = kNotQueued;
  Vcpu* owner = nullptr;
  bool fired = false;
  bool queued() const { return index != kNotQueued; }
};

class TimerHeap {
 public:
  bool empty() const { return m_heap.empty(); }
  size_t size() const { return m_heap.size(); }
  int64_t next_deadline() const { return m_heap.empty() ? -1 : m_heap.front()->deadline; }
  // Returns true when t became the earliest timer.
  bool add(Timer* t);
  void remove(Timer* t);
  // Pops the earliest timer if its deadline is <= now.
  Timer* pop_expired(int64_t now);

 private:
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, Timer* t) {
    m_heap[i] = t;
    t->index = i;
  }
  std::vector<Timer*> m_heap;
};

}  // namespace uml::kern
