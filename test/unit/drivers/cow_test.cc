// Copy-on-write disks: the base is never written, reads merge overlay and base, an overlay
// reopens on its own base and refuses another, and uml-cow merges it back.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"

using test::sys;

namespace {

// Random writes of random sizes through /dev/ubda (buffered and O_DIRECT), mirrored into
// model; then the whole disk read back and compared.
int scribble(std::vector<char>& model, uint64_t seed) {
  const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
  const long dfd = sys(SYS_open, "/dev/ubda", O_RDWR | O_DIRECT);
  if (fd < 0 || dfd < 0) return 1;
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, 64 << 10) != 0) return 2;
  char* buf = static_cast<char*>(mem);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 300; ++i) {
    const bool direct = rng() % 3 == 0;
    size_t len = 1 + rng() % (32 << 10);
    uint64_t off = rng() % (model.size() - len);
    if (direct) {
      len = (len + 511) & ~size_t{511};
      off &= ~uint64_t{511};
      if (off + len > model.size()) continue;
    }
    for (size_t j = 0; j < len; ++j) buf[j] = static_cast<char>(rng());
    if (sys(SYS_pwrite64, direct ? dfd : fd, buf, len, off) != static_cast<long>(len)) return 3;
    memcpy(model.data() + off, buf, len);
    if (direct) {  // a later buffered read must not see an older cached page
      char c;
      sys(SYS_pread64, fd, &c, 1, off);
    }
  }
  if (sys(SYS_fsync, fd) != 0) return 4;
  std::vector<char> all(model.size());
  for (size_t off = 0; off < all.size(); off += 64 << 10)
    if (sys(SYS_pread64, fd, all.data() + off, 64 << 10, off) != (64 << 10)) return 5;
  free(mem);
  sys(SYS_close, fd);
  sys(SYS_close, dfd);
  return all == model ? 0 : 6;
}

int read_all(std::vector<char>* out, size_t size) {
  const long fd = sys(SYS_open, "/dev/ubda", O_RDONLY);
  out->resize(size);
  for (size_t off = 0; off < size; off += 1 << 20)
    if (sys(SYS_pread64, fd, out->data() + off, 1 << 20, off) != (1 << 20)) return 1;
  sys(SYS_close, fd);
  return 0;
}

int run_tool(const std::string& args) { return system((std::string(UML_COW_TOOL) + " " + args + " >/dev/null 2>&1").c_str()); }

}  // namespace

TEST_CASE("copy-on-write: writes go to the overlay, the base stays byte for byte, reopen reads them") {
  test::TempDir dir;
  const std::string base = dir.path + "/base.img", over = dir.path + "/over.cow";
  const std::vector<char> original = test::random_bytes(4 << 20, 21);
  test::write_file(base, original);
  std::vector<char> model = original;
  {
    auto k = test::boot("ubda=" + over + "," + base);  // the overlay is made on first use
    REQUIRE(test::run_task(*k, [&] { return scribble(model, 1); }) == 0);
    CHECK(k->dmesg().find("copy-on-write over " + base) != std::string::npos);
  }
  CHECK(test::read_file(base) == original);
  {
    auto k = test::boot("ubda=" + over);  // an overlay alone: its header names the base
    std::vector<char> seen;
    REQUIRE(test::run_task(*k, [&] { return read_all(&seen, model.size()); }) == 0);
    CHECK(seen == model);
    REQUIRE(test::run_task(*k, [&] { return scribble(model, 2); }) == 0);
  }
  CHECK(test::read_file(base) == original);

  // uml-cow merge OVERLAY BASE OUTPUT makes the merged image; in place, the base becomes it.
  const std::string merged = dir.path + "/merged.img";
  REQUIRE(run_tool("merge " + over + " " + base + " " + merged) == 0);
  CHECK(test::read_file(merged) == model);
  CHECK(test::read_file(base) == original);
  REQUIRE(run_tool("info " + over) == 0);
  REQUIRE(run_tool("merge " + over) == 0);
  CHECK(test::read_file(base) == model);
  // The base changed under the overlay: it is refused from now on.
  CHECK(run_tool("merge " + over) != 0);
  CHECK_THROWS_WITH(test::boot("ubda=" + over), Catch::Contains("modified after the overlay was made"));
}

TEST_CASE("copy-on-write refuses another base and a damaged overlay with a clear error") {
  test::TempDir dir;
  const std::string base = dir.path + "/base.img", other = dir.path + "/other.img", over = dir.path + "/o.cow";
  test::write_file(base, test::random_bytes(1 << 20, 1));
  test::write_file(other, test::random_bytes(2 << 20, 2));
  REQUIRE(run_tool("create " + over + " " + base) == 0);
  CHECK(run_tool("create " + over + " " + base) != 0);  // exists
  CHECK_THROWS_WITH(test::boot("ubda=" + over + "," + other), Catch::Contains("a different or changed base"));
  // A flipped byte in the header.
  {
    const int fd = open(over.c_str(), O_RDWR);
    char c;
    REQUIRE(pread(fd, &c, 1, 30) == 1);
    c ^= 0x40;
    REQUIRE(pwrite(fd, &c, 1, 30) == 1);
    close(fd);
  }
  CHECK_THROWS_WITH(test::boot("ubda=" + over + "," + base), Catch::Contains("checksum mismatch"));
  CHECK(run_tool("info " + over) != 0);
  // Not an overlay at all, with a base given.
  CHECK_THROWS_WITH(test::boot("ubda=" + other + "," + base), Catch::Contains("bad magic"));
}

TEST_CASE("copy-on-write: only flushed sectors survive a power cut") {
  test::TempDir dir;
  const std::string base = dir.path + "/base.img", over = dir.path + "/o.cow";
  test::write_file(base, std::vector<char>(1 << 20, '.'));
  auto k = test::boot("ubda=" + over + "," + base + " ubda.cache=volatile");
  REQUIRE(test::run_task(*k, [] {
            const long fd = sys(SYS_open, "/dev/ubda", O_RDWR);
            std::string a(4096, 'A'), b(4096, 'B');
            sys(SYS_pwrite64, fd, a.data(), 4096, 0);
            if (sys(SYS_fsync, fd) != 0) return 1;
            sys(SYS_pwrite64, fd, b.data(), 4096, 4096);
            // Written back to the disk's volatile cache (no flush): a direct read forces it.
            const long dfd = sys(SYS_open, "/dev/ubda", O_RDONLY | O_DIRECT);
            void* p = nullptr;
            if (posix_memalign(&p, 4096, 4096) != 0) return 2;
            sys(SYS_pread64, dfd, p, 4096, 4096);
            free(p);
            return 0;
          }) == 0);
  CHECK(k->disk_power_cut("ubda") >= 1);
  k.reset();
  auto k2 = test::boot("ubda=" + over);
  std::vector<char> seen;
  REQUIRE(test::run_task(*k2, [&] { return read_all(&seen, 1 << 20); }) == 0);
  CHECK(seen[0] == 'A');
  CHECK(seen[4096] == '.');
  CHECK(test::read_file(base) == std::vector<char>(1 << 20, '.'));
}

// uml-cow as a Unix tool: --help and --version on stdout with status 0, bad options with
// status 2, and the files locked as disks lock them: an overlay an instance writes cannot
// be read, nor its base merged into, until --no-lock says so.
TEST_CASE("uml-cow: options, and files in use by an instance") {
  test::TempDir dir;
  const std::string base = dir.path + "/base.img", over = dir.path + "/over.cow";
  test::write_file(base, test::random_bytes(1 << 20, 5));
  const std::string tool = UML_COW_TOOL;
  const test::Shell help = test::shell(tool + " --help 2>/dev/null");
  CHECK(help.status == 0);
  CHECK(help.out.find("usage: uml-cow") != std::string::npos);
  const test::Shell ver = test::shell(tool + " --version 2>/dev/null");
  CHECK(ver.status == 0);
  CHECK(ver.out.find("uml-cow (libuml) ") == 0);
  CHECK(run_tool("--frobnicate info " + over) >> 8 == 2);
  REQUIRE(run_tool("create " + over + " " + base) == 0);
  {
    auto k = test::boot("ubda=" + over);  // writable: the overlay locked, the base shared
    const test::Shell busy = test::shell(tool + " info " + over);
    INFO(busy.out);
    CHECK(busy.status == 1);
    CHECK(busy.out.find("in use") != std::string::npos);
    CHECK(run_tool("merge " + over) >> 8 == 1);  // the base, for writing: shared by the instance
    CHECK(run_tool("--no-lock info " + over) == 0);
  }
  CHECK(run_tool("info " + over) == 0);  // the instance is gone, and its locks with it
}
