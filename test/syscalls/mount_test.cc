// Mounts: mount (tmpfs, bind, remount, move), umount2, per-mount flags, tmpfs limits, and
// walks across mount points. On the host these run as root in the suite's private mount
// namespace (shim::setup); without root they check only the EPERM answers.

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;

namespace {
long mkfile(const std::string& p, const char* data = "") {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd >= 0) {
    call(SYS_write, fd, data, strlen(data));
    call(SYS_close, fd);
  }
  return fd >= 0 ? 0 : fd;
}
struct stat st_of(const std::string& p) {
  struct stat st {};
  call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  return st;
}
bool exists(const std::string& p) {
  struct stat st;
  return call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}
long mount_(const std::string& src, const std::string& dst, const char* type, unsigned long flags,
            const char* data = nullptr) {
  return call(SYS_mount, src.empty() ? nullptr : src.c_str(), dst.c_str(), type, flags, data);
}
long umount_(const std::string& p, int flags = 0) { return call(SYS_umount2, p.c_str(), flags); }
struct statfs statfs_of(const std::string& p) {
  struct statfs s {};
  call(SYS_statfs, p.c_str(), &s);
  return s;
}
}  // namespace

TEST_CASE("mount of tmpfs hides what was below until umount") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mkfile(m + "/under", "u") == 0);
    const struct stat before = st_of(m);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0, "mode=700") == 0);
    CHECK_FALSE(exists(m + "/under"));
    const struct stat root = st_of(m);
    CHECK(root.st_dev != before.st_dev);
    CHECK((root.st_mode & 07777) == 0700);
    CHECK(root.st_nlink == 2);
    CHECK(mkfile(m + "/x") == 0);
    // The mount point cannot go while something is mounted on it.
    CHECK(call(SYS_rmdir, m.c_str()) == -EBUSY);
    CHECK(call(SYS_rename, m.c_str(), (d / "moved").c_str()) == -EBUSY);
    // Files do not move or link across mounts.
    CHECK(call(SYS_rename, (m + "/x").c_str(), (d / "x").c_str()) == -EXDEV);
    CHECK(call(SYS_link, (m + "/x").c_str(), (d / "x").c_str()) == -EXDEV);
    CHECK(umount_(m + "/x") == -EINVAL);  // not a mount point
    CHECK(umount_(m) == 0);
    CHECK(exists(m + "/under"));
    CHECK_FALSE(exists(m + "/x"));
    CHECK(st_of(m).st_dev == before.st_dev);
    CHECK(umount_(m) == -EINVAL);
  });
}

TEST_CASE("mount and umount2 argument errors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mkfile(d / "f") == 0);
    if (shim::is_root()) {
      CHECK(mount_("none", d / "missing", "tmpfs", 0) == -ENOENT);
      CHECK(mount_("none", m, "no-such-fs", 0) == -ENODEV);
      CHECK(mount_("none", m, nullptr, 0) == -EINVAL);
      CHECK(mount_("none", d / "f", "tmpfs", 0) == -ENOTDIR);
      CHECK(mount_("none", m, "tmpfs", 0, "size=12q") == -EINVAL);
      CHECK(mount_("none", m, "tmpfs", 0, "bogus_option") == -EINVAL);
      CHECK(mount_("", m, nullptr, MS_REMOUNT) == -EINVAL);  // not a mount root
      CHECK(umount_(m, 0x100) == -EINVAL);
      CHECK(umount_(m, MNT_EXPIRE | MNT_DETACH) == -EINVAL);
      CHECK(umount_(d / "missing") == -ENOENT);
    }
    shim::become_unprivileged();
    CHECK(mount_("none", m, "tmpfs", 0) == -EPERM);
    CHECK(umount_(m) == -EPERM);
    CHECK(umount_("/tmp") == -EPERM);
  });
}

TEST_CASE("umount of a busy mount is EBUSY and MNT_DETACH detaches it") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0) == 0);
    REQUIRE(mkfile(m + "/f", "hello") == 0);
    const long fd = call(SYS_open, (m + "/f").c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(umount_(m) == -EBUSY);
    // A submount makes its parent busy too.
    REQUIRE(call(SYS_mkdir, (m + "/sub").c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m + "/sub", "tmpfs", 0) == 0);
    CHECK(umount_(m + "/sub") == 0);
    CHECK(umount_(m, MNT_DETACH) == 0);
    CHECK_FALSE(exists(m + "/f"));
    char buf[8] = {};
    CHECK(call(SYS_read, fd, buf, sizeof buf) == 5);  // the open file still works
    CHECK(std::string(buf) == "hello");
    call(SYS_close, fd);
    // MNT_EXPIRE: the first call marks, the second unmounts.
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0) == 0);
    CHECK(umount_(m, MNT_EXPIRE) == -EAGAIN);
    CHECK(umount_(m, MNT_EXPIRE) == 0);
    CHECK(umount_(m) == -EINVAL);
  });
}

TEST_CASE("a working directory inside a mount keeps it busy and dotdot climbs out of it") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0) == 0);
    REQUIRE(call(SYS_mkdir, (m + "/in").c_str(), 0755) == 0);
    REQUIRE(call(SYS_chdir, (m + "/in").c_str()) == 0);
    char cwd[512] = {};
    REQUIRE(call(SYS_getcwd, cwd, sizeof cwd) > 0);
    CHECK(std::string(cwd) == m + "/in");
    CHECK(umount_(m) == -EBUSY);
    struct stat up {};
    REQUIRE(call(SYS_newfstatat, AT_FDCWD, "../..", &up, 0) == 0);
    const struct stat scratch = st_of(d.path);
    CHECK(up.st_ino == scratch.st_ino);
    CHECK(up.st_dev == scratch.st_dev);
    REQUIRE(call(SYS_chdir, d.path.c_str()) == 0);
    CHECK(umount_(m) == 0);
    call(SYS_chdir, "/");
  });
}

TEST_CASE("a read-only mount refuses changes with EROFS and remount makes it writable") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0) == 0);
    REQUIRE(mkfile(m + "/f", "data") == 0);
    REQUIRE(call(SYS_mkdir, (m + "/dir").c_str(), 0755) == 0);
    REQUIRE(mount_("", m, nullptr, MS_REMOUNT | MS_RDONLY) == 0);
    CHECK((statfs_of(m).f_flags & ST_RDONLY) != 0);
    CHECK(mkfile(m + "/g") == -EROFS);
    CHECK(call(SYS_mkdir, (m + "/d2").c_str(), 0755) == -EROFS);
    CHECK(call(SYS_mkdir, (m + "/dir").c_str(), 0755) == -EEXIST);  // EEXIST comes first
    CHECK(call(SYS_unlink, (m + "/missing").c_str()) == -EROFS);  // before the lookup
    CHECK(call(SYS_unlink, (m + "/f").c_str()) == -EROFS);
    CHECK(call(SYS_rmdir, (m + "/dir").c_str()) == -EROFS);
    CHECK(call(SYS_rename, (m + "/f").c_str(), (m + "/g").c_str()) == -EROFS);
    CHECK(call(SYS_open, (m + "/f").c_str(), O_WRONLY) == -EROFS);
    CHECK(call(SYS_truncate, (m + "/f").c_str(), 0) == -EROFS);
    CHECK(call(SYS_chmod, (m + "/f").c_str(), 0600) == -EROFS);
    CHECK(call(SYS_access, (m + "/f").c_str(), W_OK) == -EROFS);
    CHECK(call(SYS_access, (m + "/f").c_str(), R_OK) == 0);
    CHECK(call(SYS_symlink, "f", (m + "/l").c_str()) == -EROFS);
    const long fd = call(SYS_open, (m + "/f").c_str(), O_RDONLY);
    CHECK(fd >= 0);
    call(SYS_close, fd);
    REQUIRE(mount_("", m, nullptr, MS_REMOUNT) == 0);
    CHECK((statfs_of(m).f_flags & ST_RDONLY) == 0);
    CHECK(mkfile(m + "/g") == 0);
    CHECK(umount_(m) == 0);
  });
}

TEST_CASE("bind mounts show the same files and can be read-only on their own") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string src = d / "src", dst = d / "dst";
    REQUIRE(call(SYS_mkdir, src.c_str(), 0755) == 0);
    REQUIRE(call(SYS_mkdir, dst.c_str(), 0755) == 0);
    REQUIRE(mkfile(src + "/f", "x") == 0);
    REQUIRE(mount_(src, dst, nullptr, MS_BIND | MS_RDONLY) == 0);  // MS_RDONLY is ignored here
    CHECK(st_of(dst + "/f").st_ino == st_of(src + "/f").st_ino);
    CHECK(st_of(dst).st_ino == st_of(src).st_ino);
    CHECK(mkfile(dst + "/g") == 0);  // still writable
    CHECK(exists(src + "/g"));
    REQUIRE(mount_("", dst, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY) == 0);
    CHECK(mkfile(dst + "/h") == -EROFS);
    CHECK(mkfile(src + "/h") == 0);  // the original stays writable
    CHECK(exists(dst + "/h"));
    CHECK(call(SYS_open, (dst + "/f").c_str(), O_RDWR) == -EROFS);
    CHECK((statfs_of(dst).f_flags & ST_RDONLY) != 0);
    CHECK((statfs_of(src).f_flags & ST_RDONLY) == 0);
    // Same filesystem, different mounts: still EXDEV.
    CHECK(call(SYS_rename, (src + "/f").c_str(), (dst + "/f2").c_str()) == -EXDEV);
    CHECK(umount_(dst) == 0);
    CHECK_FALSE(exists(dst + "/f"));
    // A bind mount of a file over a file; of a file over a directory: ENOTDIR.
    REQUIRE(mkfile(d / "file2", "other") == 0);
    CHECK(mount_(src + "/f", d / "file2", nullptr, MS_BIND) == 0);
    CHECK(st_of(d / "file2").st_ino == st_of(src + "/f").st_ino);
    CHECK(umount_(d / "file2") == 0);
    CHECK(mount_(src + "/f", dst, nullptr, MS_BIND) == -ENOTDIR);
  });
}

TEST_CASE("recursive bind mounts copy the mounts below and MS_MOVE moves a mount") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string a = d / "a", b = d / "b", c = d / "c";
    for (const auto& p : {a, b, c}) REQUIRE(call(SYS_mkdir, p.c_str(), 0755) == 0);
    REQUIRE(call(SYS_mkdir, (a + "/sub").c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", a + "/sub", "tmpfs", 0) == 0);
    REQUIRE(mkfile(a + "/sub/inner") == 0);
    REQUIRE(mount_(a, b, nullptr, MS_BIND) == 0);
    CHECK_FALSE(exists(b + "/sub/inner"));  // a plain bind leaves the submount out
    CHECK(umount_(b) == 0);
    REQUIRE(mount_(a, b, nullptr, MS_BIND | MS_REC) == 0);
    CHECK(exists(b + "/sub/inner"));
    CHECK(umount_(b) == -EBUSY);  // its copied submount
    CHECK(umount_(b + "/sub") == 0);
    CHECK(umount_(b) == 0);
    // MS_MOVE: the tmpfs on a/sub goes to c.
    CHECK(mount_(a + "/sub", c, nullptr, MS_MOVE) == 0);
    CHECK(exists(c + "/inner"));
    CHECK_FALSE(exists(a + "/sub/inner"));
    CHECK(mount_(c, c + "/x", nullptr, MS_MOVE) == -ENOENT);
    CHECK(mount_(d / "a", c, nullptr, MS_MOVE) == -EINVAL);  // not a mount
    CHECK(umount_(c) == 0);
  });
}

TEST_CASE("tmpfs size and nr_inodes limits give ENOSPC and statfs reports them") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0, "size=64k,nr_inodes=4") == 0);
    struct statfs s = statfs_of(m);
    CHECK(s.f_type == 0x01021994);
    CHECK(s.f_bsize == 4096);
    CHECK(s.f_blocks == 16);
    CHECK(s.f_bfree == 16);
    CHECK(s.f_files == 4);
    CHECK(s.f_ffree == 3);  // the root is one
    const long fd = call(SYS_open, (m + "/big").c_str(), O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    std::vector<char> buf(128 * 1024, 'x');
    CHECK(call(SYS_write, fd, buf.data(), buf.size()) == 64 * 1024);  // a short write
    CHECK(call(SYS_write, fd, buf.data(), buf.size()) == -ENOSPC);
    CHECK(statfs_of(m).f_bfree == 0);
    struct stat st {};
    call(SYS_fstat, fd, &st);
    CHECK(st.st_size == 64 * 1024);
    CHECK(st.st_blocks == 128);
    CHECK(call(SYS_ftruncate, fd, 4096) == 0);
    CHECK(statfs_of(m).f_bfree == 15);
    call(SYS_close, fd);
    CHECK(mkfile(m + "/a") == 0);
    CHECK(mkfile(m + "/b") == 0);
    CHECK(mkfile(m + "/c") == -ENOSPC);
    CHECK(call(SYS_mkdir, (m + "/d").c_str(), 0755) == -ENOSPC);
    CHECK(call(SYS_unlink, (m + "/a").c_str()) == 0);
    CHECK(mkfile(m + "/c") == 0);
    // A remount below what is in use is refused; above, it takes.
    CHECK(mount_("", m, nullptr, MS_REMOUNT, "nr_inodes=2") == -EINVAL);
    CHECK(mount_("", m, nullptr, MS_REMOUNT, "size=1m") == 0);
    CHECK(statfs_of(m).f_blocks == 256);
    CHECK(umount_(m) == 0);
  });
}

TEST_CASE("nodev refuses device nodes and noexec refuses execution") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", MS_NODEV | MS_NOEXEC | MS_NOSUID) == 0);
    const struct statfs s = statfs_of(m);
    CHECK((s.f_flags & ST_NODEV) != 0);
    CHECK((s.f_flags & ST_NOEXEC) != 0);
    CHECK((s.f_flags & ST_NOSUID) != 0);
    REQUIRE(call(SYS_mknod, (m + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    CHECK(call(SYS_open, (m + "/null").c_str(), O_RDONLY) == -EACCES);
    REQUIRE(mkfile(m + "/prog") == 0);
    REQUIRE(call(SYS_chmod, (m + "/prog").c_str(), 0755) == 0);
    CHECK(call(SYS_access, (m + "/prog").c_str(), X_OK) == -EACCES);
    CHECK(call(SYS_access, (m + "/prog").c_str(), R_OK) == 0);
    CHECK(call(SYS_access, m.c_str(), X_OK) == 0);  // directories are still searchable
    CHECK(umount_(m) == 0);
  });
}

TEST_CASE("openat2 RESOLVE_NO_XDEV refuses to cross a mount point") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(mount_("tmpfs", m, "tmpfs", 0) == 0);
    REQUIRE(mkfile(m + "/f") == 0);
    struct {
      unsigned long long flags, mode, resolve;
    } how{O_RDONLY, 0, 0x01 /*RESOLVE_NO_XDEV*/};
    const long dfd = call(SYS_open, d.path.c_str(), O_PATH | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    CHECK(call(SYS_openat2, dfd, "m/f", &how, sizeof how) == -EXDEV);
    const long mfd = call(SYS_open, m.c_str(), O_PATH | O_DIRECTORY);
    const long fd = call(SYS_openat2, mfd, "f", &how, sizeof how);
    CHECK(fd >= 0);
    CHECK(call(SYS_openat2, mfd, "../m/f", &how, sizeof how) == -EXDEV);
    call(SYS_close, fd);
    call(SYS_close, mfd);
    call(SYS_close, dfd);
    CHECK(umount_(m) == 0);
  });
}
