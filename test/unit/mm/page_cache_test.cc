// The page cache (core/mm) on its own: an AddressSpace over a memory-backed owner whose
// I/O completes at once, so each rule is seen without a disk or a filesystem. Run inside a
// task of an instance, which provides the PageCache and the entity that waits.

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "core/kernel/kernel.h"
#include "core/mm/page_cache.h"
#include "core/mm/readahead.h"
#include "fixture.h"

using namespace uml::kern;

namespace {

constexpr size_t kPage = AddressSpace::kPage;

// An owner whose backing store is a vector: reads and writes complete inside the call. A
// page index in bad_reads fails its read; writes fail while fail_writes is set.
class MemoryOwner final : public AddressSpaceOps {
 public:
  explicit MemoryOwner(size_t bytes) : backing(bytes) {
    for (size_t i = 0; i < bytes; ++i) backing[i] = static_cast<char>(i * 7 + i / kPage);
  }
  void read_pages(SchedEntity&, AddressSpace& m, CachePage* const* pages, size_t n) override {
    ++calls;
    for (size_t i = 0; i < n; ++i) {
      CachePage* p = pages[i];
      ++reads;
      read_indexes.insert(p->index);
      if (bad_reads.count(p->index)) {
        m.end_read(p, false);
        continue;
      }
      const size_t off = p->index * kPage;
      const size_t len = off < backing.size() ? std::min(kPage, backing.size() - off) : 0;
      memcpy(p->data, backing.data() + off, len);
      memset(p->data + len, 0, kPage - len);
      m.end_read(p, true);
    }
  }
  void write_pages(AddressSpace& m, CachePage* const* pages, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      CachePage* p = pages[i];
      ++writes;
      if (fail_writes) {
        m.end_write(p, -EIO);
        continue;
      }
      const size_t off = p->index * kPage;
      if (off < backing.size()) memcpy(backing.data() + off, p->data, std::min(kPage, backing.size() - off));
      m.end_write(p, 0);
    }
  }

  std::vector<char> backing;
  std::set<uint64_t> bad_reads, read_indexes;
  bool fail_writes = false;
  int reads = 0, writes = 0, calls = 0;
};

// body(self, cache) inside a task of a fresh instance; its failures are counted.
int in_task(const std::function<int(SchedEntity&, PageCache&)>& body) {
  auto k = test::boot("mem=64M");
  return test::run_task(*k, [&] {
    Task& t = test::self();
    return body(t, t.kernel().page_cache());
  });
}

}  // namespace

TEST_CASE("page cache: reads come from the owner once, then from the cache") {
  REQUIRE(in_task([](SchedEntity& self, PageCache& cache) {
            MemoryOwner owner(10 * kPage + 100);
            AddressSpace m(cache, owner, owner.backing.size());
            std::vector<char> out(owner.backing.size());
            Readahead ra;
            auto n = m.read(self, 0, IoBuffer::kernel(out.data(), out.size()), ra);
            if (!n || n.value() != out.size()) return 1;
            if (out != owner.backing) return 2;
            const int first = owner.reads;
            if (first != 11) return 3;  // every page once, the partial last one included
            Readahead again;
            n = m.read(self, 3 * kPage + 5, IoBuffer::kernel(out.data(), 100), again);
            if (!n || n.value() != 100 || owner.reads != first) return 4;  // all cached
            // Past the end: nothing, and no I/O.
            n = m.read(self, owner.backing.size(), IoBuffer::kernel(out.data(), 10), again);
            if (!n || n.value() != 0 || owner.reads != first) return 5;
            if (m.counts().pages != 11) return 6;
            m.invalidate(&self, 0, ~uint64_t{0}, false);
            return m.counts().pages == 0 ? 0 : 7;
          }) == 0);
}

TEST_CASE("page cache: a failed read is EIO, and a later read tries the owner again") {
  REQUIRE(in_task([](SchedEntity& self, PageCache& cache) {
            MemoryOwner owner(4 * kPage);
            AddressSpace m(cache, owner, owner.backing.size());
            owner.bad_reads.insert(2);
            std::vector<char> out(kPage);
            Readahead ra;
            auto n = m.read(self, 2 * kPage, IoBuffer::kernel(out.data(), out.size()), ra);
            if (n || n.error() != Errno::IO) return 1;
            owner.bad_reads.clear();
            Readahead ra2;
            n = m.read(self, 2 * kPage, IoBuffer::kernel(out.data(), out.size()), ra2);
            if (!n || n.value() != kPage) return 2;
            if (memcmp(out.data(), owner.backing.data() + 2 * kPage, kPage) != 0) return 3;
            m.invalidate(&self, 0, ~uint64_t{0}, false);
            return 0;
          }) == 0);
}

TEST_CASE("page cache: writes stay dirty until written back, and a write error is reported once") {
  REQUIRE(in_task([](SchedEntity& self, PageCache& cache) {
            MemoryOwner owner(8 * kPage);
            AddressSpace m(cache, owner, owner.backing.size());
            const std::vector<char> before = owner.backing;
            std::vector<char> data(3 * kPage, 'w');
            auto n = m.write(self, kPage + 10, IoBuffer::kernel(data.data(), data.size()));
            if (!n || n.value() != data.size()) return 1;
            if (owner.backing != before) return 2;  // nothing written yet
            if (m.counts().dirty != 4) return 3;    // pages 1..4 (a partial first and last)
            uint32_t seen = m.error_seq();
            if (!m.write_and_wait(self, 0, ~uint64_t{0}, &seen)) return 4;
            if (m.counts().dirty != 0) return 5;
            if (memcmp(owner.backing.data() + kPage + 10, data.data(), data.size()) != 0) return 6;
            // The bytes around the write are the old ones (read in before the partial pages
            // were changed).
            if (memcmp(owner.backing.data(), before.data(), kPage + 10) != 0) return 7;
            // A failing owner: the error reaches this cursor once (errseq), then clears.
            owner.fail_writes = true;
            n = m.write(self, 0, IoBuffer::kernel(data.data(), 100));
            if (!n) return 8;
            auto r = m.write_and_wait(self, 0, ~uint64_t{0}, &seen);
            if (r || r.error() != Errno::IO) return 9;
            owner.fail_writes = false;
            if (!m.write_and_wait(self, 0, ~uint64_t{0}, &seen)) return 10;
            // A new opener's cursor starts after the error: it sees none.
            uint32_t fresh = m.error_seq();
            if (!m.write_and_wait(self, 0, ~uint64_t{0}, &fresh)) return 11;
            m.invalidate(&self, 0, ~uint64_t{0}, false);
            return 0;
          }) == 0);
}

TEST_CASE("page cache: a sequential reader reads ahead in growing windows") {
  REQUIRE(in_task([](SchedEntity& self, PageCache& cache) {
            MemoryOwner owner(256 * kPage);
            AddressSpace m(cache, owner, owner.backing.size());
            std::vector<char> out(kPage);
            Readahead seq;
            for (uint64_t i = 0; i < 128; ++i) {
              if (!m.read(self, i * kPage, IoBuffer::kernel(out.data(), kPage), seq)) return 1;
              if (memcmp(out.data(), owner.backing.data() + i * kPage, kPage) != 0) return 2;
            }
            // 128 one-page reads in order: the owner was asked a few times for many pages
            // each, and never for a page twice.
            if (owner.calls > 16) return 3;
            if (static_cast<size_t>(owner.reads) != owner.read_indexes.size()) return 4;
            m.invalidate(&self, 0, ~uint64_t{0}, false);
            return 0;
          }) == 0);
}
