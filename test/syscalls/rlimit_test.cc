// Resource limits: getrlimit, setrlimit, prlimit64, and the limits enforced on files
// (RLIMIT_NOFILE's EMFILE, RLIMIT_FSIZE's EFBIG). On the host the limits are the whole test
// process's: each test puts back what it changed.

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;

TEST_CASE("getrlimit setrlimit and prlimit64 agree and check their arguments") {
  shim::fresh_task([] {
    struct rlimit r {};
    REQUIRE(call(SYS_getrlimit, RLIMIT_NOFILE, &r) == 0);
    CHECK(r.rlim_cur <= r.rlim_max);
    struct rlimit p {};
    CHECK(call(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &p) == 0);
    CHECK(p.rlim_cur == r.rlim_cur);
    CHECK(p.rlim_max == r.rlim_max);
    CHECK(call(SYS_getrlimit, 99, &r) == -EINVAL);
    CHECK(call(SYS_getrlimit, RLIMIT_NOFILE, nullptr) == -EFAULT);
    struct rlimit inverted {r.rlim_max, r.rlim_max - 1};
    CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &inverted) == -EINVAL);
    struct rlimit huge {1024, (1u << 20) + 1};
    CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &huge) == -EPERM);  // above nr_open
    CHECK(call(SYS_prlimit64, 999999, RLIMIT_NOFILE, nullptr, &p) == -ESRCH);
    // The soft limit moves freely below the hard one.
    struct rlimit lower {r.rlim_cur - 1, r.rlim_max};
    CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &lower) == 0);
    struct rlimit now {};
    call(SYS_getrlimit, RLIMIT_NOFILE, &now);
    CHECK(now.rlim_cur == r.rlim_cur - 1);
    struct rlimit old {};
    CHECK(call(SYS_prlimit64, 0, RLIMIT_NOFILE, &r, &old) == 0);  // put it back
    CHECK(old.rlim_cur == r.rlim_cur - 1);
    if (!shim::is_root()) {
      struct rlimit raise {r.rlim_cur, r.rlim_max + 1};
      CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &raise) == -EPERM);
    }
  });
}

TEST_CASE("RLIMIT_NOFILE bounds the descriptors") {
  shim::fresh_task([] {
    struct rlimit saved {};
    REQUIRE(call(SYS_getrlimit, RLIMIT_NOFILE, &saved) == 0);
    constexpr int kLimit = 64;
    struct rlimit small {kLimit, saved.rlim_max};
    REQUIRE(call(SYS_setrlimit, RLIMIT_NOFILE, &small) == 0);
    std::vector<long> fds;
    long fd;
    while ((fd = call(SYS_open, "/dev/null", O_RDONLY)) >= 0) fds.push_back(fd);
    CHECK(fd == -EMFILE);
    CHECK(fds.back() == kLimit - 1);
    CHECK(call(SYS_dup2, fds.back(), kLimit) == -EBADF);
    CHECK(call(SYS_fcntl, fds.back(), F_DUPFD, kLimit) == -EINVAL);
    for (long f : fds) call(SYS_close, f);
    CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &saved) == 0);
  });
}

TEST_CASE("RLIMIT_FSIZE cuts writes at the limit and refuses them past it") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    struct rlimit saved {};
    REQUIRE(call(SYS_getrlimit, RLIMIT_FSIZE, &saved) == 0);
    struct rlimit small {1000, saved.rlim_max};
    REQUIRE(call(SYS_setrlimit, RLIMIT_FSIZE, &small) == 0);
    const long fd = call(SYS_open, (d / "f").c_str(), O_CREAT | O_RDWR, 0644);
    std::vector<char> data(1500, 'x');
    CHECK(call(SYS_write, fd, data.data(), data.size()) == 1000);
    CHECK(call(SYS_write, fd, data.data(), 1) == -EFBIG);
    CHECK(call(SYS_pwrite64, fd, data.data(), 10, 995) == 5);
    CHECK(call(SYS_pwrite64, fd, data.data(), 10, 100) == 10);  // inside the limit
    call(SYS_close, fd);
    CHECK(call(SYS_setrlimit, RLIMIT_FSIZE, &saved) == 0);
  });
}
