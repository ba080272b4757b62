#pragma once
// A mount namespace (Linux's struct mnt_namespace): a tree of mounts of its own. Every
// task has one (its nsproxy's); a new task shares its creator's, unshare(CLONE_NEWNS)
// gives the caller a copy, and setns(2) enters another. The mounts themselves, and their
// propagation between namespaces (shared peer groups, slaves), are the Vfs's: it owns the
// lock that guards a namespace's mount list (Vfs::m_mount_lock).
//
// The last reference (the last task in it, or the last open /proc/[pid]/ns/mnt) takes
// its mounts down: they leave the mount hash at once and go through RCU, and with the
// last of them a filesystem that no other namespace still mounts.

#include <cstdint>
#include <vector>

#include "core/base/ref_counted.h"
#include "core/vfs/path.h"

namespace uml::kern {

class Vfs;

class MountNamespace final : public RefCounted<MountNamespace> {
 public:
  MountNamespace(Vfs& vfs, uint64_t inum) : m_vfs(vfs), m_inum(inum) {}
  // What /proc/[pid]/ns/mnt names it by (its nsfs inode number).
  uint64_t inum() const { return m_inum; }
  Vfs& vfs() const { return m_vfs; }
  // RefCounted's hook: its mounts are detached before it goes (Vfs::put_namespace).
  static void rc_destroy(const MountNamespace* ns);

 private:
  friend class Vfs;
  Vfs& m_vfs;
  const uint64_t m_inum;
  RefPtr<Mount> m_root;                 // Vfs::m_mount_lock
  std::vector<RefPtr<Mount>> m_mounts;  // in mount order, the root first: Vfs::m_mount_lock
};

}  // namespace uml::kern
