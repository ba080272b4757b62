#pragma once
// The page cache (Linux's mm/filemap.c, page-writeback.c, readahead.c, vmscan.c in
// miniature): one cache of 4 KiB pages per instance, holding block devices' data and disk
// filesystems' file data. A cached object (a disk, a file) has an AddressSpace;
// its owner supplies AddressSpaceOps that start the I/O, and the cache does the rest:
//
// - reads find pages or start reading them, with read-ahead: a sequential reader's window
//   doubles up to kMaxReadahead, and the next window starts (asynchronously) when the
//   reader reaches the page marked in the current one;
// - writes copy into pages (reading a partially written page first) and mark them dirty;
// - writeback: the flusher (a timer that runs every kFlusherTick while pages are dirty, and
//   sleeps otherwise) writes everything while dirty pages are past kBackgroundRatio of the
//   limit, and every kWritebackInterval the pages dirty for longer than kDirtyExpire; a writer past
//   kDirtyRatio writes back its own pages and waits (balance_dirty_pages); fsync writes a
//   range and waits, and reports a writeback error once per open file (errseq);
// - the instance's memory limit bounds the cache: clean pages are evicted in LRU order (a
//   second chance for pages used since the last scan); when only dirty pages are left, the
//   allocator writes some back and waits.
//
// Locking: one lock for the whole cache (the pages of every space, the LRU, the counts).
// Page data is copied without it, under a page reference (readers) or the page lock
// (writers, read I/O). Waiting for a page (lock, writeback) uses its space's wait queue.
// Lock order: PageCache::m_lock > WaitQueue locks; I/O is started without m_lock.

#include <boost/container/small_vector.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/base/intrusive_list.h"
#include "core/base/io_buffer.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/mm/page_pool.h"
#include "core/mm/readahead.h"
#include "core/sched/ktimer.h"
#include "core/sched/wait_queue.h"

namespace uml::kern {

class AddressSpace;
class PageCache;

struct CachePage {
  enum : uint32_t {
    kUptodate = 1,    // holds the backing data (or newer)
    kDirty = 2,       // newer than the backing store
    kWriteback = 4,   // being written
    kLocked = 8,      // being read in, or written into
    kError = 16,      // the last read failed
    kReadahead = 32,  // reaching it starts the next read-ahead window
    kReferenced = 64, // used since the last LRU scan
  };
  char* data = nullptr;
  AddressSpace* mapping = nullptr;
  uint64_t index = 0;
  std::atomic<uint32_t> flags{0};  // changed under the cache lock; read anywhere
  uint32_t refs = 0;               // holders besides the cache (cache lock)
  // The 512-byte sectors written since the page was last clean (bit i: bytes i*512..), and
  // those the writeback in progress carries (cache lock; the owner's write_pages reads
  // wb_sectors). A disk's metadata page may hold blocks that belong to files (1 KiB blocks):
  // writing back only what was written keeps its stale copies of them off the disk, as
  // Linux's buffer heads do.
  uint8_t dirty_sectors = 0, wb_sectors = 0;
  int64_t dirtied_ns = 0;
  ListNode lru;

  bool has(uint32_t f) const { return flags.load(std::memory_order_acquire) & f; }
};
static_assert(PagePool::kPage == 8 * 512, "a page's sectors are the 8 bits of CachePage::dirty_sectors");

// The owner's I/O. Both start I/O on contiguous pages and return at once; completions call
// AddressSpace::end_read / end_write for each page, on any thread. A page's bytes past
// AddressSpace::size() are not transferred (a read zeroes them).
class AddressSpaceOps {
 public:
  // self: the reader that waits for the pages (mapping them may read metadata). Writeback
  // maps from what is cached and never waits.
  virtual void read_pages(SchedEntity& self, AddressSpace& m, CachePage* const* pages, size_t n) = 0;
  virtual void write_pages(AddressSpace& m, CachePage* const* pages, size_t n) = 0;

 protected:
  ~AddressSpaceOps() = default;
};

// A page held for reading (Linux's read_cache_page result): uptodate, and not evicted or
// reused while the reference lasts.
class PageRef {
 public:
  PageRef() = default;
  PageRef(AddressSpace* m, CachePage* p) : m_space(m), m_page(p) {}
  PageRef(PageRef&& o) noexcept : m_space(o.m_space), m_page(std::exchange(o.m_page, nullptr)) {}
  PageRef& operator=(PageRef&& o) noexcept {
    if (this != &o) {
      reset();
      m_space = o.m_space;
      m_page = std::exchange(o.m_page, nullptr);
    }
    return *this;
  }
  ~PageRef() { reset(); }
  void reset();
  const char* data() const { return m_page->data; }
  uint64_t index() const { return m_page->index; }
  explicit operator bool() const { return m_page != nullptr; }

 private:
  AddressSpace* m_space = nullptr;
  CachePage* m_page = nullptr;
};

class AddressSpace {
 public:
  static constexpr size_t kPage = PagePool::kPage;
  AddressSpace(PageCache& cache, AddressSpaceOps& ops, uint64_t size);
  // Every page goes; the owner has written back what it needed (dirty pages are dropped).
  // I/O still in flight is waited for on the host, so an owner that may be on a vCPU
  // thread drains the space first (invalidate of everything, as a task): that vCPU's loop
  // must stay free to reap the completions.
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  uint64_t size() const { return m_size.load(std::memory_order_acquire); }
  void set_size(uint64_t s) { m_size.store(s, std::memory_order_release); }
  PageCache& cache() const { return m_cache; }
  // The largest read-ahead window, in pages (BLKRASET/BLKRAGET).
  uint64_t readahead_max() const { return m_ra_max.load(std::memory_order_relaxed); }
  void set_readahead_max(uint64_t pages) { m_ra_max.store(pages, std::memory_order_relaxed); }

  // Buffered transfers at off, within size(). read returns what it copied (0 at the end);
  // write returns what it copied. Errors: IO (a read failed), FAULT (nothing copied),
  // NOMEM (no page could be had), and RESTARTSYS never (waits are uninterruptible, as
  // Linux's page lock waits are, except for a fatal signal, which is seen at syscall exit).
  Result<size_t> read(SchedEntity& self, uint64_t off, const IoBuffer& buf, Readahead& ra);
  // The same for an open file's shared state (a copy is worked on, then stored back).
  Result<size_t> read(SchedEntity& self, uint64_t off, const IoBuffer& buf, FileReadahead& ra) {
    Readahead r = ra.load();
    auto n = read(self, off, buf, r);
    ra.store(r);
    return n;
  }
  Result<size_t> write(SchedEntity& self, uint64_t off, const IoBuffer& buf);
  // One page, read in if needed without read-ahead (metadata: a filesystem's blocks on its
  // disk). On a miss, `window` pages from index (those not cached yet, up to the first that
  // is) are read in the same request: the caller's own read-ahead, for metadata it knows
  // comes next (ext4's inode tables, as Linux's __ext4_get_inode_loc reads ahead).
  // Errors: IO (past the end, or the read failed), NOMEM.
  Result<PageRef> read_page(SchedEntity& self, uint64_t index, uint64_t window = 1);

  // filemap_write_and_wait_range: writes the dirty pages in [from, to) and waits for every
  // writeback there. Errors: IO when a writeback failed since *seen (then *seen is updated).
  Result<void> write_and_wait(SchedEntity& self, uint64_t from, uint64_t to, uint32_t* seen);
  // The same, for a caller that is not a task (shutdown, disk removal): waits on the host.
  void write_and_wait_blocking();
  // Drops the clean pages in [from, to) (after a direct write, BLKFLSBUF); waits for locked
  // ones. Dirty pages stay unless discard_dirty (then they go unwritten).
  void invalidate(SchedEntity* self, uint64_t from, uint64_t to, bool discard_dirty);
  // Starts writeback of up to max dirty pages (only those dirtied before older_than_ns if
  // it is >= 0), from where the last call stopped. Returns how many pages started.
  size_t start_writeback(size_t max, int64_t older_than_ns);
  // errseq: the writeback error count a new opener starts from.
  uint32_t error_seq() const { return m_err_seq.load(std::memory_order_acquire); }

  // Completions from AddressSpaceOps.
  void end_read(CachePage* p, bool ok);
  void end_write(CachePage* p, int res);

  struct Counts {
    uint64_t pages = 0, dirty = 0, writeback = 0;
  };
  Counts counts() const;

 private:
  friend class PageCache;
  friend class PageRef;
  // The page at index, uptodate and referenced: found, or read in with read-ahead (ra)
  // for a request reaching last_req, or (ra null) with the pages up to last_req.
  Result<CachePage*> get_page(SchedEntity& self, uint64_t index, uint64_t last_req, Readahead* ra);
  static constexpr size_t kLeafBits = 9;
  static constexpr size_t kLeafSize = size_t{1} << kLeafBits;
  // A leaf of the page index: up to kLeafSize slots, fewer while only its first pages are
  // cached, so a one-page file keeps a few slots, not 4 KiB of them (Linux's xarray keeps a
  // lone page in its head for the same reason: a walk over many small files misses the
  // CPU's caches on every level of the index). Grown, by reallocation, under the cache lock.
  struct alignas(CachePage*) Leaf {  // the slots follow it, so it ends pointer-aligned
    uint32_t present = 0, dirty = 0, nslots = 0;
    std::span<CachePage*> slots() { return {reinterpret_cast<CachePage**>(this + 1), nslots}; }
  };
  struct LeafFree {
    void operator()(Leaf* l) const { ::operator delete(l); }
  };
  using LeafPtr = std::unique_ptr<Leaf, LeafFree>;
  static LeafPtr make_leaf(uint32_t nslots);
  // Lookup and insertion under the cache lock.
  CachePage* find_locked(uint64_t index) const;  // cache lock held
  void insert_locked(CachePage* p);  // cache lock held
  void erase_locked(CachePage* p);  // cache lock held
  void set_dirty_locked(CachePage* p, uint8_t sectors);  // cache lock held
  uint64_t last_index() const;  // the page holding size()-1
  // Waits until p has none of the flags (uninterruptible).
  void wait_clear(SchedEntity& self, CachePage* p, uint32_t flags);
  // Locks p (kLocked) for writing into it; false if it was dropped meanwhile.
  void lock_page(SchedEntity& self, CachePage* p);
  void unlock_page(CachePage* p);
  void put_page(CachePage* p);  // drops a reference
  // The pages in writeback in [first, last], none when 0.
  uint64_t writeback_in(uint64_t first, uint64_t last) const;
  size_t start_writeback_range(uint64_t first, uint64_t last, size_t max, int64_t older_than_ns);
  void note_error();

  PageCache& m_cache;
  AddressSpaceOps& m_ops;
  std::atomic<uint64_t> m_size;
  boost::container::small_vector<LeafPtr, 1> m_leaves;  // cache lock; the first inline
  uint64_t m_nr_pages = 0, m_nr_dirty = 0, m_nr_writeback = 0;  // cache lock
  uint64_t m_wb_cursor = 0;                     // where background writeback resumes
  std::atomic<uint32_t> m_err_seq{0};
  std::atomic<uint64_t> m_ra_max;
  std::atomic<uint32_t> m_io_done{0};  // bumped (and futex-woken) at each completion
  // Completions and unlocks between their page flag change (which lets a waiter, and the
  // destructor, go on) and their last touch of this space (the wake-up): the destructor
  // waits for none to be left, so that none touches a freed space.
  std::atomic<uint32_t> m_completing{0};
  WaitQueue m_wq;                      // page lock and writeback waits
  ListNode m_spaces_node;
};

class PageCache {
 public:
  static constexpr size_t kPage = PagePool::kPage;
  static constexpr uint64_t kMaxReadahead = 256;  // pages (1 MiB)
  static constexpr uint64_t kInitialReadahead = 16;
  static constexpr int64_t kWritebackIntervalNs = 5'000'000'000;  // dirty_writeback_centisecs
  static constexpr int64_t kDirtyExpireNs = 30'000'000'000;       // dirty_expire_centisecs
  static constexpr unsigned kBackgroundRatio = 10;                // percent of the limit
  static constexpr unsigned kDirtyRatio = 20;
  static constexpr int64_t kFlusherTickNs = 100'000'000;

  PageCache(Scheduler& sched, uint64_t limit_bytes);
  ~PageCache();
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  uint64_t limit_pages() const { return m_limit; }
  struct Stats {
    uint64_t pages = 0, dirty = 0, writeback = 0, limit = 0;
    uint64_t evicted = 0, readahead_pages = 0, hits = 0, misses = 0;
  };
  Stats stats() const;

  // sync(2): every space's dirty pages written and waited for (from a task).
  void sync_all(SchedEntity& self);
  // The same from a host thread that is no task (shutdown).
  void sync_all_blocking();

 private:
  friend class AddressSpace;
  // A page to fill, evicting clean ones at the limit; null when every page is dirty, in
  // I/O or in use.
  CachePage* alloc_locked() REQUIRES(m_lock);
  void free_locked(CachePage* p) REQUIRES(m_lock);
  size_t evict_locked(size_t want) REQUIRES(m_lock);
  // Waits for room: starts writeback everywhere and waits for a completion. false: nothing
  // can free a page (everything is in use).
  bool reclaim(SchedEntity& self);
  // balance_dirty_pages: a writer past kDirtyRatio writes back and waits.
  void balance_dirty(SchedEntity& self, AddressSpace& m);
  static void flusher(KTimer* t);
  void add_space(AddressSpace* m);
  // Unlinks m and waits for walks that may hold it.
  void remove_space(AddressSpace* m);
  // The spaces (with dirty pages only, or all), held until walk_end.
  std::vector<AddressSpace*> walk_begin(bool dirty_only);
  void walk_end();

  mutable SpinLock m_lock;
  PagePool m_pool{true};  // chunks kept: disks register them with the rings
  const uint64_t m_limit;
  IntrusiveList<CachePage, &CachePage::lru> m_lru GUARDED_BY(m_lock);  // oldest first
  IntrusiveList<AddressSpace, &AddressSpace::m_spaces_node> m_spaces GUARDED_BY(m_lock);
  uint64_t m_nr_pages GUARDED_BY(m_lock) = 0;
  uint64_t m_nr_dirty GUARDED_BY(m_lock) = 0;
  uint64_t m_nr_writeback GUARDED_BY(m_lock) = 0;
  Stats m_counters;
  std::atomic<uint32_t> m_io_done{0};  // any completion (for reclaim and blocking waits)
  WaitQueue m_room;                    // reclaim waits here
  std::atomic<int> m_walkers{0};
  int64_t m_next_expire_scan GUARDED_BY(m_lock) = 0;
  bool m_flusher_armed GUARDED_BY(m_lock) = false;
  KTimer m_flusher;
};

}  // namespace uml::kern
