// Data integrity under concurrency and memory pressure: guest tasks on several vCPUs read
// and write random blocks of one disk, or of one file on an ext4 filesystem, checked against
// a shadow copy; writing four times the instance's memory through the page cache succeeds
// and stays within the limit.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"

using test::sys;

#ifndef UML_TEST_SCALE
#define UML_TEST_SCALE 1
#endif

namespace {

// Tasks share pages but never blocks: block b belongs to task b % tasks. Each task writes
// random contents into its blocks and reads random blocks of its own back, checking them
// against the shadow (which only the owner touches).
int hammer(const std::string& path, std::vector<char>& shadow, size_t block, int task, int tasks, int ops, bool direct) {
  const long fd = sys(SYS_open, path.c_str(), O_RDWR | (direct ? O_DIRECT : 0));
  if (fd < 0) return 1;
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, block * 4) != 0) return 2;
  char* buf = static_cast<char*>(mem);
  std::mt19937_64 rng(static_cast<uint64_t>(task) * 7919 + 1);
  const size_t nblocks = shadow.size() / block;
  for (int i = 0; i < ops; ++i) {
    size_t b = rng() % nblocks;
    b = b - b % static_cast<size_t>(tasks) + static_cast<size_t>(task);
    if (b >= nblocks) continue;
    const uint64_t off = b * block;
    if (rng() % 2) {
      for (size_t j = 0; j < block; ++j) buf[j] = static_cast<char>(rng());
      if (sys(SYS_pwrite64, fd, buf, block, off) != static_cast<long>(block)) return 3;
      memcpy(shadow.data() + off, buf, block);
    } else {
      if (sys(SYS_pread64, fd, buf, block, off) != static_cast<long>(block)) return 4;
      if (memcmp(buf, shadow.data() + off, block) != 0) return 5;
    }
    if (i % 97 == 0 && sys(SYS_fdatasync, fd) != 0) return 6;
  }
  free(mem);
  sys(SYS_close, fd);
  return 0;
}

// Eight hammers over path on k at once: 0, or the first failure's code.
int run_hammers(uml::Kernel& k, const std::string& path, std::vector<char>& shadow, size_t block, bool direct) {
  constexpr int kTasks = 8;
  const int ops = 4000 / UML_TEST_SCALE + 200;
  std::atomic<int> failed{0};
  std::vector<uml::TaskHandle> hs;
  for (int t = 0; t < kTasks; ++t)
    hs.push_back(k.spawn([&, t] {
      const int r = hammer(path, shadow, block, t, kTasks, ops, direct);
      if (r) failed = r;
      return r;
    }));
  for (auto& h : hs) CHECK(h.wait() == 0);
  return failed;
}

void concurrent_case(bool direct, size_t block) {
  test::TempDir dir;
  const std::string img = dir.path + "/d.img";
  std::vector<char> shadow = test::random_bytes(16 << 20, 9);
  test::write_file(img, shadow);
  // A small memory limit, so that the cache also evicts and writes back under the test.
  auto k = test::boot("vcpus=2 mem=16M ubda=" + img);
  const int failed = run_hammers(*k, "/dev/ubda", shadow, block, direct);
  INFO(k->dmesg());
  REQUIRE(failed == 0);
  k->shutdown();
  CHECK(test::read_file(img) == shadow);
}

}  // namespace

TEST_CASE("concurrent buffered reads and writes of 512-byte blocks match a shadow copy") {
  concurrent_case(false, 512);
}

TEST_CASE("concurrent O_DIRECT reads and writes of 4 KiB blocks match a shadow copy") {
  concurrent_case(true, 4096);
}

TEST_CASE("concurrent buffered reads and writes of a file on ext4 match a shadow copy") {
  // The same through a filesystem: a 16 MiB file of an ext4 image (its blocks allocated by
  // mke2fs -d), 8 tasks on 2 vCPUs under a 16 MiB memory limit; debugfs reads the result.
  test::TempDir dir;
  const std::string src = dir.path + "/src", img = dir.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  std::vector<char> shadow = test::random_bytes(16 << 20, 10);
  test::write_file(src + "/file", shadow);
  REQUIRE(test::shell("mke2fs -q -F -t ext4 -d " + src + " " + img + " 64M", true).status == 0);
  auto k = test::boot("vcpus=2 mem=16M ubda=" + img);
  REQUIRE(test::run_task(*k, [] {
            test::sys(SYS_mkdir, "/mnt", 0755);
            return static_cast<int>(test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L));
          }) == 0);
  const int failed = run_hammers(*k, "/mnt/file", shadow, 1024, false);
  INFO(k->dmesg());
  REQUIRE(failed == 0);
  REQUIRE(test::run_task(*k, [] { return static_cast<int>(test::sys(SYS_umount2, "/mnt", 0)); }) == 0);
  k->shutdown();
  const std::string got = test::shell("debugfs -R 'cat /file' " + img, true).out;
  CHECK((got == std::string(shadow.begin(), shadow.end())));
  CHECK(test::shell("e2fsck -fn " + img, true).status == 0);
}

TEST_CASE("writing four times the memory limit through the page cache succeeds within it") {
  test::TempDir dir;
  const std::string img = dir.path + "/big.img";
  constexpr size_t kMem = 16 << 20;
  {
    // A sparse file of 4x the limit and a bit.
    const int fd = open(img.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(ftruncate(fd, 4 * kMem + (1 << 20)) == 0);
    close(fd);
  }
  auto k = test::boot("mem=16M ubda=" + img);
  uint64_t max_pages = 0, limit = 0, evicted = 0;
  REQUIRE(test::run_task(*k, [&]() -> int {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
            std::vector<char> chunk(256 << 10);
            auto& cache = test::self().kernel().page_cache();
            for (size_t off = 0; off < 4 * kMem; off += chunk.size()) {
              memset(chunk.data(), static_cast<int>('a' + (off >> 20) % 26), chunk.size());
              if (sys(SYS_pwrite64, fd, chunk.data(), chunk.size(), off) != static_cast<long>(chunk.size())) return 1;
              const auto st = cache.stats();
              max_pages = std::max(max_pages, st.pages);
              limit = st.limit;
            }
            if (sys(SYS_fsync, fd) != 0) return 2;
            evicted = cache.stats().evicted;
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(limit == kMem / 4096);
  CHECK(max_pages <= limit);
  CHECK(evicted > 0);
  k->shutdown();
  const auto data = test::read_file(img);
  for (size_t off = 0; off < 4 * kMem; off += 1 << 20) CHECK(data[off] == static_cast<char>('a' + (off >> 20) % 26));
}
