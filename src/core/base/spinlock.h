#pragma once
// SpinLock: for short critical sections that never park. Kernel code on fibers is never
// preempted by libuml, but an attached application thread can be preempted by the host while
// it holds one, so waiters back off to the host scheduler after a while instead of burning
// their CPU.

#include <atomic>
#include "core/base/thread_safety.h"
#include "host/host.h"

namespace uml::kern {

class CAPABILITY("spinlock") SpinLock {
 public:
  void lock() ACQUIRE() {
    if (!m_locked.exchange(true, std::memory_order_acquire)) return;
    lock_slow();
  }
  bool try_lock() TRY_ACQUIRE(true) {
    return !m_locked.load(std::memory_order_relaxed) &&
           !m_locked.exchange(true, std::memory_order_acquire);
  }
  void unlock() RELEASE() { m_locked.store(false, std::memory_order_release); }
  bool is_locked() const { return m_locked.load(std::memory_order_relaxed); }

 private:
  void lock_slow() {
    for (unsigned spins = 0;; ++spins) {
      while (m_locked.load(std::memory_order_relaxed)) {
        if (spins++ < 256) host::cpu_relax(); else host::yield_thread();
      }
      if (!m_locked.exchange(true, std::memory_order_acquire)) return;
    }
  }
  std::atomic<bool> m_locked{false};
};

// Holds a SpinLock for its scope (std::lock_guard, with the analysis told).
class SCOPED_CAPABILITY SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) ACQUIRE(l) : m_lock(l) { l.lock(); }
  ~SpinGuard() RELEASE() { m_lock.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& m_lock;
};

}  // namespace uml::kern
