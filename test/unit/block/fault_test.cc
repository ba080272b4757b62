// Fault injection: injected errors reach the syscall that caused them and the kernel log;
// torn writes land in part; a power cut loses exactly the writes no flush covered.

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"

using test::sys;

namespace {
// 4 KiB of c, aligned for O_DIRECT.
char* block_of(char c, size_t n = 4096) {
  void* p = nullptr;
  if (posix_memalign(&p, 4096, n) != 0) return nullptr;
  memset(p, c, n);
  return static_cast<char*>(p);
}
}  // namespace

TEST_CASE("the nth write fails with EIO: the syscall sees it and the kernel log says so") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, std::vector<char>(1 << 20, 0));
  auto k = test::boot("ubda=" + img + " ubda.fault=write,nth=3,eio");
  std::vector<long> results;
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
            char* b = block_of('w');
            for (int i = 0; i < 4; ++i) results.push_back(sys(SYS_pwrite64, fd, b, 4096, i * 4096));
            free(b);
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(results == std::vector<long>{4096, 4096, -EIO, 4096});
  const std::string log = k->dmesg();
  CHECK(log.find("ubda: fault injected (rule 1): write of sector 16+8 fails") != std::string::npos);
  CHECK(log.find("I/O error, dev ubda, sector 16 op write, EIO") != std::string::npos);
}

TEST_CASE("a failed writeback reaches fsync once per open file; a bad sector range fails reads") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, test::random_bytes(1 << 20, 5));
  auto k = test::boot("ubda=" + img);
  REQUIRE(k->disk_fault("ubda", {uml::DiskFault::Op::Write, uml::DiskFault::Action::Error, 1, 0}) == 0);
  REQUIRE(k->disk_fault("ubda", {uml::DiskFault::Op::Read, uml::DiskFault::Action::Error, 1, 0, 1024, 8}) == 0);
  CHECK(k->disk_fault("ubdc", {}) == -ENXIO);
  std::vector<long> r;
  REQUIRE(test::run_task(*k, [&] {
            const long a = sys(SYS_open, "/dev/ubda", O_RDWR), b = sys(SYS_open, "/dev/ubda", O_RDWR);
            char buf[4096];
            memset(buf, 'z', sizeof buf);
            r.push_back(sys(SYS_pwrite64, a, buf, 100, 0));  // buffered: fine for now
            r.push_back(sys(SYS_fsync, a));                  // the writeback fails
            r.push_back(sys(SYS_fsync, a));                  // told once
            r.push_back(sys(SYS_fsync, b));                  // the other open is told too
            r.push_back(sys(SYS_pread64, a, buf, 512, 1024 * 512));  // sector 1024: bad
            r.push_back(sys(SYS_pread64, a, buf, 512, 1536 * 512));  // elsewhere: fine
            sys(SYS_close, a);
            sys(SYS_close, b);
            return 0;
          }) == 0);
  CHECK(r == std::vector<long>{100, -EIO, 0, -EIO, -EIO, 512});
  REQUIRE(k->disk_clear_faults("ubda") == 0);
  CHECK(test::run_task(*k, [] {
          const long fd = sys(SYS_open, "/dev/ubda", O_RDONLY);
          char buf[512];
          return sys(SYS_pread64, fd, buf, 512, 1024 * 512) == 512 ? 0 : 1;
        }) == 0);
}

TEST_CASE("a torn write lands its first half and fails; a delayed read waits") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, std::vector<char>(1 << 20, 'o'));
  auto k = test::boot("ubda=" + img + " ubda.fault=write,torn ubda.fault=read,delay=20000");
  long w = 0, rd = 0;
  double waited_ms = 0;
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
            char* b = block_of('n');
            w = sys(SYS_pwrite64, fd, b, 4096, 8192);
            const auto t0 = std::chrono::steady_clock::now();
            rd = sys(SYS_pread64, fd, b, 4096, 0);
            waited_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            free(b);
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(w == -EIO);
  CHECK(rd == 4096);
  CHECK(waited_ms >= 20.0);  // a lower bound only: the delay cannot make it faster
  k->shutdown();
  const auto data = test::read_file(img);
  CHECK(std::string(data.begin() + 8192, data.begin() + 8192 + 2048) == std::string(2048, 'n'));
  CHECK(std::string(data.begin() + 8192 + 2048, data.begin() + 12288) == std::string(2048, 'o'));
}

TEST_CASE("a write cut short reports success and loses its second half") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, std::vector<char>(1 << 20, 'o'));
  auto k = test::boot("ubda=" + img + " ubda.fault=write,nth=2,short");
  std::vector<long> w;
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
            char* b = block_of('s');
            w.push_back(sys(SYS_pwrite64, fd, b, 4096, 0));
            w.push_back(sys(SYS_pwrite64, fd, b, 4096, 65536));  // the 2nd: cut short
            free(b);
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(w == std::vector<long>{4096, 4096});
  CHECK(k->dmesg().find("cut short") != std::string::npos);
  k->shutdown();
  const auto data = test::read_file(img);
  CHECK(data[4095] == 's');
  CHECK(data[65536 + 2047] == 's');
  CHECK(data[65536 + 2048] == 'o');
}

TEST_CASE("volatile cache: a power cut loses what no flush covered; flushes keep write order") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, std::vector<char>(1 << 20, '.'));
  auto k = test::boot("ubda=" + img + " ubda.cache=volatile");
  std::vector<long> r;
  char seen = 0;
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
            char* a = block_of('A');
            char* a2 = block_of('a');
            char* b = block_of('B');
            r.push_back(sys(SYS_pwrite64, fd, a, 4096, 0));
            r.push_back(sys(SYS_pwrite64, fd, a2, 4096, 0));  // the same block again: the newer wins
            r.push_back(sys(SYS_pwrite64, fd, a, 4096, 4096));
            r.push_back(sys(SYS_fsync, fd));                 // durable from here
            r.push_back(sys(SYS_pwrite64, fd, b, 4096, 8192));  // never flushed
            char* got = block_of(0);
            r.push_back(sys(SYS_pread64, fd, got, 4096, 8192));  // the cache answers reads
            seen = got[100];
            free(a);
            free(a2);
            free(b);
            free(got);
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(r == std::vector<long>{4096, 4096, 4096, 0, 4096, 4096});
  CHECK(seen == 'B');
  CHECK(k->disk_power_cut("ubda") == 1);
  CHECK(k->dmesg().find("ubda: power cut: 1 unflushed write(s) lost, 0 kept") != std::string::npos);
  CHECK(test::run_task(*k, [] {  // the disk is gone
          const long fd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
          char* b = block_of('x');
          const long w = sys(SYS_pwrite64, fd, b, 4096, 0);
          free(b);
          return w == -EIO ? 0 : 1;
        }) == 0);
  k->shutdown();
  const auto data = test::read_file(img);
  CHECK(data[0] == 'a');
  CHECK(data[4095] == 'a');
  CHECK(data[4096] == 'A');
  CHECK(data[8192] == '.');
}

TEST_CASE("power cut keeping every unflushed write writes them all") {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  test::write_file(img, std::vector<char>(1 << 20, '.'));
  auto k = test::boot("ubda=" + img);
  REQUIRE(k->disk_volatile_cache("ubda", true) == 0);
  REQUIRE(test::run_task(*k, [] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
            for (int i = 0; i < 16; ++i) {
              char c = static_cast<char>('a' + i);
              std::string s(4096, c);
              sys(SYS_pwrite64, fd, s.data(), 4096, i * 4096);
            }
            // Direct reads of the range write back the cached pages they cover first
            // (coherence) and flush nothing: the writes sit in the disk's volatile cache.
            sys(SYS_close, fd);
            const long dfd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
            void* p = nullptr;
            if (posix_memalign(&p, 4096, 4096) != 0) return 1;
            for (int i = 0; i < 16; ++i) sys(SYS_pread64, dfd, p, 4096, i * 4096);
            free(p);
            sys(SYS_close, dfd);
            return 0;
          }) == 0);
  CHECK(k->disk_power_cut("ubda", 1.0) == 0);
  k->shutdown();
  const auto data = test::read_file(img);
  for (int i = 0; i < 16; ++i) CHECK(data[static_cast<size_t>(i) * 4096] == 'a' + i);
}
