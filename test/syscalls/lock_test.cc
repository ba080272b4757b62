// Advisory locks: flock and fcntl record locks (classic and OFD), within one process: two
// open file descriptions conflict with each other, and OFD locks with the process's classic
// ones, on the host as in libuml.

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim.h"

using shim::call;

namespace {
struct flock lk(short type, short whence, long long start, long long len) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = whence;
  l.l_start = start;
  l.l_len = len;
  return l;
}
long setlk(long fd, int cmd, struct flock l) { return call(SYS_fcntl, fd, cmd, &l); }
// The lock an OFD F_GETLK finds for a write lock over [start, start+len): "type start len pid".
std::string probe(long fd, long long start, long long len, int cmd = F_OFD_GETLK) {
  struct flock l = lk(F_WRLCK, SEEK_SET, start, len);
  const long r = call(SYS_fcntl, fd, cmd, &l);
  if (r < 0) return "errno " + std::to_string(-r);
  if (l.l_type == F_UNLCK) return "unlocked";
  return std::string(l.l_type == F_WRLCK ? "W " : "R ") + std::to_string(l.l_start) + " " +
         std::to_string(l.l_len) + " " + std::to_string(l.l_pid);
}
}  // namespace

TEST_CASE("flock: shared and exclusive locks between open file descriptions") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string p = d / "f";
    const long a = call(SYS_open, p.c_str(), O_CREAT | O_RDWR, 0644);
    const long b = call(SYS_open, p.c_str(), O_RDONLY);
    const long c = call(SYS_open, p.c_str(), O_WRONLY);
    REQUIRE(a >= 0);
    CHECK(call(SYS_flock, a, LOCK_EX) == 0);
    CHECK(call(SYS_flock, a, LOCK_EX) == 0);  // again: nothing changes
    CHECK(call(SYS_flock, b, LOCK_SH | LOCK_NB) == -EWOULDBLOCK);
    CHECK(call(SYS_flock, b, LOCK_EX | LOCK_NB) == -EWOULDBLOCK);
    const long a2 = call(SYS_dup, a);  // the same description: its lock
    CHECK(call(SYS_flock, a2, LOCK_EX | LOCK_NB) == 0);
    CHECK(call(SYS_flock, a, LOCK_UN) == 0);
    CHECK(call(SYS_flock, b, LOCK_SH | LOCK_NB) == 0);
    CHECK(call(SYS_flock, a, LOCK_SH | LOCK_NB) == 0);  // shared with b
    // Converting to exclusive drops the shared lock first; b's lock still blocks it.
    CHECK(call(SYS_flock, a, LOCK_EX | LOCK_NB) == -EWOULDBLOCK);
    CHECK(call(SYS_flock, c, LOCK_EX | LOCK_NB) == -EWOULDBLOCK);  // b holds it shared
    call(SYS_close, b);  // the last reference to b's description releases its lock
    CHECK(call(SYS_flock, c, LOCK_EX | LOCK_NB) == 0);
    CHECK(call(SYS_flock, a, LOCK_SH | LOCK_NB) == -EWOULDBLOCK);
    CHECK(call(SYS_flock, a, 0) == -EINVAL);
    CHECK(call(SYS_flock, a, LOCK_SH | LOCK_EX) == -EINVAL);
    CHECK(call(SYS_flock, 999, LOCK_SH) == -EBADF);
    const long path = call(SYS_open, p.c_str(), O_PATH);
    CHECK(call(SYS_flock, path, LOCK_SH) == -EBADF);
    const long dir = call(SYS_open, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_flock, dir, LOCK_EX | LOCK_NB) == 0);
    for (long fd : {a, a2, c, path, dir}) call(SYS_close, fd);
  });
}

TEST_CASE("record locks: classic and OFD locks conflict and F_GETLK reports the holder") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string p = d / "f";
    const long a = call(SYS_open, p.c_str(), O_CREAT | O_RDWR, 0644);
    const long b = call(SYS_open, p.c_str(), O_RDWR);
    REQUIRE(b >= 0);
    const std::string pid = std::to_string(call(SYS_getpid));
    CHECK(setlk(a, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10)) == 0);
    CHECK(probe(b, 5, 1) == "W 0 10 " + pid);
    CHECK(probe(b, 10, 5) == "unlocked");
    CHECK(setlk(b, F_OFD_SETLK, lk(F_RDLCK, SEEK_SET, 5, 5)) == -EAGAIN);
    CHECK(setlk(b, F_OFD_SETLK, lk(F_RDLCK, SEEK_SET, 10, 5)) == 0);
    // The classic owner sees the OFD lock, with pid -1.
    CHECK(probe(a, 0, 20, F_GETLK) == "R 10 5 -1");
    CHECK(setlk(a, F_SETLK, lk(F_RDLCK, SEEK_SET, 10, 1)) == 0);  // read locks share
    CHECK(setlk(a, F_SETLK, lk(F_WRLCK, SEEK_SET, 12, 1)) == -EAGAIN);
    // A classic lock from another descriptor of the same process is the same owner.
    const long a3 = call(SYS_open, p.c_str(), O_RDWR);
    CHECK(setlk(a3, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 5)) == 0);
    // ...and closing any descriptor of the file drops all of the process's classic locks.
    call(SYS_close, a3);
    CHECK(probe(b, 0, 10) == "unlocked");
    CHECK(setlk(b, F_OFD_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0)) == 0);
    CHECK(probe(a, 0, 0, F_GETLK) == "unlocked");
    for (long fd : {a, b}) call(SYS_close, fd);
  });
}

TEST_CASE("record locks split merge and measure ranges like Linux") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string p = d / "f";
    const long a = call(SYS_open, p.c_str(), O_CREAT | O_RDWR, 0644);
    const long b = call(SYS_open, p.c_str(), O_RDWR);
    REQUIRE(call(SYS_write, a, "0123456789", 10) == 10);
    CHECK(setlk(a, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 100)) == 0);
    CHECK(setlk(a, F_SETLK, lk(F_UNLCK, SEEK_SET, 40, 20)) == 0);  // a hole in the middle
    CHECK(probe(b, 50, 50) == "W 60 40 " + std::to_string(call(SYS_getpid)));
    CHECK(probe(b, 40, 20) == "unlocked");
    CHECK(setlk(a, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0)) == 0);  // to the end: everything
    CHECK(probe(b, 0, 0) == "unlocked");
    CHECK(setlk(b, F_OFD_SETLK, lk(F_RDLCK, SEEK_SET, 0, 10)) == 0);
    CHECK(setlk(b, F_OFD_SETLK, lk(F_RDLCK, SEEK_SET, 10, 10)) == 0);  // merges with it
    CHECK(probe(a, 0, 100, F_GETLK) == "R 0 20 -1");
    // Whence and negative lengths: SEEK_END of a 10-byte file, 5 bytes back.
    CHECK(setlk(b, F_OFD_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0)) == 0);
    CHECK(setlk(b, F_OFD_SETLK, lk(F_WRLCK, SEEK_END, 0, -5)) == 0);
    CHECK(probe(a, 0, 0, F_GETLK) == "W 5 5 -1");
    CHECK(call(SYS_lseek, b, 3, SEEK_SET) == 3);
    CHECK(setlk(b, F_OFD_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0)) == 0);
    CHECK(setlk(b, F_OFD_SETLK, lk(F_WRLCK, SEEK_CUR, 1, 0)) == 0);  // [4, end)
    CHECK(probe(a, 0, 0, F_GETLK) == "W 4 0 -1");
    for (long fd : {a, b}) call(SYS_close, fd);
  });
}

TEST_CASE("record lock argument errors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string p = d / "f";
    const long rw = call(SYS_open, p.c_str(), O_CREAT | O_RDWR, 0644);
    const long ro = call(SYS_open, p.c_str(), O_RDONLY);
    const long wo = call(SYS_open, p.c_str(), O_WRONLY);
    const long path = call(SYS_open, p.c_str(), O_PATH);
    CHECK(setlk(rw, F_SETLK, lk(F_WRLCK, 5, 0, 1)) == -EINVAL);
    CHECK(setlk(rw, F_SETLK, lk(7, SEEK_SET, 0, 1)) == -EINVAL);
    CHECK(setlk(rw, F_SETLK, lk(F_WRLCK, SEEK_SET, -1, 1)) == -EINVAL);
    CHECK(setlk(rw, F_SETLK, lk(F_WRLCK, SEEK_SET, 2, -5)) == -EINVAL);
    CHECK(setlk(rw, F_SETLK, lk(F_WRLCK, SEEK_SET, INT64_MAX, 2)) == -EOVERFLOW);
    CHECK(setlk(ro, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)) == -EBADF);
    CHECK(setlk(wo, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)) == -EBADF);
    CHECK(setlk(ro, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 1)) == 0);
    CHECK(setlk(path, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)) == -EBADF);
    CHECK(probe(rw, 0, 1, F_GETLK).find("unlocked") == 0);
    struct flock un = lk(F_UNLCK, SEEK_SET, 0, 1);
    CHECK(call(SYS_fcntl, rw, F_GETLK, &un) == -EINVAL);
    struct flock withpid = lk(F_RDLCK, SEEK_SET, 0, 1);
    withpid.l_pid = 1;
    CHECK(call(SYS_fcntl, rw, F_OFD_SETLK, &withpid) == -EINVAL);
    CHECK(call(SYS_fcntl, rw, F_OFD_GETLK, &withpid) == -EINVAL);
    CHECK(call(SYS_fcntl, rw, F_SETLK, nullptr) == -EFAULT);
    for (long fd : {rw, ro, wo, path}) call(SYS_close, fd);
  });
}
