// timerfd and signalfd: expirations as counts, absolute and periodic timers, readiness,
// signals read as records; and the errors of setting the realtime clock (which the host
// suite must not actually set).

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "shim.h"

using shim::call;
using shim::sigbit;

namespace {

void expect_clean(int status) {
  INFO("child wait status " << status << " (exit code: the failing line mod 256)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

int64_t mono_ns() {
  struct timespec ts {};
  call(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

}  // namespace

TEST_CASE("timerfd: a one-shot timer reads 1, then blocks or says EAGAIN") {
  shim::fresh_task([] {
    CHECK(call(SYS_timerfd_create, CLOCK_MONOTONIC, 0x1234) == -EINVAL);
    CHECK(call(SYS_timerfd_create, 99, 0) == -EINVAL);
    CHECK(call(SYS_timerfd_create, CLOCK_THREAD_CPUTIME_ID, 0) == -EINVAL);
    const long fd = call(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_fcntl, fd, F_GETFD) == FD_CLOEXEC);
    uint64_t n = 0;
    CHECK(call(SYS_read, fd, &n, 8) == -EAGAIN);
    struct itimerspec its {{0, 0}, {0, 10000000}};
    CHECK(call(SYS_timerfd_settime, fd, 0, &its, nullptr) == 0);
    struct itimerspec cur {};
    CHECK(call(SYS_timerfd_gettime, fd, &cur) == 0);
    CHECK(cur.it_value.tv_sec == 0);
    CHECK(cur.it_value.tv_nsec > 0);
    struct pollfd pf {static_cast<int>(fd), POLLIN, 0};
    CHECK(call(SYS_poll, &pf, 1, 2000) == 1);
    CHECK(call(SYS_read, fd, &n, 4) == -EINVAL);  // less than 8 bytes
    CHECK(call(SYS_read, fd, &n, 8) == 8);
    CHECK(n == 1);
    CHECK(call(SYS_read, fd, &n, 8) == -EAGAIN);
    CHECK(call(SYS_timerfd_gettime, fd, &cur) == 0);
    CHECK(cur.it_value.tv_sec == 0);
    CHECK(cur.it_value.tv_nsec == 0);
    CHECK(call(SYS_write, fd, &n, 8) == -EINVAL);
    // Errors of settime and gettime.
    CHECK(call(SYS_timerfd_settime, fd, 4, &its, nullptr) == -EINVAL);
    struct itimerspec bad {{0, 0}, {0, -1}};
    CHECK(call(SYS_timerfd_settime, fd, 0, &bad, nullptr) == -EINVAL);
    CHECK(call(SYS_timerfd_settime, fd, 0, 8, nullptr) == -EFAULT);
    CHECK(call(SYS_timerfd_settime, 999, 0, &its, nullptr) == -EBADF);
    int fds[2];
    call(SYS_pipe2, fds, 0);
    CHECK(call(SYS_timerfd_settime, fds[0], 0, &its, nullptr) == -EINVAL);
    CHECK(call(SYS_timerfd_gettime, fds[0], &cur) == -EINVAL);
    call(SYS_close, fds[0]);
    call(SYS_close, fds[1]);
    call(SYS_close, fd);
  });
}

TEST_CASE("timerfd: periodic and absolute timers count every expiration") {
  shim::fresh_task([] {
    const long fd = call(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
    REQUIRE(fd >= 0);
    // Absolute, 5 ms from now, then every 5 ms.
    const int64_t start = mono_ns() + 5000000;
    struct itimerspec its {{0, 5000000}, {start / 1000000000, start % 1000000000}};
    CHECK(call(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME, &its, nullptr) == 0);
    uint64_t n = 0;
    CHECK(call(SYS_read, fd, &n, 8) == 8);  // blocks until the first
    CHECK(n >= 1);
    struct timespec nap {0, 30000000};
    call(SYS_nanosleep, &nap, nullptr);
    CHECK(call(SYS_read, fd, &n, 8) == 8);
    CHECK(n >= 4);  // about six periods went by
    struct itimerspec old {};
    struct itimerspec off {};
    CHECK(call(SYS_timerfd_settime, fd, 0, &off, &old) == 0);
    CHECK(old.it_interval.tv_nsec == 5000000);
    CHECK(old.it_value.tv_nsec > 0);
    // Epoll sees it like any file.
    const long ep = call(SYS_epoll_create1, 0);
    struct epoll_event ev {EPOLLIN, {}};
    ev.data.u64 = 77;
    CHECK(call(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    struct itimerspec soon {{0, 0}, {0, 2000000}};
    CHECK(call(SYS_timerfd_settime, fd, 0, &soon, nullptr) == 0);
    struct epoll_event got {};
    CHECK(call(SYS_epoll_wait, ep, &got, 1, 2000) == 1);
    CHECK(got.data.u64 == 77);
    call(SYS_close, ep);
    call(SYS_close, fd);
  });
}

TEST_CASE("signalfd: blocked signals are read as records, and poll sees them") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGUSR1) | sigbit(SIGUSR2));
      unsigned long mask = sigbit(SIGUSR1) | sigbit(SIGKILL);
      CHILD_CHECK(call(SYS_signalfd4, -1, &mask, 8, 0x1234) == -EINVAL);
      CHILD_CHECK(call(SYS_signalfd4, -1, &mask, 4, 0) == -EINVAL);
      CHILD_CHECK(call(SYS_signalfd4, -1, 8, 8, 0) == -EFAULT);
      const long fd = call(SYS_signalfd4, -1, &mask, 8, SFD_NONBLOCK);
      CHILD_CHECK(fd >= 0);
      struct signalfd_siginfo rec[2] {};
      CHILD_CHECK(call(SYS_read, fd, rec, sizeof rec) == -EAGAIN);
      CHILD_CHECK(call(SYS_read, fd, rec, 100) == -EINVAL);
      struct pollfd pf {static_cast<int>(fd), POLLIN, 0};
      CHILD_CHECK(call(SYS_poll, &pf, 1, 0) == 0);
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      call(SYS_kill, call(SYS_getpid), SIGUSR2);  // not in the mask: stays pending
      CHILD_CHECK(call(SYS_poll, &pf, 1, 0) == 1);
      CHILD_CHECK(call(SYS_read, fd, rec, sizeof rec) == sizeof rec[0]);
      CHILD_CHECK(rec[0].ssi_signo == SIGUSR1);
      CHILD_CHECK(rec[0].ssi_code == SI_USER);
      CHILD_CHECK(rec[0].ssi_pid == static_cast<uint32_t>(call(SYS_getpid)));
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == sigbit(SIGUSR2));
      // A new mask on the same descriptor.
      mask = sigbit(SIGUSR2);
      CHILD_CHECK(call(SYS_signalfd, fd, &mask, 8) == fd);
      CHILD_CHECK(call(SYS_read, fd, rec, sizeof rec) == sizeof rec[0]);
      CHILD_CHECK(rec[0].ssi_signo == SIGUSR2);
      int fds[2];
      call(SYS_pipe2, fds, 0);
      CHILD_CHECK(call(SYS_signalfd4, fds[0], &mask, 8, 0) == -EINVAL);
      CHILD_CHECK(call(SYS_signalfd4, 999, &mask, 8, 0) == -EBADF);
      // Queued real-time signals come out one record each, with their values.
      const int rt = SIGRTMIN + 5;
      shim::set_mask(sigbit(rt));
      mask = sigbit(rt);
      const long fd2 = call(SYS_signalfd4, -1, &mask, 8, 0);
      for (int i = 0; i < 2; ++i) {
        siginfo_t si{};
        si.si_code = SI_QUEUE;
        si.si_value.sival_int = 70 + i;
        call(SYS_rt_sigqueueinfo, call(SYS_getpid), rt, &si);
      }
      CHILD_CHECK(call(SYS_read, fd2, rec, sizeof rec) == sizeof rec);
      CHILD_CHECK(rec[0].ssi_int == 70 && rec[1].ssi_int == 71);
      CHILD_CHECK(rec[0].ssi_code == SI_QUEUE);
      return 0;
    }));
  });
}

TEST_CASE("signalfd: a blocking read waits for a signal from another process") {
  shim::fresh_task([] {
    const unsigned long old = shim::set_mask(sigbit(SIGUSR1));
    const long pid = shim::start_child([] {
      unsigned long mask = sigbit(SIGUSR1);
      const long fd = call(SYS_signalfd4, -1, &mask, 8, 0);
      struct signalfd_siginfo rec {};
      if (call(SYS_read, fd, &rec, sizeof rec) != sizeof rec) return 1;
      return rec.ssi_signo == SIGUSR1 ? 0 : 2;
    });
    shim::set_mask(old);
    struct timespec nap {0, 20000000};
    call(SYS_nanosleep, &nap, nullptr);
    CHECK(call(SYS_kill, pid, SIGUSR1) == 0);
    int status = 0;
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    expect_clean(status);
  });
}

TEST_CASE("Setting the realtime clock: its errors") {
  shim::fresh_task([] {
    struct timespec bad {0, 1000000000};
    CHECK(call(SYS_clock_settime, CLOCK_MONOTONIC, &bad) == -EINVAL);
    CHECK(call(SYS_clock_settime, CLOCK_REALTIME, &bad) == -EINVAL);
    CHECK(call(SYS_clock_settime, CLOCK_REALTIME, 8) == -EFAULT);
    struct timeval tv {0, 2000000};
    CHECK(call(SYS_settimeofday, &tv, nullptr) == -EINVAL);
    CHECK(call(SYS_settimeofday, 8, nullptr) == -EFAULT);
    if (!shim::is_root()) {
      struct timespec now {};
      call(SYS_clock_gettime, CLOCK_REALTIME, &now);
      CHECK(call(SYS_clock_settime, CLOCK_REALTIME, &now) == -EPERM);
      CHECK(call(SYS_settimeofday, nullptr, nullptr) == -EPERM);
    }
  });
}
