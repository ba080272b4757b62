// Vfs: extended attributes — the namespace rules of fs/xattr.c (xattr_permission) over the
// filesystem's store.

#include "core/task/task.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

namespace {

bool has_prefix(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

// fs/xattr.c: xattr_permission.
Result<void> xattr_permission(Actor& self, const Credentials& c, const Inode& i, std::string_view name, int mask) {
  const InodeAttr a = i.attr();
  // security.* and system.* are the filesystem's (or a security module's) to judge.
  if (has_prefix(name, "security.") || has_prefix(name, "system.")) return {};
  if (has_prefix(name, "trusted.")) {
    if (!c.capable(abi::CAP_SYS_ADMIN)) return (mask & MAY_WRITE) ? Errno::PERM : Errno::NODATA;
    return {};
  }
  if (has_prefix(name, "user.")) {
    // Only regular files and directories carry user attributes; in a sticky directory only
    // its owner (or CAP_FOWNER) writes them.
    if (!i.is_reg() && !i.is_dir()) return (mask & MAY_WRITE) ? Errno::PERM : Errno::NODATA;
    if (i.is_dir() && (a.mode & abi::S_ISVTX_) && (mask & MAY_WRITE) && c.fsuid != a.uid &&
        !c.capable(abi::CAP_FOWNER))
      return Errno::PERM;
  }
  if ((mask & MAY_WRITE) && i.sb().read_only() && (i.is_reg() || i.is_dir() || i.is_symlink()))
    return Errno::ROFS;
  if ((mask & MAY_WRITE) && (i.immutable() || i.append_only())) return Errno::PERM;
  return inode_permission(self, c, i, mask);
}

// The namespaces an attribute name may have; anything else the filesystems refuse.
bool known_namespace(std::string_view name) {
  return has_prefix(name, "user.") || has_prefix(name, "trusted.") || has_prefix(name, "security.");
}

// POSIX ACLs read as their filesystem stores them (ext4 converts its compact form);
// setting them, and enforcing them, is not supported yet (docs/differences.md).
bool acl_name(std::string_view name) {
  return name == "system.posix_acl_access" || name == "system.posix_acl_default";
}

}  // namespace

Result<std::string> Vfs::getxattr(Task& t, const Path& p, std::string_view name) {
  RefPtr<Inode> i = p.inode();
  TRY(xattr_permission(t, t.creds(), *i, name, MAY_READ));
  if (!known_namespace(name) && !acl_name(name)) return Errno::OPNOTSUPP;
  return i->getxattr(t, name);
}

Result<void> Vfs::setxattr(Task& t, const Path& p, std::string_view name, std::string_view value,
                           int flags) {
  if (p.mnt->read_only()) return Errno::ROFS;  // mnt_want_write
  RefPtr<Inode> i = p.inode();
  MutexGuard g(i->rwsem(), t);
  TRY(xattr_permission(t, t.creds(), *i, name, MAY_WRITE));
  if (!known_namespace(name)) return Errno::OPNOTSUPP;
  return i->setxattr(t, name, value, flags);
}

Result<void> Vfs::removexattr(Task& t, const Path& p, std::string_view name) {
  if (p.mnt->read_only()) return Errno::ROFS;
  RefPtr<Inode> i = p.inode();
  MutexGuard g(i->rwsem(), t);
  TRY(xattr_permission(t, t.creds(), *i, name, MAY_WRITE));
  if (!known_namespace(name)) return Errno::OPNOTSUPP;
  return i->removexattr(t, name);
}

Result<std::vector<std::string>> Vfs::listxattr(Task& t, const Path& p) {
  std::vector<std::string> names = TRY(p.inode()->listxattr(t));
  // simple_xattr_list: trusted.* only for CAP_SYS_ADMIN.
  if (!t.creds().capable(abi::CAP_SYS_ADMIN)) {
    std::vector<std::string> visible;
    for (auto& n : names)
      if (!has_prefix(n, "trusted.")) visible.push_back(std::move(n));
    names.swap(visible);
  }
  return names;
}

}  // namespace uml::kern
