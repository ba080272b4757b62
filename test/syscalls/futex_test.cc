// futex: the answers that do not need a second thread (the word differs, timeouts, wakes
// with nobody waiting, argument errors, FUTEX_WAKE_OP's update of the second word).

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "shim.h"

using shim::call;

TEST_CASE("futex wait and wake without a partner") {
  shim::fresh_task([] {
    alignas(4) uint32_t word = 7;
    for (int priv : {0, FUTEX_PRIVATE_FLAG}) {
      CHECK(call(SYS_futex, &word, FUTEX_WAIT | priv, 8, nullptr, nullptr, 0) == -EAGAIN);
      struct timespec ts {0, 10'000'000};
      CHECK(call(SYS_futex, &word, FUTEX_WAIT | priv, 7, &ts, nullptr, 0) == -ETIMEDOUT);
      CHECK(call(SYS_futex, &word, FUTEX_WAKE | priv, 1, nullptr, nullptr, 0) == 0);
      CHECK(call(SYS_futex, &word, FUTEX_WAKE_BITSET | priv, 1, nullptr, nullptr, 0) == -EINVAL);
      CHECK(call(SYS_futex, &word, FUTEX_WAIT_BITSET | priv, 7, nullptr, nullptr, 0) == -EINVAL);
    }
    // An absolute deadline already past, on either clock.
    struct timespec past {};
    clock_gettime(CLOCK_MONOTONIC, &past);
    CHECK(call(SYS_futex, &word, FUTEX_WAIT_BITSET, 7, &past, nullptr, FUTEX_BITSET_MATCH_ANY) == -ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &past);
    CHECK(call(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &past, nullptr,
               FUTEX_BITSET_MATCH_ANY) == -ETIMEDOUT);
    CHECK(call(SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 7, nullptr, nullptr, 0) == -ENOSYS);
    struct timespec bad {0, 2'000'000'000};
    CHECK(call(SYS_futex, &word, FUTEX_WAIT, 7, &bad, nullptr, 0) == -EINVAL);
    CHECK(call(SYS_futex, reinterpret_cast<char*>(&word) + 1, FUTEX_WAIT, 7, nullptr, nullptr, 0) == -EINVAL);
    CHECK(call(SYS_futex, nullptr, FUTEX_WAIT, 7, nullptr, nullptr, 0) == -EFAULT);
    CHECK(call(SYS_futex, &word, 99, 0, nullptr, nullptr, 0) == -ENOSYS);
  });
}

TEST_CASE("futex requeue and wake_op with nobody waiting") {
  shim::fresh_task([] {
    alignas(4) uint32_t a = 1, b = 5;
    CHECK(call(SYS_futex, &a, FUTEX_CMP_REQUEUE, 1, 1, &b, 2) == -EAGAIN);  // a != 2
    CHECK(call(SYS_futex, &a, FUTEX_CMP_REQUEUE, 1, 1, &b, 1) == 0);
    CHECK(call(SYS_futex, &a, FUTEX_REQUEUE, 1, 1, &b, 0) == 0);
    CHECK(call(SYS_futex, &a, FUTEX_CMP_REQUEUE, -1, 1, &b, 1) == -EINVAL);
    // FUTEX_OP(op, oparg, cmp, cmparg): b += 3, wake on a, then on b if old b == 5.
    const uint32_t add3 = (FUTEX_OP_ADD << 28) | (FUTEX_OP_CMP_EQ << 24) | (3 << 12) | 5;
    CHECK(call(SYS_futex, &a, FUTEX_WAKE_OP, 1, 1, &b, add3) == 0);
    CHECK(b == 8);
    const uint32_t set_shift = ((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT) << 28) | (4 << 12);
    CHECK(call(SYS_futex, &a, FUTEX_WAKE_OP, 1, 1, &b, set_shift) == 0);
    CHECK(b == 16);
    const uint32_t bad_op = (7u << 28);
    CHECK(call(SYS_futex, &a, FUTEX_WAKE_OP, 1, 1, &b, bad_op) == -ENOSYS);
    CHECK(call(SYS_futex, &a, FUTEX_WAKE_OP, 1, 1, nullptr, add3) == -EFAULT);
  });
}

namespace {
struct Waitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};
constexpr uint32_t kU32 = 2, kPrivate = 128;

timespec mono_in(long ns) {
  struct timespec ts {};
  call(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += ns;
  ts.tv_sec += ts.tv_nsec / 1000000000;
  ts.tv_nsec %= 1000000000;
  return ts;
}
}  // namespace

TEST_CASE("futex_waitv: values, timeouts, a wake by another process, and errors") {
  shim::fresh_task([] {
    alignas(4) static uint32_t words[3] = {1, 2, 3};
    Waitv w[3] = {{1, reinterpret_cast<uint64_t>(&words[0]), kU32, 0},
                  {2, reinterpret_cast<uint64_t>(&words[1]), kU32 | kPrivate, 0},
                  {3, reinterpret_cast<uint64_t>(&words[2]), kU32, 0}};
    struct timespec soon = mono_in(10000000);
    CHECK(call(SYS_futex_waitv, w, 3, 0, &soon, CLOCK_MONOTONIC) == -ETIMEDOUT);
    w[1].val = 5;
    CHECK(call(SYS_futex_waitv, w, 3, 0, &soon, CLOCK_MONOTONIC) == -EAGAIN);
    w[1].val = 2;
    // Errors, in Linux's order.
    CHECK(call(SYS_futex_waitv, w, 3, 1, &soon, CLOCK_MONOTONIC) == -EINVAL);  // flags
    CHECK(call(SYS_futex_waitv, w, 0, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    CHECK(call(SYS_futex_waitv, w, 129, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    CHECK(call(SYS_futex_waitv, nullptr, 1, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    CHECK(call(SYS_futex_waitv, w, 3, 0, &soon, CLOCK_BOOTTIME) == -EINVAL);
    CHECK(call(SYS_futex_waitv, w, 3, 0, 8, CLOCK_MONOTONIC) == -EFAULT);
    CHECK(call(SYS_futex_waitv, 8, 3, 0, &soon, CLOCK_MONOTONIC) == -EFAULT);
    Waitv bad = w[0];
    bad.flags = 3;  // 64-bit words: not supported
    CHECK(call(SYS_futex_waitv, &bad, 1, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    bad = w[0];
    bad.reserved = 1;
    CHECK(call(SYS_futex_waitv, &bad, 1, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    bad = w[0];
    bad.val = 1ull << 32;
    CHECK(call(SYS_futex_waitv, &bad, 1, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    bad = w[0];
    bad.uaddr += 1;
    CHECK(call(SYS_futex_waitv, &bad, 1, 0, &soon, CLOCK_MONOTONIC) == -EINVAL);
    // Another thread wakes the second word (a private futex): the index comes back.
    long woke = -1;
    auto join = shim::start_thread([&] {
      struct timespec nap {0, 20000000};
      call(SYS_nanosleep, &nap, nullptr);
      woke = call(SYS_futex, &words[1], FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    });
    struct timespec later = mono_in(5000000000);
    CHECK(call(SYS_futex_waitv, w, 3, 0, &later, CLOCK_MONOTONIC) == 1);
    join();
    CHECK(woke == 1);
  });
}

namespace {
// Asks pred (which may act) every 2 ms, up to 10 s, until it holds; false if it never does.
template <typename P>
bool eventually(P&& pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    struct timespec ts {0, 2000000};
    call(SYS_nanosleep, &ts, nullptr);
  }
  return false;
}
constexpr uint32_t kWaitersBit = FUTEX_WAITERS, kOwnerDiedBit = FUTEX_OWNER_DIED;
// A futex word as the kernel leaves it (it changes it atomically, from other threads).
uint32_t word_of(volatile uint32_t& w) { return __atomic_load_n(const_cast<uint32_t*>(&w), __ATOMIC_SEQ_CST); }
}  // namespace

// PI futexes: the word holds the owner's tid; a contended lock sets FUTEX_WAITERS and the
// unlock hands it to the waiter; an owner that exits holding it leaves FUTEX_OWNER_DIED.
TEST_CASE("futex: FUTEX_LOCK_PI, TRYLOCK_PI and UNLOCK_PI, contended, and an owner that dies") {
  shim::fresh_task([] {
    alignas(4) static volatile uint32_t lock = 0;
    lock = 0;
    auto* w = const_cast<uint32_t*>(&lock);
    const long me = call(SYS_gettid);
    CHECK(call(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == 0);
    CHECK(word_of(lock) == static_cast<uint32_t>(me));
    CHECK(call(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == -EDEADLK);
    long other_try = 0, other_unlock = 0, other_tid = 0, other_lock = -1;
    uint32_t seen_by_other = 0;
    auto join = shim::start_thread([&] {
      other_tid = call(SYS_gettid);
      other_try = call(SYS_futex, w, FUTEX_TRYLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
      other_unlock = call(SYS_futex, w, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
      other_lock = call(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);  // blocks
      seen_by_other = word_of(lock);
      call(SYS_futex, w, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
    });
    CHECK(eventually([&] { return (word_of(lock) & kWaitersBit) != 0; }));
    CHECK(call(SYS_futex, w, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == 0);
    join();
    CHECK(other_try == -EAGAIN);
    CHECK(other_unlock == -EPERM);
    CHECK(other_lock == 0);
    CHECK(seen_by_other == (static_cast<uint32_t>(other_tid) | kWaitersBit));
    CHECK(word_of(lock) == 0);
    // An owner that exits holding it: its waiter gets it, marked owner-died.
    long taker = 0;
    auto owner = shim::start_thread([&] {
      call(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
      eventually([&] { return (word_of(lock) & kWaitersBit) != 0; });  // a waiter came
    });  // returns (exits) without unlocking
    CHECK(eventually([&] { return word_of(lock) != 0; }));
    taker = call(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
    owner();
    CHECK(taker == 0);
    CHECK(word_of(lock) == (static_cast<uint32_t>(me) | kWaitersBit | kOwnerDiedBit));
    CHECK(call(SYS_futex, w, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == 0);
    CHECK(word_of(lock) == 0);
  });
}

// FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (pthread_cond_wait on a PI mutex): the
// waiter is woken owning the PI lock when it was free, or queued on it and handed it by the
// owner's unlock.
TEST_CASE("futex: FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI") {
  shim::fresh_task([] {
    alignas(4) static volatile uint32_t cond = 0, mutex = 0;
    cond = 0;
    mutex = 0;
    auto* c = const_cast<uint32_t*>(&cond);
    auto* m = const_cast<uint32_t*>(&mutex);
    CHECK(call(SYS_futex, c, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, nullptr, c, 0) == -EINVAL);  // the same word
    CHECK(call(SYS_futex, c, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, nullptr, m, 0) == -EAGAIN);  // the word differs
    CHECK(call(SYS_futex, c, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, 0, m, 0) == -EINVAL);          // nr_wake != 1
    // The mutex is free: the waiter wakes owning it.
    long tid1 = 0, r1 = -1;
    auto j1 = shim::start_thread([&] {
      tid1 = call(SYS_gettid);
      r1 = call(SYS_futex, c, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, nullptr, m, 0);
      if (r1 == 0) call(SYS_futex, m, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
    });
    long moved = 0;
    CHECK(eventually([&] {
      moved = call(SYS_futex, c, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, m, 0);
      return moved == 1;
    }));
    j1();
    CHECK(r1 == 0);
    CHECK(word_of(mutex) == 0);
    // The mutex is held: the waiter moves to it and gets it at the unlock.
    REQUIRE(call(SYS_futex, m, FUTEX_LOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == 0);
    long tid2 = 0, r2 = -1;
    uint32_t owned = 0;
    auto j2 = shim::start_thread([&] {
      tid2 = call(SYS_gettid);
      r2 = call(SYS_futex, c, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, nullptr, m, 0);
      owned = word_of(mutex);
      if (r2 == 0) call(SYS_futex, m, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0);
    });
    CHECK(eventually([&] { return call(SYS_futex, c, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 1, m, 0) == 1; }));
    CHECK((word_of(mutex) & kWaitersBit) != 0);
    CHECK(call(SYS_futex, m, FUTEX_UNLOCK_PI_PRIVATE, 0, nullptr, nullptr, 0) == 0);
    j2();
    CHECK(r2 == 0);
    CHECK((owned & FUTEX_TID_MASK) == static_cast<uint32_t>(tid2));
    CHECK(word_of(mutex) == 0);
    (void)tid1;
  });
}
