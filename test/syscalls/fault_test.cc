// Pointers to memory that is not mapped: every syscall that copies guest memory answers
// EFAULT, and nothing else happens.

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "shim.h"

using shim::call;

namespace {
// An address that was mapped a moment ago and is not any more.
long unmapped() {
  void* p = mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(p != MAP_FAILED);
  munmap(p, 2 * 4096);
  return reinterpret_cast<long>(p) + 16;
}
}  // namespace

TEST_CASE("unmapped guest pointers give EFAULT") {
  shim::fresh_task([] {
    const long bad = unmapped();
    CHECK(call(SYS_uname, bad) == -EFAULT);
    CHECK(call(SYS_clock_gettime, CLOCK_MONOTONIC, bad) == -EFAULT);
    CHECK(call(SYS_clock_getres, CLOCK_MONOTONIC, bad) == -EFAULT);
    CHECK(call(SYS_gettimeofday, bad, nullptr) == -EFAULT);
    CHECK(call(SYS_time, bad) == -EFAULT);
    CHECK(call(SYS_nanosleep, bad, nullptr) == -EFAULT);
    CHECK(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, bad, nullptr) == -EFAULT);
    unsigned a, b;
    CHECK(call(SYS_getresuid, &a, &b, bad) == -EFAULT);
    CHECK(call(SYS_getresgid, bad, &a, &b) == -EFAULT);
    CHECK(call(SYS_sysinfo, bad) == -EFAULT);
    CHECK(call(SYS_getrusage, RUSAGE_SELF, bad) == -EFAULT);
    CHECK(call(SYS_getrandom, bad, 16, 0) == -EFAULT);
    CHECK(call(SYS_prctl, PR_SET_NAME, bad) == -EFAULT);
    CHECK(call(SYS_prctl, PR_GET_NAME, bad) == -EFAULT);
    CHECK(call(SYS_getgroups, 0, bad) == 0);  // size 0 copies nothing
    if (shim::is_root()) {
      CHECK(call(SYS_setgroups, 1, bad) == -EFAULT);
      CHECK(call(SYS_sethostname, bad, 4) == -EFAULT);
    }
    CHECK(call(SYS_wait4, -1, bad, WNOHANG, nullptr) == -ECHILD);  // no child: not copied
  });
}

TEST_CASE("a nanosleep whose remainder pointer is unmapped still sleeps and succeeds") {
  shim::fresh_task([] {
    timespec req{0, 1'000'000};
    CHECK(call(SYS_nanosleep, &req, unmapped()) == 0);  // rem is only written on EINTR
  });
}

TEST_CASE("a write from a partly unmapped buffer writes the mapped part, and no stale bytes") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    // Two pages, the second unmapped: a write of both stops at the boundary.
    char* p = static_cast<char*>(mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(p != MAP_FAILED);
    memset(p, 'a', 4096);
    munmap(p + 4096, 4096);
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_RDWR, 0644);
    const long n = call(SYS_write, fd, p, 2 * 4096);
    CHECK(n == 4096);
    CHECK(call(SYS_write, fd, p + 4096, 16) == -EFAULT);
    CHECK(call(SYS_ftruncate, fd, 3 * 4096) == 0);  // the rest must read as zeros
    char buf[3 * 4096];
    CHECK(call(SYS_pread64, fd, buf, sizeof(buf), 0) == static_cast<long>(sizeof(buf)));
    bool zeros = true;
    for (size_t i = 4096; i < sizeof(buf); ++i) zeros = zeros && buf[i] == 0;
    CHECK(zeros);
    CHECK(buf[0] == 'a');
    call(SYS_close, fd);
    munmap(p, 4096);
  });
}
