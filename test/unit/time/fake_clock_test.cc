// clock=fake: an instance whose time moves only when the test advances it. Sleeps, timeouts
// and timers of minutes run in no time, and end exactly when the clock reaches them:
// a task sees its deadline to the nanosecond, never before it.

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#include <linux/futex.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <thread>

#include "core/task/task.h"
#include "fixture.h"

using test::sys;

namespace {

constexpr int64_t kSec = 1'000'000'000;

int64_t mono() {
  struct timespec ts {};
  sys(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * kSec + ts.tv_nsec;
}

// A task of k that runs body once `ready` (published by body) is parked: the test's clock
// moves only while it waits.
struct Waiter {
  std::atomic<uml::kern::Task*> task{nullptr};
  // Blocks the calling (test) thread until the task published itself and is parked.
  void wait_parked() {
    while (!task.load() || !task.load()->parked()) std::this_thread::yield();
  }
};

}  // namespace

TEST_CASE("fake clock: it starts at 2000-01-01 and moves only when advanced") {
  auto k = test::boot("clock=fake");
  REQUIRE(k->config().fake_clock);
  int64_t a = 0, b = 0, rt = 0;
  REQUIRE(test::run_task(*k, [&] {
            a = mono();
            b = mono();
            struct timespec ts {};
            sys(SYS_clock_gettime, CLOCK_REALTIME, &ts);
            rt = ts.tv_sec;
            return 0;
          }) == 0);
  CHECK(a == b);  // no time passed between the two readings
  CHECK(rt == 946684800);
  REQUIRE(k->advance_clock(90 * kSec) == 0);
  int64_t c = 0;
  REQUIRE(test::run_task(*k, [&] {
            c = mono();
            return 0;
          }) == 0);
  CHECK(c - a == 90 * kSec);
  CHECK(k->monotonic_ns() == c);
  CHECK(k->advance_clock(-1) == -EINVAL);
  auto host = test::boot();
  CHECK(host->advance_clock(kSec) == -EINVAL);  // the host's time is not the instance's to move
}

TEST_CASE("fake clock: a ten-minute nanosleep ends exactly at its deadline") {
  auto k = test::boot("clock=fake");
  Waiter w;
  int64_t slept = -1;
  long ret = -1;
  auto h = k->spawn([&] {
    const int64_t t0 = mono();
    w.task.store(&test::self());
    const struct timespec ten_min = {600, 0};
    ret = sys(SYS_nanosleep, &ten_min, 0L);
    slept = mono() - t0;
    return 0;
  });
  w.wait_parked();
  k->advance_clock(300 * kSec);  // half-way: still asleep
  w.wait_parked();
  k->advance_clock(300 * kSec);
  REQUIRE(h.wait() == 0);
  CHECK(ret == 0);
  CHECK(slept == 600 * kSec);  // woken at the deadline, not at the half-way advance
}

TEST_CASE("fake clock: poll, futex and timerfd time out on the instance's clock") {
  auto k = test::boot("clock=fake vcpus=2");
  // poll on an empty pipe with a ten-minute timeout: 0 ready after ten minutes.
  {
    Waiter w;
    long n = -1;
    int64_t waited = 0;
    auto h = k->spawn([&] {
      int fds[2];
      sys(SYS_pipe2, fds, 0);
      struct pollfd p = {fds[0], POLLIN, 0};
      const int64_t t0 = mono();
      w.task.store(&test::self());
      n = sys(SYS_poll, &p, 1, 600000);
      waited = mono() - t0;
      return 0;
    });
    w.wait_parked();
    k->advance_clock(600 * kSec);
    REQUIRE(h.wait() == 0);
    CHECK(n == 0);
    CHECK(waited == 600 * kSec);
  }
  // A futex wait with a relative timeout of an hour: ETIMEDOUT when the hour has passed.
  {
    Waiter w;
    long r = 0;
    auto h = k->spawn([&] {
      uint32_t word = 0;
      const struct timespec hour = {3600, 0};
      w.task.store(&test::self());
      r = sys(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &hour, 0L, 0);
      return 0;
    });
    w.wait_parked();
    k->advance_clock(3599 * kSec);
    w.wait_parked();
    k->advance_clock(kSec);
    REQUIRE(h.wait() == 0);
    CHECK(r == -ETIMEDOUT);
  }
  // A periodic timerfd of one minute read after 3.5 minutes: three expirations.
  {
    Waiter w;
    uint64_t ticks = 0;
    auto h = k->spawn([&] {
      const long fd = sys(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
      const struct itimerspec its = {{60, 0}, {60, 0}};
      sys(SYS_timerfd_settime, fd, 0, &its, 0L);
      w.task.store(&test::self());
      const struct timespec until = {210, 0};
      sys(SYS_nanosleep, &until, 0L);
      sys(SYS_read, fd, &ticks, sizeof ticks);
      return 0;
    });
    w.wait_parked();
    k->advance_clock(210 * kSec);
    REQUIRE(h.wait() == 0);
    CHECK(ticks == 3);
  }
}

TEST_CASE("fake clock: an attached thread's timed wait ends on the instance's clock") {
  auto k = test::boot("clock=fake");
  std::atomic<bool> done{false};
  int64_t slept = -1;
  std::thread th([&] {
    auto me = k->attach();
    const int64_t t0 = mono();
    const struct timespec minute = {60, 0};
    sys(SYS_nanosleep, &minute, 0L);
    slept = mono() - t0;
    done = true;
  });
  // No task pointer to watch here: advance in steps until it is done. Each step is a
  // whole minute, so it wakes at the first advance that reaches its deadline.
  while (!done) {
    k->advance_clock(60 * kSec);
    for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  th.join();
  CHECK(slept >= 60 * kSec);
  CHECK(slept % (60 * kSec) == 0);  // woken at an advance, not by the host's clock
}
