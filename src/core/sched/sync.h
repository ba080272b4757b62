#pragma once
// Sleeping synchronisation for kernel code: Mutex, Condition, Semaphore, Completion. A waiter
// parks (a fiber gives its vCPU to other fibers; an attached application thread waits on a
// host futex); it never spins its host thread for long. Every call names the waiting entity
// (`self`): kernel code passes its Task explicitly.
//
// Lock order: a Mutex may be held while taking a WaitQueue lock, never the reverse.

#include <atomic>
#include <cstdint>

#include "core/sched/wait_queue.h"

namespace uml::kern {

// Drepper's three-state mutex (0 free, 1 locked, 2 locked and contended), sleeping on a
// WaitQueue instead of a futex. Not recursive; not interruptible.
class CAPABILITY("mutex") Mutex {
 public:
  void lock(SchedEntity& self) ACQUIRE() {
    uint32_t expected = 0;
    if (m_state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return;
    lock_slow(self);
  }
  bool try_lock() TRY_ACQUIRE(true) {
    uint32_t expected = 0;
    return m_state.compare_exchange_strong(expected, 1, std::memory_order_acquire);
  }
  void unlock() RELEASE() {
    if (m_state.exchange(0, std::memory_order_release) == 2) m_wq.wake_one();
  }
  bool is_locked() const { return m_state.load(std::memory_order_relaxed) != 0; }

 private:
  void lock_slow(SchedEntity& self) ACQUIRE();
  std::atomic<uint32_t> m_state{0};
  WaitQueue m_wq;
};

class SCOPED_CAPABILITY MutexGuard {
 public:
  MutexGuard(Mutex& m, SchedEntity& self) ACQUIRE(m) : m_mutex(m) { m.lock(self); }
  ~MutexGuard() RELEASE() { m_mutex.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& m_mutex;
};

class Condition {
 public:
  // Atomically releases m and waits for notify; re-acquires m before returning, whatever
  // the result. Errors: TIMEDOUT, RESTARTSYS (interruptible waits).
  Result<void> wait(SchedEntity& self, Mutex& m, WaitOptions opt = {}) REQUIRES(m);
  void notify_one() { m_wq.wake_one(); }
  void notify_all() { m_wq.wake_all(); }

 private:
  WaitQueue m_wq;
};

class Semaphore {
 public:
  explicit Semaphore(int64_t initial = 0) : m_count(initial) {}
  // Takes one unit, waiting while there is none.
  Result<void> down(SchedEntity& self, WaitOptions opt = {}) {
    return m_wq.wait(self, [&] {
      if (m_count == 0) return false;
      --m_count;
      return true;
    }, opt);
  }
  bool try_down() {
    SpinGuard g(m_wq.lock());
    if (m_count == 0) return false;
    --m_count;
    return true;
  }
  void up(int64_t n = 1);
  int64_t count() {
    SpinGuard g(m_wq.lock());
    return m_count;
  }

 private:
  WaitQueue m_wq;
  int64_t m_count;  // guarded by m_wq's lock
};

// A one-shot event (Linux's struct completion with complete_all): once completed, every
// present and future wait returns at once.
class Completion {
 public:
  Result<void> wait(SchedEntity& self, WaitOptions opt = {}) {
    return m_wq.wait(self, [&] { return m_done; }, opt);
  }
  void complete() {
    m_wq.update_and_wake_all([&] { m_done = true; });
  }
  bool done() {
    SpinGuard g(m_wq.lock());
    return m_done;
  }

 private:
  WaitQueue m_wq;
  bool m_done = false;  // guarded by m_wq's lock
};

}  // namespace uml::kern
