#include "core/ipc/futex.h"

#include "host/fault.h"

#include <vector>

namespace uml::kern {

namespace {

// The word at addr, read fault-safely. False: EFAULT (the null page included, which is
// never handed to the copy).
bool read_word(uintptr_t addr, uint32_t* out) {
  if (addr < 4096) return false;
  return host::copy_guarded(out, reinterpret_cast<const void*>(addr), sizeof *out);
}

}  // namespace

FutexTable::Bucket& FutexTable::bucket_of(const FutexKey& k) {
  uint64_t h = (k.addr >> 2) * 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(k.owner);
  h ^= h >> 29;
  return m_buckets[h % m_buckets.size()];
}

// One lock when a is b, which the analysis cannot express.
void FutexTable::lock_two(Bucket& a, Bucket& b) NO_THREAD_SAFETY_ANALYSIS {
  if (&a == &b) {
    a.lock.lock();
  } else if (&a < &b) {
    a.lock.lock();
    b.lock.lock();
  } else {
    b.lock.lock();
    a.lock.lock();
  }
}

void FutexTable::unlock_two(Bucket& a, Bucket& b) NO_THREAD_SAFETY_ANALYSIS {
  a.lock.unlock();
  if (&a != &b) b.lock.unlock();
}

FutexTable::WaitEnd FutexTable::sleep(SchedEntity& self, Waiter& w, int64_t deadline_ns) {
  for (;;) {
    const bool in_time = Scheduler::park(self, deadline_ns);
    if (w.woken.load(std::memory_order_acquire)) {
      // The waker marks us, then unparks us, under our bucket's lock: passing through that
      // lock means it is done with this entity before the task can go on (and end).
      SpinGuard g(w.bucket.load(std::memory_order_acquire)->lock);
      return WaitEnd::Woken;
    }
    const bool interrupted = self.m_interrupt.load(std::memory_order_acquire);
    if (in_time && !interrupted) continue;  // a spurious wake-up
    // Leave the queue (requeue may have moved us: unqueue follows our bucket).
    if (!unqueue(w)) return WaitEnd::Woken;  // the wake won the race
    return interrupted ? WaitEnd::Interrupted : WaitEnd::TimedOut;
  }
}

Result<void> FutexTable::queue_if_equal(Waiter& w, uint32_t val) {
  Bucket* b = &bucket_of(w.key);
  w.bucket.store(b, std::memory_order_relaxed);
  SpinGuard g(b->lock);
  uint32_t cur = 0;
  if (!read_word(w.key.addr, &cur)) return Errno::FAULT;
  if (cur != val) return Errno::AGAIN;
  b->waiters.push_back(w);
  return {};
}

// futex_wait: queue, then check the word, under the bucket lock; sleep; on a timeout or an
// interruption, leave the queue unless a waker already took us out.
Result<void> FutexTable::wait(SchedEntity& self, const FutexKey& key, uint32_t val, uint32_t bitset,
                              int64_t deadline_ns) {
  Waiter w;
  w.entity = &self;
  w.key = key;
  w.bitset = bitset;
  TRY(queue_if_equal(w, val));
  switch (sleep(self, w, deadline_ns)) {
    case WaitEnd::Woken: return {};
    case WaitEnd::Interrupted: return Errno::RESTARTSYS;
    case WaitEnd::TimedOut: break;
  }
  return Errno::TIMEDOUT;
}

unsigned FutexTable::wake_locked(Bucket& b, const FutexKey& key, unsigned n, uint32_t bitset) {
  unsigned woken = 0;
  b.waiters.for_each([&](Waiter& w) {
    if (woken >= n || !(w.key == key) || !(w.bitset & bitset) || w.pi) return;  // PI waiters: unlock_pi's
    b.waiters.remove(w);
    SchedEntity* e = w.entity;  // w is on the waiter's stack: nothing of it after this store
    w.woken.store(true, std::memory_order_release);
    Scheduler::unpark(*e);
    ++woken;
  });
  return woken;
}

bool FutexTable::unqueue(Waiter& w) {
  for (;;) {
    Bucket* cur = w.bucket.load(std::memory_order_acquire);
    SpinGuard g(cur->lock);
    if (w.bucket.load(std::memory_order_relaxed) != cur) continue;
    if (w.woken.load(std::memory_order_relaxed)) return false;
    cur->waiters.remove(w);
    return true;
  }
}

// futex_wait_multiple: queue on every word (each checked under its bucket lock), sleep,
// then leave every queue; a spurious wake-up starts over.
Result<int> FutexTable::wait_multiple(SchedEntity& self, const FutexKey* keys, const uint32_t* vals, size_t n,
                                      int64_t deadline_ns) {
  std::array<Waiter, kMaxWaitv> ws;
  auto unqueue_first = [&](size_t count) {
    int last = -1;
    for (size_t i = 0; i < count; ++i)
      if (!unqueue(ws[i])) last = static_cast<int>(i);
    return last;
  };
  for (;;) {
    for (size_t i = 0; i < n; ++i) {
      Waiter& w = ws[i];
      w.entity = &self;
      w.key = keys[i];
      w.bitset = kBitsetAll;
      w.woken.store(false, std::memory_order_relaxed);
      Bucket* b = &bucket_of(keys[i]);
      w.bucket.store(b, std::memory_order_relaxed);
      SpinGuard g(b->lock);
      uint32_t cur = 0;
      const bool ok = read_word(keys[i].addr, &cur);
      if (ok && cur == vals[i]) {
        b->waiters.push_back(w);
        continue;
      }
      b->lock.unlock();
      const int woken = unqueue_first(i);
      b->lock.lock();  // for the guard
      if (woken >= 0) return woken;
      return ok ? Errno::AGAIN : Errno::FAULT;
    }
    bool in_time = true;
    for (;;) {
      bool any = false;
      for (size_t i = 0; i < n && !any; ++i) any = ws[i].woken.load(std::memory_order_acquire);
      if (any || !in_time || self.m_interrupt.load(std::memory_order_acquire)) break;
      in_time = Scheduler::park(self, deadline_ns);
    }
    const int woken = unqueue_first(n);
    if (woken >= 0) return woken;
    if (!in_time) return Errno::TIMEDOUT;
    if (self.m_interrupt.load(std::memory_order_acquire)) return Errno::RESTARTSYS;
  }
}

unsigned FutexTable::wake(const FutexKey& key, unsigned n, uint32_t bitset) {
  Bucket& b = bucket_of(key);
  SpinGuard g(b.lock);
  return wake_locked(b, key, n, bitset);
}

Result<long> FutexTable::requeue(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2,
                                 const uint32_t* cmp) {
  Bucket& b1 = bucket_of(key);
  Bucket& b2 = bucket_of(key2);
  lock_two(b1, b2);
  if (cmp) {
    uint32_t cur = 0;
    if (!read_word(key.addr, &cur)) {
      unlock_two(b1, b2);
      return Errno::FAULT;
    }
    if (cur != *cmp) {
      unlock_two(b1, b2);
      return Errno::AGAIN;
    }
  }
  long done = wake_locked(b1, key, n, FutexTable::kBitsetAll);
  unsigned moved = 0;
  b1.waiters.for_each([&](Waiter& w) {
    if (moved >= n2 || !(w.key == key)) return;
    if (&b1 != &b2) {
      b1.waiters.remove(w);
      b2.waiters.push_back(w);
    }
    w.key = key2;
    w.bucket.store(&b2, std::memory_order_release);
    ++moved;
  });
  unlock_two(b1, b2);
  // FUTEX_CMP_REQUEUE counts the moved ones too; plain FUTEX_REQUEUE only the woken.
  return cmp ? done + moved : done;
}

// futex_atomic_op_inuser and the comparison of FUTEX_WAKE_OP's encoded operation.
Result<long> FutexTable::wake_op(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2,
                                 uint32_t encoded) {
  const unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
  uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
  if (encoded & (8u << 28)) {  // FUTEX_OP_OPARG_SHIFT: oparg is a shift count
    if (oparg > 31) return Errno::INVAL;
    oparg = 1u << oparg;
  }
  // Sign-extend the 12-bit arguments, as Linux does.
  const auto sext = [](uint32_t v) { return static_cast<uint32_t>(static_cast<int32_t>(v << 20) >> 20); };
  oparg = (encoded & (8u << 28)) ? oparg : sext(oparg);
  cmparg = sext(cmparg);
  if (op > 4 || cmp > 5) return Errno::NOSYS;
  Bucket& b1 = bucket_of(key);
  Bucket& b2 = bucket_of(key2);
  lock_two(b1, b2);
  // The guest's word may be unmapped or read-only: every access to it is guarded.
  auto* word = reinterpret_cast<uint32_t*>(key2.addr);
  uint32_t old;
  if (!read_word(key2.addr, &old)) {
    unlock_two(b1, b2);
    return Errno::FAULT;
  }
  for (bool swapped = false; !swapped;) {
    uint32_t next;
    switch (op) {
      case 0: next = oparg; break;            // SET
      case 1: next = old + oparg; break;      // ADD
      case 2: next = old | oparg; break;      // OR
      case 3: next = old & ~oparg; break;     // ANDN
      default: next = old ^ oparg; break;     // XOR
    }
    if (!host::cmpxchg_guarded(word, &old, next, &swapped)) {
      unlock_two(b1, b2);
      return Errno::FAULT;
    }
  }
  long woken = wake_locked(b1, key, n, kBitsetAll);
  const int32_t o = static_cast<int32_t>(old), c = static_cast<int32_t>(cmparg);
  bool hit = false;
  switch (cmp) {
    case 0: hit = o == c; break;
    case 1: hit = o != c; break;
    case 2: hit = o < c; break;
    case 3: hit = o <= c; break;
    case 4: hit = o > c; break;
    default: hit = o >= c; break;
  }
  if (hit) woken += wake_locked(b2, key2, n2, kBitsetAll);
  unlock_two(b1, b2);
  return woken;
}

// ---- priority-inheritance futexes ----

bool FutexTable::set_bits(uintptr_t addr, uint32_t bits) {
  uint32_t cur;
  if (!read_word(addr, &cur)) return false;
  for (bool swapped = false; !swapped;) {
    if ((cur & bits) == bits) return true;
    if (!host::cmpxchg_guarded(reinterpret_cast<uint32_t*>(addr), &cur, cur | bits, &swapped)) return false;
  }
  return true;
}

void FutexTable::hand_over_locked(Bucket& b, Waiter& w) {
  b.waiters.remove(w);
  m_pi_waiters.fetch_sub(1, std::memory_order_relaxed);
  w.acquired = true;
  SchedEntity* e = w.entity;  // w is on the waiter's stack: nothing of it after this store
  w.woken.store(true, std::memory_order_release);
  Scheduler::unpark(*e);
}

Result<void> FutexTable::wait_pi_locked(SchedEntity& self, Waiter& w, Bucket* b, int64_t deadline_ns) {
  w.pi = true;
  w.bucket.store(b, std::memory_order_relaxed);
  b->waiters.push_back(w);
  m_pi_waiters.fetch_add(1, std::memory_order_relaxed);
  b->lock.unlock();
  const WaitEnd end = sleep(self, w, deadline_ns);
  if (end == WaitEnd::Woken) return {};
  m_pi_waiters.fetch_sub(1, std::memory_order_relaxed);
  // futex_lock_pi: a signal restarts the call (ERESTARTNOINTR), a timeout ends it.
  return end == WaitEnd::Interrupted ? Errno::RESTARTNOINTR : Errno::TIMEDOUT;
}

// Its failure paths unlock through a lambda, which the analysis cannot follow.
Result<void> FutexTable::lock_pi(SchedEntity& self, uint32_t tid, const FutexKey& key, int64_t deadline_ns,
                                 bool trylock, AliveFn alive, void* ctx) NO_THREAD_SAFETY_ANALYSIS {
  Bucket& b = bucket_of(key);
  b.lock.lock();
  auto fail = [&](Errno e) NO_THREAD_SAFETY_ANALYSIS -> Result<void> {
    b.lock.unlock();
    return e;
  };
  auto* word = reinterpret_cast<uint32_t*>(key.addr);
  uint32_t cur;
  if (!read_word(key.addr, &cur)) return fail(Errno::FAULT);
  for (;;) {
    const uint32_t owner = cur & kTidMask;
    // Free, or its owner gone with the word saying so (kOwnerDied): take it
    // (futex_lock_pi_atomic), keeping kOwnerDied for the new owner to see.
    if (owner == 0 || (owner != tid && (cur & kOwnerDied) && !alive(ctx, owner))) {
      bool queued = false;
      b.waiters.for_each([&](Waiter& x) { queued = queued || (x.pi && x.key == key); });
      const uint32_t next = tid | (cur & kOwnerDied) | (queued ? kWaiters : 0);
      bool swapped = false;
      if (!host::cmpxchg_guarded(word, &cur, next, &swapped)) return fail(Errno::FAULT);
      if (!swapped) continue;
      b.lock.unlock();
      return {};
    }
    if (owner == tid) return fail(Errno::DEADLK);
    if (!alive(ctx, owner)) return fail(Errno::SRCH);
    if (trylock) return fail(Errno::AGAIN);
    // Contended: the owner must come here to unlock.
    bool swapped = (cur & kWaiters) != 0;
    while (!swapped) {
      if (!host::cmpxchg_guarded(word, &cur, cur | kWaiters, &swapped)) return fail(Errno::FAULT);
      if (!swapped && (cur & kTidMask) != owner) break;  // changed hands: look again
    }
    if (!swapped) continue;
    Waiter w;
    w.entity = &self;
    w.key = key;
    w.bitset = kBitsetAll;
    w.tid = tid;
    return wait_pi_locked(self, w, &b, deadline_ns);
  }
}

Result<void> FutexTable::unlock_pi(uint32_t tid, const FutexKey& key) {
  Bucket& b = bucket_of(key);
  SpinGuard g(b.lock);
  auto* word = reinterpret_cast<uint32_t*>(key.addr);
  uint32_t cur;
  if (!read_word(key.addr, &cur)) return Errno::FAULT;
  if ((cur & kTidMask) != tid) return Errno::PERM;
  Waiter* next = nullptr;
  b.waiters.for_each([&](Waiter& x) {
    if (!next && x.pi && x.key == key) next = &x;
  });
  // wake_futex_pi: the first waiter owns it now, with kWaiters set so that its own unlock
  // comes here; with nobody waiting, the word goes back to 0.
  const uint32_t value = next ? (next->tid | kWaiters) : 0;
  for (bool swapped = false; !swapped;) {
    if (!host::cmpxchg_guarded(word, &cur, value, &swapped)) return Errno::FAULT;
    if (!swapped && (cur & kTidMask) != tid) return Errno::PERM;
  }
  if (next) hand_over_locked(b, *next);
  return {};
}

Result<void> FutexTable::wait_requeue_pi(SchedEntity& self, uint32_t tid, const FutexKey& key, uint32_t val,
                                         const FutexKey& key2, int64_t deadline_ns) {
  if (key.addr == key2.addr) return Errno::INVAL;
  Waiter w;
  w.entity = &self;
  w.key = key;
  w.bitset = kBitsetAll;
  w.tid = tid;
  w.requeue_pi = true;
  w.pi_target = key2;
  TRY(queue_if_equal(w, val));
  // Handed key2 (by CMP_REQUEUE_PI or, after a requeue, an unlock), or woken on key by a
  // plain FUTEX_WAKE (handle_early_requeue_pi_wakeup: EWOULDBLOCK).
  const WaitEnd end = sleep(self, w, deadline_ns);
  if (end == WaitEnd::Woken) return w.acquired ? Result<void>() : Result<void>(Errno::AGAIN);
  if (w.pi) m_pi_waiters.fetch_sub(1, std::memory_order_relaxed);
  return end == WaitEnd::Interrupted ? Errno::RESTARTNOINTR : Errno::TIMEDOUT;
}

Result<long> FutexTable::cmp_requeue_pi(const FutexKey& key, const FutexKey& key2, unsigned n, unsigned n2,
                                        uint32_t cmp, AliveFn alive, void* ctx) {
  if (n != 1 || key.addr == key2.addr) return Errno::INVAL;
  Bucket& b1 = bucket_of(key);
  Bucket& b2 = bucket_of(key2);
  struct SCOPED_CAPABILITY Hold {
    Hold(Bucket& x, Bucket& y) ACQUIRE(x.lock, y.lock) : a(x), b(y) { lock_two(x, y); }
    ~Hold() RELEASE() { unlock_two(a, b); }
    Bucket &a, &b;
  } hold{b1, b2};
  uint32_t cur = 0;
  if (!read_word(key.addr, &cur)) return Errno::FAULT;
  if (cur != cmp) return Errno::AGAIN;
  std::vector<Waiter*> movers;
  bool bad = false;
  b1.waiters.for_each([&](Waiter& w) {
    if (!(w.key == key) || w.pi) return;
    if (!w.requeue_pi || !(w.pi_target == key2)) bad = true;
    movers.push_back(&w);
  });
  if (bad) return Errno::INVAL;  // a waiter that is not waiting for this requeue
  long done = 0;
  size_t first = 0;
  auto* word2 = reinterpret_cast<uint32_t*>(key2.addr);
  if (!movers.empty()) {
    // futex_proxy_trylock_atomic: the first waiter takes key2 if it is free.
    uint32_t w2;
    if (!read_word(key2.addr, &w2)) return Errno::FAULT;
    for (;;) {
      const uint32_t owner = w2 & kTidMask;
      if (owner != 0 && !((w2 & kOwnerDied) && !alive(ctx, owner))) break;
      const uint32_t next = movers[0]->tid | (w2 & kOwnerDied) | (movers.size() > 1 && n2 ? kWaiters : 0);
      bool swapped = false;
      if (!host::cmpxchg_guarded(word2, &w2, next, &swapped)) return Errno::FAULT;
      if (!swapped) continue;
      Waiter& w = *movers[0];
      b1.waiters.remove(w);
      w.acquired = true;
      SchedEntity* e = w.entity;
      w.woken.store(true, std::memory_order_release);
      Scheduler::unpark(*e);
      first = 1;
      done = 1;
      break;
    }
  }
  // The rest (the first too, when key2 was held) move to key2's PI queue.
  unsigned moved = 0;
  for (size_t i = first; i < movers.size() && moved < n2; ++i) {
    Waiter& w = *movers[i];
    if (&b1 != &b2) {
      b1.waiters.remove(w);
      b2.waiters.push_back(w);
    }
    w.key = key2;
    w.pi = true;
    w.bucket.store(&b2, std::memory_order_release);
    m_pi_waiters.fetch_add(1, std::memory_order_relaxed);
    ++moved;
  }
  if (moved && !set_bits(key2.addr, kWaiters)) return Errno::FAULT;
  return done + moved;
}

void FutexTable::exit_pi(uint32_t tid) {
  if (!m_pi_waiters.load(std::memory_order_relaxed)) return;
  for (Bucket& b : m_buckets) {
    SpinGuard g(b.lock);
    // Each PI futex here whose word names the dead owner goes to its first waiter.
    for (;;) {
      Waiter* next = nullptr;
      uint32_t cur = 0;
      b.waiters.for_each([&](Waiter& x) {
        if (next || !x.pi) return;
        uint32_t v;
        if (read_word(x.key.addr, &v) && (v & kTidMask) == tid) {
          next = &x;
          cur = v;
        }
      });
      if (!next) break;
      bool swapped = false;
      if (!host::cmpxchg_guarded(reinterpret_cast<uint32_t*>(next->key.addr), &cur,
                                 next->tid | kWaiters | kOwnerDied, &swapped) || !swapped)
        break;  // the word changed under a dead owner: leave it
      hand_over_locked(b, *next);
    }
  }
}

}  // namespace uml::kern
