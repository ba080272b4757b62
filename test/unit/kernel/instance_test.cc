// The instance as an API: config parsing, the kernel log, attached threads, ENOSYS, panics.

#include <fcntl.h>
#include <signal.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <functional>
#include <thread>

#include "core/base/intrusive_list.h"
#include "core/base/ref_counted.h"
#include "core/kernel/kernel.h"
#include "fixture.h"
#include "skip.h"

namespace sys = uml::sys;

TEST_CASE("Config parses a UML-style command line") {
  auto c = uml::Config::from_cmdline("vcpus=3 mem=1G hostname=g1 loglevel=7 stack_size=64K seed=99 quantum_us=500");
  CHECK(c.vcpus == 3);
  CHECK(c.mem_bytes == (1ull << 30));
  CHECK(c.hostname == "g1");
  CHECK(c.loglevel == 7);
  CHECK(c.stack_size == 64 * 1024);
  CHECK(c.seed == 99u);
  CHECK(c.quantum_ns == 500'000);
  auto again = uml::Config::from_cmdline(c.to_cmdline());
  CHECK(again.to_cmdline() == c.to_cmdline());
  CHECK(uml::Config::from_cmdline("  ").vcpus == 1);
}

TEST_CASE("Config rejects unknown options and malformed values, naming them") {
  auto message = [](const char* cmdline) {
    try {
      uml::Config::from_cmdline(cmdline);
    } catch (const uml::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message("vcpus=two").find("'vcpus'") != std::string::npos);
  CHECK(message("vcpus=0").find("1 to 64") != std::string::npos);
  CHECK(message("vcpus=65").find("vcpus") != std::string::npos);
  CHECK(message("mem=12Q").find("'mem'") != std::string::npos);
  CHECK(message("mem=1M").find("16M") != std::string::npos);
  CHECK(message("frobnicate=1").find("unknown option 'frobnicate'") != std::string::npos);
  CHECK(message("vcpus").find("malformed option 'vcpus'") != std::string::npos);
  CHECK(message("=3").find("malformed") != std::string::npos);
  CHECK(message(("hostname=" + std::string(65, 'h')).c_str()).find("64") != std::string::npos);
  CHECK(message("loglevel=9").find("0 to 8") != std::string::npos);
  CHECK(message("console=tty").find("console") != std::string::npos);
  CHECK_THROWS_AS(uml::Kernel::boot("vcpus=x"), uml::Error);
}

TEST_CASE("The kernel log keeps boot messages with levels and monotonic stamps") {
  auto k = test::boot("loglevel=0");
  auto recs = k->log();
  REQUIRE(recs.size() >= 2);
  CHECK(recs[0].text.find("Linux version") != std::string::npos);
  for (size_t i = 1; i < recs.size(); ++i) {
    CHECK(recs[i].seq == recs[i - 1].seq + 1);
    CHECK(recs[i].time_ns >= recs[i - 1].time_ns);
  }
  CHECK(k->dmesg().find("] smp: brought up 1 vCPU") != std::string::npos);
}

TEST_CASE("The kernel log ring drops its oldest records past its capacity") {
  uml::kern::Klog log(4096);
  for (int i = 0; i < 1000; ++i) log.log(uml::kern::KERN_INFO, "record %d", i);
  auto recs = log.records();
  CHECK(recs.size() < 1000);
  CHECK(recs.back().text == "record 999");
  CHECK(recs.back().seq == 999);
}

TEST_CASE("An unimplemented syscall returns ENOSYS and is logged once per instance") {
  auto k = test::boot();
  auto other = test::boot();
  {
    auto me = k->attach();
    CHECK(k->syscall(SYS_swapon) == -ENOSYS);
    CHECK(k->syscall(SYS_swapon) == -ENOSYS);
    CHECK(k->syscall(100000) == -ENOSYS);
    CHECK(k->syscall(-1) == -ENOSYS);
  }
  auto count = [](uml::Kernel& kk, const char* what) {
    std::string d = kk.dmesg();
    size_t n = 0;
    for (size_t p = d.find(what); p != std::string::npos; p = d.find(what, p + 1)) ++n;
    return n;
  };
  CHECK(count(*k, "syscall 167 (swapon) not implemented") == 1);
  CHECK(count(*other, "(swapon) not implemented") == 0);
}

TEST_CASE("Attached threads: syscalls run as their own task") {
  auto k = test::boot();
  CHECK(k->syscall(SYS_getpid) == -ESRCH);  // not a task yet
  CHECK(uml::syscall(SYS_getpid) == -ESRCH);
  {
    auto me = k->attach({.name = "app"});
    CHECK(me.pid() > 1);
    CHECK(k->syscall(SYS_getpid) == me.pid());
    CHECK(sys::getpid() == me.pid());
    CHECK(k->syscall(SYS_getppid) == 1);
    CHECK_THROWS_AS(k->attach(), uml::Error);  // one task per thread
    auto other = test::boot();
    CHECK(other->syscall(SYS_getpid) == -ESRCH);  // a task of k, not of other
    // The attached thread can be a parent.
    auto c = k->spawn([] { return 8; });
    int st = 0;
    CHECK(k->syscall(SYS_wait4, c.pid(), reinterpret_cast<long>(&st), 0, 0) == c.pid());
    CHECK(WEXITSTATUS(st) == 8);
  }
  CHECK(k->syscall(SYS_getpid) == -ESRCH);
  CHECK(k->stats().processes == 1);  // the detached task was reaped by init
}

TEST_CASE("exit on an attached thread ends its task; the thread goes on") {
  auto k = test::boot();
  auto me = k->attach();
  CHECK(k->syscall(SYS_exit, 0) == 0);
  CHECK(k->syscall(SYS_getpid) == -ESRCH);
  me.detach();
  CHECK(k->stats().tasks == 0);
}

TEST_CASE("A panic stops its instance only; the neighbour keeps running") {
  auto a = test::boot("vcpus=2");
  auto b = test::boot("vcpus=2");
  std::atomic<bool> b_stop{false};
  auto b_worker = b->spawn([&] {
    long n = 0;
    while (!b_stop.load()) {
      timespec ts{0, 100'000};
      sys::nanosleep(&ts, nullptr);
      ++n;
    }
    return n > 0 ? 0 : 1;
  });
  auto a_sleeper = a->spawn([] {
    timespec ts{3600, 0};
    sys::nanosleep(&ts, nullptr);
    return 0;
  });
  // A broken invariant inside one of a's tasks.
  auto a_buggy = a->spawn([] {
    uml::kern::Task& t = test::self();
    KERNEL_VERIFY(t, 1 + 1 == 3);
    return 0;
  });
  int st = a_buggy.wait();
  CHECK(WIFSIGNALED(st));
  CHECK(a->panicked());
  CHECK(a->panic_reason().find("kernel BUG at instance_test.cc") != std::string::npos);
  CHECK(a->dmesg().find("Kernel panic - not syncing") != std::string::npos);
  CHECK(WTERMSIG(a_sleeper.wait()) == SIGKILL);  // every task of a died
  CHECK_THROWS_AS(a->spawn([] { return 0; }), uml::Error);
  CHECK_THROWS_AS(a->attach(), uml::Error);
  // b is untouched.
  CHECK_FALSE(b->panicked());
  CHECK(WEXITSTATUS(test::run_task(*b, [] { return sys::getpid() > 1 ? 4 : 0; })) == 4);
  b_stop = true;
  CHECK(b_worker.wait() == 0);
  a->shutdown();
  b->shutdown();
}

TEST_CASE("Kernel::panic (the sysrq-c trigger) fails later syscalls with EIO") {
  auto k = test::boot();
  auto me = k->attach();
  k->panic("test trigger");
  CHECK(k->panicked());
  CHECK(k->panic_reason() == "test trigger");
  CHECK(k->syscall(SYS_getpid) == -EIO);
  me.detach();
  k->shutdown();
}

// Issue 17.13: a fork() of the host process leaves the child's thread attached to nothing.
// The parent's instance is not usable in the child (its vCPUs stayed behind): syscalls say
// ESRCH, attach and spawn refuse, and destroying it returns at once; a new instance boots.
TEST_CASE("After fork() of the host process, the child's thread is no task and may boot its own instance") {
  auto k = test::boot("vcpus=2");
  auto me = k->attach();
  REQUIRE(k->syscall(SYS_getpid) > 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    if (uml::syscall(SYS_getpid) != -ESRCH) code = 1;
    if (k->syscall(SYS_getpid) != -ESRCH) code = 2;
    try {
      k->attach();
      code = 3;
    } catch (const uml::Error&) {
    }
#ifndef __SANITIZE_THREAD__  // TSan cannot start threads in a child of a threaded fork
    try {
      auto k2 = test::boot();
      auto me2 = k2->attach();  // "already a task" before the fork hook
      if (k2->syscall(SYS_getppid) != 1) code = 4;
    } catch (const std::exception&) {
      code = 5;
    }
#endif
    me.detach();  // the parent's task and instance: let go without waiting for them
    k.reset();
    _exit(code);
  }
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 2000 && got == 0; ++i) {  // up to 20 s; a hang is a failure, not a wait
    got = waitpid(child, &status, WNOHANG);
    if (got == 0) usleep(10000);
  }
  if (got == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  REQUIRE(got == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(k->syscall(SYS_getpid) > 0);  // the parent's attachment is untouched
}

// Issue 17.12: two application threads as threads of one guest process: one descriptor
// table, one pid, private futexes that meet.
TEST_CASE("attach with thread_of makes the calling thread a new thread of that process") {
  auto k = test::boot("vcpus=2");
  auto a = k->attach();
  const long pid = k->syscall(SYS_getpid);
  int fds[2] = {-1, -1};
  REQUIRE(k->syscall(SYS_pipe2, reinterpret_cast<long>(fds), 0) == 0);
  std::atomic<uint32_t> word{0};
  long b_pid = 0, b_tid = 0, b_write = 0, b_wake = -1, b_ppid = 0;
  std::thread b([&] {
    uml::AttachOptions o;
    o.thread_of = static_cast<int>(pid);
    auto me = k->attach(o);
    b_pid = k->syscall(SYS_getpid);
    b_tid = k->syscall(SYS_gettid);
    b_ppid = k->syscall(SYS_getppid);
    b_write = k->syscall(SYS_write, fds[1], reinterpret_cast<long>("b"), 1);  // the process's fd
    // Wake through the process's private futex until a waiter is found there (one wake
    // that finds the other thread proves the futex is shared), then let it go.
    timespec ts{0, 10'000'000};
    for (int i = 0; i < 1000 && b_wake != 1; ++i) {
      b_wake = k->syscall(SYS_futex, reinterpret_cast<long>(&word), FUTEX_WAKE_PRIVATE, 1);
      if (b_wake != 1) k->syscall(SYS_nanosleep, reinterpret_cast<long>(&ts), 0);
    }
    word.store(1);
    k->syscall(SYS_futex, reinterpret_cast<long>(&word), FUTEX_WAKE_PRIVATE, 1);
  });
  timespec limit{20, 0};
  long waited = 0;
  while (word.load() == 0 && (waited == 0 || waited == -EAGAIN))
    waited = k->syscall(SYS_futex, reinterpret_cast<long>(&word), FUTEX_WAIT_PRIVATE, 0, reinterpret_cast<long>(&limit));
  b.join();
  char c = 0;
  CHECK(k->syscall(SYS_read, fds[0], reinterpret_cast<long>(&c), 1) == 1);
  CHECK(c == 'b');
  CHECK(b_pid == pid);
  CHECK(b_tid != k->syscall(SYS_gettid));
  CHECK(b_ppid == k->syscall(SYS_getppid));
  CHECK(b_write == 1);
  CHECK(waited != -ETIMEDOUT);
  CHECK(b_wake == 1);
  uml::AttachOptions none;
  none.thread_of = 99999;
  std::string why;
  std::thread([&] {
    try {
      k->attach(none);
    } catch (const uml::Error& e) {
      why = e.what();
    }
  }).join();
  CHECK(why.find("no live process") != std::string::npos);
}

// Issue 18.4: where the host refuses io_uring (here a seccomp filter, as container
// runtimes install), an instance still boots and does disk I/O, through the poll reactor,
// and says so in its log; reactor=uring there fails the boot with the host's reason.
TEST_CASE("An instance boots and does disk I/O where the host refuses io_uring") {
#ifdef __SANITIZE_THREAD__
  return test::skip("TSan cannot start threads in a child of a threaded fork");
#endif
  char img[] = "/tmp/uml-noring-XXXXXX";
  const int ifd = mkstemp(img);
  REQUIRE(ifd >= 0);
  REQUIRE(ftruncate(ifd, 1 << 20) == 0);
  close(ifd);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Every io_uring_setup fails with EPERM; everything else is allowed.
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
      _exit(10);
    int code = 0;
    try {
      auto k = test::boot(std::string("vcpus=2 reactor=auto ubda=") + img);
      const int st = test::run_task(*k, [] {
        const long fd = test::sys(SYS_openat, AT_FDCWD, "/dev/ubda", O_RDWR | O_DIRECT);
        if (fd < 0) return 1;
        alignas(4096) static char buf[4096];
        memset(buf, 'x', sizeof buf);
        if (test::sys(SYS_pwrite64, fd, buf, 4096, 8192) != 4096) return 2;
        if (test::sys(SYS_fsync, fd) != 0) return 3;
        memset(buf, 0, sizeof buf);
        if (test::sys(SYS_pread64, fd, buf, 4096, 8192) != 4096 || buf[100] != 'x') return 4;
        return static_cast<int>(test::sys(SYS_close, fd));
      });
      if (st != 0) code = 20 + (st >> 8);
      if (k->dmesg().find("host I/O goes through the poll reactor") == std::string::npos) code = 30;
    } catch (const std::exception&) {
      code = 40;
    }
    try {
      auto k = test::boot(std::string("reactor=uring"));
      code = 50;  // it should not have booted
    } catch (const uml::Error& e) {
      if (std::string(e.what()).find("Operation not permitted") == std::string::npos) code = 60;
    }
    _exit(code);
  }
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 3000 && got == 0; ++i) {  // up to 30 s; a hang is a failure
    got = waitpid(child, &status, WNOHANG);
    if (got == 0) usleep(10000);
  }
  if (got == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  std::string data(4096, '\0');
  const int rfd = open(img, O_RDONLY);
  const bool read_back = rfd >= 0 && pread(rfd, data.data(), data.size(), 8192) == 4096;
  if (rfd >= 0) close(rfd);
  unlink(img);
  REQUIRE(got == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The image holds what the guest wrote through the poll reactor.
  CHECK(read_back);
  CHECK(data == std::string(4096, 'x'));
}

namespace {
// An object whose memory outlives its count, so that a broken count can be shown safely.
struct Counted : uml::kern::RefCounted<Counted> {
  static void rc_destroy(const Counted*) {}
};
struct Linked {
  uml::kern::ListNode node;
};
}  // namespace

// Issue 18.5: the runtime checks (VERIFY) in the structures every subsystem uses. Each
// broken invariant panics the instance whose task broke it, with the place in the report,
// kills that instance's tasks, and leaves the host process and a neighbour running.
TEST_CASE("A broken invariant in a shared structure panics that instance only") {
  auto trigger = [](const char* what, std::function<void()> breakit) {
    INFO(what);
    auto a = test::boot("vcpus=2");
    auto b = test::boot();
    auto sleeper = a->spawn([] {
      timespec ts{3600, 0};
      sys::nanosleep(&ts, nullptr);
      return 0;
    });
    auto buggy = a->spawn([breakit] {
      breakit();
      // The next syscall sees the instance panicked (or the task killed).
      return sys::getpid() == -EIO ? 7 : 8;
    });
    buggy.wait();
    CHECK(a->panicked());
    CHECK(a->panic_reason().find("kernel BUG at ") != std::string::npos);
    const int sleeper_status = sleeper.wait();
    INFO("sleeper status " << sleeper_status << "\n" << a->dmesg());
    CHECK(WTERMSIG(sleeper_status) == SIGKILL);  // every task of a died
    CHECK(a->dmesg().find("Kernel panic - not syncing: kernel BUG at") != std::string::npos);
    CHECK_FALSE(b->panicked());
    CHECK(WEXITSTATUS(test::run_task(*b, [] { return sys::getpid() > 1 ? 4 : 0; })) == 4);
    a->shutdown();
    b->shutdown();
    return a->panic_reason();
  };
  // A reference dropped twice.
  CHECK(trigger("refcount underflow", [] {
          static thread_local Counted c;
          c.unref();
          c.unref();
        }).find("ref_counted.h") != std::string::npos);
  // A reference taken from an object whose count reached zero.
  CHECK(trigger("ref of a dead object", [] {
          static thread_local Counted c;
          c.unref();
          c.ref();
        }).find("ref_counted.h") != std::string::npos);
  // An element added to a list twice, and one removed from no list.
  CHECK(trigger("list double insert", [] {
          uml::kern::IntrusiveList<Linked, &Linked::node> l1, l2;
          Linked x;
          l1.push_back(x);
          l2.push_back(x);
          l1.remove(x);
        }).find("intrusive_list.h") != std::string::npos);
  CHECK(trigger("list remove of an unlinked element", [] {
          uml::kern::IntrusiveList<Linked, &Linked::node> l;
          Linked x;
          l.remove(x);
        }).find("intrusive_list.h") != std::string::npos);
}
