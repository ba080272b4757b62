#pragma once
// Mount and Path: where a dentry sits in the mount tree (Linux's vfsmount and struct path).
//
// A Mount shows a subtree of one superblock (its root dentry) at a mountpoint dentry of its
// parent mount. The namespace's root mount has no parent. Mount flags are per mount (a bind
// mount can be read-only while the filesystem is not); the superblock has its own
// read-only state (remount), and a mount is writable only when both allow it.

#include <atomic>
#include <string>

#include "core/base/rcu.h"
#include "core/base/ref_counted.h"
#include "core/vfs/dentry.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

class MountNamespace;

// Per-mount flags, with mount(2)'s MS_* values.
enum MountFlags : unsigned long {
  MNT_RDONLY = 1,
  MNT_NOSUID = 2,
  MNT_NODEV = 4,
  MNT_NOEXEC = 8,
  MNT_NOATIME = 1024,
  MNT_NODIRATIME = 2048,
  MNT_RELATIME = 1ul << 21,
  MNT_STRICTATIME = 1ul << 24,
  MNT_PER_MOUNT = MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_NOATIME |
                  MNT_NODIRATIME | MNT_RELATIME,
};

class Mount final : public RefCounted<Mount> {
 public:
  Mount(RefPtr<SuperBlock> sb, RefPtr<Dentry> root, unsigned long flags)
      : m_sb(std::move(sb)), m_root(std::move(root)), m_flags(flags & MNT_PER_MOUNT) {
    m_sb->mount_added();
  }
  ~Mount() { m_sb->mount_removed(); }
  // RefCounted's hook: RCU walks cross mounts without references, so a mount is freed
  // after a grace period.
  static void rc_destroy(const Mount* m) {
    rcu::retire(const_cast<Mount*>(m), [](void* p) { delete static_cast<Mount*>(p); });
  }

  SuperBlock& sb() const { return *m_sb; }
  const RefPtr<SuperBlock>& sb_ref() const { return m_sb; }
  const RefPtr<Dentry>& root() const { return m_root; }
  unsigned long flags() const { return m_flags.load(std::memory_order_relaxed); }
  void set_flags(unsigned long f) { m_flags.store(f & MNT_PER_MOUNT, std::memory_order_relaxed); }
  bool read_only() const { return (flags() & MNT_RDONLY) || m_sb->read_only(); }
  bool nodev() const { return flags() & MNT_NODEV; }
  bool noexec() const { return flags() & MNT_NOEXEC; }
  bool nosuid() const { return flags() & MNT_NOSUID; }

  // Where it is mounted: set by the Vfs under its mount lock; null for the namespace root
  // and for a mount that was detached.
  const RefPtr<Mount>& parent() const { return m_parent; }
  const RefPtr<Dentry>& mountpoint() const { return m_mountpoint; }
  uint64_t id() const { return m_id; }
  // In no namespace (pipefs and the like): its files' paths are their names.
  bool internal() const { return m_internal; }
  void set_internal() { m_internal = true; }
  const std::string& source() const { return m_source; }

 private:
  friend class Vfs;
  // Where the mount is and how mount events spread from and to it, all under the Vfs's
  // mount lock (changed under its namespace_sem too). Propagation (Linux's
  // Documentation/filesystems/sharedsubtree.rst): mounts with the same nonzero m_group are
  // peers and share every mount and umount below them; a mount whose m_master is a group
  // receives that group's events and sends none back; neither: private.
  MountNamespace* m_ns = nullptr;  // null once detached, and for internal mounts
  uint64_t m_group = 0;                  // shared: its peer group ("shared:N")
  uint64_t m_master = 0;                 // slave of this peer group ("master:N")
  bool m_unbindable = false;             // MS_UNBINDABLE: no bind mount may copy it
  RefPtr<SuperBlock> m_sb;
  RefPtr<Dentry> m_root;
  std::atomic<unsigned long> m_flags;
  RefPtr<Mount> m_parent;
  RefPtr<Dentry> m_mountpoint;
  uint64_t m_id = 0;
  std::string m_source;  // mount(2)'s source, as /proc/mounts shows it
  bool m_expire_mark = false;  // umount2(MNT_EXPIRE) asked once
  bool m_internal = false;
};

// A dentry never outlives the mount that keeps its superblock: members are destroyed
// dentry first, and assignment releases the old pair in that order too.
struct Path {
  RefPtr<Mount> mnt;
  RefPtr<Dentry> dentry;
  Path() = default;
  Path(RefPtr<Mount> m, RefPtr<Dentry> d) : mnt(std::move(m)), dentry(std::move(d)) {}
  Path(const Path&) = default;
  Path(Path&&) noexcept = default;
  Path& operator=(Path o) noexcept {
    std::swap(mnt, o.mnt);
    std::swap(dentry, o.dentry);
    return *this;  // o, holding the old pair, drops its dentry before its mount
  }
  RefPtr<Inode> inode() const { return dentry->inode(); }
  explicit operator bool() const { return static_cast<bool>(dentry); }
  bool operator==(const Path& o) const { return mnt.get() == o.mnt.get() && dentry.get() == o.dentry.get(); }
};

}  // namespace uml::kern
