// host::copy_guarded and the IoBuffer copies over it: a copy that runs into an unmapped page
// fails instead of crashing, in either direction, at every size and alignment, and a partial
// copy stops exactly at the page boundary.

#include "host/fault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "core/base/io_buffer.h"

using uml::host::copy_guarded;

namespace {

// Two pages, the second inaccessible: the first page's tail is readable and writable, then
// nothing. PROT_NONE rather than unmapped, so that no other mapping of the process (the
// sanitizers' allocators map as they go) can take its place.
struct Cliff {
  Cliff() {
    page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    base = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(base != MAP_FAILED);
    REQUIRE(mprotect(base + page, page, PROT_NONE) == 0);
    for (size_t i = 0; i < page; ++i) base[i] = static_cast<char>(i * 7 + 1);
  }
  ~Cliff() { munmap(base, 2 * page); }
  char* edge() const { return base + page; }
  size_t page = 0;
  char* base = nullptr;
};

}  // namespace

TEST_CASE("copy_guarded copies what is mapped and fails on what is not", "[host][fault]") {
  uml::host::fault_handling_install();
  Cliff c;
  std::vector<char> buf(600);
  for (size_t len : {size_t{1}, size_t{3}, size_t{8}, size_t{13}, size_t{63}, size_t{64}, size_t{65}, size_t{200}, size_t{512}}) {
    for (size_t before : {size_t{0}, size_t{1}, size_t{7}, size_t{9}, size_t{100}}) {
      INFO("len " << len << ", bytes before the edge " << before);
      const char* src = c.edge() - before;
      std::fill(buf.begin(), buf.end(), 'z');
      const bool whole = before >= len;
      REQUIRE(copy_guarded(buf.data(), src, len) == whole);
      if (whole) REQUIRE(memcmp(buf.data(), src, len) == 0);
      REQUIRE(buf[len] == 'z');  // never past the end

      // Into the cliff: the same, the other way.
      char* dst = c.edge() - before;
      REQUIRE(copy_guarded(dst, buf.data(), len) == whole);

      // The partial copies stop exactly at the edge.
      const size_t expect = std::min(before, len);
      for (size_t i = 0; i < before; ++i) c.edge()[-1 - static_cast<long>(i)] = 'q';
      std::fill(buf.begin(), buf.end(), 'z');
      const auto in = uml::kern::IoBuffer::user(reinterpret_cast<uintptr_t>(src), len);
      REQUIRE(in.read_some(0, buf.data(), len) == expect);
      for (size_t i = 0; i < expect; ++i) REQUIRE(buf[i] == 'q');
      REQUIRE(buf[expect] == 'z');
      std::fill(buf.begin(), buf.end(), 'w');
      const auto out = uml::kern::IoBuffer::user(reinterpret_cast<uintptr_t>(dst), len);
      REQUIRE(out.write_some(0, buf.data(), len) == expect);
      for (size_t i = 0; i < expect; ++i) REQUIRE(dst[i] == 'w');
    }
  }
}

TEST_CASE("copy_guarded fails in the null page and on read-only memory", "[host][fault]") {
  uml::host::fault_handling_install();
  char b[16] = {};
  // (Not address 0 itself: memcpy may not be handed a null pointer, which UBSan reports.)
  const auto low = reinterpret_cast<char*>(uintptr_t{16});
  REQUIRE_FALSE(copy_guarded(b, low, 8));
  REQUIRE_FALSE(copy_guarded(low, b, 1));
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* ro = mmap(nullptr, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(ro != MAP_FAILED);
  REQUIRE(copy_guarded(b, ro, sizeof b));  // reading is fine
  REQUIRE_FALSE(copy_guarded(ro, b, sizeof b));
  std::vector<char> page_of(page);
  REQUIRE_FALSE(copy_guarded(ro, page_of.data(), page));
  munmap(ro, page);
  // Zero bytes touch nothing.
  REQUIRE(copy_guarded(b, low, 0));
}
