#pragma once
// The block layer (Linux's block/): a disk is a BlockDevice, a request queue in front of a
// BlockDriver. Requests are asynchronous: submit() hands one over and returns; its done()
// runs when the driver completes it, on whatever thread that happens (a vCPU reaping its
// ring, or the submitter itself for a synchronous driver).
//
// - Bounded depth: at most depth() requests are with the driver; the rest wait in the queue,
//   where a new request is merged into an adjacent one of the same kind (front or back), as
//   Linux's elevator merges bios. A Plug batches a caller's requests (read-ahead, writeback)
//   and merges them before they go (blk_plug).
// - Checks at submission: range (EIO past the end, as Linux's bio_check_eod), read-only
//   (EROFS... Linux says EPERM for a write to a read-only bdev's bio; the file layer refuses
//   earlier with EROFS/EPERM), alignment to the logical block size (EINVAL).
//
// Thread safety: everything may be called from any vCPU thread or attached thread; the queue
// state sits under one spinlock, and the driver is called without it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/base/klog.h"
#include "core/base/spinlock.h"
#include "core/block/fault.h"
#include "host/file.h"

namespace uml::kern {

class SchedEntity;
class BlockDevice;

enum class BlockOp : uint8_t { Read, Write, Flush, Discard, WriteZeroes };
const char* block_op_name(BlockOp op);

// One transfer (Linux's bio and request in one). The owner fills op, flags, offset, the
// segments and done, and keeps the request alive until done has run.
struct BlockRequest {
  enum Flags : uint8_t {
    kFua = 1,       // durable when done (write through the disk's cache)
    kPreflush = 2,  // earlier completed writes made durable first
    kCacheMemory = 4,  // the segments are page-cache pages (their 2 MiB chunks stay mapped)
  };
  static constexpr uint8_t kOrderFlags = kFua | kPreflush;
  BlockOp op = BlockOp::Read;
  uint8_t flags = 0;
  uint64_t offset = 0;  // bytes
  uint64_t len = 0;     // bytes: the sum of the segments (Discard/WriteZeroes: the range)
  std::vector<host::IoVec> segs;
  // Completion: res is 0 or -errno (a short transfer is an error: -EIO).
  void (*done)(BlockRequest* rq, int res) = nullptr;
  void* owner = nullptr;

  // Queue bookkeeping.
  BlockRequest* q_next = nullptr;       // the queue's pending list
  BlockRequest* merged_next = nullptr;  // requests merged behind this one
  BlockRequest* merged_tail = nullptr;
  uint32_t merged_segs = 0;             // segments over the whole chain
  uint64_t merged_len = 0;              // bytes over the whole chain
  bool internal = false;                // the fault injector's own: not counted by the queue
  uint64_t overlay_epoch = 0;           // a read the volatile cache lays its writes over

  void add_seg(void* base, size_t n) {
    segs.push_back({base, n});
    len += n;
  }
  bool is_data() const { return op == BlockOp::Read || op == BlockOp::Write; }
};

// What a disk does with a request the queue dispatches (rq and its merged chain: one
// contiguous transfer). It must call dev.complete(rq, res) exactly once, possibly before
// start returns.
class BlockDriver {
 public:
  virtual ~BlockDriver() = default;
  virtual void start(BlockDevice& dev, BlockRequest& rq) = 0;
  // The device goes: no request is in flight any more; release host resources.
  virtual void shutdown() {}
};

struct BlockQueueStats {
  uint64_t submitted = 0, dispatched = 0, merged = 0, completed = 0, errors = 0;
  uint64_t read_bytes = 0, write_bytes = 0, flushes = 0;
  uint32_t max_in_flight = 0;
};

class BlockDevice {
 public:
  struct Params {
    std::string name;              // "ubda"
    uint64_t rdev = 0;             // makedev(major, minor)
    uint64_t size = 0;             // bytes
    uint32_t logical_block = 512;  // BLKSSZGET
    uint32_t physical_block = 4096;
    uint32_t depth = 128;          // requests with the driver at once
    uint32_t max_bytes = 1u << 20; // per dispatched request (max_sectors_kb)
    uint32_t max_segs = 256;
    bool read_only = false;
    Klog* log = nullptr;           // where I/O errors are reported
  };
  BlockDevice(Params p, std::unique_ptr<BlockDriver> driver);
  ~BlockDevice();
  BlockDevice(const BlockDevice&) = delete;
  BlockDevice& operator=(const BlockDevice&) = delete;

  const std::string& name() const { return m_p.name; }
  uint64_t rdev() const { return m_p.rdev; }
  uint64_t size() const { return m_p.size; }
  uint32_t logical_block() const { return m_p.logical_block; }
  uint32_t physical_block() const { return m_p.physical_block; }
  uint32_t depth() const { return m_p.depth; }
  bool read_only() const { return m_read_only.load(std::memory_order_acquire); }
  void set_read_only(bool ro) { m_read_only.store(ro, std::memory_order_release); }  // BLKROSET
  BlockDriver& driver() { return *m_driver; }
  FaultInjector& faults() { return m_faults; }
  Klog* log() const { return m_p.log; }

  // Queues rq (checks first: a bad one completes at once with its error).
  void submit(BlockRequest* rq);
  // The driver's completion of a dispatched request (and its merged chain).
  void complete(BlockRequest* rq, int res);
  // Requests queued or with the driver.
  uint32_t busy() const { return m_busy.load(std::memory_order_acquire); }
  BlockQueueStats stats() const;

  // Builds the host iovec list of rq's chain (what a driver transfers).
  static void gather(const BlockRequest& rq, std::vector<host::IoVec>& out);
  static uint64_t chain_len(const BlockRequest& rq);

 private:
  friend class BlockPlug;
  int check(const BlockRequest& rq) const;  // 0 or -errno
  bool prepare(BlockRequest* rq);           // false: completed with its error
  void enqueue(BlockRequest* rq, uint32_t count);
  bool try_merge_locked(BlockRequest* rq) REQUIRES(m_lock);
  bool mergeable(const BlockRequest& a, const BlockRequest& b) const;
  void dispatch();

  Params m_p;
  std::unique_ptr<BlockDriver> m_driver;
  mutable SpinLock m_lock;
  BlockRequest* m_head GUARDED_BY(m_lock) = nullptr;  // pending, oldest first
  BlockRequest* m_tail GUARDED_BY(m_lock) = nullptr;
  uint32_t m_in_flight GUARDED_BY(m_lock) = 0;        // with the driver
  BlockQueueStats m_stats;
  std::atomic<uint32_t> m_busy{0};
  std::atomic<uint32_t> m_dispatching{0};
  std::atomic<bool> m_read_only;
  FaultInjector m_faults{*this};
};

// Submits rq and waits for it (uninterruptibly, as Linux's submit_bio_wait). 0 or -errno.
int submit_and_wait(SchedEntity& self, BlockDevice& dev, BlockRequest& rq);

// Linux's blk_plug: requests added here go to the queue together at flush() (or when the
// plug is destroyed), sorted by offset, adjacent ones merged.
class BlockPlug {
 public:
  explicit BlockPlug(BlockDevice& dev) : m_dev(dev) {}
  ~BlockPlug() { flush(); }
  BlockPlug(const BlockPlug&) = delete;
  BlockPlug& operator=(const BlockPlug&) = delete;
  void add(BlockRequest* rq) { m_list.push_back(rq); }
  void flush();

 private:
  BlockDevice& m_dev;
  std::vector<BlockRequest*> m_list;
};

}  // namespace uml::kern
