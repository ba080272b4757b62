#pragma once
// SpinLock: for short critical sections that never park. Kernel code on fibers is never
// preempted by libuml, but an attached application thread can be preempted by the host while
// it holds one, so waiters back off to the host scheduler after a while instead of burning
// their CPU.

#include <atomic>
#include <mutex>

#include "host/host.h"

namespace uml::kern {

class SpinLock {
 public:
  void lock() {
    if (!m_locked.exchange(true, std::memory_order_acquire)) return;
    lock_slow();
  }
  bool try_lock() {
    return !m_locked.load(std::memory_order_relaxed) &&
           !m_locked.exchange(true, std::memory_order_acquire);
  }
  void unlock() { m_locked.store(false, std::memory_order_release); }
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

using SpinGuard = std::lock_guard<SpinLock>;

}  // namespace uml::kern
