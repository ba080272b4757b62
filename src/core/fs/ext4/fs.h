#pragma once
// The ext4 filesystem instance (Linux's fs/ext4 super.c, inode.c, namei.c, dir.c in one
// picture): a SuperBlock over a disk (Bdev) whose metadata blocks are read through the
// disk's page cache, with an inode cache, the block mapping of files (extent trees and
// ext2/3 block maps), and the blocks a journal replay produced laid over the disk.
//
// Everything read from the disk is checked before use by the decoders (super, group,
// inode_raw, extent, dir, xattr). Corruption is reported once per place as Linux's
// ext4_error does, as a kernel log line naming the device, the function, the inode or
// block, and the reason, and the operation fails with EUCLEAN (EFSCORRUPTED) or EIO.
//
// Writing (docs/ext4.md, "Writing"): a writable mount allocates and frees blocks and
// inodes through the group bitmaps, stores file data through the page cache with its
// writeback, rewrites extent trees and block maps from each file's extent list, and keeps
// names, attributes and xattrs in their blocks and inode tables; inline data moves to a
// block before it changes. The journal is not written: a writable mount clears the
// superblock's clean flag and sets it again at umount, as Linux does without a journal,
// so a crash leaves an image e2fsck checks in full.

#include <cstdarg>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/entropy.h"
#include "core/base/klog.h"
#include "core/block/bdev.h"
#include "core/fs/ext4/group.h"
#include "core/fs/ext4/inode_raw.h"
#include "core/fs/ext4/super.h"
#include "core/sched/sync.h"
#include "core/vfs/superblock.h"
#include "core/base/errno.h"

namespace uml::kern {
class SchedEntity;
}

namespace uml::kern::ext4 {

class Ext4Inode;

// A metadata block, held: from the disk's cache, or from the journal overlay.
class MetaBlock {
 public:
  MetaBlock() = default;
  MetaBlock(PageRef page, const uint8_t* data) : m_page(std::move(page)), m_data(data) {}
  const uint8_t* data() const { return m_data; }

 private:
  PageRef m_page;
  const uint8_t* m_data = nullptr;
};

// One run of a file's logical blocks (ext4_map_blocks's answer).
struct BlockRun {
  uint64_t pblk = 0;      // 0: a hole
  uint32_t len = 0;       // blocks from the asked one
  bool unwritten = false; // allocated but reads as zeros
};

struct MountOptions {
  bool read_only = true;
  bool norecovery = false;  // "noload"/"norecovery": leave a dirty journal alone
  std::string errors = "continue";
  uint32_t inode_readahead_blks = 32;  // inode table blocks read with a missing one (Linux's default)
};

class Ext4Fs final : public SuperBlock {
 public:
  // Mounts the filesystem on bdev (kind: "ext2", "ext3" or "ext4", what mount(2) asked
  // for). Errors: INVAL (not an ext filesystem, or a bad option), UCLEAN (corrupted
  // metadata), NOSYS-free: an unsupported feature is INVAL with the reason in *why and the
  // kernel log. self: who waits for the disk.
  static Result<RefPtr<SuperBlock>> mount(SchedEntity& self, std::shared_ptr<Bdev> bdev, std::string kind,
                                          unsigned long flags, std::string_view data, Klog& log, Entropy& rng, const RealtimeClock& clock,
                                          std::string* why);
  ~Ext4Fs() override;
  // A random number from the instance's generator (a new inode's i_generation).
  uint32_t random_u32() { return m_rng.random_u32(); }
  // The superblock already mounted on bdev (referenced), or null. BUSY: mounted as
  // another type.
  static Result<RefPtr<SuperBlock>> find_mounted(const Bdev* bdev, std::string_view kind);

  const Super& super() const { return m_super; }
  Bdev& bdev() const { return *m_bdev; }
  uint32_t block_size() const { return m_super.block_size; }

  // A metadata block (checked against the filesystem's size: UCLEAN beyond it). When it is
  // not cached, the `ahead` blocks from blk (up to the first cached one) are read with it.
  Result<MetaBlock> read_block(SchedEntity& self, uint64_t blk, uint64_t ahead = 1);
  // The inode ino, from the cache or read (UCLEAN for a bad one, STALE for an unused one).
  Result<RefPtr<Ext4Inode>> iget(SchedEntity& self, uint32_t ino);
  // Writes len bytes of metadata at byte off of the disk through its cache (dirty until
  // writeback). IO when the cache cannot take them.
  Result<void> write_meta(SchedEntity& self, uint64_t off, const void* data, size_t len);
  // The disk's cache written back and waited for, then flushed. IO when either failed.
  Result<void> sync_disk(SchedEntity& self);
  // ext4_std_error for a change that is not written yet: logged, and EOPNOTSUPP (EROFS on
  // a read-only mount).
  Errno unsupported(const char* func, uint32_t ino, const char* what);
  // Block allocation (alloc.cc; ext4_mb_new_blocks in miniature): up to `want` free blocks
  // in a row, the first at or after goal (then anywhere), marked used in their group's
  // bitmap and counts. Returns the first and sets *got. NOSPC when none is free; IO.
  Result<uint64_t> alloc_blocks(SchedEntity& self, uint64_t goal, uint32_t want, uint32_t* got);
  // Marks [blk, blk+n) free again (all in one group or across groups). UCLEAN when one of
  // them is free already (logged).
  Result<void> free_blocks(SchedEntity& self, uint64_t blk, uint64_t n);
  // Inode allocation (ialloc): a free inode, from goal_group on; the group's counts (and
  // used directories) follow. NOSPC; IO.
  Result<uint32_t> alloc_inode(SchedEntity& self, uint32_t goal_group, bool dir);
  Result<void> free_inode(SchedEntity& self, uint32_t ino, bool dir);
  // The journal overlay's copy of blk (after a replay in memory), or null.
  const uint8_t* replayed(uint64_t blk) const;
  // Whether blocks [blk, blk+n) are inside the filesystem's data area.
  bool valid_blocks(uint64_t blk, uint64_t n) const {
    return blk >= m_super.first_data_block && blk < m_super.blocks_count && n <= m_super.blocks_count - blk;
  }

  // ext4_error: a corruption found; logged with its place, and counted.
  void error(const char* func, uint32_t ino, uint64_t blk, const char* fmt, ...) __attribute__((format(printf, 5, 6)));
  void warning(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  uint64_t errors() const { return m_errors.load(std::memory_order_relaxed); }
  Klog& log() const { return m_log; }

  abi::statfs statfs() override;
  std::string show_options() const override;
  Result<void> remount(Actor& self, unsigned long flags, std::string_view data) override;
  Result<void> sync_fs(SchedEntity& self) override;
  // Shutdown of the instance: written back, marked clean and made read-only, while the
  // disks still serve requests.
  void shutdown(SchedEntity& self) override;

  // Inode cache bookkeeping (Ext4Inode's eviction).
  void forget(Ext4Inode* i);

 private:
  Ext4Fs(std::string kind, std::shared_ptr<Bdev> bdev, const RealtimeClock& clock, Klog& log, Entropy& rng);
  void kill() override;
  // The superblock and group descriptors, from the disk or the overlay.
  // Mount options (ro, noload/norecovery, errors=, inode_readahead_blks=): INVAL with the
  // reason for another.
  static Result<void> parse_options(std::string_view data, MountOptions* o, std::string* why);
  Result<void> load(SchedEntity& self, std::string* why);
  Result<void> load_groups(SchedEntity& self, std::string* why);
  Result<void> recover_journal(SchedEntity& self, bool to_disk, std::string* why);
  // A writable mount's start (ext4_setup_super): the checks Linux makes for writing (INVAL
  // at mount, ROFS at remount, ACCES for a read-only disk), then the superblock marked not
  // clean and its mount count and time stamped.
  Result<void> enter_rw(SchedEntity& self, bool remount, std::string* why);
  // Its end (ext4_put_super, remount read-only): everything written back, the clean state
  // of the mount's start restored.
  Result<void> leave_rw(SchedEntity& self);
  Result<void> write_super(SchedEntity& self);
  // A compat feature the filesystem now uses (ext_attr, after a first xattr), stored.
  Result<void> add_compat(SchedEntity& self, uint32_t feature);
  // Group g's block bitmap (bs bytes), made from the descriptor for a group still marked
  // BLOCK_UNINIT (ext4_init_block_bitmap). m_alloc_lock held.
  Result<std::vector<uint8_t>> block_bitmap(SchedEntity& self, uint32_t g);
  // Stores group g's block bitmap and descriptor (its counts and checksums) in the disk's
  // cache; write_desc the descriptor alone (d: what m_groups[g] holds).
  Result<void> write_group(SchedEntity& self, uint32_t g, const std::vector<uint8_t>& bitmap);
  Result<void> write_desc(SchedEntity& self, uint32_t g, const GroupDesc& d);
  // The live inodes (referenced), for a sync or the end of the filesystem.
  std::vector<RefPtr<Ext4Inode>> live_inodes();
  void scan_orphans(SchedEntity& self);
  // One inode of the orphan list on a writable mount: deleted without names, else cut to
  // its size. False (logged) when it could not be.
  bool finish_orphan(SchedEntity& self, const RawInode& r, std::vector<uint8_t> xattrs);
  uint64_t overhead_blocks() const;
  // Raw inode bytes and decode.
  Result<void> read_inode(SchedEntity& self, uint32_t ino, RawInode* out, std::vector<uint8_t>* raw);
  // How many inode table blocks from blk to read when blk is missing (inode_readahead_blks).
  uint64_t itable_window(const GroupDesc& gd, uint64_t blk) const;

  std::shared_ptr<Bdev> m_bdev;
  Klog& m_log;
  Entropy& m_rng;  // the instance's: new inodes' generations
  std::string m_devname;
  Super m_super;
  std::vector<GroupDesc> m_groups;  // counts and flags change under m_groups_lock too
  Mutex m_alloc_lock;               // serialises allocation: bitmaps and descriptors
  Mutex m_xattr_lock;               // xattr blocks' contents and reference counts (shared)
  mutable SpinLock m_groups_lock;   // the counts, for statfs
  MountOptions m_opts;
  uint64_t m_overhead = 0;
  uint64_t m_journal_blocks = 0;
  uint8_t m_sb_raw[kSuperSize] = {};  // the on-disk superblock, as last read or written
  bool m_ro_features = false;         // unknown ro_compat features: read-only only
  bool m_rw = false;                  // between enter_rw and leave_rw
  uint16_t m_mount_state = 0;         // s_state when the writable mount began
  std::atomic<uint64_t> m_errors{0};
  bool m_killed = false;
  // Blocks a journal replay produced (a read-only disk is never written: the replay lives
  // here, and reads see it).
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> m_overlay;
  // Inode cache (Linux's icache for this superblock): a live inode is found here, so hard
  // links share one.
  SpinLock m_icache_lock;
  std::unordered_map<uint32_t, Ext4Inode*> m_icache;
  friend class Ext4Inode;
  friend class Journal;
};

// Result helper: the errno a corruption gives.
inline constexpr Errno kCorrupted = Errno::UCLEAN;

}  // namespace uml::kern::ext4
