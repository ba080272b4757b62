#include "core/block/disk_table.h"

#include "core/abi/fs.h"
#include "core/sched/scheduler.h"
#include "core/vfs/dentry.h"
#include "core/vfs/inode.h"
#include "core/vfs/superblock.h"
#include "core/vfs/vfs.h"
#include "host/host.h"

namespace uml::kern {

namespace {
constexpr uint32_t kDiskGid = 6;  // the "disk" group of Debian's base-passwd
}

DiskTable::~DiskTable() {
  quiesce_blocking();
  for (unsigned i = 0; i < kMaxDisks; ++i)
    if (m_disks[i]) m_vfs.unregister_blkdev(rdev_of(i));
}

std::string DiskTable::disk_name(unsigned index) {
  // ubd_disk_name: ubda..ubdz, then ubdaa... (16 disks stay within one letter).
  return std::string("ubd") + static_cast<char>('a' + index % 26);
}

Result<unsigned> DiskTable::parse_name(std::string_view name) {
  if (name.substr(0, 5) == "/dev/") name.remove_prefix(5);
  if (name.substr(0, 3) != "ubd" || name.size() < 4) return Errno::INVAL;
  name.remove_prefix(3);
  unsigned index;
  if (name[0] >= '0' && name[0] <= '9') {  // ubd0, ubd15
    index = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || index > kMaxDisks) return Errno::INVAL;
      index = index * 10 + static_cast<unsigned>(c - '0');
    }
  } else {
    if (name.size() != 1 || name[0] < 'a' || name[0] > 'z') return Errno::INVAL;
    index = static_cast<unsigned>(name[0] - 'a');
  }
  if (index >= kMaxDisks) return Errno::INVAL;
  return index;
}

uint64_t DiskTable::rdev_of(unsigned index) { return abi::makedev_(kMajor, index * kMinorsPerDisk); }

std::shared_ptr<Bdev> DiskTable::find_rdev(uint64_t rdev) const {
  for (unsigned i = 0; i < kMaxDisks; ++i)
    if (rdev_of(i) == rdev) return get(i);
  return nullptr;
}

Result<void> DiskTable::add(Actor& self, unsigned index, std::unique_ptr<BlockDriver> driver,
                            BlockDevice::Params p, std::string_view what) {
  if (index >= kMaxDisks) return Errno::INVAL;
  p.name = disk_name(index);
  p.rdev = rdev_of(index);
  const std::string name = p.name;
  const uint64_t size = p.size;
  const bool ro = p.read_only;
  auto bdev = std::make_shared<Bdev>(m_cache, std::make_unique<BlockDevice>(std::move(p), std::move(driver)));
  {
    SpinGuard g(m_lock);
    if (m_disks[index]) return Errno::EXIST;
    m_disks[index] = bdev;
  }
  m_vfs.register_blkdev(rdev_of(index), [this, index](int) -> Result<std::shared_ptr<FileOps>> {
    SpinGuard g(m_lock);
    if (!m_disks[index]) return Errno::NXIO;
    return std::shared_ptr<FileOps>(std::make_shared<BdevFile>(m_disks[index]));
  });
  if (m_devtmpfs) {
    Inode& dir = *m_devtmpfs->root();
    MutexGuard g(dir.rwsem(), self);
    auto r = dir.create(self, name, abi::S_IFBLK_ | 0660, 0, kDiskGid, rdev_of(index), {});
    if (r) m_devtmpfs->root_dentry()->set_child(name, r.value());
  }
  m_log.log(KERN_NOTICE, "%s: %llu %u-byte logical blocks (%llu MB)%s: %.*s", name.c_str(),
            static_cast<unsigned long long>(size / 512), 512u,
            static_cast<unsigned long long>(size >> 20), ro ? ", read-only" : "",
            static_cast<int>(what.size()), what.data());
  return {};
}

Result<void> DiskTable::remove(Actor& self, unsigned index) {
  if (index >= kMaxDisks) return Errno::NXIO;
  std::shared_ptr<Bdev> bdev;
  {
    SpinGuard g(m_lock);
    if (!m_disks[index]) return Errno::NXIO;
    if (m_disks[index]->users() != 0) return Errno::BUSY;
    bdev = std::move(m_disks[index]);  // no open can find it from here on
  }
  m_vfs.unregister_blkdev(rdev_of(index));
  const std::string name = disk_name(index);
  if (m_devtmpfs) {
    Inode& dir = *m_devtmpfs->root();
    MutexGuard g(dir.rwsem(), self);
    (void)dir.remove(self, name, false);
    m_devtmpfs->root_dentry()->drop_child(name);
  }
  bdev->mapping().write_and_wait_blocking();
  while (bdev->dev().busy()) host::yield_thread();
  m_log.log(KERN_NOTICE, "%s: removed", name.c_str());
  return {};
}

std::shared_ptr<Bdev> DiskTable::get(unsigned index) const {
  if (index >= kMaxDisks) return nullptr;
  SpinGuard g(m_lock);
  return m_disks[index];
}

void DiskTable::shutdown_blocking() {
  quiesce_blocking();
  for (unsigned i = 0; i < kMaxDisks; ++i)
    if (std::shared_ptr<Bdev> b = get(i)) b->dev().driver().shutdown();
}

void DiskTable::quiesce_blocking() {
  for (unsigned i = 0; i < kMaxDisks; ++i) {
    std::shared_ptr<Bdev> b = get(i);
    if (!b) continue;
    b->mapping().write_and_wait_blocking();
    while (b->dev().busy()) host::yield_thread();
  }
}

}  // namespace uml::kern
