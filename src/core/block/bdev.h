#pragma once
// Bdev: a disk as the rest of the kernel sees it (Linux's struct block_device and its
// inode): the BlockDevice, its page cache (an AddressSpace whose pages it reads and writes
// with block requests), and the opens of its device node. BdevFile is what open() of
// /dev/ubdX gives (Linux's def_blk_fops): buffered reads and writes through the cache,
// O_DIRECT straight to the device, fsync, fallocate and the BLK* ioctls.

#include <atomic>
#include <memory>

#include "core/block/block_device.h"
#include "core/mm/page_cache.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class Bdev final : public AddressSpaceOps {
 public:
  Bdev(PageCache& cache, std::unique_ptr<BlockDevice> dev);
  // Drops the cache (the owner synced it: see DiskTable::remove).
  ~Bdev();
  Bdev(const Bdev&) = delete;
  Bdev& operator=(const Bdev&) = delete;

  BlockDevice& dev() { return *m_dev; }
  AddressSpace& mapping() { return m_mapping; }
  uint64_t size() const { return m_dev->size(); }

  // Opens of the device node (and later mounts): a disk in use cannot be removed.
  void get() { m_users.fetch_add(1, std::memory_order_acq_rel); }
  void put() { m_users.fetch_sub(1, std::memory_order_acq_rel); }
  uint32_t users() const { return m_users.load(std::memory_order_acquire); }

  // The disk's exclusive holder (Linux's bd_holder): the filesystem mounted on it, which a
  // second mount of the disk shares (sget). Opaque to the block layer; read and changed
  // under holder_lock(). Per disk, so per instance: no registry is shared between them.
  SpinLock& holder_lock() const RETURN_CAPABILITY(m_holder_lock) { return m_holder_lock; }
  void* holder_locked() const REQUIRES(m_holder_lock) { return m_holder; }
  void set_holder_locked(void* h) REQUIRES(m_holder_lock) { m_holder = h; }

  // O_DIRECT (blkdev_direct_IO): off, length and buffer aligned to the logical block size
  // (INVAL otherwise); the cache is written back first, and a write drops the cached
  // pages it covers. Returns the bytes moved (short at the device's end).
  Result<size_t> direct_io(SchedEntity& self, bool write, uint64_t off, const IoBuffer& buf);
  // blkdev_issue_flush: earlier completed writes made durable.
  Result<void> flush(SchedEntity& self);
  // BLKDISCARD / BLKZEROOUT / fallocate: the range leaves the cache (dirty pages too), then
  // the device discards or zeroes it.
  Result<void> discard_or_zero(SchedEntity& self, uint64_t off, uint64_t len, bool zero);

  // AddressSpaceOps: one block request per run of pages, plugged together.
  void read_pages(SchedEntity& self, AddressSpace& m, CachePage* const* pages, size_t n) override;
  void write_pages(AddressSpace& m, CachePage* const* pages, size_t n) override;

 private:
  void page_io(bool write, CachePage* const* pages, size_t n);
  std::unique_ptr<BlockDevice> m_dev;
  AddressSpace m_mapping;
  std::atomic<uint32_t> m_users{0};
  mutable SpinLock m_holder_lock;
  void* m_holder GUARDED_BY(m_holder_lock) = nullptr;
};

class BdevFile final : public FileOps {
 public:
  explicit BdevFile(std::shared_ptr<Bdev> bdev);
  ~BdevFile() override;
  Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<size_t> write(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<int64_t> llseek(File& f, uint64_t cur, int64_t off, int whence) override;
  Result<long> ioctl(File& f, Actor& self, unsigned cmd, uintptr_t arg) override;
  Result<void> fsync(File& f, Actor& self, bool datasync) override;
  Result<void> fallocate(File& f, Actor& self, int mode, int64_t off, int64_t len) override;
  Bdev& bdev() const { return *m_bdev; }

 private:
  std::shared_ptr<Bdev> m_bdev;
  FileReadahead m_ra;
  uint32_t m_wb_seen;       // errseq: the writeback errors this open has been told of
};

}  // namespace uml::kern
