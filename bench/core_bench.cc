// The foundation's benchmarks: syscall entry, fiber switch, task spawn, instance boot, and
// the memory an idle task costs.

#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>

#include <libuml/libuml.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench.h"
#include "guest.h"
#include "core/sched/scheduler.h"
#include "core/sched/sync.h"
#include "core/task/task.h"
#include "host/host.h"

extern char** environ;

namespace {

uml::kern::SchedEntity& self() { return *uml::kern::Scheduler::current(); }

using bench::boot;
using bench::in_guest;

}  // namespace

UML_BENCHMARK(null_syscall) {
  struct State {
    std::unique_ptr<uml::Kernel> k;
    uml::Attachment me;
  };
  auto st = std::make_shared<State>();
  bench::Benchmark b;
  b.name = "null_syscall";
  b.unit = "ns/op";
  b.baseline = "host";
  b.note = "getppid from an attached application thread vs the host's syscall(SYS_getppid)";
  b.setup = [st] {
    st->k = boot();
    st->me = st->k->attach();
  };
  b.guest = [st] {
    uml::Kernel& k = *st->k;
    return bench::ns_per_op(2'000'000, [&] { k.syscall(SYS_getppid); });
  };
  b.base = [] { return bench::ns_per_op(2'000'000, [] { ::syscall(SYS_getppid); }); };
  b.teardown = [st] {
    st->me.detach();
    st->k.reset();
  };
  return b;
}

namespace {
// Two guest tasks on one vCPU yield to each other N times; ns per switch.
double guest_yield_pingpong(uml::Kernel& k) {
  constexpr long N = 2'000'000;
  return in_guest(k, [&] {
    std::atomic<bool> partner_ready{false};
    // Kernel code holds its task explicitly; look it up once, outside the loop.
    auto partner = k.spawn([&] {
      uml::kern::SchedEntity& me = self();
      partner_ready = true;
      for (long i = 0; i < N; ++i) uml::kern::Scheduler::yield(me);
      return 0;
    });
    uml::kern::SchedEntity& me = self();
    while (!partner_ready.load()) uml::kern::Scheduler::yield(me);
    const double t0 = bench::now_ns();
    for (long i = 0; i < N; ++i) uml::kern::Scheduler::yield(me);
    const double per_switch = (bench::now_ns() - t0) / (2.0 * N);
    partner.wait();
    return per_switch;
  });
}
}  // namespace

UML_BENCHMARK(fiber_switch) {
  auto k = std::make_shared<std::unique_ptr<uml::Kernel>>();
  bench::Benchmark b;
  b.name = "fiber_switch";
  b.unit = "ns/switch";
  b.baseline = "boost.context";
  b.note = "yield ping-pong of two guest tasks on one vCPU vs raw boost::context::fiber resume ping-pong (the floor)";
  b.setup = [k] { *k = boot("vcpus=1"); };
  b.guest = [k] { return guest_yield_pingpong(**k); };
  b.base = [] {
    namespace ctx = boost::context;
    constexpr long N = 2'000'000;
    long count = 0;
    ctx::fiber f{[&](ctx::fiber&& caller) {
      while (count < N) caller = std::move(caller).resume();
      return std::move(caller);
    }};
    const double t0 = bench::now_ns();
    for (long i = 0; i < N; ++i) {
      ++count;
      f = std::move(f).resume();
    }
    const double per_switch = (bench::now_ns() - t0) / (2.0 * N);
    ++count;
    if (f) f = std::move(f).resume();  // let it finish
    return per_switch;
  };
  b.teardown = [k] { k->reset(); };
  return b;
}

namespace {
// The raw floor for a switch made inside a called function: each side calls yield_call(),
// which jumps and returns. Boost's jump_fcontext resumes the other side with an indirect
// jmp, so the first ret after each switch pops the other side's return address and
// mispredicts; every scheduler whose yield is a function call pays this.
boost::context::detail::fcontext_t g_floor_other;
__attribute__((noinline)) void yield_call() {
  auto t = boost::context::detail::jump_fcontext(g_floor_other, nullptr);
  g_floor_other = t.fctx;
}
}  // namespace

UML_BENCHMARK(fiber_switch_call_floor) {
  auto k = std::make_shared<std::unique_ptr<uml::Kernel>>();
  bench::Benchmark b;
  b.name = "fiber_switch_call_floor";
  b.unit = "ns/switch";
  b.baseline = "raw call+jump";
  b.note = "the same guest yield ping-pong vs raw fcontext ping-pong through a called yield() "
           "(the floor for any called yield: measures the scheduler's own overhead)";
  b.setup = [k] { *k = boot("vcpus=1"); };
  b.guest = [k] { return guest_yield_pingpong(**k); };
  b.base = [] {
    namespace d = boost::context::detail;
    constexpr long N = 2'000'000;
    static thread_local long remaining;
    remaining = N + 1;
    auto stack = std::make_unique<char[]>(64 * 1024);
    g_floor_other = d::make_fcontext(stack.get() + 64 * 1024, 64 * 1024, [](d::transfer_t t) {
      g_floor_other = t.fctx;
      while (--remaining > 0) yield_call();
      d::jump_fcontext(g_floor_other, nullptr);  // hand control back for good
    });
    const double t0 = bench::now_ns();
    for (long i = 0; i < N; ++i) yield_call();
    const double per_switch = (bench::now_ns() - t0) / (2.0 * N);
    while (remaining > 0) yield_call();  // let the other side finish its loop
    return per_switch;
  };
  b.teardown = [k] { k->reset(); };
  return b;
}

UML_BENCHMARK(spawn_wait) {
  auto k = std::make_shared<std::unique_ptr<uml::Kernel>>();
  bench::Benchmark b;
  b.name = "spawn_wait";
  b.unit = "ns/op";
  b.baseline = "host";
  b.note = "a guest task spawns a child, which exits, and reaps it with wait4; vs pthread_create+pthread_join";
  b.setup = [k] { *k = boot("vcpus=1"); };
  b.guest = [k] {
    constexpr long N = 50'000;
    uml::Kernel& kk = **k;
    return in_guest(kk, [&] {
      const double t0 = bench::now_ns();
      for (long i = 0; i < N; ++i) {
        auto h = kk.spawn([] { return 0; });
        uml::sys::wait4(h.pid(), nullptr, 0, nullptr);
      }
      return (bench::now_ns() - t0) / N;
    });
  };
  b.base = [] {
    return bench::ns_per_op(10'000, [] {
      pthread_t t;
      pthread_create(&t, nullptr, [](void*) -> void* { return nullptr; }, nullptr);
      pthread_join(t, nullptr);
    });
  };
  b.teardown = [k] { k->reset(); };
  return b;
}

UML_BENCHMARK(boot_shutdown) {
  bench::Benchmark b;
  b.name = "boot_shutdown";
  b.unit = "ns";
  b.baseline = "host process";
  b.note = "boot+shutdown of an instance (1 vCPU) vs starting and reaping a host process "
           "(posix_spawn of /bin/true), the cheapest isolated environment the host offers";
  b.guest = [] {
    return bench::ns_per_op(200, [] {
      auto k = boot("vcpus=1");
      k->shutdown();
    });
  };
  b.base = [] {
    return bench::ns_per_op(50, [] {
      pid_t pid;
      char arg0[] = "true";
      char* argv[] = {arg0, nullptr};
      if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) == 0)
        waitpid(pid, nullptr, 0);
    });
  };
  return b;
}

UML_BENCHMARK(idle_tasks_100k) {
  bench::Benchmark b;
  b.name = "idle_tasks_100k";
  b.unit = "bytes/task";
  b.baseline = "host thread";
  b.note = "resident memory per idle task with 100,000 guest tasks blocked in one instance vs "
           "2,000 blocked host threads";
  b.guest = [] {
    constexpr int N = 100'000;
    auto k = boot("vcpus=1");
    uml::kern::Semaphore gate(0);
    std::atomic<int> started{0};
    std::vector<uml::TaskHandle> hs;
    hs.reserve(N);
    const size_t before = uml::host::resident_bytes();
    for (int i = 0; i < N; ++i)
      hs.push_back(k->spawn([&] {
        started.fetch_add(1, std::memory_order_relaxed);
        (void)gate.down(self());
        return 0;
      }));
    while (started.load() < N) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const size_t after = uml::host::resident_bytes();
    gate.up(N);
    for (auto& h : hs) h.wait();
    k->shutdown();
    fprintf(stderr, "  idle_tasks_100k: %d tasks, %.0f MiB resident\n", N,
            static_cast<double>(after - before) / (1 << 20));
    return static_cast<double>(after - before) / N;
  };
  b.base = [] {
    constexpr int N = 2'000;
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<int> started{0};
    const size_t before = uml::host::resident_bytes();
    std::vector<std::thread> ts;
    for (int i = 0; i < N; ++i)
      ts.emplace_back([&] {
        started.fetch_add(1);
        std::unique_lock l(m);
        cv.wait(l, [&] { return go; });
      });
    while (started.load() < N) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const size_t after = uml::host::resident_bytes();
    {
      std::lock_guard l(m);
      go = true;
    }
    cv.notify_all();
    for (auto& t : ts) t.join();
    return static_cast<double>(after - before) / N;
  };
  return b;
}
