// Wait queues, mutexes, conditions, semaphores, completions, timers and I/O waits, from
// fibers on two vCPUs racing application threads attached to the same instance. Run under
// TSan in CI (the concurrency build).

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <deque>
#include <set>
#include <thread>
#include <vector>

#include "core/sched/io_wait.h"
#include "core/sched/sleep.h"
#include "core/sched/sync.h"
#include "fixture.h"

using namespace uml::kern;

namespace {
constexpr int kFibers = 8;
// Catch2 is not thread-safe: racing bodies count their failures here, and the test's own
// thread checks the count.
std::atomic<int> g_failures{0};
void expect(bool ok) {
  if (!ok) g_failures.fetch_add(1);
}
constexpr int kThreads = 2;

// Spawns kFibers fiber tasks and kThreads attached host threads running body(self, index),
// and waits for all of them.
void race(uml::Kernel& k, const std::function<void(SchedEntity&, int)>& body) {
  std::vector<uml::TaskHandle> tasks;
  for (int i = 0; i < kFibers; ++i)
    tasks.push_back(k.spawn([&body, i] {
      body(test::self(), i);
      return 0;
    }));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      auto me = k.attach();
      body(*Scheduler::current(), kFibers + i);
    });
  for (auto& t : threads) t.join();
  for (auto& t : tasks) REQUIRE(t.wait() == 0);
  REQUIRE(g_failures.exchange(0) == 0);
}
}  // namespace

TEST_CASE("Mutex: no lost update with fibers on 2 vCPUs and attached threads") {
  auto k = test::boot("vcpus=2");
  Mutex m;
  long counter = 0;  // guarded by m
  constexpr int kIters = 20000;
  race(*k, [&](SchedEntity& self, int) {
    for (int i = 0; i < kIters; ++i) {
      MutexGuard g(m, self);
      counter = counter + 1;
      if (i % 1000 == 0) Scheduler::yield(self);  // hold it across a switch sometimes
    }
  });
  CHECK(counter == static_cast<long>(kIters) * (kFibers + kThreads));
  CHECK_FALSE(m.is_locked());
}

TEST_CASE("Condition: a bounded queue passes every item exactly once") {
  auto k = test::boot("vcpus=2");
  Mutex m;
  Condition not_empty, not_full;
  std::deque<int> q;
  std::vector<int> seen;
  constexpr int kPerProducer = 3000;
  constexpr int kProducers = (kFibers + kThreads) / 2;
  std::atomic<int> consumed{0};
  race(*k, [&](SchedEntity& self, int idx) {
    if (idx % 2 == 0) {
      for (int i = 0; i < kPerProducer; ++i) {
        MutexGuard g(m, self);
        while (q.size() >= 16) (void)not_full.wait(self, m);
        q.push_back(idx * kPerProducer + i);
        not_empty.notify_one();
      }
    } else {
      for (;;) {
        MutexGuard g(m, self);
        while (q.empty() && consumed.load() < kProducers * kPerProducer) (void)not_empty.wait(self, m);
        if (q.empty()) {
          not_empty.notify_all();
          return;
        }
        seen.push_back(q.front());
        q.pop_front();
        consumed.fetch_add(1);
        not_full.notify_one();
        if (consumed.load() == kProducers * kPerProducer) not_empty.notify_all();
      }
    }
  });
  REQUIRE(seen.size() == static_cast<size_t>(kProducers * kPerProducer));
  CHECK(std::set<int>(seen.begin(), seen.end()).size() == seen.size());
}

TEST_CASE("Semaphore: units are neither lost nor duplicated") {
  auto k = test::boot("vcpus=2");
  Semaphore sem(0);
  std::atomic<long> taken{0};
  constexpr int kIters = 5000;
  race(*k, [&](SchedEntity& self, int idx) {
    for (int i = 0; i < kIters; ++i) {
      if (idx % 2 == 0) {
        sem.up();
      } else {
        expect(sem.down(self).has_value());
        taken.fetch_add(1);
      }
    }
  });
  CHECK(taken.load() == static_cast<long>(kIters) * (kFibers + kThreads) / 2);
  CHECK(sem.count() == 0);
}

TEST_CASE("Completion releases every present and future waiter") {
  auto k = test::boot("vcpus=2");
  Completion c;
  std::atomic<int> released{0};
  std::thread opener([&] {
    while (k->stats().tasks < 4) std::this_thread::yield();
    c.complete();
  });
  race(*k, [&](SchedEntity& self, int) {
    expect(c.wait(self).has_value());
    released.fetch_add(1);
    expect(c.wait(self).has_value());  // already done: returns at once
  });
  opener.join();
  CHECK(released.load() == kFibers + kThreads);
}

TEST_CASE("A timed wait returns TIMEDOUT, never before its deadline") {
  auto k = test::boot("vcpus=2");
  WaitQueue wq;
  std::atomic<int> early{0}, timeouts{0};
  race(*k, [&](SchedEntity& self, int idx) {
    const int64_t deadline = uml::host::monotonic_ns() + 1'000'000 + idx * 300'000;
    auto r = wq.wait(self, [] { return false; }, WaitOptions{deadline, false});
    if (!r.has_value() && r.error() == Errno::TIMEDOUT) timeouts.fetch_add(1);
    if (uml::host::monotonic_ns() < deadline) early.fetch_add(1);
  });
  CHECK(timeouts.load() == kFibers + kThreads);
  CHECK(early.load() == 0);
}

TEST_CASE("sleep_until never returns early, over many short sleeps on both carriers") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> early{0}, done{0};
  race(*k, [&](SchedEntity& self, int idx) {
    for (int i = 0; i < 40; ++i) {
      const int64_t deadline = uml::host::monotonic_ns() + 50'000 * ((i + idx) % 7 + 1);
      expect(sleep_until(self, deadline).has_value());
      if (uml::host::monotonic_ns() < deadline) early.fetch_add(1);
      done.fetch_add(1);
    }
  });
  CHECK(done.load() == 40 * (kFibers + kThreads));
  CHECK(early.load() == 0);
}

TEST_CASE("An unpark before the park is not lost (the permit)") {
  auto k = test::boot();
  int status = test::run_task(*k, [] {
    SchedEntity& self = test::self();
    Scheduler::unpark(self);
    const int64_t before = uml::host::monotonic_ns();
    bool woken = Scheduler::park(self, before + 5'000'000'000);  // returns at once
    return woken && uml::host::monotonic_ns() - before < 1'000'000'000 ? 0 : 1;
  });
  CHECK(status == 0);
}

TEST_CASE("yield alternates two tasks on one vCPU") {
  auto k = test::boot("vcpus=1");
  std::vector<int> order;  // only touched on the single vCPU
  Completion both_started;
  std::atomic<int> started{0};
  auto body = [&](int id) {
    return [&, id] {
      SchedEntity& self = test::self();
      if (started.fetch_add(1) == 1) both_started.complete();
      (void)both_started.wait(self);
      for (int i = 0; i < 5; ++i) {
        order.push_back(id);
        Scheduler::yield(self);
      }
      return 0;
    };
  };
  auto a = k->spawn(body(1));
  auto b = k->spawn(body(2));
  REQUIRE(a.wait() == 0);
  REQUIRE(b.wait() == 0);
  REQUIRE(order.size() == 10);
  for (size_t i = 1; i < order.size(); ++i) CHECK(order[i] != order[i - 1]);
}

TEST_CASE("Idle vCPUs take work from a busy one (work requesting)") {
  auto k = test::boot("vcpus=2");
  std::atomic<unsigned> seen_mask{0};
  auto parent = k->spawn([&] {
    std::vector<uml::TaskHandle> kids;
    // All spawned on this vCPU's queue; the other vCPU must ask for some.
    for (int i = 0; i < 64; ++i)
      kids.push_back(k->spawn([&] {
        SchedEntity& self = test::self();
        for (int j = 0; j < 200; ++j) {
          seen_mask.fetch_or(1u << self.vcpu()->index());
          volatile int x = 0;
          for (int s = 0; s < 2000; ++s) x = x + s;
          Scheduler::yield(self);
        }
        return 0;
      }));
    for (auto& h : kids) h.wait();
    return 0;
  });
  REQUIRE(parent.wait() == 0);
  CHECK(seen_mask.load() == 3u);
}

TEST_CASE("An interruptible wait ends with RESTARTSYS when its task is killed") {
  auto k = test::boot("vcpus=2");
  WaitQueue wq;
  std::atomic<int> interrupted{0};
  auto h = k->spawn([&] {
    auto r = wq.wait(test::self(), [] { return false; }, WaitOptions{-1, true});
    if (!r.has_value() && r.error() == Errno::RESTARTSYS) interrupted = 1;
    return 0;
  });
  while (wq.waiter_count() == 0) std::this_thread::yield();
  auto t = k->stats();
  (void)t;
  k->shutdown();  // kills the task
  CHECK(interrupted.load() == 1);
  CHECK(WIFSIGNALED(h.wait()));
  CHECK(WTERMSIG(h.wait()) == SIGKILL);
}

TEST_CASE("A fiber reads a host file through its vCPU's io_uring") {
  auto k = test::boot("vcpus=2");
  char path[] = "/tmp/uml-io-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string data = "hello from the host file";
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  std::string got(64, '\0');
  int32_t res = -1;
  int st = test::run_task(*k, [&] {
    auto r = submit_and_wait(test::self(), [&](uml::host::Reactor& ring, uml::host::Completion* c) {
      return ring.read(fd, got.data(), 64, 0, c);
    });
    res = r.has_value() ? r.value() : -1000;
    return 0;
  });
  close(fd);
  unlink(path);
  CHECK(st == 0);
  REQUIRE(res == static_cast<int32_t>(data.size()));
  CHECK(got.substr(0, res) == data);
}

TEST_CASE("A pinned fiber stays on its vCPU through yields, wake-ups and work requests") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> wrong{0};
  std::atomic<int> rounds{0};
  const int st = test::run_task(*k, [&] {
    int ab[2], ba[2];
    uml::sys::pipe2(ab, 0);
    uml::sys::pipe2(ba, 0);
    uml::SpawnOptions o;
    o.thread = true;
    auto partner = k->spawn([&] {
      const uint64_t one = 2;  // vCPU 1
      uml::sys::sched_setaffinity(0, sizeof one, &one);
      char c;
      for (int i = 0; i < 2000; ++i) {
        uml::sys::read(ab[0], &c, 1);
        unsigned cpu = 9;
        uml::sys::getcpu(&cpu, nullptr, nullptr);
        if (cpu != 1) ++wrong;
        uml::sys::sched_yield();
        uml::sys::write(ba[1], &c, 1);
        ++rounds;
      }
      return 0;
    }, o);
    const uint64_t zero = 1;  // vCPU 0
    uml::sys::sched_setaffinity(0, sizeof zero, &zero);
    char c = 'x';
    for (int i = 0; i < 2000; ++i) {
      uml::sys::write(ab[1], &c, 1);
      uml::sys::read(ba[0], &c, 1);
      unsigned cpu = 9;
      uml::sys::getcpu(&cpu, nullptr, nullptr);
      if (cpu != 0) ++wrong;
    }
    partner.wait();
    return 0;
  });
  CHECK(st == 0);
  CHECK(rounds == 2000);
  CHECK(wrong == 0);
}
