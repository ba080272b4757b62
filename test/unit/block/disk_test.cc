// Disks end to end: a host file as /dev/ubdX, read and written through the page cache and
// with O_DIRECT from guest tasks, compared with the host file itself.

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host_files.h"
#include "fixture.h"

using test::sys;

TEST_CASE("a host file is /dev/ubda: its bytes read back, writes reach it after fsync") {
  test::TempDir dir;
  const std::string img = dir.path + "/disk.img";
  std::vector<char> pattern = test::random_bytes(8 << 20, 1);
  test::write_file(img, pattern);
  auto k = test::boot("ubda=" + img);
  std::atomic<int> step{0};
  auto h = k->spawn([&]() -> int {
    const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
    if (fd < 0) return 1;
    step = 1;
    // Reads, sequential and random, match the file.
    std::vector<char> buf(1 << 20);
    for (size_t off = 0; off < pattern.size(); off += buf.size()) {
      if (sys(SYS_pread64, fd, buf.data(), buf.size(), off) != static_cast<long>(buf.size())) return 2;
      if (memcmp(buf.data(), pattern.data() + off, buf.size()) != 0) return 3;
    }
    step = 2;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {
      const size_t off = rng() % (pattern.size() - 5000), n = 1 + rng() % 5000;
      if (sys(SYS_pread64, fd, buf.data(), n, off) != static_cast<long>(n)) return 4;
      if (memcmp(buf.data(), pattern.data() + off, n) != 0) return 5;
    }
    step = 3;
    // Writes of odd sizes at odd offsets, then fsync.
    for (int i = 0; i < 200; ++i) {
      const size_t off = rng() % (pattern.size() - 9000), n = 1 + rng() % 9000;
      for (size_t j = 0; j < n; ++j) buf[j] = static_cast<char>(rng());
      if (sys(SYS_pwrite64, fd, buf.data(), n, off) != static_cast<long>(n)) return 6;
      memcpy(pattern.data() + off, buf.data(), n);
    }
    if (sys(SYS_fsync, fd) != 0) return 7;
    step = 4;
    uint64_t size = 0;
    if (sys(SYS_ioctl, fd, BLKGETSIZE64, &size) != 0 || size != pattern.size()) return 8;
    int ssz = 0;
    if (sys(SYS_ioctl, fd, BLKSSZGET, &ssz) != 0 || ssz != 512) return 9;
    if (sys(SYS_lseek, fd, 0, SEEK_END) != static_cast<long>(pattern.size())) return 10;
    // The end: reads stop, writes say ENOSPC.
    if (sys(SYS_pread64, fd, buf.data(), 100, pattern.size()) != 0) return 11;
    if (sys(SYS_pwrite64, fd, buf.data(), 100, pattern.size()) != -ENOSPC) return 12;
    if (sys(SYS_pwrite64, fd, buf.data(), 100, pattern.size() - 10) != 10) return 13;
    memcpy(pattern.data() + pattern.size() - 10, buf.data(), 10);
    sys(SYS_close, fd);
    return 0;
  });
  const int status = h.wait();
  INFO("step " << step.load() << "\n" << k->dmesg());
  REQUIRE(status == 0);
  k->shutdown();  // writes back what the last close left
  CHECK(test::read_file(img) == pattern);
}

TEST_CASE("O_DIRECT transfers go around the cache and stay coherent with it") {
  test::TempDir dir;
  const std::string img = dir.path + "/disk.img";
  std::vector<char> pattern = test::random_bytes(4 << 20, 2);
  test::write_file(img, pattern);
  auto k = test::boot("ubdb=" + img);
  auto h = k->spawn([&]() -> int {
    const long fd = sys(SYS_open, "/dev/ubdb", O_RDWR);
    const long dfd = sys(SYS_open, "/dev/ubdb", O_RDWR | O_DIRECT);
    if (fd < 0 || dfd < 0) return 1;
    void* mem = nullptr;
    if (posix_memalign(&mem, 4096, 1 << 20) != 0) return 2;
    char* abuf = static_cast<char*>(mem);
    // Unaligned direct I/O is refused.
    if (sys(SYS_pread64, dfd, abuf + 1, 4096, 0) != -EINVAL) return 3;
    if (sys(SYS_pread64, dfd, abuf, 4095, 0) != -EINVAL) return 4;
    if (sys(SYS_pread64, dfd, abuf, 4096, 100) != -EINVAL) return 5;
    // A buffered write not yet written back is seen by a direct read.
    memset(abuf, 'x', 4096);
    if (sys(SYS_pwrite64, fd, abuf, 4096, 8192) != 4096) return 6;
    memset(abuf, 0, 4096);
    if (sys(SYS_pread64, dfd, abuf, 4096, 8192) != 4096 || abuf[0] != 'x' || abuf[4095] != 'x') return 7;
    // A direct write is seen by a buffered read of a page cached before.
    char c;
    if (sys(SYS_pread64, fd, &c, 1, 65536) != 1) return 8;
    memset(abuf, 'y', 512);
    if (sys(SYS_pwrite64, dfd, abuf, 512, 65536) != 512) return 9;
    if (sys(SYS_pread64, fd, &c, 1, 65536 + 511) != 1 || c != 'y') return 10;
    // A large direct read (several requests) matches the file.
    if (sys(SYS_pread64, dfd, abuf, 1 << 20, 1 << 20) != (1 << 20)) return 11;
    if (memcmp(abuf, pattern.data() + (1 << 20), 1 << 20) != 0) return 12;
    free(mem);
    sys(SYS_close, fd);
    sys(SYS_close, dfd);
    return 0;
  });
  const int status = h.wait();
  INFO(k->dmesg());
  REQUIRE(status == 0);
}

TEST_CASE("a read-only disk refuses writes; hot-add and hot-remove") {
  test::TempDir dir;
  const std::string img = dir.path + "/ro.img";
  std::vector<char> pattern = test::random_bytes(1 << 20, 3);
  test::write_file(img, pattern);
  auto k = test::boot("ubdar=" + img);
  REQUIRE(test::run_task(*k, [&]() -> int {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
            if (fd < 0) return 1;
            int ro = 0;
            if (sys(SYS_ioctl, fd, BLKROGET, &ro) != 0 || ro != 1) return 2;
            if (sys(SYS_write, fd, "x", 1) != -EPERM) return 3;
            char c;
            if (sys(SYS_read, fd, &c, 1) != 1 || c != pattern[0]) return 4;
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  // A second disk arrives at run time, and its node with it.
  const std::string img2 = dir.path + "/b.img";
  test::write_file(img2, test::random_bytes(1 << 20, 4));
  CHECK(k->add_disk({1, img2}) == 0);
  CHECK(k->add_disk({1, img2}) == -EEXIST);
  CHECK(k->add_disk({2, dir.path + "/missing.img"}) == -ENOENT);
  std::atomic<bool> opened{false}, release{false};
  auto holder = k->spawn([&]() -> int {
    struct stat st;
    if (sys(SYS_stat, "/dev/ubdb", &st) != 0 || !S_ISBLK(st.st_mode) || st.st_rdev != makedev(98, 16)) return 1;
    const long fd = sys(SYS_open, "/dev/ubdb", O_RDONLY);
    if (fd < 0) return 2;
    opened = true;
    while (!release) sys(SYS_sched_yield);
    sys(SYS_close, fd);
    return 0;
  });
  while (!opened && !holder.exited()) std::this_thread::yield();
  CHECK(k->remove_disk("ubdb") == -EBUSY);
  release = true;
  CHECK(holder.wait() == 0);
  CHECK(k->remove_disk("ubdb") == 0);
  CHECK(k->remove_disk("ubdb") == -ENXIO);
  CHECK(test::run_task(*k, [] {
          struct stat st;
          return sys(SYS_stat, "/dev/ubdb", &st) == -ENOENT ? 0 : 1;
        }) == 0);
}

TEST_CASE("BLKFLSBUF, BLKZEROOUT, BLKDISCARD and fallocate on a disk") {
  test::TempDir dir;
  const std::string img = dir.path + "/disk.img";
  test::write_file(img, std::vector<char>(1 << 20, 'q'));
  auto k = test::boot("ubda=" + img);
  std::vector<long> r;
  std::string seen;
  std::atomic<int> phase{0};
  auto h = k->spawn([&] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
            const long ro = sys(SYS_open, "/dev/ubda", O_RDONLY);
            char buf[4096];
            r.push_back(sys(SYS_pread64, fd, buf, 4096, 0));          // cached now
            uint64_t range[2] = {0, 4096};
            r.push_back(sys(SYS_ioctl, fd, BLKZEROOUT, range));
            r.push_back(sys(SYS_pread64, fd, buf, 4096, 0));          // the cache saw it
            seen += buf[0] == 0 && buf[4095] == 0 ? "z" : "?";
            range[0] = 8192;
            r.push_back(sys(SYS_ioctl, ro, BLKZEROOUT, range));        // not open for writing
            range[1] = 100;
            r.push_back(sys(SYS_ioctl, fd, BLKDISCARD, range));        // not sector-aligned
            range[1] = 1 << 21;
            r.push_back(sys(SYS_ioctl, fd, BLKDISCARD, range));        // past the end
            r.push_back(sys(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, 65536, 4096));
            r.push_back(sys(SYS_fallocate, fd, 0, 0, 4096));           // allocation: no
            r.push_back(sys(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 << 20, 512));
            // The host file changes behind the cache's back: the cached page stays until
            // BLKFLSBUF drops it.
            r.push_back(sys(SYS_pread64, fd, buf, 1, 131072));
            phase = 1;
            while (phase != 2) sys(SYS_sched_yield);
            r.push_back(sys(SYS_pread64, fd, buf, 1, 131072));
            seen += buf[0];
            r.push_back(sys(SYS_ioctl, fd, BLKFLSBUF, 0));
            r.push_back(sys(SYS_pread64, fd, buf, 1, 131072));
            seen += buf[0];
            sys(SYS_close, fd);
            sys(SYS_close, ro);
            return 0;
          });
  while (phase != 1) std::this_thread::yield();
  {
    const int hfd = open(img.c_str(), O_WRONLY);
    REQUIRE(pwrite(hfd, "W", 1, 131072) == 1);
    close(hfd);
  }
  phase = 2;
  REQUIRE(h.wait() == 0);
  CHECK(r == std::vector<long>{4096, 0, 4096, -EBADF, -EINVAL, -EINVAL, 0, -EOPNOTSUPP, -EINVAL, 1, 1, 0, 1});
  CHECK(seen == "zqW");
  k->shutdown();
  const auto data = test::read_file(img);
  CHECK(data[0] == 0);
  CHECK(data[4096] == 'q');
  CHECK(data[65536] == 0);
  CHECK(data[65536 + 4096] == 'q');
}
