// Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep,
// clock_nanosleep, with their error paths.

#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include <catch2/catch.hpp>

#include "shim.h"

using shim::call;

namespace {
long long ns_of(clockid_t id) {
  timespec ts;
  REQUIRE(call(SYS_clock_gettime, id, &ts) == 0);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}
}  // namespace

TEST_CASE("clock_gettime accepts Linux's clocks and rejects the rest") {
  shim::fresh_task([] {
    for (clockid_t id : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                         CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                         CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI}) {
      timespec ts{-1, -1};
      INFO("clock " << id);
      CHECK(call(SYS_clock_gettime, id, &ts) == 0);
      CHECK(ts.tv_nsec >= 0);
      CHECK(ts.tv_nsec < 1'000'000'000);
    }
    timespec ts;
    CHECK(call(SYS_clock_gettime, 10, &ts) == -EINVAL);
    CHECK(call(SYS_clock_gettime, 12, &ts) == -EINVAL);
    CHECK(call(SYS_clock_gettime, 1000, &ts) == -EINVAL);
    CHECK(call(SYS_clock_gettime, CLOCK_MONOTONIC, nullptr) == -EFAULT);
    CHECK(call(SYS_clock_gettime, CLOCK_MONOTONIC, 16) == -EFAULT);
  });
}

TEST_CASE("the monotonic clock never goes back and agrees with the host's") {
  shim::fresh_task([] {
    long long prev = ns_of(CLOCK_MONOTONIC);
    for (int i = 0; i < 1000; ++i) {
      long long now = ns_of(CLOCK_MONOTONIC);
      CHECK(now >= prev);
      prev = now;
    }
    timespec host;
    clock_gettime(CLOCK_REALTIME, &host);
    long long diff = ns_of(CLOCK_REALTIME) - (host.tv_sec * 1'000'000'000LL + host.tv_nsec);
    CHECK(diff < 1'000'000'000LL);
    CHECK(diff > -1'000'000'000LL);
  });
}

TEST_CASE("clock_getres: high resolution clocks report 1 ns; a null pointer is fine") {
  shim::fresh_task([] {
    timespec res;
    REQUIRE(call(SYS_clock_getres, CLOCK_MONOTONIC, &res) == 0);
    CHECK(res.tv_sec == 0);
    CHECK(res.tv_nsec == 1);
    REQUIRE(call(SYS_clock_getres, CLOCK_REALTIME, &res) == 0);
    CHECK(res.tv_nsec == 1);
    REQUIRE(call(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &res) == 0);
    CHECK(res.tv_nsec > 1);
    CHECK(call(SYS_clock_getres, CLOCK_MONOTONIC, nullptr) == 0);
    CHECK(call(SYS_clock_getres, 10, &res) == -EINVAL);
    CHECK(call(SYS_clock_getres, CLOCK_MONOTONIC, 8) == -EFAULT);
  });
}

TEST_CASE("gettimeofday and time") {
  shim::fresh_task([] {
    CHECK(call(SYS_gettimeofday, nullptr, nullptr) == 0);
    timeval tv;
    struct timezone tz {-1, -1};
    REQUIRE(call(SYS_gettimeofday, &tv, &tz) == 0);
    CHECK(tv.tv_usec >= 0);
    CHECK(tv.tv_usec < 1'000'000);
    CHECK(call(SYS_gettimeofday, 8, nullptr) == -EFAULT);
    CHECK(call(SYS_gettimeofday, nullptr, 8) == -EFAULT);
    long t1 = call(SYS_time, nullptr);
    time_t stored = 0;
    long t2 = call(SYS_time, &stored);
    CHECK(t2 >= t1);
    CHECK(stored == t2);
    CHECK(t2 - tv.tv_sec <= 1);
    CHECK(call(SYS_time, 8) == -EFAULT);
  });
}

TEST_CASE("nanosleep never returns early and validates its request") {
  shim::fresh_task([] {
    for (long ms : {1L, 3L, 10L}) {
      timespec req{0, ms * 1'000'000};
      long long before = ns_of(CLOCK_MONOTONIC);
      REQUIRE(call(SYS_nanosleep, &req, nullptr) == 0);
      CHECK(ns_of(CLOCK_MONOTONIC) - before >= ms * 1'000'000);
    }
    timespec zero{0, 0};
    CHECK(call(SYS_nanosleep, &zero, nullptr) == 0);
    timespec bad{0, 1'000'000'000};
    CHECK(call(SYS_nanosleep, &bad, nullptr) == -EINVAL);
    timespec neg{-1, 0};
    CHECK(call(SYS_nanosleep, &neg, nullptr) == -EINVAL);
    timespec negns{0, -1};
    CHECK(call(SYS_nanosleep, &negns, nullptr) == -EINVAL);
    CHECK(call(SYS_nanosleep, nullptr, nullptr) == -EFAULT);
  });
}

TEST_CASE("clock_nanosleep: relative and absolute sleeps, and which clocks may sleep") {
  shim::fresh_task([] {
    timespec rel{0, 2'000'000};
    long long before = ns_of(CLOCK_MONOTONIC);
    REQUIRE(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &rel, nullptr) == 0);
    CHECK(ns_of(CLOCK_MONOTONIC) - before >= 2'000'000);

    long long target = ns_of(CLOCK_MONOTONIC) + 3'000'000;
    timespec abs{target / 1'000'000'000, target % 1'000'000'000};
    REQUIRE(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, nullptr) == 0);
    CHECK(ns_of(CLOCK_MONOTONIC) >= target);

    long long rt = ns_of(CLOCK_REALTIME) + 2'000'000;
    timespec rabs{rt / 1'000'000'000, rt % 1'000'000'000};
    REQUIRE(call(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &rabs, nullptr) == 0);
    CHECK(ns_of(CLOCK_REALTIME) >= rt);

    timespec past{0, 0};
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr) == 0);
    CHECK(call(SYS_clock_nanosleep, CLOCK_BOOTTIME, 0, &past, nullptr) == 0);
    CHECK(call(SYS_clock_nanosleep, CLOCK_TAI, 0, &past, nullptr) == 0);

    CHECK(call(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &rel, nullptr) == -EOPNOTSUPP);
    CHECK(call(SYS_clock_nanosleep, 10, 0, &rel, nullptr) == -EINVAL);
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &rel, nullptr) == -EOPNOTSUPP);
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &rel, nullptr) == -EOPNOTSUPP);
    timespec bad{0, 1'000'000'000};
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, nullptr) == -EINVAL);
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, nullptr, nullptr) == -EFAULT);
  });
}

TEST_CASE("clock_nanosleep on the process CPU clock returns at once for a time already passed") {
  shim::fresh_task([] {
    timespec past{0, 0};
    CHECK(call(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &past, nullptr) == 0);
  });
}

TEST_CASE("CPU-time clocks advance while the task computes") {
  shim::fresh_task([] {
    long long t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 20'000'000; ++i) x = x + i;
    // A syscall after the work gives libuml's sampled accounting a point to charge it.
    timespec z{0, 0};
    call(SYS_nanosleep, &z, nullptr);
    long long t1 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    CHECK(t1 > t0);
    CHECK(ns_of(CLOCK_PROCESS_CPUTIME_ID) >= t1 - t0);
  });
}
