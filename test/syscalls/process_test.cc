// Process-level calls whose error paths are the same for any caller: wait4 and waitid
// without children, process groups and sessions of unknown pids, sysinfo, getrusage,
// sched_yield.

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <climits>

#include "shim.h"

using shim::call;

TEST_CASE("wait4 checks options first, then reports ECHILD with no children") {
  shim::fresh_task([] {
    int st;
    CHECK(call(SYS_wait4, -1, &st, 0x100, nullptr) == -EINVAL);
    CHECK(call(SYS_wait4, -1, &st, WEXITED, nullptr) == -EINVAL);  // not a wait4 option
    CHECK(call(SYS_wait4, -1, &st, 0, nullptr) == -ECHILD);
    CHECK(call(SYS_wait4, -1, &st, WNOHANG, nullptr) == -ECHILD);
    CHECK(call(SYS_wait4, 0, &st, 0, nullptr) == -ECHILD);
    CHECK(call(SYS_wait4, 999'999, &st, 0, nullptr) == -ECHILD);
    CHECK(call(SYS_wait4, -999'999, &st, 0, nullptr) == -ECHILD);
    CHECK(call(SYS_wait4, INT_MIN, &st, 0, nullptr) == -ESRCH);
    CHECK(call(SYS_wait4, -1, &st, __WALL | __WCLONE | __WNOTHREAD | WUNTRACED | WCONTINUED,
               nullptr) == -ECHILD);
  });
}

TEST_CASE("waitid validates idtype, id and options before looking for children") {
  shim::fresh_task([] {
    siginfo_t si;
    CHECK(call(SYS_waitid, P_ALL, 0, &si, 0, nullptr) == -EINVAL);  // no event selected
    CHECK(call(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x100, nullptr) == -EINVAL);
    CHECK(call(SYS_waitid, P_PID, 0, &si, WEXITED, nullptr) == -EINVAL);
    CHECK(call(SYS_waitid, P_PID, -5, &si, WEXITED, nullptr) == -EINVAL);
    CHECK(call(SYS_waitid, P_PGID, -5, &si, WEXITED, nullptr) == -EINVAL);
    CHECK(call(SYS_waitid, 77, 0, &si, WEXITED, nullptr) == -EINVAL);
    CHECK(call(SYS_waitid, P_ALL, 0, &si, WEXITED, nullptr) == -ECHILD);
    CHECK(call(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOHANG, nullptr) == -ECHILD);
    CHECK(call(SYS_waitid, P_PGID, 0, &si, WEXITED, nullptr) == -ECHILD);
    CHECK(call(SYS_waitid, P_PID, 999'999, &si, WSTOPPED | WCONTINUED, nullptr) == -ECHILD);
    CHECK(call(SYS_waitid, P_PIDFD, 12345, &si, WEXITED, nullptr) == -EBADF);
  });
}

TEST_CASE("process groups and sessions of pids that do not exist") {
  shim::fresh_task([] {
    CHECK(call(SYS_getpgid, 0) > 0);
    CHECK(call(SYS_getpgid, 0) == call(SYS_getpgrp));
    CHECK(call(SYS_getsid, 0) > 0);
    CHECK(call(SYS_getpgid, call(SYS_getpid)) == call(SYS_getpgrp));
    CHECK(call(SYS_getpgid, 3'999'999) == -ESRCH);
    CHECK(call(SYS_getsid, 3'999'999) == -ESRCH);
    CHECK(call(SYS_getpgid, -1) == -ESRCH);
    CHECK(call(SYS_setpgid, 0, -1) == -EINVAL);
    CHECK(call(SYS_setpgid, 3'999'999, 0) == -ESRCH);
  });
}

TEST_CASE("sysinfo and getrusage") {
  shim::fresh_task([] {
    struct sysinfo si;
    REQUIRE(call(SYS_sysinfo, &si) == 0);
    CHECK(si.mem_unit >= 1);
    CHECK(si.totalram > 0);
    CHECK(si.freeram <= si.totalram);
    CHECK(si.procs >= 1);
    CHECK(si.uptime >= 0);
    CHECK(call(SYS_sysinfo, nullptr) == -EFAULT);
    struct rusage ru;
    CHECK(call(SYS_getrusage, RUSAGE_SELF, &ru) == 0);
    CHECK(call(SYS_getrusage, RUSAGE_THREAD, &ru) == 0);
    CHECK(call(SYS_getrusage, RUSAGE_CHILDREN, &ru) == 0);
    CHECK(call(SYS_getrusage, 5, &ru) == -EINVAL);
    CHECK(call(SYS_getrusage, -2, &ru) == -EINVAL);
    CHECK(call(SYS_getrusage, RUSAGE_SELF, nullptr) == -EFAULT);
  });
}

TEST_CASE("sched_yield succeeds") {
  shim::fresh_task([] { CHECK(call(SYS_sched_yield) == 0); });
}

TEST_CASE("sched_setaffinity and sched_getaffinity: one CPU, then back; getcpu follows") {
  shim::fresh_task([] {
    unsigned long all = 0;
    const long n = call(SYS_sched_getaffinity, 0, sizeof all, &all);
    CHECK(n == static_cast<long>(sizeof all));
    REQUIRE(all != 0);
    CHECK(call(SYS_sched_getaffinity, 0, 4, &all) == -EINVAL);  // not whole longs
    CHECK(call(SYS_sched_getaffinity, 0, sizeof all, nullptr) == -EFAULT);
    CHECK(call(SYS_sched_getaffinity, 3999999, sizeof all, &all) == -ESRCH);
    const unsigned long first = all & -all;
    CHECK(call(SYS_sched_setaffinity, 0, sizeof first, &first) == 0);
    unsigned long now = 0;
    CHECK(call(SYS_sched_getaffinity, 0, sizeof now, &now) == static_cast<long>(sizeof now));
    CHECK(now == first);
    unsigned cpu = 99;
    CHECK(call(SYS_getcpu, &cpu, nullptr, nullptr) == 0);
    CHECK((1ul << cpu) == first);
    const unsigned long none = 0;
    CHECK(call(SYS_sched_setaffinity, 0, sizeof none, &none) == -EINVAL);
    CHECK(call(SYS_sched_setaffinity, 0, sizeof all, &all) == 0);
  });
}
