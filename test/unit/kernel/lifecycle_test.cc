// Instance lifecycle at scale: many boots, many instances at once, many tasks in one.
// Sizes shrink under sanitizers (UML_TEST_SCALE), never to a size that cannot fail.

#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "core/sched/sync.h"
#include "fixture.h"

namespace sys = uml::sys;

namespace {
int scale(int full) {
#if defined(UML_TEST_SCALE)
  return full / UML_TEST_SCALE > 0 ? full / UML_TEST_SCALE : 1;
#else
  return full;
#endif
}
}  // namespace

TEST_CASE("1,000 boot/shutdown cycles, every tenth running a task") {
  const int n = scale(1000);
  for (int i = 0; i < n; ++i) {
    auto k = test::boot();
    if (i % 10 == 0) REQUIRE(WEXITSTATUS(test::run_task(*k, [] { return 5; })) == 5);
    k->shutdown();
  }
  SUCCEED(n << " cycles");
}

TEST_CASE("100 instances alive at once, each running tasks, share nothing") {
  const int n = scale(100);
  std::vector<std::unique_ptr<uml::Kernel>> ks;
  for (int i = 0; i < n; ++i) ks.push_back(test::boot("hostname=g" + std::to_string(i)));
  std::vector<uml::TaskHandle> hs;
  std::vector<long> pids(n * 4, 0);
  std::vector<std::string> names(n * 4);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 4; ++j)
      hs.push_back(ks[i]->spawn([&, i, j] {
        struct utsname u;
        sys::uname(&u);
        names[i * 4 + j] = u.nodename;
        timespec ts{0, 1'000'000};
        sys::nanosleep(&ts, nullptr);
        pids[i * 4 + j] = sys::getpid();
        return 0;
      }));
  for (auto& h : hs) REQUIRE(h.wait() == 0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) {
      CHECK(names[i * 4 + j] == "g" + std::to_string(i));
      CHECK(pids[i * 4 + j] == 2 + j);  // every instance numbers its own pids
    }
  }
  for (auto& k : ks) k->shutdown();
}

TEST_CASE("100,000 guest tasks alive at once in one instance") {
  const int n = scale(100'000);
  auto k = test::boot("vcpus=2");
  uml::kern::Semaphore gate(0);
  std::atomic<int> started{0};
  std::vector<uml::TaskHandle> hs;
  hs.reserve(n);
  for (int i = 0; i < n; ++i)
    hs.push_back(k->spawn([&] {
      started.fetch_add(1, std::memory_order_relaxed);
      (void)gate.down(test::self());
      return 0;
    }));
  while (started.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(k->stats().tasks == static_cast<size_t>(n));
  CHECK(k->stats().processes == static_cast<size_t>(n) + 1);
  gate.up(n);
  for (auto& h : hs) REQUIRE(h.wait() == 0);
  CHECK(k->stats().tasks == 0);
  k->shutdown();
}

TEST_CASE("shutdown kills tasks blocked anywhere and never-started ones") {
  auto k = test::boot("vcpus=2");
  std::vector<uml::TaskHandle> hs;
  std::atomic<int> reached_end{0};
  for (int i = 0; i < 50; ++i)
    hs.push_back(k->spawn([&] {
      timespec ts{3600, 0};
      sys::nanosleep(&ts, nullptr);
      reached_end.fetch_add(1);
      return 0;
    }));
  hs.push_back(k->spawn([&] {
    int st;
    auto c = k->spawn([] {
      timespec ts{3600, 0};
      sys::nanosleep(&ts, nullptr);
      return 0;
    });
    sys::wait4(c.pid(), &st, 0, nullptr);
    reached_end.fetch_add(1);
    return 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  k->shutdown();
  for (auto& h : hs) {
    int st = h.wait();
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGKILL);
  }
  CHECK(reached_end.load() == 0);
  CHECK_THROWS_AS(k->spawn([] { return 0; }), uml::Error);
}

TEST_CASE("shutdown from one of the instance's own tasks is refused") {
  auto k = test::boot();
  bool threw = false;
  test::run_task(*k, [&] {
    try {
      k->shutdown();
    } catch (const uml::Error&) {
      threw = true;
    }
    return 0;
  });
  CHECK(threw);
}
