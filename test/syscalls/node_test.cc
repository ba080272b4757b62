// mknod, statx, ioctl, utimes/utime/futimesat, chroot.

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <utime.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim.h"

using shim::call;

namespace {
struct stat st_of(const std::string& p) {
  struct stat st {};
  call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  return st;
}
}  // namespace

TEST_CASE("mknod: FIFOs, device nodes, regular files, and what it refuses") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "fifo").c_str(), S_IFIFO | 0666, 0) == 0);
    CHECK(S_ISFIFO(st_of(d / "fifo").st_mode));
    CHECK((st_of(d / "fifo").st_mode & 0777) == 0644);  // through the umask
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0);
    CHECK(S_ISCHR(st_of(d / "null").st_mode));
    CHECK(st_of(d / "null").st_rdev == makedev(1, 3));
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "plain").c_str(), 0644, 0) == 0);  // type 0: a file
    CHECK(S_ISREG(st_of(d / "plain").st_mode));
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "dir").c_str(), S_IFDIR | 0755, 0) == -EPERM);
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "bad").c_str(), 0170000 | 0644, 0) == -EINVAL);
    CHECK(call(SYS_mknodat, AT_FDCWD, (d / "fifo").c_str(), S_IFIFO | 0644, 0) == -EEXIST);
    CHECK(call(SYS_mknod, (d / "missing/x").c_str(), S_IFIFO | 0644, 0) == -ENOENT);
    call(SYS_mkdir, (d / "ro").c_str(), 0755);
    shim::fresh_task([&] {
      shim::become_unprivileged();
      // may_create comes before the CAP_MKNOD check: no write permission is EACCES.
      CHECK(call(SYS_mknodat, AT_FDCWD, (d / "ro/dev").c_str(), S_IFCHR | 0600, makedev(1, 3)) == -EACCES);
      CHECK(call(SYS_mknodat, AT_FDCWD, (d / "dev2").c_str(), S_IFCHR | 0600, makedev(1, 3)) == -EPERM);
      CHECK(call(SYS_mknodat, AT_FDCWD, (d / "fifo2").c_str(), S_IFIFO | 0600, 0) == 0);
    });
  });
}

TEST_CASE("statx agrees with stat") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_RDWR, 0640);
    call(SYS_write, fd, "statx!", 6);
    struct statx x {};
    REQUIRE(call(SYS_statx, AT_FDCWD, (d / "f").c_str(), 0, STATX_BASIC_STATS, &x) == 0);
    const struct stat st = st_of(d / "f");
    CHECK((x.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    CHECK(x.stx_size == 6);
    CHECK(x.stx_ino == st.st_ino);
    CHECK(x.stx_mode == st.st_mode);
    CHECK(x.stx_nlink == 1);
    CHECK(x.stx_uid == st.st_uid);
    CHECK(x.stx_mtime.tv_sec == st.st_mtim.tv_sec);
    CHECK(x.stx_mtime.tv_nsec == st.st_mtim.tv_nsec);
    CHECK(makedev(x.stx_dev_major, x.stx_dev_minor) == st.st_dev);
    CHECK(call(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &x) == 0);
    CHECK(x.stx_size == 6);
    CHECK(call(SYS_statx, AT_FDCWD, (d / "f").c_str(), 0x1, STATX_SIZE, &x) == -EINVAL);
    CHECK(call(SYS_statx, AT_FDCWD, (d / "f").c_str(), 0x6000, STATX_SIZE, &x) == -EINVAL);
    CHECK(call(SYS_statx, AT_FDCWD, (d / "f").c_str(), 0, 0x80000000u, &x) == -EINVAL);
    CHECK(call(SYS_statx, AT_FDCWD, (d / "missing").c_str(), 0, STATX_SIZE, &x) == -ENOENT);
    call(SYS_close, fd);
  });
}

TEST_CASE("ioctl: FIOCLEX, FIONCLEX, FIONREAD; the rest is ENOTTY") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_RDWR, 0644);
    call(SYS_write, fd, "0123456789", 10);
    call(SYS_lseek, fd, 3, SEEK_SET);
    int n = -1;
    CHECK(call(SYS_ioctl, fd, FIONREAD, &n) == 0);
    CHECK(n == 7);
    CHECK(call(SYS_ioctl, fd, FIOCLEX) == 0);
    CHECK(call(SYS_fcntl, fd, F_GETFD) == FD_CLOEXEC);
    CHECK(call(SYS_ioctl, fd, FIONCLEX) == 0);
    CHECK(call(SYS_fcntl, fd, F_GETFD) == 0);
    CHECK(call(SYS_ioctl, fd, 0x12345678) == -ENOTTY);
    CHECK(call(SYS_ioctl, 9999, FIOCLEX) == -EBADF);
    const long p = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_PATH);
    CHECK(call(SYS_ioctl, p, FIOCLEX) == -EBADF);
    call(SYS_close, p);
    call(SYS_close, fd);
  });
}

TEST_CASE("utimes, utime and futimesat") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_close, call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_WRONLY, 0644));
    struct timeval tv[2] = {{100, 7}, {200, 9}};
    CHECK(call(SYS_utimes, (d / "f").c_str(), tv) == 0);
    struct stat st = st_of(d / "f");
    CHECK(st.st_atim.tv_sec == 100);
    CHECK(st.st_atim.tv_nsec == 7000);
    CHECK(st.st_mtim.tv_sec == 200);
    struct timeval bad[2] = {{1, 1'000'000}, {1, 0}};
    CHECK(call(SYS_utimes, (d / "f").c_str(), bad) == -EINVAL);
    struct utimbuf ub {300, 400};
    CHECK(call(SYS_utime, (d / "f").c_str(), &ub) == 0);
    st = st_of(d / "f");
    CHECK(st.st_atim.tv_sec == 300);
    CHECK(st.st_mtim.tv_sec == 400);
    const long dfd = call(SYS_openat, AT_FDCWD, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_futimesat, dfd, "f", tv) == 0);
    CHECK(st_of(d / "f").st_mtim.tv_sec == 200);
    CHECK(call(SYS_utime, (d / "f").c_str(), nullptr) == 0);
    CHECK(st_of(d / "f").st_mtim.tv_sec > 400);
    call(SYS_close, dfd);
  });
}

TEST_CASE("chroot: unprivileged tasks may not") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    shim::fresh_task([&] {
      shim::become_unprivileged();
      CHECK(call(SYS_chroot, d.path.c_str()) == -EPERM);
      CHECK(call(SYS_chroot, (d / "missing").c_str()) == -ENOENT);
    });
  });
}

TEST_CASE("chroot confines path lookups to the new root (libuml only: the host is shared)") {
  if (!shim::is_guest()) return test::skip("libuml only: the host's root is the test's own");
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_mkdir, (d / "etc").c_str(), 0755);
    call(SYS_close, call(SYS_openat, AT_FDCWD, (d / "etc/inside").c_str(), O_CREAT | O_WRONLY, 0644));
    CHECK(call(SYS_chroot, (d / "etc/inside").c_str()) == -ENOTDIR);
    REQUIRE(call(SYS_chroot, d.path.c_str()) == 0);
    REQUIRE(call(SYS_chdir, "/") == 0);
    struct stat st;
    CHECK(call(SYS_newfstatat, AT_FDCWD, "/etc/inside", &st, 0) == 0);
    CHECK(call(SYS_newfstatat, AT_FDCWD, "/../../etc/inside", &st, 0) == 0);  // ".." stops at the root
    char buf[256];
    CHECK(call(SYS_getcwd, buf, sizeof(buf)) > 0);
    CHECK(std::string(buf) == "/");
  });
}
