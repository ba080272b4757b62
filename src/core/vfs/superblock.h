#pragma once
// SuperBlock: one mounted filesystem instance (Linux's struct super_block). It owns the root
// of its dentry tree; mounts show that tree (or a subtree of it, for bind mounts). When the
// last mount of a superblock goes, its cached dentries are dropped.
//
// Lifetime: inodes use their superblock until their last moment (accounting in their
// destructors), and dentries, with their inodes, are freed after an RCU grace period. So the
// last reference to a superblock only kills it (kill(): it lets go of its root); the memory
// goes with the last of its inodes.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/abi/fs.h"
#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/vfs/dcache_hash.h"
#include "core/vfs/dentry.h"
#include "core/time/clock.h"
#include "core/vfs/inode.h"

namespace uml::kern {

class SchedEntity;

class SuperBlock : public RefCounted<SuperBlock> {
 public:
  // clock: the CLOCK_REALTIME of the instance that mounts it, which stamps its files' times.
  SuperBlock(std::string fstype, uint64_t dev, const RealtimeClock& clock)
      : m_fstype(std::move(fstype)), m_dev(dev), m_clock(clock) {}
  virtual ~SuperBlock() = default;

  // RefCounted's hook: the last reference kills the superblock.
  static void rc_destroy(const SuperBlock* sb) {
    auto* s = const_cast<SuperBlock*>(sb);
    s->kill();
    s->inode_removed();  // the unit the references held
  }
  // Inode bookkeeping (Inode's constructor and destructor).
  void inode_added() { m_inodes.fetch_add(1, std::memory_order_relaxed); }
  void inode_removed() {
    if (m_inodes.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  const std::string& fstype() const { return m_fstype; }
  uint64_t dev() const { return m_dev; }
  // The time a change to one of its files is stamped with (current_time(inode)), and a
  // coarse one for what only needs to tell a day (relatime).
  int64_t now() const { return m_clock.now(); }
  int64_t now_coarse() const { return m_clock.now_coarse(); }
  // The block size stat's st_blksize reports for its inodes (i_blocksize: 1 << s_blocksize_bits
  // for a disk filesystem; the page size for the memory ones; 1024 for procfs). Set once,
  // before the filesystem is mounted.
  uint32_t blocksize() const { return m_blocksize; }
  uint64_t alloc_ino() { return m_next_ino.fetch_add(1, std::memory_order_relaxed); }
  const RefPtr<Inode>& root() const { return m_root; }
  const RefPtr<Dentry>& root_dentry() const { return m_root_dentry; }
  // The index of its cached dentries, for lock-free lookups.
  DentryHash& dcache() { return m_dcache; }
  virtual abi::statfs statfs() = 0;

  // The filesystem is read-only (MS_RDONLY at mount, or a remount).
  bool read_only() const { return m_read_only.load(std::memory_order_relaxed); }
  void set_read_only(bool ro) { m_read_only.store(ro, std::memory_order_relaxed); }
  // mount -o remount: applies the options in data (INVAL for a bad one) and checks the
  // MS_* flags asked for (ROFS: the filesystem cannot be made writable); the caller then
  // sets the read-only state from them.
  virtual Result<void> remount(Actor& self, unsigned long flags, std::string_view data) {
    (void)self;
    (void)flags;
    (void)data;
    return {};
  }
  // syncfs(2) and the first half of umount: everything this filesystem holds dirty is
  // written and made durable. IO when writing back failed. Nothing by default.
  virtual Result<void> sync_fs(SchedEntity& self) {
    (void)self;
    return {};
  }
  // The instance shuts down while its disks still serve requests: what the filesystem holds
  // dirty is written and it is left consistent (a disk filesystem marked clean). self is
  // the shutting-down host thread's waiter. Nothing by default.
  virtual void shutdown(SchedEntity& self) { (void)self; }
  // The options /proc/mounts shows after "rw"/"ro" (each with a leading comma).
  virtual std::string show_options() const { return {}; }

  // Whether the dcache may remember that a name does not exist (procfs's names come and
  // go with processes: no).
  bool caches_negative() const { return m_cache_negative; }

  // Mount bookkeeping (Mount's constructor and destructor).
  void mount_added() { m_mounts.fetch_add(1, std::memory_order_relaxed); }
  void mount_removed() {
    if (m_mounts.fetch_sub(1, std::memory_order_acq_rel) == 1 && m_root_dentry) m_root_dentry->prune();
  }

 protected:
  // The last reference went: drop what the superblock holds that holds inodes.
  virtual void kill() {
    m_root_dentry = nullptr;
    m_root = nullptr;
  }
  // Called once by the filesystem when its root inode exists.
  void set_root(RefPtr<Inode> r) {
    m_root = std::move(r);
    m_root_dentry = Dentry::make_root(m_root);
  }

  std::string m_fstype;
  uint64_t m_dev;
  const RealtimeClock& m_clock;
  std::atomic<uint64_t> m_next_ino{2};  // 1 is never used; the root gets 2, as ext4's does
  RefPtr<Inode> m_root;
  RefPtr<Dentry> m_root_dentry;
  std::atomic<bool> m_read_only{false};
  uint32_t m_blocksize = 4096;
  std::atomic<uint32_t> m_mounts{0};
  std::atomic<uint64_t> m_inodes{1};  // live inodes, plus one while referenced
  bool m_cache_negative = true;
  DentryHash m_dcache;
};

}  // namespace uml::kern
