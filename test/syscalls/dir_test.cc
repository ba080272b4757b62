// Names and directories: mkdir, rmdir, unlink, symlink, readlink, getdents64, getcwd,
// chdir, fchdir and the stat family.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;

namespace {

long stat_of(const std::string& p, struct stat* st, int flags = 0) {
  return call(SYS_newfstatat, AT_FDCWD, p.c_str(), st, flags);
}

std::set<std::string> list(const std::string& dir, size_t bufsize) {
  std::set<std::string> names;
  const long fd = call(SYS_openat, AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(fd >= 0);
  std::vector<char> buf(bufsize);
  long n;
  while ((n = call(SYS_getdents64, fd, buf.data(), buf.size())) > 0) {
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<shim::Dirent64*>(buf.data() + off);
      names.insert(d->name);
      off += d->reclen;
    }
  }
  CHECK(n == 0);
  call(SYS_close, fd);
  return names;
}
}  // namespace

TEST_CASE("mkdir and rmdir, their link counts and errors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    struct stat st;
    REQUIRE(stat_of(d.path, &st) == 0);
    CHECK(st.st_nlink == 2);
    REQUIRE(call(SYS_mkdir, (d / "a").c_str(), 0755) == 0);
    REQUIRE(call(SYS_mkdir, (d / "b/").c_str(), 0755) == 0);  // a trailing slash is fine
    stat_of(d.path, &st);
    CHECK(st.st_nlink == 4);
    stat_of(d / "a", &st);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0755);
    CHECK(call(SYS_mkdir, (d / "a").c_str(), 0755) == -EEXIST);
    CHECK(call(SYS_mkdir, (d / "x/y").c_str(), 0755) == -ENOENT);
    CHECK(call(SYS_mkdir, (d / ".").c_str(), 0755) == -EEXIST);
    CHECK(call(SYS_mkdir, (d / "..").c_str(), 0755) == -EEXIST);
    call(SYS_close, call(SYS_openat, AT_FDCWD, (d / "a/f").c_str(), O_CREAT | O_WRONLY, 0644));
    CHECK(call(SYS_mkdir, (d / "a/f/g").c_str(), 0755) == -ENOTDIR);
    CHECK(call(SYS_rmdir, (d / "a").c_str()) == -ENOTEMPTY);
    CHECK(call(SYS_rmdir, (d / "a/f").c_str()) == -ENOTDIR);
    CHECK(call(SYS_rmdir, (d / "a/.").c_str()) == -EINVAL);
    CHECK(call(SYS_rmdir, (d / "a/..").c_str()) == -ENOTEMPTY);
    CHECK(call(SYS_rmdir, (d / "nope").c_str()) == -ENOENT);
    CHECK(call(SYS_unlink, (d / "a").c_str()) == -EISDIR);
    CHECK(call(SYS_unlink, (d / "a/f/").c_str()) == -ENOTDIR);
    CHECK(call(SYS_unlinkat, AT_FDCWD, (d / "a/f").c_str(), 0x1) == -EINVAL);
    CHECK(call(SYS_unlinkat, AT_FDCWD, (d / "a/f").c_str(), AT_REMOVEDIR) == -ENOTDIR);
    CHECK(call(SYS_unlinkat, AT_FDCWD, (d / "a/f").c_str(), 0) == 0);
    CHECK(call(SYS_unlinkat, AT_FDCWD, (d / "a").c_str(), AT_REMOVEDIR) == 0);
    CHECK(call(SYS_rmdir, (d / "b/").c_str()) == 0);
    stat_of(d.path, &st);
    CHECK(st.st_nlink == 2);
  });
}

TEST_CASE("symlinks: readlink, lstat, following, loops") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_mkdir, (d / "dir").c_str(), 0755);
    const long fd = call(SYS_openat, AT_FDCWD, (d / "dir/target").c_str(), O_CREAT | O_WRONLY, 0644);
    call(SYS_write, fd, "data", 4);
    call(SYS_close, fd);
    REQUIRE(call(SYS_symlink, "dir/target", (d / "rel").c_str()) == 0);
    REQUIRE(call(SYS_symlink, "target", (d / "dir/sibling").c_str()) == 0);
    REQUIRE(call(SYS_symlink, "nowhere", (d / "dangling").c_str()) == 0);
    CHECK(call(SYS_symlink, "x", (d / "rel").c_str()) == -EEXIST);
    CHECK(call(SYS_symlink, "", (d / "empty").c_str()) == -ENOENT);
    char buf[64] = {};
    CHECK(call(SYS_readlink, (d / "rel").c_str(), buf, sizeof(buf)) == 10);
    CHECK(std::string(buf, 10) == "dir/target");
    CHECK(call(SYS_readlink, (d / "rel").c_str(), buf, 3) == 3);  // cut, no NUL
    CHECK(call(SYS_readlink, (d / "rel").c_str(), buf, 0) == -EINVAL);
    CHECK(call(SYS_readlink, (d / "dir/target").c_str(), buf, 64) == -EINVAL);
    CHECK(call(SYS_readlink, (d / "missing").c_str(), buf, 64) == -ENOENT);
    struct stat st;
    REQUIRE(stat_of(d / "rel", &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size == 4);
    REQUIRE(stat_of(d / "rel", &st, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(st.st_size == 10);
    REQUIRE(stat_of(d / "dir/sibling", &st) == 0);  // relative to the link's directory
    CHECK(st.st_size == 4);
    CHECK(stat_of(d / "dangling", &st) == -ENOENT);
    CHECK(stat_of(d / "dangling", &st, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(call(SYS_openat, AT_FDCWD, (d / "rel").c_str(), O_RDONLY | O_NOFOLLOW) == -ELOOP);
    call(SYS_symlink, "loop2", (d / "loop1").c_str());
    call(SYS_symlink, "loop1", (d / "loop2").c_str());
    CHECK(stat_of(d / "loop1", &st) == -ELOOP);
    // A chain of 40 links resolves; 41 is too many.
    call(SYS_symlink, "dir/target", (d / "l0").c_str());
    for (int i = 1; i <= 41; ++i)
      call(SYS_symlink, ("l" + std::to_string(i - 1)).c_str(), (d / ("l" + std::to_string(i))).c_str());
    CHECK(stat_of(d / "l39", &st) == 0);
    CHECK(stat_of(d / "l40", &st) == -ELOOP);
    CHECK(call(SYS_lstat, (d / "l40").c_str(), &st) == 0);
    CHECK(call(SYS_stat, (d / "rel").c_str(), &st) == 0);
  });
}

TEST_CASE("getdents64 lists every entry once, whatever the buffer size") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    std::set<std::string> want{".", ".."};
    for (int i = 0; i < 150; ++i) {
      const std::string name = "entry-" + std::to_string(i) + std::string(i % 17, 'x');
      call(SYS_close, call(SYS_openat, AT_FDCWD, (d / name).c_str(), O_CREAT | O_WRONLY, 0644));
      want.insert(name);
    }
    call(SYS_mkdir, (d / "subdir").c_str(), 0755);
    want.insert("subdir");
    CHECK(list(d.path, 64) == want);
    CHECK(list(d.path, 333) == want);
    CHECK(list(d.path, 65536) == want);
    const long fd = call(SYS_openat, AT_FDCWD, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    char tiny[8];
    CHECK(call(SYS_getdents64, fd, tiny, sizeof(tiny)) == -EINVAL);
    call(SYS_close, fd);
    const long ffd = call(SYS_openat, AT_FDCWD, (d / "subdir/../entry-0").c_str(), O_RDONLY);
    CHECK(ffd >= 0);
    char buf[256];
    CHECK(call(SYS_getdents64, ffd, buf, sizeof(buf)) == -ENOTDIR);
    call(SYS_close, ffd);
    CHECK(call(SYS_getdents64, 9999, buf, sizeof(buf)) == -EBADF);
  });
}

TEST_CASE("chdir, fchdir and getcwd; relative paths follow the working directory") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    char saved[4096];
    REQUIRE(call(SYS_getcwd, saved, sizeof(saved)) > 0);
    call(SYS_mkdir, (d / "sub").c_str(), 0755);
    call(SYS_mkdir, (d / "sub/deeper").c_str(), 0755);
    REQUIRE(call(SYS_chdir, (d / "sub").c_str()) == 0);
    char buf[4096];
    const long n = call(SYS_getcwd, buf, sizeof(buf));
    REQUIRE(n > 0);
    CHECK(std::string(buf) == d / "sub");
    CHECK(n == static_cast<long>((d / "sub").size() + 1));
    CHECK(call(SYS_getcwd, buf, 3) == -ERANGE);
    const long fd = call(SYS_openat, AT_FDCWD, "rel-file", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    call(SYS_close, fd);
    struct stat st;
    CHECK(stat_of(d / "sub/rel-file", &st) == 0);
    CHECK(call(SYS_chdir, "deeper/../deeper") == 0);
    call(SYS_getcwd, buf, sizeof(buf));
    CHECK(std::string(buf) == d / "sub/deeper");
    CHECK(call(SYS_chdir, "../rel-file") == -ENOTDIR);
    CHECK(call(SYS_chdir, "missing") == -ENOENT);
    const long dfd = call(SYS_openat, AT_FDCWD, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_fchdir, dfd) == 0);
    call(SYS_getcwd, buf, sizeof(buf));
    CHECK(std::string(buf) == d.path);
    call(SYS_close, dfd);
    CHECK(call(SYS_fchdir, 9999) == -EBADF);
    const long ffd = call(SYS_openat, AT_FDCWD, (d / "sub/rel-file").c_str(), O_RDONLY);
    CHECK(call(SYS_fchdir, ffd) == -ENOTDIR);
    call(SYS_close, ffd);
    CHECK(call(SYS_chdir, "/") == 0);
    call(SYS_getcwd, buf, sizeof(buf));
    CHECK(std::string(buf) == "/");
    CHECK(call(SYS_chdir, "/..") == 0);  // ".." at the root stays there
    call(SYS_getcwd, buf, sizeof(buf));
    CHECK(std::string(buf) == "/");
    call(SYS_chdir, saved);
  });
}

TEST_CASE("the stat family: flags, empty paths, descriptors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = call(SYS_openat, AT_FDCWD, (d / "f").c_str(), O_CREAT | O_RDWR, 0640);
    call(SYS_write, fd, "12345", 5);
    struct stat a, b;
    REQUIRE(call(SYS_fstat, fd, &a) == 0);
    REQUIRE(call(SYS_newfstatat, fd, "", &b, AT_EMPTY_PATH) == 0);
    CHECK(a.st_ino == b.st_ino);
    CHECK(b.st_size == 5);
    CHECK(call(SYS_newfstatat, fd, "", &b, 0) == -ENOENT);
    CHECK(call(SYS_newfstatat, AT_FDCWD, (d / "f").c_str(), &b, 0x4) == -EINVAL);
    CHECK(call(SYS_fstat, 9999, &b) == -EBADF);
    CHECK(call(SYS_fstat, fd, nullptr) == -EFAULT);
    CHECK(call(SYS_newfstatat, AT_FDCWD, nullptr, &b, 0) == -EFAULT);
    const long dfd = call(SYS_openat, AT_FDCWD, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(call(SYS_newfstatat, dfd, "f", &b, 0) == 0);
    CHECK(b.st_ino == a.st_ino);
    CHECK(b.st_mtim.tv_sec >= b.st_atim.tv_sec - 1);
    call(SYS_close, dfd);
    call(SYS_close, fd);
  });
}
