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

 private:
  struct Bucket;
  struct Waiter {
    SchedEntity* entity;
    FutexKey key;
    uint32_t bitset;
    std::atomic<Bucket*> bucket;  // where it is queued (requeue moves it)
    std::atomic<bool> woken{false};
    ListNode node;
  };
  struct Bucket {
    SpinLock lock;
    IntrusiveList<Waiter, &Waiter::node> waiters;
  };
  Bucket& bucket_of(const FutexKey& k);
  static void lock_two(Bucket& a, Bucket& b);
  static void unlock_two(Bucket& a, Bucket& b);
  unsigned wake_locked(Bucket& b, const FutexKey& key, unsigned n, uint32_t bitset);
  // Takes w out of its queue (following requeues); false when a wake already did.
  bool unqueue(Waiter& w);

  std::array<Bucket, 256> m_buckets;
};

}  // namespace uml::kern
