#pragma once
// Futexes (Linux's kernel/futex): wait on a 32-bit word of guest memory, wake by address.
//
// A futex is named by a key: its address and, for a private futex, the process (guest
// memory is the host's, so a shared futex is its address alone). Waiters sit in hashed
// buckets, each with its own lock; a waiter checks the word under the bucket lock before it
// sleeps, and wakers take the same lock, so no wake-up is lost. Requeue moves waiters from
// one key to another without waking them.

#include <array>
#include <atomic>
#include <cstdint>

#include "core/base/intrusive_list.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

struct FutexKey {
  uintptr_t addr = 0;
  const void* owner = nullptr;  // the process for a private futex; null when shared
  bool operator==(const FutexKey& o) const { return addr == o.addr && owner == o.owner; }
};

class FutexTable {
 public:
  static constexpr uint32_t kBitsetAll = 0xffffffff;

  // FUTEX_WAIT(_BITSET): sleeps while *addr == val, until a wake that matches bitset, the
  // absolute monotonic deadline (< 0: none), or an interruption. Errors: AGAIN (the word
  // differs), TIMEDOUT, INTR, FAULT.
  Result<void> wait(SchedEntity& self, const FutexKey& key, uint32_t val, uint32_t bitset,
                    int64_t deadline_ns);
  // futex_waitv: sleeps on several words at once until one is woken; returns the index of a
  // woken one (the last, as Linux's unqueue_multiple finds). Errors: AGAIN, TIMEDOUT,
  // RESTARTSYS, FAULT. At most kMaxWaitv.
  static constexpr size_t kMaxWaitv = 128;
  Result<int> wait_multiple(SchedEntity& self, const FutexKey* keys, const uint32_t* vals, size_t n,
                            int64_t deadline_ns);
  // FUTEX_WAKE(_BITSET): wakes up to n waiters; returns how many.
  unsigned wake(const FutexKey& key, unsigned n, uint32_t bitset);
  // FUTEX_(CMP_)REQUEUE: wakes up to n on key, moves up to n2 more to key2; with cmp, only
  // if *key.addr == *cmp (else AGAIN). Returns woken + moved (CMP) or woken (plain).
  Result<long> requeue(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2,
                       const uint32_t* cmp);
  // FUTEX_WAKE_OP: *addr2 op= oparg atomically; wakes n on key and, if the old *addr2
  // satisfies the comparison, n2 on key2.
  Result<long> wake_op(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2,
                       uint32_t encoded_op);

  // ---- priority-inheritance futexes (kernel/futex/pi.c, requeue.c) ----
  // The word holds the owner's tid (kTidMask), kWaiters while someone waits in the kernel,
  // and kOwnerDied once an owner exited holding it. Lock handover is FIFO and writes the
  // next owner's tid with kWaiters, so that its unlock comes here (wake_futex_pi). libuml
  // has no priorities to inherit: the ordering and the word's protocol are what remain.
  static constexpr uint32_t kWaiters = 0x80000000u, kOwnerDied = 0x40000000u, kTidMask = 0x3fffffffu;
  // Whether a tid names a live task of the instance (the owner check of attach_to_pi_owner).
  using AliveFn = bool (*)(void* ctx, uint32_t tid);
  // FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI as tid: 0 when it owns the lock. Errors: DEADLK (its
  // own), SRCH (the owner is gone and the word does not say so), AGAIN (trylock: held),
  // TIMEDOUT (an absolute monotonic deadline; < 0: none), RESTARTNOINTR, FAULT.
  Result<void> lock_pi(SchedEntity& self, uint32_t tid, const FutexKey& key, int64_t deadline_ns, bool trylock,
                       AliveFn alive, void* ctx);
  // FUTEX_UNLOCK_PI: PERM unless tid owns it; the first waiter becomes the owner.
  Result<void> unlock_pi(uint32_t tid, const FutexKey& key);
  // FUTEX_WAIT_REQUEUE_PI: waits on key (while *key.addr == val) to be requeued to the PI
  // futex key2 by FUTEX_CMP_REQUEUE_PI; returns once tid owns key2. Errors: INVAL (the same
  // word), AGAIN (the word differs, or a plain wake), TIMEDOUT, RESTARTNOINTR, FAULT.
  Result<void> wait_requeue_pi(SchedEntity& self, uint32_t tid, const FutexKey& key, uint32_t val,
                               const FutexKey& key2, int64_t deadline_ns);
  // FUTEX_CMP_REQUEUE_PI: if *key.addr == cmp, key2 taken for the first waiter when free
  // (it wakes owning it), and up to n2 more waiters moved to key2's PI queue. Returns how
  // many were woken or moved. Errors: INVAL (n != 1, the same word, a waiter that waits for
  // another target), AGAIN, FAULT.
  Result<long> cmp_requeue_pi(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2, uint32_t cmp,
                              AliveFn alive, void* ctx);
  // A task exited (exit_pi_state_list): every PI futex it owned with waiters goes to the
  // first of them, marked kOwnerDied.
  void exit_pi(uint32_t tid);

 private:
  struct Bucket;
  struct Waiter {
    SchedEntity* entity;
    FutexKey key;
    uint32_t bitset;
    std::atomic<Bucket*> bucket;  // where it is queued (requeue moves it)
    std::atomic<bool> woken{false};
    ListNode node;
    // PI: a waiter for the lock of key, woken owning it; or, for FUTEX_WAIT_REQUEUE_PI, a
    // plain waiter that is to move to pi_target and then wait as a PI waiter.
    bool pi = false;
    bool requeue_pi = false;
    bool acquired = false;  // woken owning the PI lock
    uint32_t tid = 0;
    FutexKey pi_target;
  };
  struct Bucket {
    SpinLock lock;
    IntrusiveList<Waiter, &Waiter::node> waiters;
  };
  Bucket& bucket_of(const FutexKey& k);
  // Both buckets' locks, in address order (once when they are the same bucket).
  static void lock_two(Bucket& a, Bucket& b) ACQUIRE(a.lock, b.lock);
  static void unlock_two(Bucket& a, Bucket& b) RELEASE(a.lock, b.lock);
  unsigned wake_locked(Bucket& b, const FutexKey& key, unsigned n, uint32_t bitset);
  // Takes w out of its queue (following requeues); false when a wake already did.
  bool unqueue(Waiter& w);

  // Queues w (a PI waiter on w.key) and parks until it owns the lock, or the deadline or an
  // interruption takes it out; b is locked on entry and unlocked on return.
  Result<void> wait_pi_locked(SchedEntity& self, Waiter& w, Bucket* b, int64_t deadline_ns) RELEASE(b->lock);
  // Parks until a waker takes w out of its queue (Woken), or the deadline or an
  // interruption ends the wait and w leaves its queue (TimedOut, Interrupted; Woken when a
  // wake won that race). Spurious wake-ups park again.
  enum class WaitEnd { Woken, TimedOut, Interrupted };
  WaitEnd sleep(SchedEntity& self, Waiter& w, int64_t deadline_ns);
  // futex_wait_setup: under w's bucket lock, queues w if the word at w.key still holds val
  // (AGAIN otherwise, FAULT when it cannot be read).
  Result<void> queue_if_equal(Waiter& w, uint32_t val);
  // The PI lock's new owner w (the word already says so) leaves b's queue and wakes.
  void hand_over_locked(Bucket& b, Waiter& w);
  // Sets bits in the word at addr (FAULT).
  static bool set_bits(uintptr_t addr, uint32_t bits);

  std::array<Bucket, 256> m_buckets;
  std::atomic<uint32_t> m_pi_waiters{0};  // queued PI waiters, so that exits skip the scan
};

}  // namespace uml::kern
