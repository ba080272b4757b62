// eventfd: the counter, semaphore mode, non-blocking ends and the argument errors.

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "shim.h"

using shim::call;

TEST_CASE("eventfd counts, and reads take it all or one") {
  shim::fresh_task([] {
    const long fd = call(SYS_eventfd2, 5, EFD_NONBLOCK | EFD_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_fcntl, fd, F_GETFL) == (O_RDWR | O_NONBLOCK));
    CHECK(call(SYS_fcntl, fd, F_GETFD) == FD_CLOEXEC);
    uint64_t v = 0;
    CHECK(call(SYS_read, fd, &v, sizeof v) == 8);
    CHECK(v == 5);
    CHECK(call(SYS_read, fd, &v, sizeof v) == -EAGAIN);
    v = 7;
    CHECK(call(SYS_write, fd, &v, sizeof v) == 8);
    CHECK(call(SYS_write, fd, &v, sizeof v) == 8);
    CHECK(call(SYS_read, fd, &v, sizeof v) == 8);
    CHECK(v == 14);
    uint32_t small = 1;
    CHECK(call(SYS_read, fd, &small, sizeof small) == -EINVAL);
    CHECK(call(SYS_write, fd, &small, sizeof small) == -EINVAL);
    v = ~uint64_t{0};
    CHECK(call(SYS_write, fd, &v, sizeof v) == -EINVAL);
    v = 1;
    CHECK(call(SYS_write, fd, &v, sizeof v) == 8);
    v = ~uint64_t{0} - 1;  // 1 + (2^64 - 2) would pass the maximum
    CHECK(call(SYS_write, fd, &v, sizeof v) == -EAGAIN);
    CHECK(call(SYS_lseek, fd, 5, SEEK_SET) == 0);  // noop_llseek
    CHECK(call(SYS_pread64, fd, &v, sizeof v, 0) == -ESPIPE);
    struct stat st {};
    REQUIRE(call(SYS_fstat, fd, &st) == 0);
    CHECK((st.st_mode & S_IFMT) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    char link[64] = {};
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    REQUIRE(call(SYS_readlink, proc.c_str(), link, sizeof link) > 0);
    CHECK(std::string(link) == "anon_inode:[eventfd]");
    call(SYS_close, fd);
    const long sem = call(SYS_eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK);
    REQUIRE(sem >= 0);
    CHECK(call(SYS_read, sem, &v, sizeof v) == 8);
    CHECK(v == 1);
    CHECK(call(SYS_read, sem, &v, sizeof v) == 8);
    CHECK(call(SYS_read, sem, &v, sizeof v) == -EAGAIN);
    call(SYS_close, sem);
    CHECK(call(SYS_eventfd2, 0, 0x1000) == -EINVAL);
    const long plain = call(SYS_eventfd, 3);
    CHECK(call(SYS_fcntl, plain, F_GETFL) == O_RDWR);
    call(SYS_close, plain);
  });
}
