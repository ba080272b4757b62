#pragma once
// ext2, ext3 and ext4 (one driver for the three, as Linux's ext4 serves them): the VFS
// registration, and the mount of a disk's filesystem for boot's root=. Reads and writes
// (without the journal: docs/ext4.md).

#include <memory>
#include <string>
#include <string_view>

#include "core/base/entropy.h"
#include "core/base/klog.h"
#include "core/base/result.h"
#include "core/block/bdev.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

class DiskTable;
class SchedEntity;
class Vfs;

// Registers "ext2", "ext3" and "ext4": mount(2)'s source is a block device node (NOTBLK
// for anything else, NXIO when no disk is behind it).
// rng: the instance's generator (inode generations).
void register_ext4(Vfs& vfs, DiskTable& disks, Klog& log, Entropy& rng);

// Mounts the filesystem on bdev as kind ("ext2", "ext3", "ext4"). *why says what is
// wrong when it fails (also in the kernel log).
Result<RefPtr<SuperBlock>> mount_ext4(SchedEntity& self, std::shared_ptr<Bdev> bdev, std::string_view kind,
                                      unsigned long flags, std::string_view data, Klog& log, Entropy& rng, const RealtimeClock& clock,
                                      std::string* why);

}  // namespace uml::kern
