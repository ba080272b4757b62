// Sparse files and in-kernel copies: fallocate, SEEK_DATA/SEEK_HOLE, st_blocks, sendfile,
// copy_file_range.

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;

namespace {
long open_rw(const std::string& p) { return call(SYS_open, p.c_str(), O_CREAT | O_RDWR, 0644); }
struct stat fst(long fd) {
  struct stat st {};
  call(SYS_fstat, fd, &st);
  return st;
}
std::string pread_str(long fd, size_t n, long off) {
  std::string s(n, '\0');
  const long k = call(SYS_pread64, fd, s.data(), n, off);
  s.resize(k < 0 ? 0 : static_cast<size_t>(k));
  return s;
}
}  // namespace

TEST_CASE("sparse files: holes read as zeros and SEEK_DATA and SEEK_HOLE find them") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_rw(d / "sparse");
    REQUIRE(fd >= 0);
    REQUIRE(call(SYS_pwrite64, fd, "A", 1, 0) == 1);
    REQUIRE(call(SYS_pwrite64, fd, "B", 1, 1 << 20) == 1);  // a 1 MiB hole between
    struct stat st = fst(fd);
    CHECK(st.st_size == (1 << 20) + 1);
    CHECK(st.st_blocks == 16);  // two pages
    CHECK(pread_str(fd, 4, 4096) == std::string(4, '\0'));
    CHECK(call(SYS_lseek, fd, 0, SEEK_DATA) == 0);
    CHECK(call(SYS_lseek, fd, 0, SEEK_HOLE) == 4096);
    CHECK(call(SYS_lseek, fd, 5000, SEEK_DATA) == 1 << 20);
    CHECK(call(SYS_lseek, fd, (1 << 20) + 1, SEEK_DATA) == -ENXIO);
    CHECK(call(SYS_lseek, fd, 1 << 20, SEEK_HOLE) == (1 << 20) + 1);
    CHECK(call(SYS_lseek, fd, -1, SEEK_DATA) == -ENXIO);
    // Truncating past the end adds a hole, not data.
    REQUIRE(call(SYS_ftruncate, fd, 4 << 20) == 0);
    CHECK(fst(fd).st_blocks == 16);
    CHECK(call(SYS_lseek, fd, (1 << 20) + 4096, SEEK_DATA) == -ENXIO);
    call(SYS_close, fd);
  });
}

TEST_CASE("fallocate allocates and punches holes and checks its arguments") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long fd = open_rw(d / "f");
    REQUIRE(fd >= 0);
    CHECK(call(SYS_fallocate, fd, 0, 0, 8192) == 0);
    struct stat st = fst(fd);
    CHECK(st.st_size == 8192);
    CHECK(st.st_blocks == 16);
    CHECK(pread_str(fd, 3, 100) == std::string(3, '\0'));
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 8192, 8192) == 0);
    st = fst(fd);
    CHECK(st.st_size == 8192);
    CHECK(st.st_blocks == 32);
    std::vector<char> data(3 * 4096, 'x');
    REQUIRE(call(SYS_pwrite64, fd, data.data(), data.size(), 0) == static_cast<long>(data.size()));
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096) == 0);
    CHECK(pread_str(fd, 4096, 4096) == std::string(4096, '\0'));
    CHECK(pread_str(fd, 1, 8192) == "x");
    CHECK(fst(fd).st_size == 3 * 4096);
    CHECK(call(SYS_lseek, fd, 0, SEEK_HOLE) == 4096);
    // A partial page punched reads as zeros and keeps the rest.
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 5) == 0);
    CHECK(pread_str(fd, 16, 0) == std::string(10, 'x') + std::string(5, '\0') + "x");
    // Errors, in Linux's order.
    CHECK(call(SYS_fallocate, fd, 0, -1, 10) == -EINVAL);
    CHECK(call(SYS_fallocate, fd, 0, 0, 0) == -EINVAL);
    CHECK(call(SYS_fallocate, fd, 0x1000, 0, 10) == -EOPNOTSUPP);
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0, 10) == -EOPNOTSUPP);
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096) == -EOPNOTSUPP);
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE, 0, 4096) == -EOPNOTSUPP);
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096) == -EOPNOTSUPP);  // not on tmpfs
    CHECK(call(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, 0, 4096) == -EOPNOTSUPP);  // not on tmpfs
    CHECK(call(SYS_fallocate, fd, 0, INT64_MAX - 10, 100) == -EFBIG);
    CHECK(call(SYS_fallocate, 999, 0, 0, 10) == -EBADF);
    const long ro = call(SYS_open, (d / "f").c_str(), O_RDONLY);
    CHECK(call(SYS_fallocate, ro, 0, 0, 10) == -EBADF);
    call(SYS_close, ro);
    const long dir = call(SYS_open, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_fallocate, dir, 0, 0, 10) == -EBADF);
    call(SYS_close, dir);
    call(SYS_close, fd);
  });
}

TEST_CASE("sendfile copies from a file at an offset or at its position") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long in = open_rw(d / "in");
    REQUIRE(call(SYS_write, in, "0123456789", 10) == 10);
    const long out = open_rw(d / "out");
    long long off = 2;
    CHECK(call(SYS_sendfile, out, in, &off, 5) == 5);
    CHECK(off == 7);
    CHECK(call(SYS_lseek, in, 0, SEEK_CUR) == 10);  // the input position is untouched
    CHECK(pread_str(out, 10, 0) == "23456");
    CHECK(call(SYS_lseek, in, 8, SEEK_SET) == 8);
    CHECK(call(SYS_sendfile, out, in, nullptr, 100) == 2);  // to the end of the input
    CHECK(call(SYS_lseek, in, 0, SEEK_CUR) == 10);
    CHECK(pread_str(out, 10, 0) == "2345689");
    CHECK(call(SYS_sendfile, out, in, nullptr, 100) == 0);
    off = -1;
    CHECK(call(SYS_sendfile, out, in, &off, 1) == -EINVAL);
    CHECK(call(SYS_sendfile, out, 999, nullptr, 1) == -EBADF);
    CHECK(call(SYS_sendfile, 999, in, nullptr, 1) == -EBADF);
    const long ro = call(SYS_open, (d / "out").c_str(), O_RDONLY);
    CHECK(call(SYS_sendfile, ro, in, nullptr, 1) == -EBADF);
    const long app = call(SYS_open, (d / "out").c_str(), O_WRONLY | O_APPEND);
    off = 0;
    CHECK(call(SYS_sendfile, app, in, &off, 1) == -EINVAL);
    const long dir = call(SYS_open, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_sendfile, out, dir, nullptr, 1) == -EINVAL);
    CHECK(call(SYS_sendfile, out, in, reinterpret_cast<long long*>(8), 1) == -EFAULT);
    // From a device: /dev/zero.
    const long zero = call(SYS_open, "/dev/zero", O_RDONLY);
    CHECK(call(SYS_sendfile, out, zero, nullptr, 3) == 3);
    for (long fd : {ro, app, dir, zero, in, out}) call(SYS_close, fd);
  });
}

TEST_CASE("copy_file_range copies within a filesystem") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const long in = open_rw(d / "in");
    REQUIRE(call(SYS_write, in, "abcdefghij", 10) == 10);
    const long out = open_rw(d / "out");
    long long oi = 1, oo = 4;
    CHECK(call(SYS_copy_file_range, in, &oi, out, &oo, 3, 0) == 3);
    CHECK(oi == 4);
    CHECK(oo == 7);
    CHECK(pread_str(out, 10, 0) == std::string(4, '\0') + "bcd");
    CHECK(call(SYS_lseek, out, 0, SEEK_CUR) == 0);
    // Positions: both files' own, advanced.
    CHECK(call(SYS_lseek, in, 6, SEEK_SET) == 6);
    CHECK(call(SYS_copy_file_range, in, nullptr, out, nullptr, 100, 0) == 4);
    CHECK(call(SYS_lseek, in, 0, SEEK_CUR) == 10);
    CHECK(call(SYS_lseek, out, 0, SEEK_CUR) == 4);
    CHECK(pread_str(out, 10, 0) == "ghijbcd");
    CHECK(call(SYS_copy_file_range, in, nullptr, out, nullptr, 100, 0) == 0);  // at the end
    CHECK(call(SYS_copy_file_range, in, nullptr, out, nullptr, 1, 1) == -EINVAL);
    oi = 0;
    oo = 2;
    CHECK(call(SYS_copy_file_range, in, &oi, in, &oo, 4, 0) == -EINVAL);  // overlapping
    oo = 20;
    CHECK(call(SYS_copy_file_range, in, &oi, in, &oo, 4, 0) == 4);
    const long dir = call(SYS_open, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    CHECK(call(SYS_copy_file_range, dir, nullptr, out, nullptr, 1, 0) == -EISDIR);
    const long ro = call(SYS_open, (d / "out").c_str(), O_RDONLY);
    CHECK(call(SYS_copy_file_range, in, nullptr, ro, nullptr, 1, 0) == -EBADF);
    const long app = call(SYS_open, (d / "out").c_str(), O_WRONLY | O_APPEND);
    CHECK(call(SYS_copy_file_range, in, nullptr, app, nullptr, 1, 0) == -EBADF);
    const long null = call(SYS_open, "/dev/null", O_WRONLY);
    CHECK(call(SYS_copy_file_range, in, nullptr, null, nullptr, 1, 0) == -EINVAL);
    for (long fd : {dir, ro, app, null, in, out}) call(SYS_close, fd);
  });
}

TEST_CASE("copy_file_range between two tmpfs mounts is EXDEV") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(call(SYS_mount, "tmpfs", m.c_str(), "tmpfs", 0, nullptr) == 0);
    const long in = open_rw(d / "in");
    REQUIRE(call(SYS_write, in, "x", 1) == 1);
    const long out = open_rw(m + "/out");
    long long oi = 0;
    CHECK(call(SYS_copy_file_range, in, &oi, out, nullptr, 1, 0) == -EXDEV);
    CHECK(call(SYS_sendfile, out, in, &oi, 1) == 1);  // sendfile crosses filesystems
    call(SYS_close, in);
    call(SYS_close, out);
    CHECK(call(SYS_umount2, m.c_str(), 0) == 0);
  });
}
