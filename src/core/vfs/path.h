#pragma once
// Mount and Path: where a dentry sits in the mount tree (Linux's vfsmount and struct path).

#include "core/base/ref_counted.h"
#include "core/vfs/dentry.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

class Mount final : public RefCounted<Mount> {
 public:
  Mount(RefPtr<SuperBlock> sb, RefPtr<Dentry> root, unsigned long flags)
      : m_sb(std::move(sb)), m_root(std::move(root)), m_flags(flags) {}
  SuperBlock& sb() const { return *m_sb; }
  const RefPtr<Dentry>& root() const { return m_root; }
  unsigned long flags() const { return m_flags; }
  bool read_only() const { return m_flags & 1; }  // MS_RDONLY

 private:
  RefPtr<SuperBlock> m_sb;
  RefPtr<Dentry> m_root;
  unsigned long m_flags;
};

struct Path {
  RefPtr<Mount> mnt;
  RefPtr<Dentry> dentry;
  RefPtr<Inode> inode() const { return dentry->inode(); }
  explicit operator bool() const { return static_cast<bool>(dentry); }
};

}  // namespace uml::kern
