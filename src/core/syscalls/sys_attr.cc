// File attributes and names: chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat,
// truncate, ftruncate, access, faccessat, faccessat2, utimensat, rename, renameat,
// renameat2, link, linkat, statfs, fstatfs, fsync, fdatasync, sync, syncfs.

#include "core/abi/fs.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

Result<Path> path_at(Task& t, int dirfd, long addr, unsigned flags) {
  const UserPath p = TRY(path_from_user(addr));
  return t.kernel().vfs().lookup(t, dirfd, p, flags);
}

Result<RefPtr<File>> fd_arg(Task& t, long fd, bool allow_path_only) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(fd));
  if (!f || (!allow_path_only && f->is_path_only())) return Errno::BADF;
  return f;
}

Result<long> do_chown(Task& t, int dirfd, long path, long uid, long gid, int flags) {
  if (flags & ~(abi::AT_SYMLINK_NOFOLLOW_ | abi::AT_EMPTY_PATH_)) return Errno::INVAL;
  unsigned lf = (flags & abi::AT_SYMLINK_NOFOLLOW_) ? 0u : static_cast<unsigned>(Vfs::FOLLOW);
  if (flags & abi::AT_EMPTY_PATH_) lf |= Vfs::EMPTY_PATH;
  const UserPath p = TRY(path_from_user(path));
  Path target = TRY(t.kernel().vfs().lookup(t, dirfd, p, lf));
  TRY(t.kernel().vfs().chown(t, target, static_cast<uint32_t>(uid), static_cast<uint32_t>(gid)));
  return 0;
}

Result<long> do_access(Task& t, int dirfd, long path, long mode, int flags) {
  if (mode & ~7) return Errno::INVAL;
  if (flags & ~(abi::AT_EACCESS_ | abi::AT_SYMLINK_NOFOLLOW_ | abi::AT_EMPTY_PATH_)) return Errno::INVAL;
  unsigned lf = (flags & abi::AT_SYMLINK_NOFOLLOW_) ? 0u : static_cast<unsigned>(Vfs::FOLLOW);
  if (flags & abi::AT_EMPTY_PATH_) lf |= Vfs::EMPTY_PATH;
  Path target = TRY(path_at(t, dirfd, path, lf));
  TRY(t.kernel().vfs().access(t, target, static_cast<int>(mode), flags & abi::AT_EACCESS_));
  return 0;
}

Result<long> do_rename(Task& t, int od, long op, int nd, long np, unsigned flags) {
  const UserPath from = TRY(path_from_user(op));
  const UserPath to = TRY(path_from_user(np));
  TRY(t.kernel().vfs().rename(t, od, from, nd, to, flags));
  return 0;
}

Result<long> do_link(Task& t, int od, long op, int nd, long np, int flags) {
  const UserPath from = TRY(path_from_user(op));
  const UserPath to = TRY(path_from_user(np));
  TRY(t.kernel().vfs().link(t, od, from, nd, to, flags));
  return 0;
}

}  // namespace

Result<long> sys_chmod(Task& t, const SyscallArgs& a) {
  Path p = TRY(path_at(t, abi::AT_FDCWD_, a.a[0], Vfs::FOLLOW));
  TRY(t.kernel().vfs().chmod(t, p, static_cast<uint32_t>(a.a[1])));
  return 0;
}
Result<long> sys_fchmodat(Task& t, const SyscallArgs& a) {
  Path p = TRY(path_at(t, static_cast<int>(a.a[0]), a.a[1], Vfs::FOLLOW));
  TRY(t.kernel().vfs().chmod(t, p, static_cast<uint32_t>(a.a[2])));
  return 0;
}
Result<long> sys_fchmod(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], false));
  TRY(t.kernel().vfs().chmod(t, f->path(), static_cast<uint32_t>(a.a[1])));
  return 0;
}

Result<long> sys_chown(Task& t, const SyscallArgs& a) {
  return do_chown(t, abi::AT_FDCWD_, a.a[0], a.a[1], a.a[2], 0);
}
Result<long> sys_lchown(Task& t, const SyscallArgs& a) {
  return do_chown(t, abi::AT_FDCWD_, a.a[0], a.a[1], a.a[2], abi::AT_SYMLINK_NOFOLLOW_);
}
Result<long> sys_fchownat(Task& t, const SyscallArgs& a) {
  return do_chown(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], a.a[3], static_cast<int>(a.a[4]));
}
Result<long> sys_fchown(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], false));
  TRY(t.kernel().vfs().chown(t, f->path(), static_cast<uint32_t>(a.a[1]), static_cast<uint32_t>(a.a[2])));
  return 0;
}

Result<long> sys_truncate(Task& t, const SyscallArgs& a) {
  if (a.a[1] < 0) return Errno::INVAL;  // do_sys_truncate checks before the lookup
  Path p = TRY(path_at(t, abi::AT_FDCWD_, a.a[0], Vfs::FOLLOW));
  TRY(t.kernel().vfs().truncate(t, p, a.a[1]));
  return 0;
}
Result<long> sys_ftruncate(Task& t, const SyscallArgs& a) {
  if (a.a[1] < 0) return Errno::INVAL;  // do_sys_ftruncate: before the descriptor
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], false));
  TRY(t.kernel().vfs().ftruncate(t, *f, a.a[1]));
  return 0;
}

Result<long> sys_access(Task& t, const SyscallArgs& a) { return do_access(t, abi::AT_FDCWD_, a.a[0], a.a[1], 0); }
Result<long> sys_faccessat(Task& t, const SyscallArgs& a) {
  return do_access(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], 0);
}
Result<long> sys_faccessat2(Task& t, const SyscallArgs& a) {
  return do_access(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], static_cast<int>(a.a[3]));
}

Result<long> sys_utimensat(Task& t, const SyscallArgs& a) {
  const auto dirfd = static_cast<int>(a.a[0]);
  const auto flags = static_cast<int>(a.a[3]);
  if (flags & ~(abi::AT_SYMLINK_NOFOLLOW_ | abi::AT_EMPTY_PATH_)) return Errno::INVAL;
  abi::timespec times[2];
  const abi::timespec* tp = nullptr;
  if (a.a[2]) {
    TRY(copy_from_user(times, static_cast<uintptr_t>(a.a[2]), sizeof(times)));
    tp = times;
  }
  Path p;
  if (a.a[1] == 0) {  // Linux: a null path means dirfd itself
    RefPtr<File> f = t.files().get(dirfd);
    if (dirfd == abi::AT_FDCWD_) p = t.fs().cwd();
    else if (!f) return Errno::BADF;
    else p = f->path();
  } else {
    unsigned lf = (flags & abi::AT_SYMLINK_NOFOLLOW_) ? 0u : static_cast<unsigned>(Vfs::FOLLOW);
    if (flags & abi::AT_EMPTY_PATH_) lf |= Vfs::EMPTY_PATH;
    p = TRY(path_at(t, dirfd, a.a[1], lf));
  }
  TRY(t.kernel().vfs().utimes(t, p, tp));
  return 0;
}

Result<long> sys_rename(Task& t, const SyscallArgs& a) {
  return do_rename(t, abi::AT_FDCWD_, a.a[0], abi::AT_FDCWD_, a.a[1], 0);
}
Result<long> sys_renameat(Task& t, const SyscallArgs& a) {
  return do_rename(t, static_cast<int>(a.a[0]), a.a[1], static_cast<int>(a.a[2]), a.a[3], 0);
}
Result<long> sys_renameat2(Task& t, const SyscallArgs& a) {
  return do_rename(t, static_cast<int>(a.a[0]), a.a[1], static_cast<int>(a.a[2]), a.a[3],
                   static_cast<unsigned>(a.a[4]));
}
Result<long> sys_link(Task& t, const SyscallArgs& a) {
  return do_link(t, abi::AT_FDCWD_, a.a[0], abi::AT_FDCWD_, a.a[1], 0);
}
Result<long> sys_linkat(Task& t, const SyscallArgs& a) {
  return do_link(t, static_cast<int>(a.a[0]), a.a[1], static_cast<int>(a.a[2]), a.a[3],
                 static_cast<int>(a.a[4]));
}

Result<long> sys_statfs(Task& t, const SyscallArgs& a) {
  Path p = TRY(path_at(t, abi::AT_FDCWD_, a.a[0], Vfs::FOLLOW));
  TRY(copy_to_user(UserPtr<abi::statfs>(a.a[1]), Vfs::statfs(p)));
  return 0;
}
Result<long> sys_fstatfs(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], true));
  TRY(copy_to_user(UserPtr<abi::statfs>(a.a[1]), Vfs::statfs(f->path())));
  return 0;
}

// A device's file writes back through its driver (a disk: its cache, then a flush), a disk
// filesystem's through its inode; the in-memory filesystems have nothing to write back.
static Result<long> do_fsync(Task& t, const SyscallArgs& a, bool datasync) {
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], false));
  TRY(f->fsync(t, datasync));
  return 0;
}
Result<long> sys_fsync(Task& t, const SyscallArgs& a) { return do_fsync(t, a, false); }
Result<long> sys_fdatasync(Task& t, const SyscallArgs& a) { return do_fsync(t, a, true); }
// syncfs(2): the filesystem of the descriptor (sync_filesystem).
Result<long> sys_syncfs(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(fd_arg(t, a.a[0], false));
  TRY(f->path().mnt->sb().sync_fs(t));
  return 0;
}
// sync(2): every cached page written, then every disk flushed (ksys_sync). Errors are not
// reported (sync returns void).
Result<long> sys_sync(Task& t, const SyscallArgs&) {
  Kernel& k = t.kernel();
  k.page_cache().sync_all(t);
  for (unsigned i = 0; i < DiskTable::kMaxDisks; ++i)
    if (auto b = k.disks().get(i)) (void)b->flush(t);
  return 0;
}

}  // namespace uml::kern
