#include "core/mm/page_cache.h"

#include <algorithm>
#include <bit>
#include <new>

#include "core/sched/scheduler.h"
#include "host/host.h"

namespace uml::kern {

namespace {
constexpr uint64_t kNoPage = ~uint64_t{0};
// Pages one writeback request carries at most (1 MiB), and pages one flusher run starts.
constexpr size_t kWritebackRun = 256;
constexpr size_t kFlusherBatch = 4096;

// Contiguous pages collected under the cache lock, started after it.
struct Run {
  std::vector<CachePage*> pages;
};
}  // namespace

// ---- AddressSpace -------------------------------------------------------------------------

AddressSpace::AddressSpace(PageCache& cache, AddressSpaceOps& ops, uint64_t size)
    : m_cache(cache), m_ops(ops), m_size(size), m_ra_max(PageCache::kMaxReadahead) {
  m_cache.add_space(this);
}

AddressSpace::~AddressSpace() {
  m_cache.remove_space(this);  // no new background writeback
  // Writeback already started (by the flusher a moment ago) and reads still in flight
  // (read-ahead nobody waited for) complete first: their completions touch the pages.
  for (;;) {
    uint32_t gen = m_io_done.load(std::memory_order_acquire);
    {
      SpinGuard g(m_cache.m_lock);
      bool locked = false;
      for (auto& leaf : m_leaves) {
        if (!leaf || !leaf->present) continue;
        for (CachePage* p : leaf->slots())
          if (p && p->has(CachePage::kLocked)) locked = true;
        if (locked) break;
      }
      if (m_nr_writeback == 0 && !locked) break;
    }
    host::futex_wait(&m_io_done, gen, host::monotonic_ns() + 1'000'000);
  }
  // A completion that cleared its page's flag may still be waking the waiters.
  while (m_completing.load(std::memory_order_acquire) != 0) host::yield_thread();
  SpinGuard g(m_cache.m_lock);
  for (auto& leaf : m_leaves) {
    if (!leaf) continue;
    for (CachePage*& p : leaf->slots()) {
      if (!p) continue;
      if (p->has(CachePage::kDirty)) --m_cache.m_nr_dirty;
      m_cache.free_locked(p);
      p = nullptr;
    }
  }
}

uint64_t AddressSpace::last_index() const {
  const uint64_t s = size();
  return s == 0 ? 0 : (s - 1) / kPage;
}

AddressSpace::LeafPtr AddressSpace::make_leaf(uint32_t nslots) {
  static_assert(sizeof(Leaf) % alignof(CachePage*) == 0);
  void* mem = ::operator new(sizeof(Leaf) + nslots * sizeof(CachePage*));
  auto* l = new (mem) Leaf;
  l->nslots = nslots;
  for (CachePage*& s : l->slots()) s = nullptr;
  return LeafPtr(l);
}

CachePage* AddressSpace::find_locked(uint64_t index) const {
  const uint64_t li = index >> kLeafBits;
  if (li >= m_leaves.size() || !m_leaves[li]) return nullptr;
  const size_t slot = index & (kLeafSize - 1);
  Leaf& leaf = *m_leaves[li];
  return slot < leaf.nslots ? leaf.slots()[slot] : nullptr;
}

void AddressSpace::insert_locked(CachePage* p) {
  const uint64_t li = p->index >> kLeafBits;
  const size_t slot = p->index & (kLeafSize - 1);
  if (li >= m_leaves.size()) m_leaves.resize(li + 1);
  LeafPtr& leaf = m_leaves[li];
  if (!leaf || slot >= leaf->nslots) {
    // Room for this slot: a power of two, 4 at least.
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(kLeafSize, std::bit_ceil(std::max<size_t>(slot + 1, 4))));
    LeafPtr grown = make_leaf(n);
    if (leaf) {
      grown->present = leaf->present;
      grown->dirty = leaf->dirty;
      std::copy(leaf->slots().begin(), leaf->slots().end(), grown->slots().begin());
    }
    leaf = std::move(grown);
  }
  leaf->slots()[slot] = p;
  ++leaf->present;
  ++m_nr_pages;
  p->mapping = this;
}

void AddressSpace::erase_locked(CachePage* p) {
  Leaf& leaf = *m_leaves[p->index >> kLeafBits];
  leaf.slots()[p->index & (kLeafSize - 1)] = nullptr;
  --leaf.present;
  --m_nr_pages;
}

// The cache lock is held; the analysis cannot name it here (PageCache is defined after
// AddressSpace), so this one is taken on trust.
void AddressSpace::set_dirty_locked(CachePage* p, uint8_t sectors) NO_THREAD_SAFETY_ANALYSIS {
  const uint32_t f = p->flags.load(std::memory_order_relaxed);
  if (f & CachePage::kDirty) {
    p->dirty_sectors |= sectors;
    return;
  }
  p->dirty_sectors = sectors;
  p->flags.store(f | CachePage::kDirty, std::memory_order_release);
  p->dirtied_ns = m_cache.m_flusher.time().monotonic_ns();
  ++m_leaves[p->index >> kLeafBits]->dirty;
  ++m_nr_dirty;
  ++m_cache.m_nr_dirty;
  if (!m_cache.m_flusher_armed) {  // the flusher sleeps while nothing is dirty
    m_cache.m_flusher_armed = true;
    m_cache.m_flusher.arm(p->dirtied_ns + PageCache::kFlusherTickNs);
  }
}

void AddressSpace::note_error() { m_err_seq.fetch_add(1, std::memory_order_acq_rel); }

void AddressSpace::wait_clear(SchedEntity& self, CachePage* p, uint32_t flags) {
  (void)m_wq.wait_event(self, [&] { return !(p->flags.load(std::memory_order_acquire) & flags); });
}

void AddressSpace::lock_page(SchedEntity& self, CachePage* p) {
  for (;;) {
    {
      SpinGuard g(m_cache.m_lock);
      const uint32_t f = p->flags.load(std::memory_order_relaxed);
      if (!(f & CachePage::kLocked)) {
        p->flags.store(f | CachePage::kLocked, std::memory_order_release);
        return;
      }
    }
    wait_clear(self, p, CachePage::kLocked);
  }
}

void AddressSpace::unlock_page(CachePage* p) {
  m_completing.fetch_add(1, std::memory_order_relaxed);  // published by the flag's release
  {
    SpinGuard g(m_cache.m_lock);
    p->flags.fetch_and(~uint32_t{CachePage::kLocked}, std::memory_order_acq_rel);
  }
  m_wq.wake_all();
  m_completing.fetch_sub(1, std::memory_order_release);  // the last touch of this space
}

void AddressSpace::put_page(CachePage* p) {
  SpinGuard g(m_cache.m_lock);
  --p->refs;
}

void PageRef::reset() {
  if (m_page) m_space->put_page(std::exchange(m_page, nullptr));
}

Result<CachePage*> AddressSpace::get_page(SchedEntity& self, uint64_t index, uint64_t last_req, Readahead* ra) {
  for (;;) {
    CachePage* p = nullptr;
    std::vector<CachePage*> start;  // pages this call must start reading
    uint64_t mark = kNoPage;
    {
      SpinGuard g(m_cache.m_lock);
      p = find_locked(index);
      uint64_t ra_first = kNoPage, ra_count = 0;
      if (!p) {
        ++m_cache.m_counters.misses;
        ra_first = index;
        ra_count = std::min(last_req, last_index()) - index + 1;
        if (ra) {
          // A miss: synchronous read-ahead (page_cache_sync_ra). A sequential reader's
          // window grows; anyone else's starts from the request's size.
          const uint64_t req = last_req - index + 1;
          const bool seq = ra->prev != kNoPage && (index == ra->prev + 1 || index == ra->prev) && ra->size;
          const uint64_t ra_max = readahead_max();
          uint64_t want = seq ? std::max(ra->size * 2, req)
                              : std::max(req, std::min(ra_max, PageCache::kInitialReadahead));
          want = std::min(want, std::max(req, ra_max));
          ra_count = std::min(want, last_index() - index + 1);
          ra->start = index;
          ra->size = ra_count;
          mark = ra_count > req ? index + req : kNoPage;
        }
      } else {
        ++m_cache.m_counters.hits;
        const uint32_t f = p->flags.load(std::memory_order_relaxed);
        if (ra && (f & CachePage::kReadahead)) {
          // The marked page: start the next window now (page_cache_async_ra).
          p->flags.store(f & ~uint32_t{CachePage::kReadahead}, std::memory_order_release);
          const uint64_t next = std::max(ra->start + ra->size, index + 1);
          const uint64_t count = std::min(std::max<uint64_t>(ra->size * 2, PageCache::kInitialReadahead),
                                          readahead_max());
          if (count && next <= last_index()) {
            ra_first = next;
            ra_count = std::min(count, last_index() - next + 1);
            ra->start = next;
            ra->size = ra_count;
            mark = next + ra_count / 2;
          }
        }
      }
      // Pages for the window: present ones end it (someone else reads them).
      for (uint64_t i = 0; i < ra_count; ++i) {
        const uint64_t idx = ra_first + i;
        if (find_locked(idx)) {
          if (idx == index) continue;
          break;
        }
        CachePage* np = m_cache.alloc_locked();
        if (!np) break;
        np->index = idx;
        np->flags.store(CachePage::kLocked | (idx == mark ? CachePage::kReadahead : 0u),
                        std::memory_order_release);
        insert_locked(np);
        start.push_back(np);
        if (ra) ++m_cache.m_counters.readahead_pages;
      }
      if (!p) p = find_locked(index);
      if (p) {
        ++p->refs;
        p->flags.fetch_or(CachePage::kReferenced, std::memory_order_relaxed);
      }
    }
    if (!start.empty()) m_ops.read_pages(self, *this, start.data(), start.size());
    if (!p) {  // no room for the page: wait for writeback, or give up
      if (!m_cache.reclaim(self)) return Errno::NOMEM;
      continue;
    }
    if (p->has(CachePage::kLocked)) wait_clear(self, p, CachePage::kLocked);
    if (!p->has(CachePage::kUptodate)) {
      // A failed read: this reader retries it once (filemap_read_page), then reports it.
      bool retried = false;
      {
        SpinGuard g(m_cache.m_lock);
        const uint32_t f = p->flags.load(std::memory_order_relaxed);
        if (!(f & (CachePage::kLocked | CachePage::kUptodate))) {
          p->flags.store((f & ~uint32_t{CachePage::kError}) | CachePage::kLocked, std::memory_order_release);
          retried = true;
        }
      }
      if (retried) m_ops.read_pages(self, *this, &p, 1);
      wait_clear(self, p, CachePage::kLocked);
      if (!p->has(CachePage::kUptodate)) {
        put_page(p);
        return Errno::IO;
      }
    }
    return p;
  }
}

Result<size_t> AddressSpace::read(SchedEntity& self, uint64_t off, const IoBuffer& buf, Readahead& ra) {
  const uint64_t size = this->size();
  if (off >= size || buf.size() == 0) return size_t{0};
  const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
  const uint64_t last_req = (off + len - 1) / kPage;
  size_t done = 0;
  while (done < len) {
    const uint64_t pos = off + done;
    const uint64_t index = pos / kPage;
    const size_t pg_off = pos % kPage;
    const size_t n = std::min(kPage - pg_off, len - done);
    auto got = get_page(self, index, last_req, &ra);
    if (!got) return done ? Result<size_t>(done) : Result<size_t>(got.error());
    CachePage* p = got.value();
    const size_t k = buf.write_some(done, p->data + pg_off, n);
    put_page(p);
    ra.prev = index;
    done += k;
    if (k < n) return done ? Result<size_t>(done) : Result<size_t>(Errno::FAULT);
  }
  return done;
}

Result<PageRef> AddressSpace::read_page(SchedEntity& self, uint64_t index, uint64_t window) {
  if (index > last_index() || size() == 0) return Errno::IO;
  CachePage* p = TRY(get_page(self, index, index + std::max<uint64_t>(window, 1) - 1, nullptr));
  return PageRef(this, p);
}

Result<size_t> AddressSpace::write(SchedEntity& self, uint64_t off, const IoBuffer& buf) {
  const uint64_t size = this->size();
  const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), off < size ? size - off : 0));
  size_t done = 0;
  while (done < len) {
    const uint64_t pos = off + done;
    const uint64_t index = pos / kPage;
    const size_t pg_off = pos % kPage;
    const size_t n = std::min(kPage - pg_off, len - done);
    // The bytes of this page that exist: a write covering all of them needs no read first.
    const size_t page_bytes = static_cast<size_t>(std::min<uint64_t>(kPage, size - index * kPage));
    CachePage* p = nullptr;
    {
      SpinGuard g(m_cache.m_lock);
      p = find_locked(index);
      if (!p && (p = m_cache.alloc_locked())) {
        p->index = index;
        insert_locked(p);
      }
      if (p) {
        ++p->refs;
        p->flags.fetch_or(CachePage::kReferenced, std::memory_order_relaxed);
      }
    }
    if (!p) {
      if (!m_cache.reclaim(self)) return done ? Result<size_t>(done) : Result<size_t>(Errno::NOMEM);
      continue;
    }
    lock_page(self, p);
    if (!p->has(CachePage::kUptodate) && (pg_off != 0 || n < page_bytes)) {
      // A partial write of a page not read yet: read it (the page lock passes to the I/O).
      m_ops.read_pages(self, *this, &p, 1);
      wait_clear(self, p, CachePage::kLocked);
      if (!p->has(CachePage::kUptodate)) {
        put_page(p);
        return done ? Result<size_t>(done) : Result<size_t>(Errno::IO);
      }
      put_page(p);
      continue;  // again, now that it is up to date
    }
    size_t k = buf.read_some(done, p->data + pg_off, n);
    {
      SpinGuard g(m_cache.m_lock);
      uint32_t f = p->flags.load(std::memory_order_relaxed);
      if (!(f & CachePage::kUptodate)) {
        // A whole-page write: complete, the page is up to date (the bytes past the end of
        // the space read as zeros); cut short by a fault, it counts for nothing
        // (generic_write_end's rule for a page that was not up to date).
        if (k == n) {
          if (page_bytes < kPage) memset(p->data + page_bytes, 0, kPage - page_bytes);
          p->flags.store(f | CachePage::kUptodate, std::memory_order_release);
        } else {
          k = 0;
        }
      }
      if (k) {
        const size_t first = pg_off / 512, last = (pg_off + k - 1) / 512;
        set_dirty_locked(p, static_cast<uint8_t>(((1u << (last + 1)) - 1) & ~((1u << first) - 1)));
      }
      p->flags.fetch_and(~uint32_t{CachePage::kLocked}, std::memory_order_acq_rel);
      --p->refs;
    }
    m_wq.wake_all();
    done += k;
    if (k < n) break;
  }
  if (done) m_cache.balance_dirty(self, *this);
  if (done < len && done == 0) return Errno::FAULT;
  return done;
}

uint64_t AddressSpace::writeback_in(uint64_t first, uint64_t last) const {
  uint64_t n = 0;
  for (uint64_t li = first >> kLeafBits; li <= (last >> kLeafBits) && li < m_leaves.size(); ++li) {
    if (!m_leaves[li] || !m_leaves[li]->present) continue;
    for (CachePage* p : m_leaves[li]->slots())
      if (p && p->index >= first && p->index <= last && p->has(CachePage::kWriteback)) ++n;
  }
  return n;
}

size_t AddressSpace::start_writeback_range(uint64_t first, uint64_t last, size_t max, int64_t older_than_ns) {
  std::vector<Run> runs;
  size_t started = 0;
  {
    SpinGuard g(m_cache.m_lock);
    if (m_nr_dirty == 0) return 0;
    uint64_t prev = kNoPage;
    for (uint64_t li = first >> kLeafBits; li <= (last >> kLeafBits) && li < m_leaves.size() && started < max;
         ++li) {
      Leaf* leaf = m_leaves[li].get();
      if (!leaf || !leaf->dirty) continue;
      for (CachePage* p : leaf->slots()) {
        if (!p || p->index < first || p->index > last) continue;
        const uint32_t f = p->flags.load(std::memory_order_relaxed);
        if ((f & (CachePage::kDirty | CachePage::kWriteback | CachePage::kLocked)) != CachePage::kDirty) continue;
        if (older_than_ns >= 0 && p->dirtied_ns > older_than_ns) continue;
        if (runs.empty() || prev == kNoPage || p->index != prev + 1 || runs.back().pages.size() >= kWritebackRun)
          runs.emplace_back();
        p->flags.store((f & ~uint32_t{CachePage::kDirty}) | CachePage::kWriteback, std::memory_order_release);
        p->wb_sectors = p->dirty_sectors;
        p->dirty_sectors = 0;
        --leaf->dirty;
        --m_nr_dirty;
        --m_cache.m_nr_dirty;
        ++m_nr_writeback;
        ++m_cache.m_nr_writeback;
        runs.back().pages.push_back(p);
        prev = p->index;
        if (++started >= max) break;
      }
    }
  }
  for (Run& r : runs) m_ops.write_pages(*this, r.pages.data(), r.pages.size());
  return started;
}

size_t AddressSpace::start_writeback(size_t max, int64_t older_than_ns) {
  // From the cursor to the end, then from the start (so every page gets its turn).
  const uint64_t end = last_index();
  size_t n = start_writeback_range(m_wb_cursor, end, max, older_than_ns);
  if (n < max && m_wb_cursor) n += start_writeback_range(0, m_wb_cursor - 1, max - n, older_than_ns);
  m_wb_cursor = n < max ? 0 : m_wb_cursor;  // a full batch resumes here next time
  return n;
}

Result<void> AddressSpace::write_and_wait(SchedEntity& self, uint64_t from, uint64_t to, uint32_t* seen) {
  bool idle;
  {
    SpinGuard g(m_cache.m_lock);
    idle = m_nr_dirty == 0 && m_nr_writeback == 0;  // every O_DIRECT transfer asks: usually so
  }
  if (to > from && !idle) {
    const uint64_t first = from / kPage, last = (to - 1) / kPage;
    // Two rounds: pages dirtied again while under writeback are written once that ends.
    for (int round = 0; round < 2; ++round) {
      start_writeback_range(first, last, ~size_t{0}, -1);
      (void)m_wq.wait(self, [&] {
        SpinGuard g(m_cache.m_lock);
        return writeback_in(first, last) == 0;
      });
    }
  }
  if (seen) {
    const uint32_t now = error_seq();
    if (now != *seen) {
      *seen = now;
      return Errno::IO;
    }
  }
  return {};
}

void AddressSpace::write_and_wait_blocking() {
  for (int round = 0; round < 2; ++round) {
    start_writeback_range(0, kNoPage - 1, ~size_t{0}, -1);
    for (;;) {
      uint32_t gen = m_io_done.load(std::memory_order_acquire);
      {
        SpinGuard g(m_cache.m_lock);
        if (m_nr_writeback == 0) break;
      }
      host::futex_wait(&m_io_done, gen, host::monotonic_ns() + 1'000'000);
    }
  }
}

void AddressSpace::invalidate(SchedEntity* self, uint64_t from, uint64_t to, bool discard_dirty) {
  if (to <= from) return;
  {
    SpinGuard g(m_cache.m_lock);
    if (m_nr_pages == 0) return;  // nothing cached (a disk used with O_DIRECT only)
  }
  const uint64_t first = from / kPage, last = (to - 1) / kPage;
  for (;;) {
    CachePage* busy = nullptr;
    {
      SpinGuard g(m_cache.m_lock);
      for (uint64_t li = first >> kLeafBits; li <= (last >> kLeafBits) && li < m_leaves.size(); ++li) {
        Leaf* leaf = m_leaves[li].get();
        if (!leaf || !leaf->present) continue;
        for (CachePage* p : leaf->slots()) {
          if (!p || p->index < first || p->index > last) continue;
          const uint32_t f = p->flags.load(std::memory_order_relaxed);
          if ((f & (CachePage::kLocked | CachePage::kWriteback)) || p->refs) {
            if (self && !busy) {
              busy = p;
              ++p->refs;
            }
            continue;
          }
          if (f & CachePage::kDirty) {
            if (!discard_dirty) continue;
            --leaf->dirty;
            --m_nr_dirty;
            --m_cache.m_nr_dirty;
          }
          erase_locked(p);
          m_cache.free_locked(p);
        }
      }
    }
    if (!busy) return;
    wait_clear(*self, busy, CachePage::kLocked | CachePage::kWriteback);
    put_page(busy);
  }
}

void AddressSpace::end_read(CachePage* p, bool ok) {
  m_completing.fetch_add(1, std::memory_order_relaxed);
  {
    SpinGuard g(m_cache.m_lock);
    uint32_t f = p->flags.load(std::memory_order_relaxed) & ~uint32_t{CachePage::kLocked};
    f = ok ? (f | CachePage::kUptodate) & ~uint32_t{CachePage::kError} : f | CachePage::kError;
    p->flags.store(f, std::memory_order_release);
  }
  m_io_done.fetch_add(1, std::memory_order_acq_rel);
  m_wq.wake_all();
  m_completing.fetch_sub(1, std::memory_order_release);
}

void AddressSpace::end_write(CachePage* p, int res) {
  PageCache& cache = m_cache;  // outlives this space, which may be gone after the wake-up
  m_completing.fetch_add(1, std::memory_order_relaxed);
  {
    SpinGuard g(m_cache.m_lock);
    p->flags.fetch_and(~uint32_t{CachePage::kWriteback}, std::memory_order_acq_rel);
    --m_nr_writeback;
    --m_cache.m_nr_writeback;
  }
  // A failed write leaves the page clean (Linux does not retry forever); the error reaches
  // the next fsync of every open file (errseq).
  if (res < 0) note_error();
  m_io_done.fetch_add(1, std::memory_order_acq_rel);
  m_wq.wake_all();
  m_completing.fetch_sub(1, std::memory_order_release);  // the last touch of this space
  cache.m_io_done.fetch_add(1, std::memory_order_acq_rel);
  cache.m_room.wake_all();
}

AddressSpace::Counts AddressSpace::counts() const {
  SpinGuard g(m_cache.m_lock);
  return {m_nr_pages, m_nr_dirty, m_nr_writeback};
}

// ---- PageCache ------------------------------------------------------------------------------

PageCache::PageCache(Scheduler& sched, uint64_t limit_bytes)
    : m_limit(std::max<uint64_t>(limit_bytes / kPage, 64)), m_flusher(sched, &PageCache::flusher, this) {
  m_next_expire_scan = sched.time().monotonic_ns() + kWritebackIntervalNs;
}

PageCache::~PageCache() { m_flusher.cancel(); }

PageCache::Stats PageCache::stats() const {
  SpinGuard g(m_lock);
  Stats s = m_counters;
  s.pages = m_nr_pages;
  s.dirty = m_nr_dirty;
  s.writeback = m_nr_writeback;
  s.limit = m_limit;
  return s;
}

void PageCache::add_space(AddressSpace* m) {
  SpinGuard g(m_lock);
  m_spaces.push_back(*m);
}

void PageCache::remove_space(AddressSpace* m) {
  {
    SpinGuard g(m_lock);
    m_spaces.remove(*m);
  }
  // Walks over the spaces (flusher, sync, reclaim) that may still hold m end first.
  while (m_walkers.load(std::memory_order_acquire) != 0) host::yield_thread();
}

std::vector<AddressSpace*> PageCache::walk_begin(bool dirty_only) {
  std::vector<AddressSpace*> spaces;
  SpinGuard g(m_lock);
  m_walkers.fetch_add(1, std::memory_order_acq_rel);
  m_spaces.for_each([&](AddressSpace& m) {
    if (!dirty_only || m.m_nr_dirty) spaces.push_back(&m);
  });
  return spaces;
}

void PageCache::walk_end() { m_walkers.fetch_sub(1, std::memory_order_acq_rel); }

CachePage* PageCache::alloc_locked() {
  if (m_nr_pages >= m_limit && evict_locked(32) == 0) return nullptr;
  void* data = m_pool.alloc();
  if (!data) return nullptr;
  auto* p = new CachePage;
  p->data = static_cast<char*>(data);
  ++m_nr_pages;
  m_lru.push_back(*p);
  return p;
}

void PageCache::free_locked(CachePage* p) {
  m_lru.remove(*p);
  m_pool.free(p->data);
  --m_nr_pages;
  delete p;
}

size_t PageCache::evict_locked(size_t want) {
  size_t freed = 0;
  // Up to two passes over the LRU: the first may only clear referenced bits.
  size_t budget = 2 * m_lru.size() + 1;
  while (freed < want && budget-- && !m_lru.empty()) {
    CachePage* p = m_lru.pop_front();
    const uint32_t f = p->flags.load(std::memory_order_relaxed);
    if (f & CachePage::kReferenced) {  // second chance
      p->flags.store(f & ~uint32_t{CachePage::kReferenced}, std::memory_order_relaxed);
      m_lru.push_back(*p);
      continue;
    }
    if (p->refs || (f & (CachePage::kDirty | CachePage::kWriteback | CachePage::kLocked)) || !p->mapping) {
      m_lru.push_back(*p);
      continue;
    }
    m_lru.push_back(*p);  // free_locked takes it off again
    p->mapping->erase_locked(p);
    free_locked(p);
    ++freed;
    ++m_counters.evicted;
  }
  return freed;
}

bool PageCache::reclaim(SchedEntity& self) {
  const uint32_t gen = m_io_done.load(std::memory_order_acquire);
  {
    SpinGuard g(m_lock);
    if (m_nr_pages < m_limit || evict_locked(32) > 0) return true;
  }
  size_t started = 0;
  for (AddressSpace* m : walk_begin(true)) started += m->start_writeback(kWritebackRun, -1);
  walk_end();
  {
    SpinGuard g(m_lock);
    if (!started && m_nr_writeback == 0 && evict_locked(32) == 0) return false;
  }
  (void)m_room.wait_event(self, [&] { return m_io_done.load(std::memory_order_acquire) != gen; });
  return true;
}

void PageCache::balance_dirty(SchedEntity& self, AddressSpace& m) {
  for (int rounds = 0; rounds < 64; ++rounds) {
    uint64_t dirty;
    {
      SpinGuard g(m_lock);
      dirty = m_nr_dirty + m_nr_writeback;
    }
    if (dirty * 100 <= m_limit * kDirtyRatio) return;
    const uint32_t gen = m_io_done.load(std::memory_order_acquire);
    const size_t started = m.start_writeback(kWritebackRun, -1);
    {
      SpinGuard g(m_lock);
      if (!started && m.m_nr_writeback == 0) return;  // the rest is other spaces' (the flusher's)
    }
    (void)m_room.wait_event(self, [&] { return m_io_done.load(std::memory_order_acquire) != gen; });
  }
}


// The flusher (Linux's wb_workfn): runs on a vCPU every kWritebackIntervalNs, sooner while
// dirty pages are past the background ratio. Starts I/O only; never waits.
void PageCache::flusher(KTimer* t) {
  auto* self = static_cast<PageCache*>(t->ctx());
  const int64_t now = t->time().monotonic_ns();
  bool background, expire;
  {
    SpinGuard g(self->m_lock);
    background = self->m_nr_dirty * 100 > self->m_limit * kBackgroundRatio;
    expire = now >= self->m_next_expire_scan;
    if (expire) self->m_next_expire_scan = now + kWritebackIntervalNs;
  }
  if (background || expire) {
    size_t started = 0;
    for (AddressSpace* m : self->walk_begin(true)) {
      if (started >= kFlusherBatch) break;
      started += m->start_writeback(kFlusherBatch - started, background ? -1 : now - kDirtyExpireNs);
    }
    self->walk_end();
  }
  SpinGuard g(self->m_lock);
  if (self->m_nr_dirty == 0) {  // asleep until a page is dirtied
    self->m_flusher_armed = false;
    return;
  }
  const bool more = self->m_nr_dirty * 100 > self->m_limit * kBackgroundRatio;
  t->arm(now + (more ? kFlusherTickNs / 10 : kFlusherTickNs));
}

void PageCache::sync_all(SchedEntity& self) {
  // Every space's writeback started, then each waited for: the disks see it all at once.
  const std::vector<AddressSpace*> spaces = walk_begin(false);
  for (AddressSpace* m : spaces) m->start_writeback(~size_t{0}, -1);
  for (AddressSpace* m : spaces) (void)m->write_and_wait(self, 0, ~uint64_t{0} - 1, nullptr);
  walk_end();
}

void PageCache::sync_all_blocking() {
  for (AddressSpace* m : walk_begin(false)) m->write_and_wait_blocking();
  walk_end();
}

}  // namespace uml::kern
