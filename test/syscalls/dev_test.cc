// Character devices: /dev/null, zero, full, urandom as devtmpfs shows them, and device
// nodes made with mknod.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <string>

#include "shim.h"

using shim::call;

TEST_CASE("dev null zero and full read and write like Linux") {
  shim::fresh_task([] {
    struct stat st {};
    REQUIRE(call(SYS_stat, "/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0666);
    CHECK(st.st_rdev == makedev(1, 3));
    char buf[64];
    memset(buf, 'x', sizeof buf);
    const long null = call(SYS_open, "/dev/null", O_RDWR);
    REQUIRE(null >= 0);
    CHECK(call(SYS_read, null, buf, sizeof buf) == 0);
    CHECK(call(SYS_write, null, buf, sizeof buf) == 64);
    CHECK(call(SYS_pread64, null, buf, sizeof buf, 100) == 0);
    CHECK(call(SYS_lseek, null, 100, SEEK_SET) == 0);  // the position never moves
    call(SYS_close, null);

    const long zero = call(SYS_open, "/dev/zero", O_RDWR);
    REQUIRE(zero >= 0);
    CHECK(call(SYS_read, zero, buf, sizeof buf) == 64);
    CHECK(std::string(buf, 64) == std::string(64, '\0'));
    CHECK(call(SYS_write, zero, buf, 5) == 5);
    CHECK(call(SYS_read, zero, nullptr, 10) == -EFAULT);
    call(SYS_close, zero);

    const long full = call(SYS_open, "/dev/full", O_RDWR);
    REQUIRE(full >= 0);
    memset(buf, 'x', sizeof buf);
    CHECK(call(SYS_read, full, buf, 8) == 8);
    CHECK(buf[0] == 0);
    CHECK(call(SYS_write, full, buf, 8) == -ENOSPC);
    call(SYS_close, full);
    CHECK(call(SYS_open, "/dev/null", O_RDONLY | O_DIRECTORY) == -ENOTDIR);
  });
}

TEST_CASE("dev urandom gives fresh bytes") {
  shim::fresh_task([] {
    const long fd = call(SYS_open, "/dev/urandom", O_RDONLY);
    REQUIRE(fd >= 0);
    unsigned char a[64] = {}, b[64] = {};
    CHECK(call(SYS_read, fd, a, sizeof a) == 64);
    CHECK(call(SYS_read, fd, b, sizeof b) == 64);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(std::count(a, a + 64, 0) < 16);
    int bits = -1;
    CHECK(call(SYS_ioctl, fd, 0x80045200 /*RNDGETENTCNT*/, &bits) == 0);
    CHECK(bits >= 0);
    CHECK(call(SYS_ioctl, fd, 0x5401 /*TCGETS*/, &bits) == -EINVAL);
    call(SYS_close, fd);
    struct stat st {};
    REQUIRE(call(SYS_stat, "/dev/random", &st) == 0);
    CHECK(st.st_rdev == makedev(1, 8));
  });
}

TEST_CASE("device nodes made with mknod open their driver unless the mount is nodev") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;  // /tmp is nodev, on the host's private /tmp as in the guest
    REQUIRE(call(SYS_mknod, (d / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    CHECK(call(SYS_open, (d / "null").c_str(), O_RDONLY) == -EACCES);
    const long fd = call(SYS_open, (d / "null").c_str(), O_PATH);
    CHECK(fd >= 0);  // O_PATH opens nothing
    call(SYS_close, fd);
    // A tmpfs without nodev: the node reaches the driver.
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(call(SYS_mount, "tmpfs", m.c_str(), "tmpfs", 0, nullptr) == 0);
    REQUIRE(call(SYS_mknod, (m + "/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0);
    const long z = call(SYS_open, (m + "/zero").c_str(), O_RDONLY);
    REQUIRE(z >= 0);
    char c = 'x';
    CHECK(call(SYS_read, z, &c, 1) == 1);
    CHECK(c == 0);
    call(SYS_close, z);
    REQUIRE(call(SYS_mknod, (m + "/none").c_str(), S_IFCHR | 0666, makedev(4000, 4000)) == 0);
    CHECK(call(SYS_open, (m + "/none").c_str(), O_RDONLY) == -ENXIO);
    CHECK(call(SYS_umount2, m.c_str(), 0) == 0);
  });
}
