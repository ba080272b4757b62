// Renames and links, attributes (chmod, chown, truncate, access, utimensat), fcntl,
// close_range, vectored I/O, statfs and the sync family.

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "shim.h"

using shim::call;

namespace {
long mkfile(const std::string& p, int mode = 0644, const char* data = "") {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, mode);
  if (fd >= 0) {
    call(SYS_write, fd, data, strlen(data));
    call(SYS_close, fd);
  }
  return fd >= 0 ? 0 : fd;
}
struct stat st_of(const std::string& p, int flags = 0) {
  struct stat st {};
  call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, flags);
  return st;
}
bool exists(const std::string& p) {
  struct stat st;
  return call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}
long rename2(const std::string& a, const std::string& b, unsigned flags) {
  return call(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), flags);
}
}  // namespace

TEST_CASE("rename: files, directories, replacement and its errors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "a", 0644, "A");
    mkfile(d / "b", 0644, "B");
    call(SYS_mkdir, (d / "d1").c_str(), 0755);
    call(SYS_mkdir, (d / "d2").c_str(), 0755);
    mkfile(d / "d2/inside");
    const ino_t ino_a = st_of(d / "a").st_ino;
    CHECK(call(SYS_rename, (d / "a").c_str(), (d / "b").c_str()) == 0);  // replaces b
    CHECK_FALSE(exists(d / "a"));
    CHECK(st_of(d / "b").st_ino == ino_a);
    CHECK(call(SYS_rename, (d / "missing").c_str(), (d / "x").c_str()) == -ENOENT);
    CHECK(call(SYS_rename, (d / "b").c_str(), (d / "d1").c_str()) == -EISDIR);
    CHECK(call(SYS_rename, (d / "d1").c_str(), (d / "b").c_str()) == -ENOTDIR);
    CHECK(call(SYS_rename, (d / "d1").c_str(), (d / "d2").c_str()) == -ENOTEMPTY);
    CHECK(call(SYS_rename, (d / "d2").c_str(), (d / "d2/inside/x").c_str()) == -ENOTDIR);
    call(SYS_mkdir, (d / "d2/sub").c_str(), 0755);
    CHECK(call(SYS_rename, (d / "d2").c_str(), (d / "d2/sub/moved").c_str()) == -EINVAL);
    CHECK(call(SYS_rename, (d / "d1/.").c_str(), (d / "x").c_str()) == -EBUSY);
    CHECK(call(SYS_rename, (d / "b/").c_str(), (d / "c").c_str()) == -ENOTDIR);
    // A directory that changes parents moves its link from one parent to the other.
    const nlink_t before = st_of(d.path).st_nlink;
    CHECK(call(SYS_rename, (d / "d1").c_str(), (d / "d2/d1").c_str()) == 0);
    CHECK(st_of(d.path).st_nlink == before - 1);
    CHECK(st_of(d / "d2").st_nlink == 4);
    CHECK(call(SYS_rename, (d / "d2/d1").c_str(), (d / "d2/sub").c_str()) == 0);  // onto an empty dir
    CHECK(S_ISDIR(st_of(d / "d2/sub").st_mode));
    // Two names of one inode: rename does nothing and both names stay.
    call(SYS_link, (d / "b").c_str(), (d / "b2").c_str());
    CHECK(call(SYS_rename, (d / "b").c_str(), (d / "b2").c_str()) == 0);
    CHECK(exists(d / "b"));
    CHECK(exists(d / "b2"));
  });
}

TEST_CASE("renameat2: RENAME_NOREPLACE and RENAME_EXCHANGE") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0644, "file");
    call(SYS_mkdir, (d / "dir").c_str(), 0755);
    mkfile(d / "dir/x");
    CHECK(rename2(d / "f", d / "dir", RENAME_NOREPLACE) == -EEXIST);
    CHECK(rename2(d / "f", d / "new", RENAME_NOREPLACE) == 0);
    CHECK(rename2(d / "new", d / "missing", RENAME_EXCHANGE) == -ENOENT);
    const ino_t fi = st_of(d / "new").st_ino, di = st_of(d / "dir").st_ino;
    CHECK(rename2(d / "new", d / "dir", RENAME_EXCHANGE) == 0);
    CHECK(st_of(d / "dir").st_ino == fi);
    CHECK(st_of(d / "new").st_ino == di);
    CHECK(exists(d / "new/x"));
    CHECK(rename2(d / "new", d / "dir", RENAME_NOREPLACE | RENAME_EXCHANGE) == -EINVAL);
    CHECK(rename2(d / "new", d / "dir", 1u << 10) == -EINVAL);
  });
}

TEST_CASE("link: hard links share the inode; directories cannot be linked") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0644, "x");
    call(SYS_symlink, "f", (d / "sym").c_str());
    CHECK(call(SYS_link, (d / "f").c_str(), (d / "g").c_str()) == 0);
    CHECK(st_of(d / "g").st_ino == st_of(d / "f").st_ino);
    CHECK(st_of(d / "f").st_nlink == 2);
    CHECK(call(SYS_link, (d / "f").c_str(), (d / "g").c_str()) == -EEXIST);
    CHECK(call(SYS_link, (d / "missing").c_str(), (d / "h").c_str()) == -ENOENT);
    CHECK(call(SYS_link, d.path.c_str(), (d / "dirlink").c_str()) == -EPERM);
    CHECK(call(SYS_linkat, AT_FDCWD, (d / "sym").c_str(), AT_FDCWD, (d / "l1").c_str(), 0) == 0);
    CHECK(S_ISLNK(st_of(d / "l1", AT_SYMLINK_NOFOLLOW).st_mode));  // the link itself
    CHECK(call(SYS_linkat, AT_FDCWD, (d / "sym").c_str(), AT_FDCWD, (d / "l2").c_str(),
               AT_SYMLINK_FOLLOW) == 0);
    CHECK(S_ISREG(st_of(d / "l2", AT_SYMLINK_NOFOLLOW).st_mode));  // its target
    CHECK(st_of(d / "f").st_nlink == 3);
    CHECK(call(SYS_linkat, AT_FDCWD, (d / "f").c_str(), AT_FDCWD, (d / "l3").c_str(), 0x2) == -EINVAL);
    CHECK(call(SYS_unlink, (d / "f").c_str()) == 0);
    CHECK(st_of(d / "g").st_nlink == 2);
  });
}

TEST_CASE("protected hard links: an unprivileged task links only what it may write") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "roots", 0644);
    mkfile(d / "shared");
    call(SYS_chmod, (d / "shared").c_str(), 0666);  // mkfile's mode goes through the umask
    shim::fresh_task([&] {
      shim::become_unprivileged();
      CHECK(call(SYS_link, (d / "roots").c_str(), (d / "l1").c_str()) == -EPERM);
      CHECK(call(SYS_link, (d / "shared").c_str(), (d / "l2").c_str()) == 0);
      mkfile(d / "mine", 0600);
      CHECK(call(SYS_link, (d / "mine").c_str(), (d / "l3").c_str()) == 0);
    });
  });
}

TEST_CASE("chmod: owners may, others may not; setgid needs the group") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0644);
    CHECK(call(SYS_chmod, (d / "f").c_str(), 04751) == 0);
    CHECK((st_of(d / "f").st_mode & 07777) == 04751);
    CHECK(call(SYS_chmod, (d / "missing").c_str(), 0600) == -ENOENT);
    mkfile(d / "theirs", 0644);
    mkfile(d / "users", 0644);
    call(SYS_fchownat, AT_FDCWD, (d / "users").c_str(), 1000, 0, 0);  // owner 1000, group 0
    const long p = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_PATH);
    CHECK(call(SYS_fchmod, p, 0600) == -EBADF);
    call(SYS_close, p);
    shim::fresh_task([&] {
      shim::become_unprivileged();
      CHECK(call(SYS_chmod, (d / "theirs").c_str(), 0600) == -EPERM);
      CHECK(call(SYS_chmod, (d / "users").c_str(), 02755) == 0);
      CHECK((st_of(d / "users").st_mode & 07777) == 0755);  // setgid dropped: not in group 0
    });
  });
}

TEST_CASE("chown: who may change what, and setuid/setgid dropped on the way") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0644);
    CHECK(call(SYS_chown, (d / "f").c_str(), 1000, 1000) == 0);
    CHECK(st_of(d / "f").st_uid == 1000);
    CHECK(st_of(d / "f").st_gid == 1000);
    call(SYS_chmod, (d / "f").c_str(), 06755);
    CHECK(call(SYS_chown, (d / "f").c_str(), -1, -1) == 0);
    CHECK((st_of(d / "f").st_mode & 07777) == 0755);  // even chown(-1, -1) drops them
    call(SYS_symlink, "f", (d / "sym").c_str());
    CHECK(call(SYS_lchown, (d / "sym").c_str(), 1000, 1000) == 0);
    CHECK(st_of(d / "sym", AT_SYMLINK_NOFOLLOW).st_uid == 1000);
    CHECK(call(SYS_fchownat, AT_FDCWD, (d / "f").c_str(), 0, 0, 0x2) == -EINVAL);
    mkfile(d / "mine");
    call(SYS_chown, (d / "mine").c_str(), 1000, 0);
    shim::fresh_task([&] {
      shim::become_unprivileged();  // uid 1000, gid 1000, no supplementary groups
      CHECK(call(SYS_chown, (d / "mine").c_str(), 1001, -1) == -EPERM);
      CHECK(call(SYS_chown, (d / "mine").c_str(), 1000, -1) == 0);  // to itself: allowed
      CHECK(call(SYS_chown, (d / "mine").c_str(), -1, 1000) == 0);  // its own group
      CHECK(call(SYS_chown, (d / "mine").c_str(), -1, 5) == -EPERM);
      CHECK(call(SYS_chown, (d / "sym").c_str(), -1, 1000) == 0);
    });
  });
}

TEST_CASE("truncate and ftruncate") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0644, "0123456789");
    CHECK(call(SYS_truncate, (d / "f").c_str(), 4) == 0);
    CHECK(st_of(d / "f").st_size == 4);
    CHECK(call(SYS_truncate, (d / "f").c_str(), 100) == 0);
    CHECK(st_of(d / "f").st_size == 100);
    CHECK(call(SYS_truncate, (d / "f").c_str(), -1) == -EINVAL);
    CHECK(call(SYS_truncate, d.path.c_str(), 0) == -EISDIR);
    CHECK(call(SYS_truncate, (d / "missing").c_str(), 0) == -ENOENT);
    CHECK(call(SYS_truncate, (d / "missing").c_str(), -1) == -EINVAL);  // length first
    const long r = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_RDONLY);
    CHECK(call(SYS_ftruncate, r, 0) == -EINVAL);
    call(SYS_close, r);
    const long w = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_WRONLY);
    CHECK(call(SYS_ftruncate, w, 7) == 0);
    CHECK(call(SYS_ftruncate, w, -5) == -EINVAL);
    CHECK(st_of(d / "f").st_size == 7);
    call(SYS_close, w);
    CHECK(call(SYS_ftruncate, 9999, 0) == -EBADF);
  });
}

TEST_CASE("access and faccessat2: real ids unless AT_EACCESS") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f", 0600);
    mkfile(d / "x", 0700);
    CHECK(call(SYS_access, (d / "f").c_str(), F_OK) == 0);
    CHECK(call(SYS_access, (d / "missing").c_str(), F_OK) == -ENOENT);
    CHECK(call(SYS_access, (d / "f").c_str(), R_OK | W_OK) == 0);
    CHECK(call(SYS_access, (d / "f").c_str(), X_OK) == -EACCES);  // root needs an x bit
    CHECK(call(SYS_access, (d / "x").c_str(), X_OK) == 0);
    CHECK(call(SYS_access, (d / "f").c_str(), 8) == -EINVAL);
    CHECK(call(SYS_faccessat2, AT_FDCWD, (d / "f").c_str(), R_OK, 0x4) == -EINVAL);
    shim::fresh_task([&] {
      REQUIRE(call(SYS_setresuid, 1000, 0, 0) == 0);  // real 1000, effective 0
      CHECK(call(SYS_access, (d / "f").c_str(), R_OK) == -EACCES);
      CHECK(call(SYS_faccessat2, AT_FDCWD, (d / "f").c_str(), R_OK, AT_EACCESS) == 0);
    });
  });
}

TEST_CASE("utimensat: explicit times, now, omit, and who may") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f");
    call(SYS_chmod, (d / "f").c_str(), 0666);
    struct timespec t[2] = {{1000, 5}, {2000, 7}};
    CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), t, 0) == 0);
    struct stat st = st_of(d / "f");
    CHECK(st.st_atim.tv_sec == 1000);
    CHECK(st.st_atim.tv_nsec == 5);
    CHECK(st.st_mtim.tv_sec == 2000);
    struct timespec keep[2] = {{0, UTIME_OMIT}, {3000, 0}};
    CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), keep, 0) == 0);
    st = st_of(d / "f");
    CHECK(st.st_atim.tv_sec == 1000);
    CHECK(st.st_mtim.tv_sec == 3000);
    CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), nullptr, 0) == 0);
    CHECK(st_of(d / "f").st_mtim.tv_sec > 3000);
    struct timespec bad[2] = {{0, 1'000'000'000}, {0, 0}};
    CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), bad, 0) == -EINVAL);
    CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), t, 0x8) == -EINVAL);
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_RDONLY);
    CHECK(call(SYS_utimensat, fd, nullptr, t, 0) == 0);  // a null path: the descriptor itself
    call(SYS_close, fd);
    shim::fresh_task([&] {
      shim::become_unprivileged();
      CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), t, 0) == -EPERM);
      CHECK(call(SYS_utimensat, AT_FDCWD, (d / "f").c_str(), nullptr, 0) == 0);  // writable
    });
  });
}

TEST_CASE("fcntl: descriptor flags, status flags, duplicates") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    CHECK(call(SYS_fcntl, fd, F_GETFD) == FD_CLOEXEC);
    CHECK(call(SYS_fcntl, fd, F_SETFD, 0) == 0);
    CHECK(call(SYS_fcntl, fd, F_GETFD) == 0);
    CHECK((call(SYS_fcntl, fd, F_GETFL) & ~0100000L) == O_RDWR);  // less O_LARGEFILE
    CHECK(call(SYS_fcntl, fd, F_SETFL, O_APPEND | O_RDONLY) == 0);
    CHECK((call(SYS_fcntl, fd, F_GETFL) & ~0100000L) == (O_RDWR | O_APPEND));
    call(SYS_write, fd, "ab", 2);
    call(SYS_lseek, fd, 0, SEEK_SET);
    call(SYS_write, fd, "cd", 2);  // O_APPEND: still at the end
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 4);
    const long dup = call(SYS_fcntl, fd, F_DUPFD, 50);
    CHECK(dup == 50);
    CHECK(call(SYS_fcntl, fd, F_DUPFD, 50) == 51);
    CHECK(call(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 60) == 60);
    CHECK(call(SYS_fcntl, 60, F_GETFD) == FD_CLOEXEC);
    CHECK(call(SYS_fcntl, fd, F_DUPFD, -1) == -EINVAL);
    CHECK(call(SYS_fcntl, fd, 0x7fff) == -EINVAL);
    CHECK(call(SYS_fcntl, 9999, F_GETFD) == -EBADF);
    for (long x : {fd, 50L, 51L, 60L}) call(SYS_close, x);
  });
}

TEST_CASE("close_range closes or marks a range") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    mkfile(d / "f");
    long fds[4];
    for (auto& f : fds) f = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_RDONLY);
    const long lo = fds[0], hi = fds[3];
    CHECK(call(SYS_close_range, lo, hi, 0x4 /* CLOSE_RANGE_CLOEXEC */) == 0);
    CHECK(call(SYS_fcntl, lo + 1, F_GETFD) == FD_CLOEXEC);
    CHECK(call(SYS_close_range, hi, lo, 0) == -EINVAL);
    CHECK(call(SYS_close_range, lo, hi, 0x1) == -EINVAL);
    CHECK(call(SYS_close_range, lo + 1, hi, 0) == 0);
    CHECK(call(SYS_fcntl, lo + 1, F_GETFD) == -EBADF);
    CHECK(call(SYS_fcntl, lo, F_GETFD) == FD_CLOEXEC);
    call(SYS_close, lo);
  });
}

TEST_CASE("readv, writev, preadv, pwritev, preadv2") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_openat, AT_FDCWD, (d / "v").c_str(), O_CREAT | O_RDWR, 0644);
    char a[] = "hello ", b[] = "vector ", c[] = "world";
    struct iovec w[3] = {{a, 6}, {b, 7}, {c, 5}};
    CHECK(call(SYS_writev, fd, w, 3) == 18);
    char x[4], y[20] = {};
    struct iovec r[2] = {{x, 4}, {y, 20}};
    CHECK(call(SYS_preadv, fd, r, 2, 0) == 18);
    CHECK(std::string(x, 4) == "hell");
    CHECK(std::string(y) == "o vector world");
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 18);
    CHECK(call(SYS_pwritev, fd, w, 1, 100) == 6);
    call(SYS_lseek, fd, 6, SEEK_SET);
    char z[7] = {};
    struct iovec one[1] = {{z, 7}};
    CHECK(call(SYS_preadv2, fd, one, 1, -1, 0, 0) == 7);  // -1: the file position
    CHECK(std::string(z, 7) == "vector ");
    CHECK(call(SYS_preadv2, fd, one, 1, 0, 0, 1 << 30) == -EOPNOTSUPP);
    CHECK(call(SYS_readv, fd, r, 1025) == -EINVAL);
    CHECK(call(SYS_readv, fd, r, -1) == -EINVAL);
    CHECK(call(SYS_readv, fd, nullptr, 2) == -EFAULT);
    CHECK(call(SYS_readv, fd, r, 0) == 0);
    CHECK(call(SYS_preadv, fd, r, 2, -1) == -EINVAL);
    call(SYS_close, fd);
  });
}

TEST_CASE("statfs, fstatfs and the sync family") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    struct statfs s;
    REQUIRE(call(SYS_statfs, d.path.c_str(), &s) == 0);
    CHECK(s.f_bsize > 0);
    CHECK(s.f_namelen == 255);
    CHECK(call(SYS_statfs, (d / "missing").c_str(), &s) == -ENOENT);
    CHECK(call(SYS_statfs, d.path.c_str(), nullptr) == -EFAULT);
    const long fd = call(SYS_openat, AT_FDCWD, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_fstatfs, fd, &s) == 0);
    CHECK(call(SYS_fsync, fd) == 0);
    CHECK(call(SYS_fdatasync, fd) == 0);
    CHECK(call(SYS_syncfs, fd) == 0);
    CHECK(call(SYS_sync) == 0);
    CHECK(call(SYS_fsync, 9999) == -EBADF);
    CHECK(call(SYS_fstatfs, 9999, &s) == -EBADF);
    call(SYS_close, fd);
  });
}

TEST_CASE("reads move the access time under relatime only when it is stale") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    REQUIRE(mkfile(d / "f", 0644, "data") == 0);
    struct stat before = st_of(d / "f");
    const long fd = call(SYS_open, (d / "f").c_str(), O_RDONLY);
    char buf[4];
    REQUIRE(call(SYS_read, fd, buf, sizeof buf) == 4);
    const struct stat after1 = st_of(d / "f");
    // atime was not newer than mtime: the read moves it.
    CHECK((after1.st_atim.tv_sec > before.st_mtim.tv_sec ||
           (after1.st_atim.tv_sec == before.st_mtim.tv_sec && after1.st_atim.tv_nsec >= before.st_mtim.tv_nsec)));
    REQUIRE(call(SYS_pread64, fd, buf, sizeof buf, 0) == 4);
    const struct stat after2 = st_of(d / "f");
    // Now newer than mtime and ctime, and not a day old: it stays.
    CHECK(after2.st_atim.tv_sec == after1.st_atim.tv_sec);
    CHECK(after2.st_atim.tv_nsec == after1.st_atim.tv_nsec);
    call(SYS_close, fd);
  });
}
