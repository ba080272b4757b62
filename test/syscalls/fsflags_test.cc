// Inode flags (chattr/lsattr): FS_IOC_GETFLAGS, FS_IOC_SETFLAGS and FS_IOC_FSGETXATTR, and
// what append-only, immutable and noatime forbid, as the VFS enforces them; the reflink
// ioctls where no filesystem shares extents. Run on the host's /tmp (ext4 here) and on
// libuml's (tmpfs): only what both filesystems do is asked.

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim.h"

using shim::call;

namespace {
constexpr int kMine = FS_APPEND_FL | FS_IMMUTABLE_FL | FS_NOATIME_FL | FS_NODUMP_FL;

long get_flags(long fd, int* out) { return call(SYS_ioctl, fd, FS_IOC_GETFLAGS, out); }
long set_flags(long fd, int flags) { return call(SYS_ioctl, fd, FS_IOC_SETFLAGS, &flags); }
// Sets (on) or clears the bits of `bits` on path, keeping the others as they read.
long change(const std::string& path, int bits, bool on) {
  const long fd = call(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY);
  if (fd < 0) return fd;
  int f = 0;
  long r = get_flags(fd, &f);
  if (r == 0) r = set_flags(fd, on ? (f | bits) : (f & ~bits));
  call(SYS_close, fd);
  return r;
}
long open_(const std::string& p, int flags) {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), flags, 0644);
  if (fd >= 0) call(SYS_close, fd);
  return fd >= 0 ? 0 : fd;
}
}  // namespace

TEST_CASE("chattr +a: an append-only file is only appended to") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "log";
    REQUIRE(open_(f, O_CREAT | O_WRONLY) == 0);
    if (!shim::is_root()) {  // CAP_LINUX_IMMUTABLE
      CHECK(change(f, FS_APPEND_FL, true) == -EPERM);
      return;
    }
    REQUIRE(change(f, FS_APPEND_FL, true) == 0);
    const long fd0 = call(SYS_openat, AT_FDCWD, f.c_str(), O_RDONLY);
    int flags = 0;
    CHECK(get_flags(fd0, &flags) == 0);
    CHECK((flags & kMine) == FS_APPEND_FL);
    struct fsxattr x {};
    CHECK(call(SYS_ioctl, fd0, FS_IOC_FSGETXATTR, &x) == 0);
    CHECK((x.fsx_xflags & (FS_XFLAG_APPEND | FS_XFLAG_IMMUTABLE)) == FS_XFLAG_APPEND);
    call(SYS_close, fd0);
    CHECK(open_(f, O_WRONLY) == -EPERM);
    CHECK(open_(f, O_RDWR) == -EPERM);
    CHECK(open_(f, O_WRONLY | O_APPEND | O_TRUNC) == -EPERM);
    const long fd = call(SYS_openat, AT_FDCWD, f.c_str(), O_WRONLY | O_APPEND);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_write, fd, "ab", 2) == 2);
    CHECK(call(SYS_pwrite64, fd, "cd", 2, 0) == 2);  // at the end all the same
    CHECK(call(SYS_ftruncate, fd, 0) == -EPERM);
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 1) == -EPERM);
    call(SYS_close, fd);
    struct stat st {};
    CHECK(call(SYS_stat, f.c_str(), &st) == 0);
    CHECK(st.st_size == 4);
    CHECK(call(SYS_truncate, f.c_str(), 0) == -EPERM);
    CHECK(call(SYS_unlink, f.c_str()) == -EPERM);
    CHECK(call(SYS_rename, f.c_str(), (d / "moved").c_str()) == -EPERM);
    CHECK(call(SYS_link, f.c_str(), (d / "hard").c_str()) == -EPERM);
    CHECK(call(SYS_chmod, f.c_str(), 0600) == -EPERM);
    CHECK(call(SYS_chown, f.c_str(), 1, 1) == -EPERM);
    CHECK(call(SYS_setxattr, f.c_str(), "user.k", "v", 1, 0) == -EPERM);
    CHECK(call(SYS_utimensat, AT_FDCWD, f.c_str(), nullptr, 0) == 0);  // "now" is allowed
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    CHECK(call(SYS_utimensat, AT_FDCWD, f.c_str(), ts, 0) == -EPERM);
    REQUIRE(change(f, FS_APPEND_FL, false) == 0);
    CHECK(call(SYS_unlink, f.c_str()) == 0);
  });
}

TEST_CASE("chattr +i: an immutable file is changed by nobody, root included") {
  shim::fresh_task([] {
    if (!shim::is_root()) return test::skip("needs root");  // the unprivileged run: +a above shows the capability rule
    shim::ScratchDir d;
    const std::string f = d / "frozen";
    REQUIRE(open_(f, O_CREAT | O_WRONLY) == 0);
    const long before = call(SYS_openat, AT_FDCWD, f.c_str(), O_RDWR);
    REQUIRE(change(f, FS_IMMUTABLE_FL, true) == 0);
    CHECK(open_(f, O_RDONLY) == 0);
    CHECK(open_(f, O_WRONLY) == -EPERM);
    CHECK(open_(f, O_WRONLY | O_APPEND) == -EPERM);
    CHECK(call(SYS_ftruncate, before, 0) == 0);  // Linux: notify_change leaves ATTR_SIZE alone
    CHECK(call(SYS_fallocate, before, 0, 0, 4096) == -EPERM);
    CHECK(call(SYS_unlink, f.c_str()) == -EPERM);
    CHECK(call(SYS_rename, f.c_str(), (d / "moved").c_str()) == -EPERM);
    CHECK(call(SYS_link, f.c_str(), (d / "hard").c_str()) == -EPERM);
    CHECK(call(SYS_chmod, f.c_str(), 0600) == -EPERM);
    CHECK(call(SYS_utimensat, AT_FDCWD, f.c_str(), nullptr, 0) == -EPERM);
    CHECK(call(SYS_setxattr, f.c_str(), "user.k", "v", 1, 0) == -EPERM);
    call(SYS_close, before);
    // An immutable directory takes no new names and loses none.
    const std::string sub = d / "sub";
    REQUIRE(call(SYS_mkdir, sub.c_str(), 0755) == 0);
    REQUIRE(open_(sub + "/in", O_CREAT | O_WRONLY) == 0);
    REQUIRE(change(sub, FS_IMMUTABLE_FL, true) == 0);
    CHECK(open_(sub + "/new", O_CREAT | O_WRONLY) == -EPERM);
    CHECK(call(SYS_unlink, (sub + "/in").c_str()) == -EPERM);
    CHECK(open_(sub + "/in", O_WRONLY) == 0);  // its files are not immutable themselves
    REQUIRE(change(sub, FS_IMMUTABLE_FL, false) == 0);
    REQUIRE(change(f, FS_IMMUTABLE_FL, false) == 0);
    CHECK(call(SYS_unlink, f.c_str()) == 0);
  });
}

TEST_CASE("FS_IOC_SETFLAGS: who may set what; files without flags; reflinks") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "f", g = d / "g";
    REQUIRE(open_(f, O_CREAT | O_WRONLY) == 0);
    REQUIRE(open_(g, O_CREAT | O_WRONLY) == 0);
    // The owner sets noatime and nodump without any capability.
    CHECK(change(f, FS_NOATIME_FL | FS_NODUMP_FL, true) == 0);
    const long fd = call(SYS_openat, AT_FDCWD, f.c_str(), O_RDWR);
    int flags = 0;
    CHECK(get_flags(fd, &flags) == 0);
    CHECK((flags & kMine) == (FS_NOATIME_FL | FS_NODUMP_FL));
    CHECK(change(f, FS_NOATIME_FL | FS_NODUMP_FL, false) == 0);
    // A pipe keeps no flags.
    int p[2];
    REQUIRE(call(SYS_pipe2, p, 0) == 0);
    CHECK(get_flags(p[0], &flags) == -ENOTTY);
    CHECK(set_flags(p[0], 0) == -ENOTTY);
    call(SYS_close, p[0]);
    call(SYS_close, p[1]);
    // No filesystem here shares extents.
    const long gd = call(SYS_openat, AT_FDCWD, g.c_str(), O_RDWR);
    CHECK(call(SYS_ioctl, gd, FICLONE, fd) == -EOPNOTSUPP);
    struct file_clone_range r {};
    r.src_fd = fd;
    CHECK(call(SYS_ioctl, gd, FICLONERANGE, &r) == -EOPNOTSUPP);
    CHECK(call(SYS_ioctl, gd, FICLONE, 999) == -EBADF);
    call(SYS_close, gd);
    call(SYS_close, fd);
  });
  // Someone else's file: not the owner, no CAP_FOWNER.
  shim::fresh_task([] {
    if (!shim::is_root()) return test::skip("needs root");
    shim::ScratchDir d;
    const std::string f = d / "roots";
    REQUIRE(open_(f, O_CREAT | O_WRONLY) == 0);
    call(SYS_chmod, f.c_str(), 0666);
    const int st = shim::run_child([&] {
      shim::become_unprivileged();
      CHILD_CHECK(change(f, FS_NOATIME_FL, true) == -EPERM);
      return 0;
    });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  });
}
