// Creating through a dangling symlink, and O_TMPFILE's unnamed files.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim.h"

using shim::call;

namespace {
bool exists(const std::string& p) {
  struct stat st;
  return call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}
long creat_(const std::string& p, int extra = 0) {
  const long fd = call(SYS_open, p.c_str(), O_CREAT | O_WRONLY | extra, 0640);
  if (fd >= 0) call(SYS_close, fd);
  return fd < 0 ? fd : 0;
}
}  // namespace

TEST_CASE("O_CREAT through a dangling symlink creates its target") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    REQUIRE(call(SYS_symlink, "target", (d / "link").c_str()) == 0);
    CHECK(creat_(d / "link", O_EXCL) == -EEXIST);  // O_EXCL never follows
    CHECK_FALSE(exists(d / "target"));
    CHECK(creat_(d / "link") == 0);
    struct stat st {};
    REQUIRE(call(SYS_lstat, (d / "target").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 0777) == 0640);
    // A chain of links, and an absolute target.
    REQUIRE(call(SYS_symlink, "link2", (d / "link1").c_str()) == 0);
    REQUIRE(call(SYS_symlink, (d / "target2").c_str(), (d / "link2").c_str()) == 0);
    CHECK(creat_(d / "link1") == 0);
    CHECK(exists(d / "target2"));
    // Into a directory that does not exist; onto a trailing slash; with O_NOFOLLOW.
    REQUIRE(call(SYS_symlink, "nodir/file", (d / "l3").c_str()) == 0);
    CHECK(creat_(d / "l3") == -ENOENT);
    REQUIRE(call(SYS_symlink, "newdir/", (d / "l4").c_str()) == 0);
    CHECK(creat_(d / "l4") == -EISDIR);
    CHECK(creat_(d / "link", O_NOFOLLOW) == -ELOOP);
    // A loop.
    REQUIRE(call(SYS_symlink, "loop", (d / "loop").c_str()) == 0);
    CHECK(creat_(d / "loop") == -ELOOP);
    // A relative target is relative to the link's directory, not the caller's.
    REQUIRE(call(SYS_mkdir, (d / "sub").c_str(), 0755) == 0);
    REQUIRE(call(SYS_symlink, "inner", (d / "sub/l5").c_str()) == 0);
    CHECK(creat_(d / "sub/l5") == 0);
    CHECK(exists(d / "sub/inner"));
  });
}

TEST_CASE("O_TMPFILE makes an unnamed file that linkat can name") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_open, d.path.c_str(), O_TMPFILE | O_RDWR, 0600);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(call(SYS_fstat, fd, &st) == 0);
    CHECK(st.st_nlink == 0);
    CHECK(st.st_mode == (S_IFREG | 0600));
    CHECK(call(SYS_write, fd, "tmp", 3) == 3);
    CHECK(call(SYS_pread64, fd, nullptr, 0, 0) == 0);
    char link[256] = {};
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    REQUIRE(call(SYS_readlink, proc.c_str(), link, sizeof link) > 0);
    const std::string shown(link);
    CHECK(shown.rfind(d.path + "/#", 0) == 0);
    CHECK(shown.find(" (deleted)") != std::string::npos);
    CHECK(call(SYS_fcntl, fd, F_GETFL) == (O_TMPFILE | O_RDWR | 0100000));  // the kernel's O_LARGEFILE
    // Named through its /proc link.
    CHECK(call(SYS_linkat, AT_FDCWD, proc.c_str(), AT_FDCWD, (d / "named").c_str(), AT_SYMLINK_FOLLOW) == 0);
    REQUIRE(call(SYS_fstat, fd, &st) == 0);
    CHECK(st.st_nlink == 1);
    REQUIRE(call(SYS_stat, (d / "named").c_str(), &st) == 0);
    CHECK(st.st_size == 3);
    call(SYS_close, fd);
    // O_EXCL: it may never get a name.
    const long ex = call(SYS_open, d.path.c_str(), O_TMPFILE | O_WRONLY | O_EXCL, 0600);
    REQUIRE(ex >= 0);
    const std::string proc2 = "/proc/self/fd/" + std::to_string(ex);
    CHECK(call(SYS_linkat, AT_FDCWD, proc2.c_str(), AT_FDCWD, (d / "never").c_str(), AT_SYMLINK_FOLLOW) == -ENOENT);
    call(SYS_close, ex);
    // Errors.
    CHECK(call(SYS_open, d.path.c_str(), O_TMPFILE | O_RDONLY, 0600) == -EINVAL);
    CHECK(call(SYS_open, d.path.c_str(), O_TMPFILE | O_CREAT | O_RDWR, 0600) == -EINVAL);
    CHECK(call(SYS_open, (d / "named").c_str(), O_TMPFILE | O_RDWR, 0600) == -ENOTDIR);
    CHECK(call(SYS_open, (d / "missing").c_str(), O_TMPFILE | O_RDWR, 0600) == -ENOENT);
    REQUIRE(call(SYS_mkdir, (d / "locked").c_str(), 0555) == 0);
    shim::become_unprivileged();
    CHECK(call(SYS_open, (d / "locked").c_str(), O_TMPFILE | O_RDWR, 0600) == -EACCES);
  });
}
