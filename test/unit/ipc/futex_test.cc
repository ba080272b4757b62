// A futex-based mutex under contention from guest tasks on two vCPUs and attached host
// threads stays correct (run under TSan too); a requeued waiter wakes on its new key.

#include <linux/futex.h>
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <ctime>
#include <thread>
#include <vector>

#include "fixture.h"

namespace {

long futex(std::atomic<uint32_t>* w, int op, uint32_t val, long a3 = 0, void* a4 = nullptr, uint32_t a5 = 0) {
  return uml::syscall(SYS_futex, reinterpret_cast<long>(w), op, val, a3, reinterpret_cast<long>(a4), a5);
}

// Drepper's three-state mutex: 0 free, 1 locked, 2 locked with waiters. Its users are
// separate guest processes that share the memory, so the futex is a shared one (a private
// futex is per process, here as on Linux).
struct FutexMutex {
  std::atomic<uint32_t> word{0};
  void lock() {
    uint32_t c = 0;
    if (word.compare_exchange_strong(c, 1)) return;
    if (c != 2) c = word.exchange(2);
    while (c != 0) {
      futex(&word, FUTEX_WAIT, 2);
      c = word.exchange(2);
    }
  }
  void unlock() {
    if (word.exchange(0) == 2) futex(&word, FUTEX_WAKE, 1);
  }
};

#if defined(UML_TEST_SCALE)
constexpr int kIters = 20000 / UML_TEST_SCALE;
#else
constexpr int kIters = 20000;
#endif

}  // namespace

TEST_CASE("a futex mutex under contention from fibers and attached threads") {
  auto k = test::boot("vcpus=2");
  FutexMutex m;
  long counter = 0;  // guarded by m: TSan checks that it is
  std::vector<uml::TaskHandle> fibers;
  for (int i = 0; i < 3; ++i)
    fibers.push_back(k->spawn([&] {
      for (int j = 0; j < kIters; ++j) {
        m.lock();
        ++counter;
        m.unlock();
      }
      return 0;
    }));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&] {
      auto me = k->attach();
      for (int j = 0; j < kIters; ++j) {
        m.lock();
        ++counter;
        m.unlock();
      }
    });
  for (auto& f : fibers) f.wait();
  for (auto& t : threads) t.join();
  CHECK(counter == 5L * kIters);
}

TEST_CASE("a requeued waiter wakes on its new futex") {
  auto k = test::boot("vcpus=2");
  std::atomic<uint32_t> a{0}, b{0};
  std::atomic<long> waited{-1};
  auto waiter = k->spawn([&] {
    waited = futex(&a, FUTEX_WAIT, 0);
    return 0;
  });
  auto me = k->attach();
  // Move it from a to b (once it sleeps), then wake b.
  long moved = 0;
  for (int i = 0; i < 10000 && moved == 0; ++i) {
    moved = futex(&a, FUTEX_CMP_REQUEUE, 0, 1, &b, 0);
    if (moved == 0) std::this_thread::yield();
  }
  CHECK(moved == 1);
  CHECK(futex(&a, FUTEX_WAKE, 1) == 0);  // nobody left on a
  CHECK(futex(&b, FUTEX_WAKE, 1) == 1);
  waiter.wait();
  CHECK(waited == 0);
}

TEST_CASE("a private futex is per process") {
  auto k = test::boot("vcpus=2");
  std::atomic<uint32_t> word{0};
  std::atomic<long> waited{-1};
  auto waiter = k->spawn([&] {
    struct timespec ts {0, 50'000'000};
    waited = futex(&word, FUTEX_WAIT_PRIVATE, 0, reinterpret_cast<long>(&ts));
    return 0;
  });
  auto me = k->attach();  // another process: its private wake finds nobody
  long woke = 0;
  for (int i = 0; i < 200 && woke == 0 && waited == -1; ++i) {
    woke = futex(&word, FUTEX_WAKE_PRIVATE, 1);
    std::this_thread::yield();
  }
  waiter.wait();
  CHECK(woke == 0);
  CHECK(waited == -ETIMEDOUT);
}
