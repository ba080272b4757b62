#pragma once
// WaitQueue: where entities wait for a condition (Linux's wait_queue_head). Works the same
// for fibers and attached application threads, since both park through the Scheduler.
//
// Contract: a waker changes the condition, then calls wake_*; a waiter checks the condition
// under the queue's lock (wait's predicate runs under it), so a wake-up is never lost. Waiters
// may see spurious wake-ups and always re-check.
//
// Readiness (Linux's poll tables): a queue also holds callback waiters, which poll, select
// and epoll register on the queues of the files they watch. A wake-up calls them with a key
// (the events that happened, 0: "something changed, poll again") instead of unparking
// anything, and they stay queued until their owner removes them. An exclusive callback
// (EPOLLEXCLUSIVE) takes part in the count of waiters a wake-up may wake.
//
// Lock order: WaitQueue::m_lock is taken before any scheduler lock; a predicate must not
// take another WaitQueue's lock. A callback may take the lock of its own queue-owning object
// (an epoll instance) and wake that object's queues, which nest below.

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

#include "core/base/intrusive_list.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

struct Waiter {
  // Returns whether the callback took the wake-up (for the exclusive count).
  using WakeFn = bool (*)(Waiter& w, uint32_t key);
  explicit Waiter(SchedEntity& e) : entity(&e) {}
  Waiter(WakeFn f, bool excl) : entity(nullptr), fn(f), exclusive(excl) {}
  SchedEntity* entity;
  WakeFn fn = nullptr;
  bool exclusive = false;
  ListNode node;
  // Set by a waker after it took the waiter off the queue and unparked it: from then on the
  // waker touches nothing of w, so its owner may go without taking the queue's lock.
  std::atomic<bool> woken{false};
};

// Poll event bits (the EPOLL* and POLL* values are the same).
inline constexpr uint32_t kPollIn = 0x001, kPollPri = 0x002, kPollOut = 0x004, kPollErr = 0x008,
                          kPollHup = 0x010, kPollNval = 0x020, kPollRdNorm = 0x040,
                          kPollRdBand = 0x080, kPollWrNorm = 0x100, kPollWrBand = 0x200,
                          kPollMsg = 0x400, kPollRdHup = 0x2000;

struct WaitOptions {
  int64_t deadline_ns = -1;   // absolute CLOCK_MONOTONIC; < 0: none
  bool interruptible = false; // RESTARTSYS when the entity is interrupted (killed, signalled)
};

// The options of a wait a signal may interrupt (RESTARTSYS), without a deadline.
inline WaitOptions interruptible_wait() {
  WaitOptions o;
  o.interruptible = true;
  return o;
}

class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Blocks `self` until pred() is true. pred runs with the queue's lock held and may change
  // state (take a count, claim a lock). Errors: TIMEDOUT at the deadline, RESTARTSYS when
  // interruptible and self is interrupted.
  template <typename Pred>
  Result<void> wait(SchedEntity& self, Pred&& pred, WaitOptions opt = {}) {
    Waiter w(self);
    for (;;) {
      if (auto done = queue_unless(self, w, pred, opt)) return *done;
      if (!Scheduler::park(self, opt.deadline_ns)) return timed_out(w, pred);
    }
  }

  // wait() for a predicate that only reads state its wakers publish before they wake (atomics
  // set under the object's own lock): it is checked before the queue's lock is taken, and
  // again after a wake-up that took the waiter off the queue, without the lock (Linux's
  // wait_event: the condition first, autoremove_wake_function and list_empty_careful).
  // A satisfied wait costs no locked instruction; a blocked one takes the lock once.
  template <typename Pred>
  Result<void> wait_event(SchedEntity& self, Pred&& pred, WaitOptions opt = {}) {
    if (pred()) return {};
    Waiter w(self);
    for (;;) {
      if (auto done = queue_unless(self, w, pred, opt)) return *done;
      const bool in_time = Scheduler::park(self, opt.deadline_ns);
      if (w.woken.load(std::memory_order_acquire)) {  // off the queue, and the waker is done
        if (pred()) return {};
        continue;
      }
      if (!in_time) return timed_out(w, pred);
    }
  }

  // Linux's prepare_to_wait/finish_wait, for waits that must release something else (a
  // Mutex, for Condition) between queueing and parking.
  void prepare(Waiter& w) {
    SpinGuard g(m_lock);
    w.woken.store(false, std::memory_order_relaxed);
    if (!w.node.linked()) m_waiters.push_back(w);
  }
  // Returns whether w was woken through this queue.
  bool finish(Waiter& w) {
    SpinGuard g(m_lock);
    if (w.node.linked()) m_waiters.remove(w);
    return w.woken.load(std::memory_order_relaxed);
  }

  // Wakes up to n waiters, oldest first (callbacks get key 0). Returns how many.
  unsigned wake(unsigned n);
  // A readiness change: wakes every blocked waiter and calls the callbacks with these events
  // (exclusive callbacks until one takes it).
  void wake_poll(uint32_t key);
  // Callback waiters (poll, epoll).
  void add_callback(Waiter& w) {
    SpinGuard g(m_lock);
    if (!w.node.linked()) m_waiters.push_back(w);
  }
  void remove_callback(Waiter& w) {
    SpinGuard g(m_lock);
    if (w.node.linked()) m_waiters.remove(w);
  }
  unsigned wake_one() { return wake(1); }
  unsigned wake_all() { return wake(~0u); }
  // Runs f() under the queue lock, then wakes up to n: for state that waiters check.
  template <typename F>
  unsigned update_and_wake(unsigned n, F&& f) {
    SpinGuard g(m_lock);
    f();
    return wake_locked(n, 0);
  }
  template <typename F>
  void update_and_wake_all(F&& f) {
    update_and_wake(~0u, std::forward<F>(f));
  }

  bool has_waiters() const { return waiter_count() != 0; }
  size_t waiter_count() const {
    SpinGuard g(m_lock);
    return m_waiters.size();
  }
  SpinLock& lock() { return m_lock; }

 private:
  unsigned wake_locked(unsigned n, uint32_t key);
  static void wake_entity(Waiter& w);
  // The waits' step under the lock: done (pred holds), interrupted, or w queued (nullopt).
  template <typename Pred>
  std::optional<Result<void>> queue_unless(SchedEntity& self, Waiter& w, Pred& pred, const WaitOptions& opt) {
    SpinGuard g(m_lock);
    if (pred()) {
      if (w.node.linked()) m_waiters.remove(w);
      return Result<void>{};
    }
    if (opt.interruptible && self.m_interrupt.load(std::memory_order_acquire)) {
      if (w.node.linked()) m_waiters.remove(w);
      return Result<void>(Errno::RESTARTSYS);
    }
    if (!w.node.linked()) m_waiters.push_back(w);
    w.woken.store(false, std::memory_order_relaxed);
    return std::nullopt;
  }
  // The deadline passed: w leaves the queue; the condition may still have come.
  template <typename Pred>
  Result<void> timed_out(Waiter& w, Pred& pred) {
    SpinGuard g(m_lock);
    if (w.node.linked()) m_waiters.remove(w);
    if (pred()) return {};
    return Errno::TIMEDOUT;
  }

  mutable SpinLock m_lock;
  IntrusiveList<Waiter, &Waiter::node> m_waiters;
};

}  // namespace uml::kern
