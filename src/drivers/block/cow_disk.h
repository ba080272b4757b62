#pragma once
// A copy-on-write disk (UML's "ubd0=overlay,base"): a read-only base file under a sparse
// overlay (cow_format.h). Reads take each run of sectors from the overlay where its bitmap
// says it holds them, else from the base; writes go to the overlay, and their sectors' bits
// are set once the data is there. The bitmap reaches the file on a flush (or FUA write),
// before the overlay's fdatasync: after a crash a sector reads either its last flushed data
// or the base's, never garbage. The base is opened read-only and never written.
//
// Both files use buffered host I/O (sector-sized runs would not meet O_DIRECT's alignment
// on every host device).

#include <memory>
#include <string>
#include <vector>

#include "core/base/spinlock.h"
#include "core/block/block_device.h"
#include "drivers/block/cow_format.h"
#include "drivers/block/host_io.h"

namespace uml::drivers {

class CowDisk final : public kern::BlockDriver {
 public:
  // Opens overlay over base; an overlay that does not exist is created on base first. base
  // empty: the path the overlay's header records. 0 or -errno with *error saying why (a
  // malformed overlay, a base that changed or is another file: EINVAL).
  // sched: whose vCPU rings register the two files (null: plain fds). lock: the overlay is
  // locked for its access and the base shared (host::DiskLock); EBUSY when either is held.
  static int open(const std::string& overlay, const std::string& base, bool read_only, bool lock,
                  kern::Scheduler* sched, std::unique_ptr<CowDisk>* out, std::string* error);
  ~CowDisk() override;

  uint64_t size() const { return m_h.disk_size; }
  const cow::Header& header() const { return m_h; }
  // Sectors the overlay holds.
  uint64_t sectors_held() const;
  void start(kern::BlockDevice& dev, kern::BlockRequest& rq) override;
  void shutdown() override;

 private:
  struct Io;
  CowDisk() = default;
  bool held_locked(uint64_t sector) const { return m_bits[sector >> 3] & (1u << (sector & 7)); }
  void mark(uint64_t first, uint64_t count);
  void start_read(Io* io);
  void start_flush(Io* io);
  void sub_done(Io* io, int res);
  void finish(Io* io, int res);

  cow::Header m_h;
  host::DiskFileInfo m_base, m_over;
  std::unique_ptr<FixedFile> m_base_fixed, m_over_fixed;
  mutable kern::SpinLock m_lock;
  std::vector<uint8_t> m_bits;         // the bitmap, as on disk
  std::vector<bool> m_dirty_chunks;    // 4 KiB pieces of it not written yet
};

}  // namespace uml::drivers
