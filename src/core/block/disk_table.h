#pragma once
// DiskTable: an instance's disks, named and numbered as UML's ubd driver does: ubda, ubdb...
// (at most kMaxDisks), block major 98, 16 minors per disk. Adding a disk registers its
// device number and makes its node in /dev; removing one (hot-remove, like UML's mconsole
// "remove ubdN") refuses a disk in use (BUSY), writes back its cache and waits for its
// requests before it goes.

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/klog.h"
#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/block/bdev.h"

namespace uml::kern {

class SuperBlock;
class Vfs;

class DiskTable {
 public:
  static constexpr unsigned kMaxDisks = 16;
  static constexpr uint32_t kMajor = 98;  // UBD_MAJOR
  static constexpr uint32_t kMinorsPerDisk = 16;

  DiskTable(Vfs& vfs, PageCache& cache, Klog& log) : m_vfs(vfs), m_cache(cache), m_log(log) {}
  ~DiskTable();
  DiskTable(const DiskTable&) = delete;
  DiskTable& operator=(const DiskTable&) = delete;

  // Where device nodes appear (devtmpfs), set at boot.
  void set_devtmpfs(SuperBlock* sb) { m_devtmpfs = sb; }

  // "ubda".. for an index; the index of "ubda", "ubd0", "/dev/ubda" (INVAL otherwise).
  static std::string disk_name(unsigned index);
  static Result<unsigned> parse_name(std::string_view name);
  static uint64_t rdev_of(unsigned index);

  // A new disk at index over driver (p.name and p.rdev are filled in here). Errors: INVAL
  // (index), EXIST (taken).
  Result<void> add(Actor& self, unsigned index, std::unique_ptr<BlockDriver> driver,
                   BlockDevice::Params p, std::string_view what);
  // Errors: NXIO (no such disk), BUSY (open or mounted).
  Result<void> remove(Actor& self, unsigned index);
  std::shared_ptr<Bdev> get(unsigned index) const;
  // The disk whose device number is rdev (a node's st_rdev), or null.
  std::shared_ptr<Bdev> find_rdev(uint64_t rdev) const;

  // Shutdown: every cache written back and every request finished (no task is left).
  void quiesce_blocking();
  // The instance's end: quiesced, then each driver lets its host files go (and their
  // locks), so that another instance or program may open them while this one's Kernel
  // object still exists. Called while the vCPUs still run.
  void shutdown_blocking();

 private:
  Vfs& m_vfs;
  PageCache& m_cache;
  Klog& m_log;
  SuperBlock* m_devtmpfs = nullptr;
  mutable SpinLock m_lock;
  std::array<std::shared_ptr<Bdev>, kMaxDisks> m_disks;
};

}  // namespace uml::kern
