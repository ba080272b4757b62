// Open files: open/openat/creat, read/write, pread/pwrite, lseek, close, dup*, fstat, and
// their errors.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim.h"

using shim::call;

namespace {
long open_at(const std::string& p, int flags, int mode = 0644) {
  return call(SYS_openat, AT_FDCWD, p.c_str(), flags, mode);
}
std::string read_all(long fd) {
  std::string out;
  char buf[7];
  long n;
  while ((n = call(SYS_read, fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  return out;
}
}  // namespace

TEST_CASE("create, write, seek and read back a file") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_at(d / "f", O_CREAT | O_RDWR | O_EXCL);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_write, fd, "hello world", 11) == 11);
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 11);
    CHECK(call(SYS_lseek, fd, 0, SEEK_SET) == 0);
    CHECK(read_all(fd) == "hello world");
    CHECK(call(SYS_read, fd, nullptr, 0) == 0);
    char buf[5] = {};
    CHECK(call(SYS_pread64, fd, buf, 5, 6) == 5);
    CHECK(std::string(buf, 5) == "world");
    CHECK(call(SYS_pwrite64, fd, "W", 1, 6) == 1);
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 11);  // pread/pwrite leave the position alone
    CHECK(call(SYS_lseek, fd, -5, SEEK_END) == 6);
    CHECK(read_all(fd) == "World");
    struct stat st;
    REQUIRE(call(SYS_fstat, fd, &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size == 11);
    CHECK(st.st_nlink == 1);
    CHECK((st.st_mode & 0777) == (0644 & ~0022u));
    CHECK(call(SYS_close, fd) == 0);
    CHECK(call(SYS_close, fd) == -EBADF);
  });
}

TEST_CASE("writing past the end leaves a zero-filled gap; O_APPEND and O_TRUNC") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    long fd = open_at(d / "g", O_CREAT | O_RDWR);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_pwrite64, fd, "x", 1, 9) == 1);
    struct stat st;
    call(SYS_fstat, fd, &st);
    CHECK(st.st_size == 10);
    char buf[10];
    CHECK(call(SYS_pread64, fd, buf, 10, 0) == 10);
    CHECK(std::string(buf, 9) == std::string(9, '\0'));
    call(SYS_close, fd);
    fd = open_at(d / "g", O_WRONLY | O_APPEND);
    CHECK(call(SYS_write, fd, "yz", 2) == 2);
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 12);
    call(SYS_close, fd);
    fd = open_at(d / "g", O_RDWR | O_TRUNC);
    call(SYS_fstat, fd, &st);
    CHECK(st.st_size == 0);
    call(SYS_close, fd);
  });
}

TEST_CASE("lseek: whence, negative results, and SEEK_DATA/SEEK_HOLE on a plain file") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_at(d / "s", O_CREAT | O_RDWR);
    call(SYS_write, fd, "0123456789", 10);
    CHECK(call(SYS_lseek, fd, -1, SEEK_SET) == -EINVAL);
    CHECK(call(SYS_lseek, fd, -11, SEEK_END) == -EINVAL);
    CHECK(call(SYS_lseek, fd, 0, 7) == -EINVAL);
    CHECK(call(SYS_lseek, fd, 100, SEEK_SET) == 100);  // beyond the end is fine
    CHECK(call(SYS_lseek, fd, 3, SEEK_DATA) == 3);
    CHECK(call(SYS_lseek, fd, 3, SEEK_HOLE) == 10);
    CHECK(call(SYS_lseek, fd, 10, SEEK_DATA) == -ENXIO);
    CHECK(call(SYS_lseek, 9999, 0, SEEK_SET) == -EBADF);
    call(SYS_close, fd);
  });
}

TEST_CASE("descriptors opened for one direction refuse the other") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    long w = open_at(d / "f", O_CREAT | O_WRONLY);
    char c;
    CHECK(call(SYS_read, w, &c, 1) == -EBADF);
    CHECK(call(SYS_pread64, w, &c, 1, 0) == -EBADF);
    long r = open_at(d / "f", O_RDONLY);
    CHECK(call(SYS_write, r, "x", 1) == -EBADF);
    CHECK(call(SYS_pwrite64, r, "x", 1, 0) == -EBADF);
    CHECK(call(SYS_pread64, r, &c, 1, -1) == -EINVAL);
    long p = open_at(d / "f", O_PATH);
    REQUIRE(p >= 0);
    CHECK(call(SYS_read, p, &c, 1) == -EBADF);
    CHECK(call(SYS_lseek, p, 0, SEEK_SET) == -EBADF);
    struct stat st;
    CHECK(call(SYS_fstat, p, &st) == 0);  // O_PATH still allows fstat
    call(SYS_close, w);
    call(SYS_close, r);
    call(SYS_close, p);
  });
}

TEST_CASE("open's errors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_close, open_at(d / "file", O_CREAT | O_WRONLY));
    call(SYS_mkdir, (d / "dir").c_str(), 0755);
    CHECK(open_at(d / "missing", O_RDONLY) == -ENOENT);
    CHECK(open_at(d / "missing/x", O_RDONLY | O_CREAT) == -ENOENT);
    CHECK(open_at(d / "file", O_CREAT | O_EXCL | O_RDWR) == -EEXIST);
    CHECK(open_at(d / "file/x", O_RDONLY) == -ENOTDIR);
    CHECK(open_at(d / "file/", O_RDONLY) == -ENOTDIR);
    CHECK(open_at(d / "file", O_RDONLY | O_DIRECTORY) == -ENOTDIR);
    CHECK(open_at(d / "dir", O_WRONLY) == -EISDIR);
    CHECK(open_at(d / "dir", O_RDWR) == -EISDIR);
    CHECK(open_at(d / "dir", O_CREAT | O_RDONLY) == -EISDIR);
    CHECK(open_at(d / "newdir/", O_CREAT | O_RDWR) == -EISDIR);
    CHECK(open_at(d / std::string(256, 'n'), O_RDONLY | O_CREAT) == -ENAMETOOLONG);
    std::string longpath = d.path;
    while (longpath.size() < 4100) longpath += "/aaaaaaaa";
    CHECK(open_at(longpath, O_RDONLY) == -ENAMETOOLONG);
    CHECK(open_at("", O_RDONLY) == -ENOENT);
    CHECK(call(SYS_openat, 9999, "x", O_RDONLY) == -EBADF);
    const long fd = open_at(d / "file", O_RDONLY);
    CHECK(call(SYS_openat, fd, "x", O_RDONLY) == -ENOTDIR);
    CHECK(call(SYS_openat, fd, (d / "file").c_str(), O_RDONLY) >= 0);  // absolute: no dirfd
    const long dfd = open_at(d / "dir", O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    const long inner = call(SYS_openat, dfd, "inner", O_CREAT | O_RDWR, 0600);
    CHECK(inner >= 0);
    struct stat st;
    CHECK(call(SYS_newfstatat, AT_FDCWD, (d / "dir/inner").c_str(), &st, 0) == 0);
  });
}

TEST_CASE("umask shapes new files' modes; creat truncates") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long old = call(SYS_umask, 027);
    long fd = call(SYS_creat, (d / "c").c_str(), 0777);
    REQUIRE(fd >= 0);
    call(SYS_write, fd, "abc", 3);
    struct stat st;
    call(SYS_fstat, fd, &st);
    CHECK((st.st_mode & 0777) == 0750);
    call(SYS_close, fd);
    CHECK(call(SYS_umask, old) == 027);
    fd = call(SYS_creat, (d / "c").c_str(), 0600);
    call(SYS_fstat, fd, &st);
    CHECK(st.st_size == 0);
    CHECK((st.st_mode & 0777) == 0750);  // an existing file keeps its mode
    call(SYS_close, fd);
  });
}

TEST_CASE("dup, dup2 and dup3 share the open file description") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_at(d / "f", O_CREAT | O_RDWR);
    const long a = call(SYS_dup, fd);
    REQUIRE(a > fd);
    call(SYS_write, fd, "abcd", 4);
    CHECK(call(SYS_lseek, a, 0, SEEK_CUR) == 4);  // one position for both
    CHECK(call(SYS_dup2, fd, fd) == fd);
    CHECK(call(SYS_dup2, 9999, 200) == -EBADF);
    CHECK(call(SYS_dup2, fd, 200) == 200);
    CHECK(call(SYS_lseek, 200, 1, SEEK_SET) == 1);
    CHECK(call(SYS_lseek, fd, 0, SEEK_CUR) == 1);
    CHECK(call(SYS_dup3, fd, fd, 0) == -EINVAL);
    CHECK(call(SYS_dup3, fd, 201, O_NONBLOCK) == -EINVAL);
    CHECK(call(SYS_dup3, fd, 201, O_CLOEXEC) == 201);
    CHECK(call(SYS_dup, 9999) == -EBADF);
    CHECK(call(SYS_dup2, fd, -1) == -EBADF);
    for (long x : {fd, a, 200L, 201L}) CHECK(call(SYS_close, x) == 0);
  });
}

TEST_CASE("an unlinked file stays readable through its descriptor") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_at(d / "u", O_CREAT | O_RDWR);
    call(SYS_write, fd, "still here", 10);
    REQUIRE(call(SYS_unlink, (d / "u").c_str()) == 0);
    struct stat st;
    CHECK(call(SYS_newfstatat, AT_FDCWD, (d / "u").c_str(), &st, 0) == -ENOENT);
    REQUIRE(call(SYS_fstat, fd, &st) == 0);
    CHECK(st.st_nlink == 0);
    char buf[16] = {};
    CHECK(call(SYS_pread64, fd, buf, 16, 0) == 10);
    CHECK(std::string(buf) == "still here");
    call(SYS_close, fd);
  });
}

TEST_CASE("permissions: an unprivileged task meets the mode bits") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_close, open_at(d / "secret", O_CREAT | O_WRONLY, 0600));
    call(SYS_mkdir, (d / "locked").c_str(), 0700);
    call(SYS_close, open_at(d / "locked/inside", O_CREAT | O_WRONLY, 0644));
    call(SYS_close, open_at(d / "open", O_CREAT | O_WRONLY, 0644));
    // Unprivileged in a task of its own, so that root still cleans up afterwards.
    shim::fresh_task([&] {
    shim::become_unprivileged();
    CHECK(open_at(d / "secret", O_RDONLY) == -EACCES);
    CHECK(open_at(d / "locked/inside", O_RDONLY) == -EACCES);  // no search permission
    CHECK(open_at(d / "open", O_WRONLY) == -EACCES);
    const long r = open_at(d / "open", O_RDONLY);
    CHECK(r >= 0);
    call(SYS_close, r);
    CHECK(open_at(d / "open", O_RDONLY | O_TRUNC) == -EACCES);
    const long mine = open_at(d / "mine", O_CREAT | O_RDWR, 0600);  // the directory is 0777
    CHECK(mine >= 0);
    struct stat st;
    call(SYS_fstat, mine, &st);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1000);
    call(SYS_close, mine);
    });
  });
}
