#include "core/block/disk_table.h"
#include "core/fs/ext4/ext4.h"
#include "core/fs/ext4/fs.h"
#include "core/task/task.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

Result<RefPtr<SuperBlock>> mount_ext4(SchedEntity& self, std::shared_ptr<Bdev> bdev, std::string_view kind,
                                      unsigned long flags, std::string_view data, Klog& log, Entropy& rng, const RealtimeClock& clock,
                                      std::string* why) {
  return ext4::Ext4Fs::mount(self, std::move(bdev), std::string(kind), flags, data, log, rng, clock, why);
}

void register_ext4(Vfs& vfs, DiskTable& disks, Klog& log, Entropy& rng) {
  for (const char* kind : {"ext4", "ext3", "ext2"}) {
    vfs.register_fs(Vfs::FsType{kind, false,
        [&vfs, &disks, &log, &rng, kind](Task* t, std::string_view source, unsigned long flags,
                                   std::string_view data) -> Result<RefPtr<SuperBlock>> {
          // Boot mounts its root with mount_ext4 itself: a mount(2) always has a caller.
          if (!t) return Errno::NXIO;
          // lookup_bdev: the source is a path to a block device node.
          Path p = TRY(vfs.lookup(*t, abi::AT_FDCWD_, source, Vfs::FOLLOW));
          const InodeAttr a = p.inode()->attr();
          if ((a.mode & abi::S_IFMT_) != abi::S_IFBLK_) return Errno::NOTBLK;
          if (p.mnt->flags() & MNT_NODEV) return Errno::ACCES;
          std::shared_ptr<Bdev> bdev = disks.find_rdev(a.rdev);
          if (!bdev) return Errno::NXIO;
          std::string why;  // in the kernel log already
          return mount_ext4(*t, std::move(bdev), kind, flags, data, log, rng, vfs.clock(), &why);
        }});
  }
}

}  // namespace uml::kern
