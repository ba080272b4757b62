// A directory with a million entries (fewer under the sanitizers): every entry created,
// found, listed exactly once through small getdents64 buffers, and removed; the dcache
// index grows with it. Speed is the benchmarks' business (stat_in_1m_dir); this checks
// that nothing degrades into failure at that size.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"

namespace {
#if defined(UML_TEST_SCALE)
constexpr int kEntries = 1'000'000 / UML_TEST_SCALE;
#else
constexpr int kEntries = 1'000'000;
#endif
long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) { return uml::syscall(nr, a, b, c, d); }
}  // namespace

TEST_CASE("a directory with a million entries") {
  auto k = test::boot("mem=16G");  // /tmp's nr_inodes default is mem/8K, as Linux's
  auto me = k->attach();
  REQUIRE(sys(SYS_mkdir, reinterpret_cast<long>("/tmp/big"), 0755) == 0);
  char name[64];
  long failures = 0;
  for (int i = 0; i < kEntries; ++i) {
    snprintf(name, sizeof name, "/tmp/big/entry-%d", i);
    failures += sys(SYS_mknodat, AT_FDCWD, reinterpret_cast<long>(name), S_IFREG | 0644, 0) != 0;
  }
  CHECK(failures == 0);
  struct stat st {};
  REQUIRE(sys(SYS_stat, reinterpret_cast<long>("/tmp/big"), reinterpret_cast<long>(&st)) == 0);
  CHECK(st.st_size == 20 * (kEntries + 2));
  // Every entry found by name, from a cold and then a warm cache.
  long missing = 0;
  for (int i = 0; i < kEntries; i += 7) {
    snprintf(name, sizeof name, "/tmp/big/entry-%d", i);
    missing += sys(SYS_stat, reinterpret_cast<long>(name), reinterpret_cast<long>(&st)) != 0;
  }
  CHECK(missing == 0);
  CHECK(sys(SYS_stat, reinterpret_cast<long>("/tmp/big/entry-x"), reinterpret_cast<long>(&st)) == -ENOENT);
  // Listed exactly once each, in small batches.
  std::vector<char> seen(kEntries, 0);
  const long fd = sys(SYS_open, reinterpret_cast<long>("/tmp/big"), O_RDONLY | O_DIRECTORY);
  REQUIRE(fd >= 0);
  alignas(8) char buf[4096];
  long listed = 0, dups = 0;
  for (long n; (n = sys(SYS_getdents64, fd, reinterpret_cast<long>(buf), sizeof buf)) > 0;)
    for (long off = 0; off < n; off += *reinterpret_cast<uint16_t*>(buf + off + 16)) {
      const char* nm = buf + off + 19;
      if (strncmp(nm, "entry-", 6) != 0) continue;
      const int idx = atoi(nm + 6);
      dups += seen[idx]++ != 0;
      ++listed;
    }
  sys(SYS_close, fd);
  CHECK(listed == kEntries);
  CHECK(dups == 0);
  long left = 0;
  for (int i = 0; i < kEntries; ++i) {
    snprintf(name, sizeof name, "/tmp/big/entry-%d", i);
    left += sys(SYS_unlink, reinterpret_cast<long>(name)) != 0;
  }
  CHECK(left == 0);
  CHECK(sys(SYS_rmdir, reinterpret_cast<long>("/tmp/big")) == 0);
}
