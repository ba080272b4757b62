// Signals where the differential suite cannot look: threads of one guest process, kill(-1),
// group stops of many threads, the real-time queue limit, attached application threads,
// and handlers that end their task.

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sys = uml::sys;

namespace {

struct KAction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};

long set_handler(int sig, void (*h)(int), unsigned long flags = 0) {
  KAction a{h, flags, nullptr, 0};
  return sys::rt_sigaction(sig, &a, nullptr, 8);
}

unsigned long bit(int sig) { return 1ul << (sig - 1); }

std::atomic<long> g_handled_by{0};
void note_tid(int) { g_handled_by = sys::gettid(); }

void exit_handler(int) { sys::exit(33); }

}  // namespace

TEST_CASE("A process-directed signal goes to a thread that does not block it") {
  auto k = test::boot("vcpus=2");
  std::atomic<long> worker_tid{0};
  std::atomic<bool> stop{false};
  const int st = test::run_task(*k, [&] {
    set_handler(SIGUSR1, note_tid);
    unsigned long m = bit(SIGUSR1);
    sys::rt_sigprocmask(SIG_BLOCK, &m, nullptr, 8);  // the main thread blocks it
    uml::SpawnOptions o;
    o.thread = true;
    auto worker = k->spawn([&] {
      unsigned long none = 0;
      sys::rt_sigprocmask(SIG_SETMASK, &none, nullptr, 8);
      worker_tid = sys::gettid();
      while (!stop) sys::sched_yield();
      return 0;
    }, o);
    while (!worker_tid) sys::sched_yield();
    sys::kill(sys::getpid(), SIGUSR1);
    for (int i = 0; i < 100000 && !g_handled_by; ++i) sys::sched_yield();
    stop = true;
    worker.wait();
    return g_handled_by == worker_tid ? 0 : 1;
  });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("A fatal signal ends every thread; SIGSTOP stops them all before the parent hears") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> spinning{0};
  std::atomic<bool> release{false};
  int stopped_status = 0, final_status = 0;
  const int st = test::run_task(*k, [&] {
    auto child = k->spawn([&] {
      uml::SpawnOptions o;
      o.thread = true;
      for (int i = 0; i < 3; ++i)
        k->spawn([&] {
          ++spinning;
          while (!release) sys::sched_yield();  // a syscall loop: stops and dies at its exits
          return 0;
        }, o);
      ++spinning;
      while (!release) sys::sched_yield();
      return 0;
    });
    while (spinning < 4) sys::sched_yield();
    int status = 0;
    sys::kill(child.pid(), SIGSTOP);
    if (sys::wait4(child.pid(), &status, WUNTRACED, nullptr) != child.pid()) return 1;
    stopped_status = status;
    sys::kill(child.pid(), SIGCONT);
    if (sys::wait4(child.pid(), &status, WCONTINUED, nullptr) != child.pid()) return 2;
    sys::kill(child.pid(), SIGTERM);
    if (sys::wait4(child.pid(), &status, 0, nullptr) != child.pid()) return 3;
    final_status = status;
    return 0;
  });
  release = true;
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(WIFSTOPPED(stopped_status));
  CHECK(WSTOPSIG(stopped_status) == SIGSTOP);
  CHECK(WIFSIGNALED(final_status));
  CHECK(WTERMSIG(final_status) == SIGTERM);
  CHECK(k->stats().tasks == 0);
}

TEST_CASE("kill(-1) reaches every other process but init") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> ready{0};
  std::atomic<bool> release{false};
  std::vector<uml::TaskHandle> victims;
  for (int i = 0; i < 3; ++i)
    victims.push_back(k->spawn([&] {
      ++ready;
      while (!release) sys::sched_yield();
      return 0;
    }));
  while (ready < 3) std::this_thread::yield();
  const int st = test::run_task(*k, [&] {
    set_handler(SIGTERM, reinterpret_cast<void (*)(int)>(SIG_IGN));  // ours: not sent anyway
    return sys::kill(-1, SIGTERM) == 0 ? 0 : 1;
  });
  release = true;
  CHECK(WEXITSTATUS(st) == 0);
  for (auto& v : victims) {
    const int vs = v.wait();
    CHECK(WIFSIGNALED(vs));
    CHECK(WTERMSIG(vs) == SIGTERM);
  }
}

TEST_CASE("RLIMIT_SIGPENDING bounds queued real-time signals: sigqueue says EAGAIN") {
  auto k = test::boot();
  const int st = test::run_task(*k, [] {
    struct rlimit lim {3, 3};
    sys::setrlimit(RLIMIT_SIGPENDING, &lim);
    unsigned long m = bit(SIGRTMIN + 1);
    sys::rt_sigprocmask(SIG_BLOCK, &m, nullptr, 8);
    siginfo_t si{};
    si.si_code = SI_QUEUE;
    for (int i = 0; i < 3; ++i)
      if (sys::rt_sigqueueinfo(sys::getpid(), SIGRTMIN + 1, &si) != 0) return 1;
    if (sys::rt_sigqueueinfo(sys::getpid(), SIGRTMIN + 1, &si) != -EAGAIN) return 2;
    if (sys::kill(sys::getpid(), SIGRTMIN + 1) != 0) return 3;  // kill still marks it pending
    struct timespec zero {0, 0};
    int got = 0;
    while (sys::rt_sigtimedwait(&m, nullptr, &zero, 8) == SIGRTMIN + 1) ++got;
    if (got != 3) return 10 + got;
    // Discarded by SIG_IGN: the queue has room again.
    for (int i = 0; i < 3; ++i)
      if (sys::rt_sigqueueinfo(sys::getpid(), SIGRTMIN + 1, &si) != 0) return 4;
    set_handler(SIGRTMIN + 1, reinterpret_cast<void (*)(int)>(SIG_IGN));
    set_handler(SIGRTMIN + 1, reinterpret_cast<void (*)(int)>(SIG_DFL));
    for (int i = 0; i < 3; ++i)
      if (sys::rt_sigqueueinfo(sys::getpid(), SIGRTMIN + 1, &si) != 0) return 5;
    return 0;
  });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("Attached application threads take signals at their next syscall") {
  auto k = test::boot();
  std::atomic<long> tid{0};
  std::atomic<bool> sent{false};
  std::atomic<long> handled_by{0};
  std::thread app([&] {
    auto me = k->attach();
    set_handler(SIGUSR2, note_tid);
    tid = sys::gettid();
    while (!sent) std::this_thread::yield();  // host code: no syscall, no delivery
    handled_by = g_handled_by.load();
    sys::getpid();  // delivered here
    g_handled_by = g_handled_by.load();
  });
  while (!tid) std::this_thread::yield();
  g_handled_by = 0;
  const int st = test::run_task(*k, [&] { return sys::kill(tid.load(), SIGUSR2) == 0 ? 0 : 1; });
  sent = true;
  app.join();
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(handled_by == 0);
  CHECK(g_handled_by == tid);
}

TEST_CASE("A handler may end its task with exit") {
  auto k = test::boot();
  const int st = test::run_task(*k, [] {
    set_handler(SIGUSR1, exit_handler);
    sys::kill(sys::getpid(), SIGUSR1);
    return 0;  // not reached
  });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 33);
}
