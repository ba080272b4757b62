// Names and directories: mkdir, mkdirat, rmdir, unlink, unlinkat, symlink, symlinkat,
// readlink, readlinkat, getdents64, getcwd, chdir, fchdir, umask, and the stat family
// (stat, lstat, fstat, newfstatat).

#include <cstring>
#include <memory>
#include <vector>

#include "core/abi/fs.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

Result<long> do_readlink(Task& t, int dirfd, const SyscallArgs& a, int base) {
  const auto size = static_cast<int32_t>(a.a[base + 2]);
  if (size <= 0) return Errno::INVAL;
  const UserPath path = TRY(path_from_user(a.a[base]));
  const std::string target = TRY(t.kernel().vfs().readlink(t, dirfd, path));
  const size_t n = std::min(target.size(), static_cast<size_t>(size));
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[base + 1]), target.data(), n));
  return static_cast<long>(n);
}

Result<long> do_stat(Task& t, int dirfd, long path_addr, long buf, int flags) {
  const UserPath path = TRY(path_from_user(path_addr));
  const abi::stat st = TRY(t.kernel().vfs().stat(t, dirfd, path, flags));
  TRY(copy_to_user(UserPtr<abi::stat>(buf), st));
  return 0;
}

}  // namespace

Result<long> sys_mkdir(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[0]));
  TRY(t.kernel().vfs().mkdir(t, abi::AT_FDCWD_, p, static_cast<uint32_t>(a.a[1])));
  return 0;
}
Result<long> sys_mkdirat(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[1]));
  TRY(t.kernel().vfs().mkdir(t, static_cast<int>(a.a[0]), p, static_cast<uint32_t>(a.a[2])));
  return 0;
}
Result<long> sys_rmdir(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[0]));
  TRY(t.kernel().vfs().remove(t, abi::AT_FDCWD_, p, true));
  return 0;
}
Result<long> sys_unlink(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[0]));
  TRY(t.kernel().vfs().remove(t, abi::AT_FDCWD_, p, false));
  return 0;
}
Result<long> sys_unlinkat(Task& t, const SyscallArgs& a) {
  const auto flags = static_cast<int32_t>(a.a[2]);
  if (flags & ~abi::AT_REMOVEDIR_) return Errno::INVAL;
  const UserPath p = TRY(path_from_user(a.a[1]));
  TRY(t.kernel().vfs().remove(t, static_cast<int>(a.a[0]), p, flags & abi::AT_REMOVEDIR_));
  return 0;
}
Result<long> sys_symlink(Task& t, const SyscallArgs& a) {
  const UserPath target = TRY(path_from_user(a.a[0]));
  const UserPath p = TRY(path_from_user(a.a[1]));
  TRY(t.kernel().vfs().symlink(t, target, abi::AT_FDCWD_, p));
  return 0;
}
Result<long> sys_symlinkat(Task& t, const SyscallArgs& a) {
  const UserPath target = TRY(path_from_user(a.a[0]));
  const UserPath p = TRY(path_from_user(a.a[2]));
  TRY(t.kernel().vfs().symlink(t, target, static_cast<int>(a.a[1]), p));
  return 0;
}
Result<long> sys_readlink(Task& t, const SyscallArgs& a) { return do_readlink(t, abi::AT_FDCWD_, a, 0); }
Result<long> sys_readlinkat(Task& t, const SyscallArgs& a) {
  return do_readlink(t, static_cast<int>(a.a[0]), a, 1);
}

Result<long> sys_stat(Task& t, const SyscallArgs& a) { return do_stat(t, abi::AT_FDCWD_, a.a[0], a.a[1], 0); }
Result<long> sys_lstat(Task& t, const SyscallArgs& a) {
  return do_stat(t, abi::AT_FDCWD_, a.a[0], a.a[1], abi::AT_SYMLINK_NOFOLLOW_);
}
Result<long> sys_newfstatat(Task& t, const SyscallArgs& a) {
  return do_stat(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], static_cast<int>(a.a[3]));
}
Result<long> sys_fstat(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  TRY(copy_to_user(UserPtr<abi::stat>(a.a[1]), Vfs::stat_of(f->inode())));
  return 0;
}

Result<long> sys_getdents64(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(a.a[0]));
  if (!f || f->is_path_only()) return Errno::BADF;
  const uintptr_t ubuf = static_cast<uintptr_t>(a.a[1]);
  const size_t count = static_cast<uint32_t>(a.a[2]);
  if (!user_range_ok(ubuf, count)) return Errno::FAULT;
  // Records are built in a kernel buffer as large as the caller's (up to 1 MiB; a larger
  // one gets 1 MiB of entries, as a short read) and copied out once.
  const size_t cap = std::min<size_t>(count, size_t{1} << 20);
  std::unique_ptr<uint8_t[]> out(new uint8_t[cap]);  // every byte sent is written below
  size_t used = 0;
  bool too_small = false;
  TRY(t.kernel().vfs().iterate_dir(t, *f, [&](const DirEntry& e) {
    constexpr size_t kHeader = offsetof(abi::linux_dirent64, d_name);
    const size_t reclen = (kHeader + e.name.size() + 1 + 7) & ~size_t{7};
    if (used + reclen > cap) {
      too_small = used == 0;
      return false;
    }
    uint8_t* rec = out.get() + used;
    const abi::linux_dirent64 h{e.ino, static_cast<int64_t>(e.cookie), static_cast<uint16_t>(reclen), e.type};
    memcpy(rec, &h, kHeader);
    memcpy(rec + kHeader, e.name.data(), e.name.size());
    memset(rec + kHeader + e.name.size(), 0, reclen - kHeader - e.name.size());  // NUL and padding
    used += reclen;
    return true;
  }));
  if (too_small) return Errno::INVAL;
  TRY(copy_to_user(ubuf, out.get(), used));
  return static_cast<long>(used);
}

Result<long> sys_getcwd(Task& t, const SyscallArgs& a) {
  const std::string cwd = TRY(t.kernel().vfs().getcwd(t));
  const size_t size = static_cast<size_t>(a.a[1]);
  if (cwd.size() + 1 > size) return Errno::RANGE;
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[0]), cwd.c_str(), cwd.size() + 1));
  return static_cast<long>(cwd.size() + 1);
}

Result<long> sys_chdir(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[0]));
  Path target = TRY(t.kernel().vfs().lookup(t, abi::AT_FDCWD_, p, Vfs::FOLLOW));
  TRY(t.kernel().vfs().chdir(t, target));
  return 0;
}

Result<long> sys_fchdir(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  TRY(t.kernel().vfs().chdir(t, f->path()));
  return 0;
}

Result<long> sys_umask(Task& t, const SyscallArgs& a) {
  return static_cast<long>(t.fs().exchange_umask(static_cast<uint32_t>(a.a[0])));
}

}  // namespace uml::kern

// ---- mknod, statx, chroot, utimes, utime, futimesat ------------------------------------

namespace uml::kern {

namespace {
struct TimeVal {
  int64_t sec, usec;
};

Result<long> do_mknod(Task& t, int dirfd, long path, long mode, long dev) {
  const UserPath p = TRY(path_from_user(path));
  TRY(t.kernel().vfs().mknod(t, dirfd, p, static_cast<uint32_t>(mode), static_cast<uint32_t>(dev)));
  return 0;
}

// utimes and futimesat take microseconds; utimensat does the rest.
Result<long> do_utimes(Task& t, int dirfd, long path, long tv) {
  abi::timespec ts[2];
  const abi::timespec* tp = nullptr;
  if (tv) {
    TimeVal v[2];
    TRY(copy_from_user(v, static_cast<uintptr_t>(tv), sizeof(v)));
    for (int i = 0; i < 2; ++i) {
      if (v[i].usec < 0 || v[i].usec >= 1'000'000) return Errno::INVAL;
      ts[i] = {v[i].sec, v[i].usec * 1000};
    }
    tp = ts;
  }
  const UserPath p = TRY(path_from_user(path));
  Path target = TRY(t.kernel().vfs().lookup(t, dirfd, p, Vfs::FOLLOW));
  TRY(t.kernel().vfs().utimes(t, target, tp));
  return 0;
}
}  // namespace

Result<long> sys_mknod(Task& t, const SyscallArgs& a) { return do_mknod(t, abi::AT_FDCWD_, a.a[0], a.a[1], a.a[2]); }
Result<long> sys_mknodat(Task& t, const SyscallArgs& a) {
  return do_mknod(t, static_cast<int>(a.a[0]), a.a[1], a.a[2], a.a[3]);
}

Result<long> sys_statx(Task& t, const SyscallArgs& a) {
  const auto dirfd = static_cast<int>(a.a[0]);
  const auto flags = static_cast<int>(a.a[2]);
  const auto mask = static_cast<uint32_t>(a.a[3]);
  constexpr int kValid = abi::AT_SYMLINK_NOFOLLOW_ | abi::AT_EMPTY_PATH_ | abi::AT_NO_AUTOMOUNT_ |
                         abi::AT_STATX_SYNC_TYPE_;
  if (flags & ~kValid) return Errno::INVAL;
  if ((flags & abi::AT_STATX_SYNC_TYPE_) == abi::AT_STATX_SYNC_TYPE_) return Errno::INVAL;
  if (mask & 0x80000000u) return Errno::INVAL;  // STATX__RESERVED
  const UserPath path = TRY(path_from_user(a.a[1]));
  unsigned lf = (flags & abi::AT_SYMLINK_NOFOLLOW_) ? 0u : static_cast<unsigned>(Vfs::FOLLOW);
  if (flags & abi::AT_EMPTY_PATH_) lf |= Vfs::EMPTY_PATH;
  Path p = TRY(t.kernel().vfs().lookup(t, dirfd, path, lf));
  const Inode& i = *p.inode();
  const abi::stat st = Vfs::stat_of(i);
  const InodeAttr at = i.attr();
  abi::statx x{};
  x.stx_mask = abi::STATX_BASIC_STATS_ | abi::STATX_BTIME_ | abi::STATX_MNT_ID_;
  x.stx_blksize = static_cast<uint32_t>(st.st_blksize);
  x.stx_nlink = static_cast<uint32_t>(st.st_nlink);
  x.stx_uid = st.st_uid;
  x.stx_gid = st.st_gid;
  x.stx_mode = static_cast<uint16_t>(st.st_mode);
  x.stx_ino = st.st_ino;
  x.stx_size = static_cast<uint64_t>(st.st_size);
  x.stx_blocks = static_cast<uint64_t>(st.st_blocks);
  auto ts = [](int64_t ns) { return abi::statx_timestamp{ns / abi::NSEC_PER_SEC, static_cast<uint32_t>(ns % abi::NSEC_PER_SEC), 0}; };
  x.stx_atime = ts(at.atime_ns);
  x.stx_btime = ts(at.btime_ns);
  x.stx_ctime = ts(at.ctime_ns);
  x.stx_mtime = ts(at.mtime_ns);
  // new_encode_dev's split: 12 bits of major, 20 of minor.
  x.stx_rdev_major = static_cast<uint32_t>((at.rdev >> 8) & 0xfff);
  x.stx_rdev_minor = static_cast<uint32_t>((at.rdev & 0xff) | ((at.rdev >> 12) & 0xfff00));
  x.stx_dev_major = static_cast<uint32_t>((st.st_dev >> 8) & 0xfff);
  x.stx_dev_minor = static_cast<uint32_t>((st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00));
  x.stx_mnt_id = p.mnt->id();  // as mountinfo numbers it
  TRY(copy_to_user(UserPtr<abi::statx>(a.a[4]), x));
  return 0;
}

Result<long> sys_chroot(Task& t, const SyscallArgs& a) {
  const UserPath p = TRY(path_from_user(a.a[0]));
  Path target = TRY(t.kernel().vfs().lookup(t, abi::AT_FDCWD_, p, Vfs::FOLLOW));
  TRY(t.kernel().vfs().chroot(t, target));
  return 0;
}

Result<long> sys_utimes(Task& t, const SyscallArgs& a) { return do_utimes(t, abi::AT_FDCWD_, a.a[0], a.a[1]); }
Result<long> sys_futimesat(Task& t, const SyscallArgs& a) {
  return do_utimes(t, static_cast<int>(a.a[0]), a.a[1], a.a[2]);
}
Result<long> sys_utime(Task& t, const SyscallArgs& a) {
  abi::timespec ts[2];
  const abi::timespec* tp = nullptr;
  if (a.a[1]) {
    int64_t v[2];  // struct utimbuf: actime, modtime (seconds)
    TRY(copy_from_user(v, static_cast<uintptr_t>(a.a[1]), sizeof(v)));
    ts[0] = {v[0], 0};
    ts[1] = {v[1], 0};
    tp = ts;
  }
  const UserPath p = TRY(path_from_user(a.a[0]));
  Path target = TRY(t.kernel().vfs().lookup(t, abi::AT_FDCWD_, p, Vfs::FOLLOW));
  TRY(t.kernel().vfs().utimes(t, target, tp));
  return 0;
}

}  // namespace uml::kern
