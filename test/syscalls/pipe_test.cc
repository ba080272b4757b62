// Pipes and FIFOs: pipe2 flags, end of file and EPIPE, non-blocking ends, PIPE_BUF atomicity,
// packet mode, pipe sizes, FIONREAD, and the FIFO open rules that do not block.

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;

TEST_CASE("pipe2: data flows and the ends see end of file and EPIPE") {
  shim::fresh_task([] {
    int fds[2] = {-1, -1};
    REQUIRE(call(SYS_pipe2, fds, 0) == 0);
    CHECK(call(SYS_fcntl, fds[0], F_GETFL) == O_RDONLY);
    CHECK(call(SYS_fcntl, fds[1], F_GETFL) == O_WRONLY);
    CHECK(call(SYS_fcntl, fds[0], F_GETFD) == 0);
    CHECK(call(SYS_write, fds[1], "hello", 5) == 5);
    int avail = -1;
    CHECK(call(SYS_ioctl, fds[0], FIONREAD, &avail) == 0);
    CHECK(avail == 5);
    CHECK(call(SYS_ioctl, fds[0], FIONREAD, nullptr) == -EFAULT);
    char buf[16] = {};
    CHECK(call(SYS_read, fds[0], buf, 3) == 3);
    CHECK(std::string(buf, 3) == "hel");
    CHECK(call(SYS_read, fds[0], buf, sizeof buf) == 2);
    CHECK(call(SYS_read, fds[1], buf, 1) == -EBADF);
    CHECK(call(SYS_write, fds[0], "x", 1) == -EBADF);
    CHECK(call(SYS_lseek, fds[0], 0, SEEK_CUR) == -ESPIPE);
    CHECK(call(SYS_pread64, fds[0], buf, 1, 0) == -ESPIPE);
    struct stat st {};
    REQUIRE(call(SYS_fstat, fds[0], &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_size == 0);
    struct stat st2 {};
    call(SYS_fstat, fds[1], &st2);
    CHECK(st.st_ino == st2.st_ino);
    char link[64] = {};
    const std::string proc = "/proc/self/fd/" + std::to_string(fds[0]);
    REQUIRE(call(SYS_readlink, proc.c_str(), link, sizeof link) > 0);
    CHECK(std::string(link) == "pipe:[" + std::to_string(st.st_ino) + "]");
    call(SYS_close, fds[1]);
    CHECK(call(SYS_read, fds[0], buf, sizeof buf) == 0);  // no writers: end of file
    int fds2[2];
    REQUIRE(call(SYS_pipe2, fds2, 0) == 0);
    call(SYS_close, fds2[0]);
    CHECK(call(SYS_write, fds2[1], "x", 1) == -EPIPE);  // no readers
    call(SYS_close, fds2[1]);
    call(SYS_close, fds[0]);
    CHECK(call(SYS_pipe2, fds, 0x1234) == -EINVAL);
    CHECK(call(SYS_pipe2, nullptr, 0) == -EFAULT);
  });
}

TEST_CASE("pipe2 flags: O_NONBLOCK and O_CLOEXEC") {
  shim::fresh_task([] {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK(call(SYS_fcntl, fds[0], F_GETFL) == (O_RDONLY | O_NONBLOCK));
    CHECK(call(SYS_fcntl, fds[1], F_GETFD) == FD_CLOEXEC);
    char buf[8];
    CHECK(call(SYS_read, fds[0], buf, sizeof buf) == -EAGAIN);
    // Fill it: 64 KiB by default, then EAGAIN; a write larger than the room is partial.
    CHECK(call(SYS_fcntl, fds[0], F_GETPIPE_SZ) == 65536);
    std::vector<char> big(70000, 'z');
    CHECK(call(SYS_write, fds[1], big.data(), big.size()) == 65536);
    CHECK(call(SYS_write, fds[1], "x", 1) == -EAGAIN);
    CHECK(call(SYS_read, fds[0], big.data(), 100) == 100);
    // Still full: room is counted in page slots, and the first page is not free yet.
    CHECK(call(SYS_write, fds[1], big.data(), 100) == -EAGAIN);
    CHECK(call(SYS_read, fds[0], big.data(), 3996) == 3996);  // the first page is free
    // PIPE_BUF: a small write goes in whole or not at all.
    CHECK(call(SYS_write, fds[1], big.data(), 4096) == 4096);
    CHECK(call(SYS_write, fds[1], big.data(), 100) == -EAGAIN);
    call(SYS_close, fds[0]);
    call(SYS_close, fds[1]);
  });
}

TEST_CASE("pipe sizes: F_SETPIPE_SZ rounds up and refuses to drop data") {
  shim::fresh_task([] {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, O_NONBLOCK) == 0);
    CHECK(call(SYS_fcntl, fds[1], F_SETPIPE_SZ, 5000) == 8192);
    CHECK(call(SYS_fcntl, fds[0], F_GETPIPE_SZ) == 8192);
    CHECK(call(SYS_fcntl, fds[1], F_SETPIPE_SZ, 0) == 4096);
    std::vector<char> data(4096, 'a');
    CHECK(call(SYS_write, fds[1], data.data(), data.size()) == 4096);
    CHECK(call(SYS_write, fds[1], "b", 1) == -EAGAIN);
    CHECK(call(SYS_fcntl, fds[1], F_SETPIPE_SZ, 1 << 20) == 1 << 20);
    CHECK(call(SYS_write, fds[1], "b", 1) == 1);
    CHECK(call(SYS_fcntl, fds[1], F_SETPIPE_SZ, 4096) == -EBUSY);  // 4097 bytes inside
    std::vector<char> out(8192);
    CHECK(call(SYS_read, fds[0], out.data(), out.size()) == 4097);
    CHECK(out[4096] == 'b');
    const long fd = call(SYS_open, "/dev/null", O_RDONLY);
    CHECK(call(SYS_fcntl, fd, F_GETPIPE_SZ) == -EBADF);
    for (long f : {long{fds[0]}, long{fds[1]}, fd}) call(SYS_close, f);
  });
}

TEST_CASE("pipe2 O_DIRECT: packets") {
  shim::fresh_task([] {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, O_DIRECT | O_NONBLOCK) == 0);
    CHECK(call(SYS_write, fds[1], "first", 5) == 5);
    CHECK(call(SYS_write, fds[1], "second", 6) == 6);
    char buf[16] = {};
    CHECK(call(SYS_read, fds[0], buf, sizeof buf) == 5);  // one packet per read
    CHECK(std::string(buf, 5) == "first");
    CHECK(call(SYS_read, fds[0], buf, 3) == 3);  // the rest of the packet is dropped
    CHECK(std::string(buf, 3) == "sec");
    CHECK(call(SYS_read, fds[0], buf, sizeof buf) == -EAGAIN);
    call(SYS_close, fds[0]);
    call(SYS_close, fds[1]);
  });
}

TEST_CASE("FIFOs: non-blocking opens and data through the name") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "fifo";
    REQUIRE(call(SYS_mknod, f.c_str(), S_IFIFO | 0644, 0) == 0);
    CHECK(call(SYS_open, f.c_str(), O_WRONLY | O_NONBLOCK) == -ENXIO);  // nobody reads
    const long r = call(SYS_open, f.c_str(), O_RDONLY | O_NONBLOCK);
    REQUIRE(r >= 0);
    char buf[8];
    CHECK(call(SYS_read, r, buf, sizeof buf) == 0);  // no writer yet: end of file
    const long w = call(SYS_open, f.c_str(), O_WRONLY | O_NONBLOCK);
    REQUIRE(w >= 0);
    CHECK(call(SYS_read, r, buf, sizeof buf) == -EAGAIN);  // a writer, no data
    CHECK(call(SYS_write, w, "abc", 3) == 3);
    CHECK(call(SYS_read, r, buf, sizeof buf) == 3);
    const long rw = call(SYS_open, f.c_str(), O_RDWR);  // never waits
    CHECK(rw >= 0);
    CHECK(call(SYS_write, rw, "z", 1) == 1);
    CHECK(call(SYS_read, r, buf, sizeof buf) == 1);
    struct stat st {};
    call(SYS_fstat, r, &st);
    CHECK(S_ISFIFO(st.st_mode));
    for (long fd : {r, w, rw}) call(SYS_close, fd);
    // Every end closed: what a new open finds is an empty pipe.
    const long r2 = call(SYS_open, f.c_str(), O_RDWR);
    CHECK(call(SYS_write, r2, "q", 1) == 1);
    call(SYS_close, r2);
    const long r3 = call(SYS_open, f.c_str(), O_RDONLY | O_NONBLOCK);
    CHECK(call(SYS_read, r3, buf, sizeof buf) == 0);
    call(SYS_close, r3);
  });
}

TEST_CASE("splice: file to pipe by file pages, pipe to file, offsets and positions") {
  shim::fresh_task([] {
    shim::ScratchDir dir;
    const long f = call(SYS_openat, AT_FDCWD, (dir / "src").c_str(), O_CREAT | O_RDWR, 0600);
    REQUIRE(f >= 0);
    std::vector<char> data(100000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    REQUIRE(call(SYS_write, f, data.data(), data.size()) == 100000);
    int p[2];
    REQUIRE(call(SYS_pipe2, p, O_NONBLOCK) == 0);
    // From offset 100: the first buffer ends at the file's page boundary, so 16 buffers
    // hold 3996 + 15 * 4096 bytes.
    loff_t off = 100;
    CHECK(call(SYS_splice, f, &off, p[1], nullptr, 100000, 0) == 3996 + 15 * 4096);
    CHECK(off == 100 + 3996 + 15 * 4096);
    CHECK(call(SYS_lseek, f, 0, SEEK_CUR) == 100000);  // the position did not move
    CHECK(call(SYS_splice, f, &off, p[1], nullptr, 10, 0) == -EAGAIN);  // full
    char buf[8] = {};
    CHECK(call(SYS_read, p[0], buf, 4) == 4);
    CHECK(std::string(buf, 4) == std::string(&data[100], 4));
    // Out to another file at its position.
    const long g = call(SYS_openat, AT_FDCWD, (dir / "dst").c_str(), O_CREAT | O_RDWR, 0600);
    CHECK(call(SYS_splice, p[0], nullptr, g, nullptr, 5000, 0) == 5000);
    CHECK(call(SYS_lseek, g, 0, SEEK_CUR) == 5000);
    loff_t goff = 10;
    CHECK(call(SYS_splice, p[0], nullptr, g, &goff, 8, 0) == 8);
    CHECK(goff == 18);
    std::vector<char> back(18);
    CHECK(call(SYS_pread64, g, back.data(), 18, 0) == 18);
    CHECK(std::string(back.data(), 10) == std::string(&data[104], 10));
    CHECK(std::string(&back[10], 8) == std::string(&data[104 + 5000], 8));
    // From the file position (at its end: nothing).
    CHECK(call(SYS_lseek, f, 99990, SEEK_SET) == 99990);
    int q[2];
    REQUIRE(call(SYS_pipe2, q, 0) == 0);
    CHECK(call(SYS_splice, f, nullptr, q[1], nullptr, 100, 0) == 10);
    CHECK(call(SYS_lseek, f, 0, SEEK_CUR) == 100000);
    CHECK(call(SYS_splice, f, nullptr, q[1], nullptr, 100, 0) == 0);
    // Errors.
    CHECK(call(SYS_splice, f, nullptr, g, nullptr, 10, 0) == -EINVAL);  // no pipe
    CHECK(call(SYS_splice, q[0], &off, g, nullptr, 10, 0) == -ESPIPE);
    CHECK(call(SYS_splice, f, &off, q[1], &off, 10, 0) == -ESPIPE);
    CHECK(call(SYS_splice, q[0], nullptr, q[1], nullptr, 10, 0) == -EINVAL);  // itself
    CHECK(call(SYS_splice, q[1], nullptr, g, nullptr, 10, 0) == -EBADF);   // a write end
    CHECK(call(SYS_splice, f, nullptr, q[1], nullptr, 10, 0x100) == -EINVAL);
    CHECK(call(SYS_splice, f, nullptr, q[1], nullptr, 0, 0x100) == 0);  // len 0 first
    CHECK(call(SYS_splice, 999, nullptr, q[1], nullptr, 10, 0) == -EBADF);
    loff_t neg = -1;
    CHECK(call(SYS_splice, f, &neg, q[1], nullptr, 10, 0) == -EINVAL);
    CHECK(call(SYS_splice, f, 8, q[1], nullptr, 10, 0) == -EFAULT);
    const long app = call(SYS_openat, AT_FDCWD, (dir / "app").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0600);
    CHECK(call(SYS_splice, q[0], nullptr, app, nullptr, 10, 0) == -EINVAL);
    // A pipe with no writer left and nothing in it: end of file.
    int e[2];
    REQUIRE(call(SYS_pipe2, e, 0) == 0);
    call(SYS_close, e[1]);
    CHECK(call(SYS_splice, e[0], nullptr, g, nullptr, 10, 0) == 0);
    // No reader left: EPIPE (SIGPIPE is ignored in test bodies).
    call(SYS_close, q[0]);
    CHECK(call(SYS_splice, f, &off, q[1], nullptr, 10, 0) == -EPIPE);
    for (long fd : {f, g, app}) call(SYS_close, fd);
    for (int fd : {p[0], p[1], q[1], e[0]}) call(SYS_close, fd);
  });
}

TEST_CASE("splice between pipes moves buffers; tee copies them") {
  shim::fresh_task([] {
    int a[2], b[2], c[2];
    REQUIRE(call(SYS_pipe2, a, O_NONBLOCK) == 0);
    REQUIRE(call(SYS_pipe2, b, O_NONBLOCK) == 0);
    REQUIRE(call(SYS_pipe2, c, O_NONBLOCK) == 0);
    CHECK(call(SYS_splice, a[0], nullptr, b[1], nullptr, 10, 0) == -EAGAIN);  // nothing to move
    CHECK(call(SYS_tee, a[0], b[1], 10, 0) == -EAGAIN);
    CHECK(call(SYS_write, a[1], "hello", 5) == 5);
    CHECK(call(SYS_write, a[1], "world", 5) == 5);  // merged into the same buffer
    CHECK(call(SYS_tee, a[0], c[1], 7, 0) == 7);
    CHECK(call(SYS_splice, a[0], nullptr, b[1], nullptr, 3, 0) == 3);
    CHECK(call(SYS_splice, a[0], nullptr, b[1], nullptr, 100, 0) == 7);
    char buf[16] = {};
    CHECK(call(SYS_read, b[0], buf, sizeof buf) == 10);
    CHECK(std::string(buf, 10) == "helloworld");
    CHECK(call(SYS_read, c[0], buf, sizeof buf) == 7);
    CHECK(std::string(buf, 7) == "hellowo");
    CHECK(call(SYS_read, a[0], buf, sizeof buf) == -EAGAIN);  // splice took it all
    // Errors of tee.
    shim::ScratchDir dir;
    const long f = call(SYS_openat, AT_FDCWD, (dir / "f").c_str(), O_CREAT | O_RDWR, 0600);
    CHECK(call(SYS_tee, f, b[1], 10, 0) == -EINVAL);
    CHECK(call(SYS_tee, a[0], a[1], 10, 0) == -EINVAL);
    CHECK(call(SYS_tee, a[1], b[1], 10, 0) == -EBADF);
    CHECK(call(SYS_tee, a[0], b[1], 10, 0x40) == -EINVAL);
    CHECK(call(SYS_tee, a[0], b[1], 0, 0) == 0);
    CHECK(call(SYS_tee, 999, b[1], 10, 0) == -EBADF);
    call(SYS_close, a[1]);
    CHECK(call(SYS_tee, a[0], b[1], 10, 0) == 0);  // no writer, nothing left
    call(SYS_close, f);
    for (int fd : {a[0], b[0], b[1], c[0], c[1]}) call(SYS_close, fd);
  });
}
