// Vfs: attribute changes — chmod, chown, truncate, access, utimes (fs/attr.c, fs/open.c).

#include "core/time/clock.h"
#include "core/task/task.h"
#include "core/vfs/vfs.h"
#include "host/host.h"

namespace uml::kern {

namespace {
bool owner_or_fowner(const Credentials& c, const InodeAttr& a) {
  return c.fsuid == a.uid || c.capable(abi::CAP_FOWNER);
}
}  // namespace

// fs/attr.c: setattr_prepare for ATTR_MODE.
Result<void> Vfs::chmod(Task& t, const Path& p, uint32_t mode) {
  RefPtr<Inode> i = p.inode();
  if (p.mnt->read_only()) return Errno::ROFS;
  const Credentials& c = t.creds();
  MutexGuard g(i->rwsem(), t);
  if (i->immutable() || i->append_only()) return Errno::PERM;  // notify_change
  const InodeAttr a = i->attr();
  if (!owner_or_fowner(c, a)) return Errno::PERM;
  mode &= abi::S_IALLUGO_;
  // Without the file's group (or CAP_FSETID) the setgid bit does not survive.
  if (!c.in_group(a.gid) && !c.capable(abi::CAP_FSETID)) mode &= ~abi::S_ISGID_;
  i->update_attr([&](InodeAttr& x) {
    x.mode = (x.mode & abi::S_IFMT_) | mode;
    x.ctime_ns = i->sb().now();
  });
  return {};
}

// fs/attr.c: chown_ok, chgrp_ok; fs/open.c: chown_common (setuid/setgid dropped).
Result<void> Vfs::chown(Task& t, const Path& p, uint32_t uid, uint32_t gid) {
  RefPtr<Inode> i = p.inode();
  if (p.mnt->read_only()) return Errno::ROFS;
  const Credentials& c = t.creds();
  MutexGuard g(i->rwsem(), t);
  if (i->immutable() || i->append_only()) return Errno::PERM;  // notify_change
  const InodeAttr a = i->attr();
  const bool uid_change = uid != kInvalidId && uid != a.uid;
  if (uid_change && !c.capable(abi::CAP_CHOWN)) return Errno::PERM;
  if (uid != kInvalidId && !uid_change && c.fsuid != a.uid && !c.capable(abi::CAP_CHOWN))
    return Errno::PERM;
  if (gid != kInvalidId) {
    const bool may_chgrp = c.fsuid == a.uid && (gid == a.gid || c.in_group(gid));
    if (!may_chgrp && !c.capable(abi::CAP_CHOWN)) return Errno::PERM;
  }
  i->update_attr([&](InodeAttr& x) {
    if (uid != kInvalidId) x.uid = uid;
    if (gid != kInvalidId) x.gid = gid;
    // chown_common asks to drop them for any non-directory, even for chown(-1, -1).
    if ((x.mode & abi::S_IFMT_) != abi::S_IFDIR_) {
      x.mode &= ~abi::S_ISUID_;
      if (x.mode & 0010) x.mode &= ~abi::S_ISGID_;  // setgid with group-exec: a setgid program
    }
    x.ctime_ns = i->sb().now();
  });
  return {};
}

// fs/open.c: vfs_truncate (by path) and do_ftruncate (by descriptor).
Result<void> Vfs::truncate(Task& t, const Path& p, int64_t length) {
  Inode& i = *p.inode();
  if (i.is_dir()) return Errno::ISDIR;
  if (!i.is_reg()) return Errno::INVAL;
  if (p.mnt->read_only()) return Errno::ROFS;
  TRY(inode_permission(t, t.creds(), i, MAY_WRITE));
  if (i.append_only()) return Errno::PERM;
  return truncate_inode(t, i, length);
}

Result<void> Vfs::ftruncate(Task& t, File& f, int64_t length) {
  if (length < 0) return Errno::INVAL;
  if (!f.writable() || !f.inode().is_reg()) return Errno::INVAL;
  // do_ftruncate refuses an append-only file; an immutable one opened for writing before
  // it became immutable is truncated all the same (notify_change does not look at ATTR_SIZE).
  if (f.inode().append_only()) return Errno::PERM;
  return truncate_inode(t, f.inode(), length);
}

Result<void> Vfs::truncate_inode(Task& t, Inode& i, int64_t length) {
  if (length < 0) return Errno::INVAL;
  MutexGuard g(i.rwsem(), t);
  TRY(i.truncate(t, static_cast<uint64_t>(length)));
  file_remove_privs(t.creds(), i);
  return {};
}

// fs/inode.c: file_remove_privs with should_remove_suid and setattr_should_drop_sgid
// (Linux 6.2+): a write or truncate by someone without CAP_FSETID drops setuid, and setgid
// when the file is group-executable or the writer is not in its group.
void file_remove_privs(const Credentials& c, Inode& i) {
  if (!i.is_reg()) return;
  const uint32_t mode = i.rcu_mode();
  if (!(mode & (abi::S_ISUID_ | abi::S_ISGID_)) || c.capable(abi::CAP_FSETID)) return;
  i.update_attr([&](InodeAttr& x) {
    uint32_t kill = x.mode & abi::S_ISUID_;
    if ((x.mode & abi::S_ISGID_) && ((x.mode & 0010) || !c.in_group(x.gid))) kill |= abi::S_ISGID_;
    if (!kill) return;
    x.mode &= ~kill;
    x.ctime_ns = i.sb().now();
  });
}

// fs/open.c: do_faccessat, with access_override_creds (the real ids, unless AT_EACCESS).
Result<void> Vfs::access(Task& t, const Path& p, int mode, bool effective) {
  Credentials c = t.creds();
  if (!effective) {
    c.fsuid = c.uid;
    c.fsgid = c.gid;
    if (c.uid != 0) c.cap_effective = 0;
    else c.cap_effective = c.cap_permitted;
  }
  if (mode == 0) return {};  // F_OK: the lookup was the test
  const InodeAttr a = p.inode()->attr();
  const uint32_t type = a.mode & abi::S_IFMT_;
  // A regular file is never executable on a noexec mount.
  if ((mode & MAY_EXEC) && type == abi::S_IFREG_ && p.mnt->noexec()) return Errno::ACCES;
  const bool special = type == abi::S_IFCHR_ || type == abi::S_IFBLK_ || type == abi::S_IFIFO_ ||
                       type == abi::S_IFSOCK_;
  // inode_permission: a read-only filesystem first, then the mode bits; then (SuS) a
  // read-only mount.
  if ((mode & MAY_WRITE) && !special && p.mnt->sb().read_only()) return Errno::ROFS;
  TRY(inode_permission(t, c, *p.inode(), mode));
  if ((mode & MAY_WRITE) && !special && p.mnt->read_only()) return Errno::ROFS;
  return {};
}

// fs/utimes.c and setattr_prepare's time rules: "now" needs ownership or write access,
// explicit times need ownership (or CAP_FOWNER).
Result<void> Vfs::utimes(Task& t, const Path& p, const abi::timespec* times) {
  RefPtr<Inode> i = p.inode();
  const Credentials& c = t.creds();
  const int64_t now = i->sb().now();
  bool explicit_time = false;
  if (times) {
    for (int k = 0; k < 2; ++k) {
      const int64_t ns = times[k].tv_nsec;
      if (ns == abi::UTIME_NOW_ || ns == abi::UTIME_OMIT_) continue;
      if (ns < 0 || ns >= abi::NSEC_PER_SEC) return Errno::INVAL;
      explicit_time = true;
    }
    if (times[0].tv_nsec == abi::UTIME_OMIT_ && times[1].tv_nsec == abi::UTIME_OMIT_) return {};
  }
  if (p.mnt->read_only()) return Errno::ROFS;
  MutexGuard g(i->rwsem(), t);
  // notify_change: explicit times never on an immutable or append-only file; "now" (the
  // ATTR_TOUCH case) on an append-only one too, never on an immutable one.
  if (i->immutable() || (explicit_time && i->append_only())) return Errno::PERM;
  const InodeAttr a = i->attr();
  if (!owner_or_fowner(c, a)) {
    if (explicit_time) return Errno::PERM;
    if (!inode_permission(t, c, *i, MAY_WRITE).has_value()) return Errno::ACCES;
  }
  auto pick = [&](const abi::timespec& ts, int64_t cur) {
    if (ts.tv_nsec == abi::UTIME_OMIT_) return cur;
    if (ts.tv_nsec == abi::UTIME_NOW_) return now;
    return ts.tv_sec * abi::NSEC_PER_SEC + ts.tv_nsec;
  };
  i->update_attr([&](InodeAttr& x) {
    x.atime_ns = times ? pick(times[0], x.atime_ns) : now;
    x.mtime_ns = times ? pick(times[1], x.mtime_ns) : now;
    x.ctime_ns = now;
  });
  return {};
}

// ---- inode flags (fs/ioctl.c, fs/attr.c) ----

Result<uint32_t> Vfs::get_flags(Task&, File& f) { return f.inode().get_fsflags(); }

Result<abi::fsxattr> Vfs::get_fsxattr(Task& t, File& f) {
  const uint32_t flags = TRY(get_flags(t, f));
  // fileattr_fill_flags: the xflags the flags stand for.
  abi::fsxattr x{};
  if (flags & abi::FS_SYNC_FL_) x.fsx_xflags |= abi::FS_XFLAG_SYNC_;
  if (flags & abi::FS_IMMUTABLE_FL_) x.fsx_xflags |= abi::FS_XFLAG_IMMUTABLE_;
  if (flags & abi::FS_APPEND_FL_) x.fsx_xflags |= abi::FS_XFLAG_APPEND_;
  if (flags & abi::FS_NODUMP_FL_) x.fsx_xflags |= abi::FS_XFLAG_NODUMP_;
  if (flags & abi::FS_NOATIME_FL_) x.fsx_xflags |= abi::FS_XFLAG_NOATIME_;
  return x;
}

Result<void> Vfs::set_flags(Task& t, File& f, uint32_t flags) {
  Inode& i = f.inode();
  if (f.path().mnt->read_only() || i.sb().read_only()) return Errno::ROFS;  // mnt_want_write_file
  const uint32_t old = TRY(i.get_fsflags());  // NOTTY: the filesystem keeps none
  const Credentials& c = t.creds();
  if (!owner_or_fowner(c, i.attr())) return Errno::PERM;  // inode_owner_or_capable
  MutexGuard g(i.rwsem(), t);
  // fileattr_set_prepare: immutable and append-only change with CAP_LINUX_IMMUTABLE only.
  constexpr uint32_t kGuarded = abi::FS_IMMUTABLE_FL_ | abi::FS_APPEND_FL_;
  if (((old ^ flags) & kGuarded) && !c.capable(abi::CAP_LINUX_IMMUTABLE)) return Errno::PERM;
  return i.set_fsflags(t, flags);
}

Result<void> Vfs::clone_range(Task& t, File& dst, int src_fd) {
  RefPtr<File> src = t.files().get(src_fd);
  if (!src || src->is_path_only()) return Errno::BADF;
  if (src->path().mnt.get() != dst.path().mnt.get()) return Errno::XDEV;
  // vfs_clone_file_range and generic_remap_checks.
  if (src->inode().is_dir() || dst.inode().is_dir()) return Errno::ISDIR;
  if (!src->inode().is_reg() || !dst.inode().is_reg()) return Errno::INVAL;
  if (!src->readable() || !dst.writable()) return Errno::BADF;
  return Errno::OPNOTSUPP;  // no remap_file_range
}

}  // namespace uml::kern
