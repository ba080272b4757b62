// The process model: spawn, exit statuses, threads and exit_group, wait4/waitid, zombies,
// reparenting to init, process groups and sessions, inherited credentials.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>

#include "fixture.h"
#include "host/sanitizer.h"

namespace sys = uml::sys;

TEST_CASE("init is pid 1; tasks spawned from outside are its children") {
  auto k = test::boot();
  long pid = 0, ppid = -1;
  REQUIRE(test::run_task(*k, [&] {
    pid = sys::getpid();
    ppid = sys::getppid();
    return 0;
  }) == 0);
  CHECK(pid > 1);
  CHECK(ppid == 1);
}

TEST_CASE("exit statuses: return value, exit(), exceptions") {
  auto k = test::boot();
  int st = test::run_task(*k, [] { return 42; });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 42);

  // exit() from deep inside unwinds the task's stack: destructors run.
  bool destructed = false;
  st = test::run_task(*k, [&] {
    struct Guard {
      bool* flag;
      ~Guard() { *flag = true; }
    } g{&destructed};
    sys::exit(7);
    return 0;  // not reached
  });
  CHECK(WEXITSTATUS(st) == 7);
  CHECK(destructed);

  st = test::run_task(*k, []() -> int { throw std::runtime_error("guest bug"); });
  CHECK(WIFSIGNALED(st));
  CHECK(WTERMSIG(st) == SIGABRT);
  CHECK(WCOREDUMP(st));
  CHECK(k->dmesg().find("unhandled exception: guest bug") != std::string::npos);
  // The instance carries on.
  CHECK(WEXITSTATUS(test::run_task(*k, [] { return 3; })) == 3);
}

TEST_CASE("wait4 reaps children by pid, by any, and reports WNOHANG and ECHILD") {
  auto k = test::boot("vcpus=2");
  int st = test::run_task(*k, [&] {
    int status = -1;
    auto a = k->spawn([] { return 11; });
    auto b = k->spawn([] {
      timespec ts{0, 20'000'000};
      sys::nanosleep(&ts, nullptr);
      return 12;
    });
    // b is still sleeping: WNOHANG sees nothing from it.
    if (sys::wait4(b.pid(), &status, WNOHANG, nullptr) != 0) return 1;
    if (sys::wait4(a.pid(), &status, 0, nullptr) != a.pid() || WEXITSTATUS(status) != 11) return 2;
    if (sys::wait4(a.pid(), &status, 0, nullptr) != -ECHILD) return 3;  // already reaped
    if (sys::wait4(-1, &status, 0, nullptr) != b.pid() || WEXITSTATUS(status) != 12) return 4;
    if (sys::wait4(-1, &status, 0, nullptr) != -ECHILD) return 5;
    if (sys::wait4(-1, &status, WNOHANG, nullptr) != -ECHILD) return 6;
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("waitid: WNOWAIT leaves the zombie; siginfo carries the status") {
  auto k = test::boot();
  int st = test::run_task(*k, [&] {
    auto c = k->spawn([] { return 5; });
    c.wait();  // now a zombie, not yet reaped
    siginfo_t si{};
    if (sys::waitid(P_PID, c.pid(), &si, WEXITED | WNOWAIT) != 0) return 1;
    if (si.si_signo != SIGCHLD || si.si_code != CLD_EXITED || si.si_status != 5) return 2;
    if (si.si_pid != c.pid()) return 3;
    si = {};
    if (sys::waitid(P_ALL, 0, &si, WEXITED) != 0 || si.si_pid != c.pid()) return 4;
    if (sys::waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != -ECHILD) return 5;
    auto d = k->spawn([] {
      timespec ts{0, 30'000'000};
      sys::nanosleep(&ts, nullptr);
      return 0;
    });
    si.si_pid = 12345;
    if (sys::waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0 || si.si_pid != 0) return 6;
    if (sys::wait4(d.pid(), nullptr, 0, nullptr) != d.pid()) return 7;
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("a child killed by an exception reports the signal to wait4 and waitid") {
  auto k = test::boot();
  int st = test::run_task(*k, [&] {
    auto c = k->spawn([]() -> int { throw 1; });
    int status;
    if (sys::wait4(c.pid(), &status, 0, nullptr) != c.pid()) return 1;
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) return 2;
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("orphans are reparented to init, which reaps them") {
  auto k = test::boot("vcpus=2");
  std::atomic<long> orphan_ppid_before{0}, orphan_ppid_after{0};
  uml::TaskHandle orphan;
  std::atomic<bool> parent_gone{false};
  auto parent = k->spawn([&] {
    orphan = k->spawn([&] {
      orphan_ppid_before = sys::getppid();  // the parent waits for this before exiting
      while (!parent_gone.load()) {
        timespec ts{0, 1'000'000};
        sys::nanosleep(&ts, nullptr);
      }
      orphan_ppid_after = sys::getppid();
      return 9;
    });
    while (orphan_ppid_before.load() == 0) sys::sched_yield();
    return 0;
  });
  REQUIRE(parent.wait() == 0);
  parent_gone = true;
  CHECK(WEXITSTATUS(orphan.wait()) == 9);
  CHECK(orphan_ppid_before.load() == parent.pid());
  CHECK(orphan_ppid_after.load() == 1);
  // Reaped by init: its pid is free, only init and nothing else remains.
  CHECK(k->stats().processes == 1);
}

TEST_CASE("threads share the pid; a thread's exit does not end the process") {
  auto k = test::boot("vcpus=2");
  int st = test::run_task(*k, [&] {
    const long pid = sys::getpid();
    std::atomic<long> tpid{0}, ttid{0};
    auto t = k->spawn([&] {
      tpid = sys::getpid();
      ttid = sys::gettid();
      sys::exit(3);  // ends the thread only
      return 0;
    }, {.thread = true});
    t.wait();
    if (tpid.load() != pid || ttid.load() == pid) return 1;
    if (sys::getpid() != pid) return 2;
    return 4;  // the process's status is its leader's
  });
  CHECK(WEXITSTATUS(st) == 4);
}

TEST_CASE("exit_group ends every thread, even one blocked in a sleep") {
  auto k = test::boot("vcpus=2");
  std::atomic<bool> sleeper_returned{false};
  int st = test::run_task(*k, [&] {
    k->spawn([&] {
      timespec ts{60, 0};
      sys::nanosleep(&ts, nullptr);
      sleeper_returned = true;  // must never run: the kill unwinds at syscall exit
      return 0;
    }, {.thread = true});
    timespec ts{0, 5'000'000};
    sys::nanosleep(&ts, nullptr);
    sys::exit_group(17);
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 17);
  CHECK_FALSE(sleeper_returned.load());
  CHECK(k->stats().tasks == 0);
}

TEST_CASE("when the leader exits first the process lives until its last thread ends") {
  auto k = test::boot("vcpus=2");
  std::atomic<bool> release{false};
  uml::TaskHandle worker;
  auto leader = k->spawn([&] {
    worker = k->spawn([&] {
      while (!release.load()) sys::sched_yield();
      return 0;
    }, {.thread = true});
    return 6;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(leader.exited());  // the leader's thread is gone, its process is not
  release = true;
  CHECK(WEXITSTATUS(leader.wait()) == 6);
  CHECK(worker.exited());
}

TEST_CASE("setpgid and setsid follow Linux's rules") {
  auto k = test::boot("vcpus=2");
  int st = test::run_task(*k, [&] {
    const long me = sys::getpid();
    std::atomic<bool> go{false};
    auto wait_go = [&] {
      while (!go.load()) sys::sched_yield();
    };
    auto c1 = k->spawn([&] { wait_go(); return 0; });
    auto c2 = k->spawn([&] {
      if (sys::setsid() != sys::getpid()) return 1;
      if (sys::getsid(0) != sys::getpid() || sys::getpgrp() != sys::getpid()) return 2;
      if (sys::setsid() != -EPERM) return 3;  // now a session leader
      if (sys::setpgid(0, 0) != -EPERM) return 4;
      wait_go();
      return 0;
    });
    while (sys::getsid(c2.pid()) != c2.pid()) sys::sched_yield();
    // A new process group for c1, then moving ourselves into it.
    if (sys::setpgid(c1.pid(), c1.pid()) != 0) return 10;
    if (sys::getpgid(c1.pid()) != c1.pid()) return 11;
    if (sys::setpgid(0, c1.pid()) != 0 || sys::getpgrp() != c1.pid()) return 12;
    if (sys::setpgid(0, 0) != 0 || sys::getpgrp() != me) return 13;
    // No such group in our session.
    if (sys::setpgid(c1.pid(), 99999) != -EPERM) return 14;
    // c2 left our session: cannot be moved.
    if (sys::setpgid(c2.pid(), c2.pid()) != -EPERM) return 15;
    // Not our child.
    if (sys::setpgid(1, 1) != -ESRCH) return 16;
    if (sys::getsid(c1.pid()) != sys::getsid(0)) return 17;
    // A process group leader cannot start a session.
    if (sys::setpgid(0, 0) != 0 || sys::setsid() != -EPERM) return 18;
    go = true;
    if (sys::wait4(c1.pid(), nullptr, 0, nullptr) != c1.pid()) return 19;
    int s2;
    if (sys::wait4(c2.pid(), &s2, 0, nullptr) != c2.pid() || WEXITSTATUS(s2) != 0) return 20;
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("a task spawned with ids runs unprivileged, and its children inherit them") {
  auto k = test::boot();
  int st = test::run_task(*k, [&] {
    if (sys::getuid() != 1000 || sys::getegid() != 100) return 1;
    if (sys::setuid(0) != -EPERM) return 2;
    auto c = k->spawn([] { return sys::geteuid() == 1000 ? 0 : 1; });
    int s;
    if (sys::wait4(c.pid(), &s, 0, nullptr) != c.pid() || WEXITSTATUS(s) != 0) return 3;
    return 0;
  }, {.name = "user", .set_ids = true, .uid = 1000, .gid = 100});
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("spawned tasks carry their name; children inherit it") {
  auto k = test::boot();
  std::string name, child_name;
  test::run_task(*k, [&] {
    char buf[16] = {};
    sys::prctl(PR_GET_NAME, buf);
    name = buf;
    k->spawn([&] {
      char b[16] = {};
      sys::prctl(PR_GET_NAME, b);
      child_name = b;
      return 0;
    }).wait();
    return 0;
  }, {.name = "named-task"});
  CHECK(name == "named-task");
  CHECK(child_name == "named-task");
}

TEST_CASE("getrusage and wait4's rusage account CPU time of children") {
  auto k = test::boot();
  int st = test::run_task(*k, [&] {
    auto c = k->spawn([] {
      volatile unsigned long x = 0;
      for (unsigned long i = 0; i < 30'000'000; ++i) x = x + i;
      return 0;
    });
    struct rusage ru {};
    if (sys::wait4(c.pid(), nullptr, 0, &ru) != c.pid()) return 1;
    const long us = ru.ru_utime.tv_sec * 1'000'000 + ru.ru_utime.tv_usec;
    if (us <= 0) return 2;
    struct rusage ch {};
    sys::getrusage(RUSAGE_CHILDREN, &ch);
    if (ch.ru_utime.tv_sec * 1'000'000 + ch.ru_utime.tv_usec < us) return 3;
    return 0;
  });
  CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("a task that loops on syscalls is preempted at its time slice") {
  // One vCPU: the flag-setter can only run if the spinner is made to yield.
  auto k = test::boot("vcpus=1 quantum_us=1000");
  std::atomic<bool> flag{false};
  std::atomic<long> spins{0};
  auto spinner = k->spawn([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!flag.load()) {
      sys::getppid();
      spins.fetch_add(1, std::memory_order_relaxed);
      if (std::chrono::steady_clock::now() > give_up) return 1;  // never preempted
    }
    return 0;
  });
  auto setter = k->spawn([&] {
    flag = true;
    return 0;
  });
  CHECK(setter.wait() == 0);
  CHECK(spinner.wait() == 0);
  CHECK(spins.load() > 0);
}

TEST_CASE("stack size is chosen per task") {
  auto k = test::boot("stack_size=64K");
  // 512 KiB of locals would overflow the 64 KiB default; with a 1 MiB stack it fits.
  int st = test::run_task(*k, [] {
    volatile char big[512 * 1024];
    for (size_t i = 0; i < sizeof(big); i += 4096) big[i] = static_cast<char>(i);
    return big[4096] == static_cast<char>(4096) ? 0 : 1;
  }, {.stack_size = 1 << 20});
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(WEXITSTATUS(test::run_task(*k, [] { return 2; })) == 2);  // default-size stack
}

namespace {
// Deep recursion with a frame the compiler cannot elide: overflows any fiber stack. The
// limit only keeps the compiler from calling it infinite; no stack reaches it.
__attribute__((noinline)) int recurse_forever(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  if (depth > (1 << 30)) return frame[0];
  return recurse_forever(depth + 1) + frame[0];
}
}  // namespace

TEST_CASE("a guest stack overflow kills that task only (SIGSEGV); the host goes on") {
#if defined(UML_ASAN) || defined(UML_TSAN)
  SUCCEED("sanitizer builds report stack overflows themselves; the plain build tests this");
#else
  auto k = test::boot("vcpus=2 stack_size=64K");
  std::atomic<bool> sibling_done{false};
  auto sibling = k->spawn([&] {
    timespec ts{0, 20'000'000};
    sys::nanosleep(&ts, nullptr);
    sibling_done = true;
    return 0;
  });
  for (int i = 0; i < 3; ++i) {  // the same vCPU and stack cache keep working afterwards
    int st = test::run_task(*k, [] { return recurse_forever(0); });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGSEGV);
    CHECK(WCOREDUMP(st));
  }
  CHECK(k->dmesg().find("stack overflow; killed by SIGSEGV") != std::string::npos);
  CHECK(sibling.wait() == 0);
  CHECK(sibling_done.load());
  CHECK(WEXITSTATUS(test::run_task(*k, [] { return 12; })) == 12);
  int st = test::run_task(*k, [&] {  // a parent reaps the crashed child like any other
    auto c = k->spawn([] { return recurse_forever(0); });
    int s = 0;
    return sys::wait4(c.pid(), &s, 0, nullptr) == c.pid() && WTERMSIG(s) == SIGSEGV ? 0 : 1;
  });
  CHECK(WEXITSTATUS(st) == 0);
#endif
}

TEST_CASE("RLIMIT_NPROC refuses a spawn past the limit to an unprivileged user") {
  auto k = test::boot();
  std::atomic<int> result{-1};
  auto h = k->spawn([&] {
    uml::syscall(SYS_setresgid, 1000, 1000, 1000);
    uml::syscall(SYS_setresuid, 1000, 1000, 1000);  // no capabilities left
    struct rlimit r {1, 1};                            // this process is the one allowed
    if (uml::syscall(SYS_setrlimit, RLIMIT_NPROC, reinterpret_cast<long>(&r)) != 0) {
      result = 1;
      return 0;
    }
    try {
      k->spawn([] { return 0; }).wait();
      result = 2;
    } catch (const uml::Error& e) {
      result = std::string(e.what()).find("EAGAIN") != std::string::npos ? 0 : 3;
    }
    return 0;
  });
  h.wait();
  CHECK(result == 0);
  // Root (CAP_SYS_RESOURCE) is not held to it.
  std::atomic<int> root_result{-1};
  auto h2 = k->spawn([&] {
    struct rlimit r {1, 1};
    uml::syscall(SYS_setrlimit, RLIMIT_NPROC, reinterpret_cast<long>(&r));
    root_result = k->spawn([] { return 0; }).wait();
    return 0;
  });
  h2.wait();
  CHECK(root_result == 0);
}
