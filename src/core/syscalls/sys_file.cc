// Open files and descriptors: open, openat, creat, close, read, write, pread64, pwrite64,
// lseek, dup, dup2, dup3, fallocate, sendfile, copy_file_range.

#include <optional>
#include <vector>

#include "core/abi/fs.h"
#include "core/ipc/pipe.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

Result<RefPtr<File>> file_arg(Task& t, long fd) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(fd));
  if (!f) return Errno::BADF;
  return f;
}

// fdget: a descriptor that is not O_PATH.
Result<RefPtr<File>> open_file_arg(Task& t, long fd) {
  RefPtr<File> f = t.files().get(static_cast<int32_t>(fd));
  if (!f || f->is_path_only()) return Errno::BADF;
  return f;
}

Result<long> do_open(Task& t, int dirfd, long path_addr, int flags, uint32_t mode) {
  const UserPath path = TRY(path_from_user(path_addr));
  RefPtr<File> f = TRY(t.kernel().vfs().open(t, dirfd, path, flags, mode));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

// The length of the guest range [addr, addr+len) one transfer may use (Linux caps it at
// MAX_RW_COUNT), or FAULT. The caller builds the IoBuffer in place: a Result<IoBuffer>
// copied out field by field costs store-forwarding stalls on every read and write.
Result<size_t> user_span(long addr, long len) {
  constexpr size_t kMaxRw = 0x7ffff000;
  size_t n = static_cast<size_t>(len);
  if (n > kMaxRw) n = kMaxRw;
  if (!user_range_ok(static_cast<uintptr_t>(addr), n)) return Errno::FAULT;
  return n;
}

IoBuffer user_buffer(long addr, size_t n) { return IoBuffer::user(static_cast<uintptr_t>(addr), n); }

}  // namespace

Result<long> sys_open(Task& t, const SyscallArgs& a) {
  return do_open(t, abi::AT_FDCWD_, a.a[0], static_cast<int>(a.a[1]), static_cast<uint32_t>(a.a[2]));
}
Result<long> sys_openat(Task& t, const SyscallArgs& a) {
  return do_open(t, static_cast<int>(a.a[0]), a.a[1], static_cast<int>(a.a[2]),
                 static_cast<uint32_t>(a.a[3]));
}
Result<long> sys_creat(Task& t, const SyscallArgs& a) {
  return do_open(t, abi::AT_FDCWD_, a.a[0], abi::O_CREAT_ | abi::O_WRONLY_ | abi::O_TRUNC_,
                 static_cast<uint32_t>(a.a[1]));
}

Result<long> sys_close(Task& t, const SyscallArgs& a) {
  TRY(t.files().close(static_cast<int32_t>(a.a[0])));
  return 0;
}

Result<long> sys_read(Task& t, const SyscallArgs& a) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  const IoBuffer buf = user_buffer(a.a[1], TRY(user_span(a.a[1], a.a[2])));
  return static_cast<long>(TRY(f->read(t, buf)));
}

Result<long> sys_write(Task& t, const SyscallArgs& a) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  const IoBuffer buf = user_buffer(a.a[1], TRY(user_span(a.a[1], a.a[2])));
  return static_cast<long>(TRY(f->write(t, buf)));
}

Result<long> sys_pread64(Task& t, const SyscallArgs& a) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  if (a.a[3] < 0) return Errno::INVAL;
  const IoBuffer buf = user_buffer(a.a[1], TRY(user_span(a.a[1], a.a[2])));
  return static_cast<long>(TRY(f->pread(t, buf, static_cast<uint64_t>(a.a[3]))));
}

Result<long> sys_pwrite64(Task& t, const SyscallArgs& a) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  if (a.a[3] < 0) return Errno::INVAL;
  const IoBuffer buf = user_buffer(a.a[1], TRY(user_span(a.a[1], a.a[2])));
  return static_cast<long>(TRY(f->pwrite(t, buf, static_cast<uint64_t>(a.a[3]))));
}

Result<long> sys_lseek(Task& t, const SyscallArgs& a) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  return TRY(f->lseek(t, a.a[1], static_cast<int>(a.a[2])));
}

Result<long> sys_dup(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(file_arg(t, a.a[0]));
  return TRY(t.files().install(std::move(f), false));
}

Result<long> sys_dup2(Task& t, const SyscallArgs& a) {
  const auto oldfd = static_cast<int32_t>(a.a[0]), newfd = static_cast<int32_t>(a.a[1]);
  if (oldfd == newfd) {
    TRY(file_arg(t, oldfd));
    return newfd;
  }
  return TRY(t.files().dup_to(oldfd, newfd, false));
}

Result<long> sys_dup3(Task& t, const SyscallArgs& a) {
  const auto oldfd = static_cast<int32_t>(a.a[0]), newfd = static_cast<int32_t>(a.a[1]);
  const auto flags = static_cast<int32_t>(a.a[2]);
  if (flags & ~abi::O_CLOEXEC_) return Errno::INVAL;
  if (oldfd == newfd) return Errno::INVAL;
  return TRY(t.files().dup_to(oldfd, newfd, flags & abi::O_CLOEXEC_));
}

}  // namespace uml::kern

// ---- fcntl, close_range, vectored I/O ---------------------------------------------------

namespace uml::kern {

namespace {
constexpr int F_DUPFD_ = 0, F_GETFD_ = 1, F_SETFD_ = 2, F_GETFL_ = 3, F_SETFL_ = 4,
              F_DUPFD_CLOEXEC_ = 1030, F_SETPIPE_SZ_ = 1031, F_GETPIPE_SZ_ = 1032;
constexpr int FD_CLOEXEC_ = 1;
constexpr unsigned CLOSE_RANGE_UNSHARE_ = 1u << 1, CLOSE_RANGE_CLOEXEC_ = 1u << 2;
constexpr long UIO_MAXIOV_ = 1024;
// RWF_HIPRI, DSYNC, SYNC, NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE, NOSIGNAL: what the
// host kernel (6.18) accepts.
constexpr long RWF_SUPPORTED_ = 0x1ff;

struct IoVec {
  uint64_t base;
  uint64_t len;
};

// The guest's iovec array, checked as Linux's import_iovec does: EINVAL for a bad count or
// a total past SSIZE_MAX, EFAULT for an unreadable array.
Result<std::vector<IoVec>> iovecs_arg(long addr, long count) {
  if (count < 0 || count > UIO_MAXIOV_) return Errno::INVAL;
  std::vector<IoVec> v(static_cast<size_t>(count));
  TRY(copy_from_user(v.data(), static_cast<uintptr_t>(addr), v.size() * sizeof(IoVec)));
  uint64_t total = 0;
  for (const IoVec& io : v) {
    if (io.len > static_cast<uint64_t>(INT64_MAX) - total) return Errno::INVAL;
    total += io.len;
  }
  return v;
}

// Runs one transfer per segment; stops at the first short or failed one, as Linux does.
template <typename Op>
Result<long> vectored(const std::vector<IoVec>& v, Op&& op) {
  long done = 0;
  for (const IoVec& io : v) {
    if (io.len == 0) continue;
    const Result<size_t> n = user_span(static_cast<long>(io.base), static_cast<long>(io.len));
    Result<size_t> r = n.has_value() ? op(user_buffer(static_cast<long>(io.base), n.value()), done)
                                     : Result<size_t>(n.error());
    if (!r.has_value()) {
      if (done == 0) return r.error();
      break;
    }
    done += r.value();
    if (static_cast<uint64_t>(r.value()) < io.len) break;
  }
  return done;
}

Result<long> do_readv(Task& t, const SyscallArgs& a, bool positioned, int64_t off) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  std::vector<IoVec> v = TRY(iovecs_arg(a.a[1], a.a[2]));
  if (positioned && off < 0) return Errno::INVAL;
  return vectored(v, [&](const IoBuffer& b, long done) {
    return positioned ? f->pread(t, b, static_cast<uint64_t>(off + done)) : f->read(t, b);
  });
}

Result<long> do_writev(Task& t, const SyscallArgs& a, bool positioned, int64_t off) {
  FileRef f = t.fdget(static_cast<int32_t>(a.a[0]));
  if (!f) return Errno::BADF;
  std::vector<IoVec> v = TRY(iovecs_arg(a.a[1], a.a[2]));
  if (positioned && off < 0) return Errno::INVAL;
  return vectored(v, [&](const IoBuffer& b, long done) {
    return positioned ? f->pwrite(t, b, static_cast<uint64_t>(off + done)) : f->write(t, b);
  });
}

Result<void> rwf_flags_ok(long flags) {
  if (flags & ~RWF_SUPPORTED_) return Errno::OPNOTSUPP;
  return {};
}
}  // namespace

Result<long> sys_fcntl(Task& t, const SyscallArgs& a) {
  const auto fd = static_cast<int32_t>(a.a[0]);
  const auto cmd = static_cast<int32_t>(a.a[1]);
  RefPtr<File> f = t.files().get(fd);
  if (!f) return Errno::BADF;
  switch (cmd) {
    case F_DUPFD_:
    case F_DUPFD_CLOEXEC_: {
      const long min = a.a[2];
      if (min < 0 || min >= t.files().limit()) return Errno::INVAL;
      return TRY(t.files().install(std::move(f), cmd == F_DUPFD_CLOEXEC_, static_cast<int>(min)));
    }
    case F_GETFD_: return TRY(t.files().cloexec(fd)) ? FD_CLOEXEC_ : 0;
    case F_SETFD_:
      TRY(t.files().set_cloexec(fd, a.a[2] & FD_CLOEXEC_));
      return 0;
    case F_GETFL_: return f->flags() & ~abi::O_CLOEXEC_;
    case F_SETFL_:
      if (f->is_path_only()) return Errno::BADF;
      f->set_status_flags(static_cast<int>(a.a[2]));
      return 0;
    case abi::F_GETLK_:
    case abi::F_SETLK_:
    case abi::F_SETLKW_:
    case abi::F_OFD_GETLK_:
    case abi::F_OFD_SETLK_:
    case abi::F_OFD_SETLKW_: {
      if (f->is_path_only()) return Errno::BADF;
      abi::flock l = TRY(copy_from_user(UserPtr<abi::flock>(a.a[2])));
      TRY(t.kernel().vfs().record_lock(t, *f, cmd, l));
      if (cmd == abi::F_GETLK_ || cmd == abi::F_OFD_GETLK_) TRY(copy_to_user(UserPtr<abi::flock>(a.a[2]), l));
      return 0;
    }
    case F_SETPIPE_SZ_:
    case F_GETPIPE_SZ_: {
      auto* end = dynamic_cast<PipeEnd*>(f->ops());
      if (!end) return Errno::BADF;
      if (cmd == F_GETPIPE_SZ_) return static_cast<long>(end->pipe().capacity());
      return static_cast<long>(TRY(end->pipe().set_capacity(
          t, static_cast<uint32_t>(a.a[2]), t.creds().capable(abi::CAP_SYS_RESOURCE))));
    }
    default: return Errno::INVAL;  // FIXME: leases, seals
  }
}

Result<long> sys_flock(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(open_file_arg(t, a.a[0]));
  TRY(t.kernel().vfs().flock(t, *f, static_cast<int>(a.a[1])));
  return 0;
}

Result<long> sys_close_range(Task& t, const SyscallArgs& a) {
  const auto first = static_cast<uint32_t>(a.a[0]), last = static_cast<uint32_t>(a.a[1]);
  const auto flags = static_cast<uint32_t>(a.a[2]);
  if (flags & ~(CLOSE_RANGE_UNSHARE_ | CLOSE_RANGE_CLOEXEC_)) return Errno::INVAL;
  if (first > last) return Errno::INVAL;
  // CLOSE_RANGE_UNSHARE: the table is already the caller's own unless threads share it;
  // FIXME: unshare a table shared by threads.
  t.files().close_range(first, last, flags & CLOSE_RANGE_CLOEXEC_);
  return 0;
}

Result<long> sys_readv(Task& t, const SyscallArgs& a) { return do_readv(t, a, false, 0); }
Result<long> sys_writev(Task& t, const SyscallArgs& a) { return do_writev(t, a, false, 0); }
Result<long> sys_preadv(Task& t, const SyscallArgs& a) { return do_readv(t, a, true, a.a[3]); }
Result<long> sys_pwritev(Task& t, const SyscallArgs& a) { return do_writev(t, a, true, a.a[3]); }
Result<long> sys_preadv2(Task& t, const SyscallArgs& a) {
  TRY(rwf_flags_ok(a.a[5]));
  return a.a[3] == -1 ? do_readv(t, a, false, 0) : do_readv(t, a, true, a.a[3]);
}
Result<long> sys_pwritev2(Task& t, const SyscallArgs& a) {
  TRY(rwf_flags_ok(a.a[5]));
  return a.a[3] == -1 ? do_writev(t, a, false, 0) : do_writev(t, a, true, a.a[3]);
}

}  // namespace uml::kern

// ---- ioctl -------------------------------------------------------------------------------

namespace uml::kern {

Result<long> sys_ioctl(Task& t, const SyscallArgs& a) {
  constexpr long FIONCLEX_ = 0x5450, FIOCLEX_ = 0x5451, FIONREAD_ = 0x541B;
  const auto fd = static_cast<int32_t>(a.a[0]);
  RefPtr<File> f = t.files().get(fd);
  if (!f || f->is_path_only()) return Errno::BADF;
  switch (static_cast<uint32_t>(a.a[1])) {
    case FIOCLEX_: TRY(t.files().set_cloexec(fd, true)); return 0;
    case FIONCLEX_: TRY(t.files().set_cloexec(fd, false)); return 0;
    case FIONREAD_: {
      if (f->ops()) return f->ioctl(t, FIONREAD_, static_cast<uintptr_t>(a.a[2]));  // pipes answer it
      const int64_t left = TRY(f->bytes_readable(t));
      const int32_t n = static_cast<int32_t>(left > INT32_MAX ? INT32_MAX : left);
      TRY(copy_to_user(UserPtr<int32_t>(a.a[2]), n));
      return 0;
    }
    // do_vfs_ioctl's file attributes: the inode's filesystem answers, or the file's own
    // ioctl does (ENOTTY for most).
    case abi::FS_IOC_GETFLAGS_: {
      auto r = t.kernel().vfs().get_flags(t, *f);
      if (!r && r.error() == Errno::NOTTY) break;
      TRY(copy_to_user(UserPtr<int32_t>(a.a[2]), static_cast<int32_t>(TRY(std::move(r)))));
      return 0;
    }
    case abi::FS_IOC_SETFLAGS_: {
      const int32_t flags = TRY(copy_from_user(UserPtr<int32_t>(a.a[2])));
      auto r = t.kernel().vfs().set_flags(t, *f, static_cast<uint32_t>(flags));
      if (!r && r.error() == Errno::NOTTY) break;
      TRY(std::move(r));
      return 0;
    }
    case abi::FS_IOC_FSGETXATTR_: {
      auto r = t.kernel().vfs().get_fsxattr(t, *f);
      if (!r && r.error() == Errno::NOTTY) break;
      TRY(copy_to_user(UserPtr<abi::fsxattr>(a.a[2]), TRY(std::move(r))));
      return 0;
    }
    case abi::FICLONE_:
      TRY(t.kernel().vfs().clone_range(t, *f, static_cast<int>(a.a[2])));
      return 0;
    case abi::FICLONERANGE_: {
      const abi::file_clone_range r = TRY(copy_from_user(UserPtr<abi::file_clone_range>(a.a[2])));
      TRY(t.kernel().vfs().clone_range(t, *f, static_cast<int>(r.src_fd)));
      return 0;
    }
    case abi::FIDEDUPERANGE_: {
      // ioctl_file_dedupe_range: the header (src_offset, src_length, dest_count) first.
      uint64_t head[3];
      TRY(copy_from_user(head, static_cast<uintptr_t>(a.a[2]), sizeof head));
      if (f->inode().is_dir()) return Errno::ISDIR;
      if (!f->inode().is_reg()) return Errno::INVAL;
      return Errno::OPNOTSUPP;
    }
    default: break;
  }
  return f->ioctl(t, static_cast<uint32_t>(a.a[1]), static_cast<uintptr_t>(a.a[2]));
}

}  // namespace uml::kern

// ---- openat2 -------------------------------------------------------------------------------

namespace uml::kern {

// fs/open.c: openat2 and build_open_flags' checks (stricter than open's: unknown flags fail).
Result<long> sys_openat2(Task& t, const SyscallArgs& a) {
  const size_t usize = static_cast<size_t>(a.a[3]);
  if (usize < sizeof(abi::open_how)) return Errno::INVAL;
  if (usize > 4096) return Errno::TOOBIG;
  abi::open_how how{};
  TRY(copy_from_user(&how, static_cast<uintptr_t>(a.a[2]), sizeof(how)));
  if (usize > sizeof(how)) {  // a newer, larger struct: the extra bytes must be zero
    std::vector<uint8_t> rest(usize - sizeof(how));
    TRY(copy_from_user(rest.data(), static_cast<uintptr_t>(a.a[2]) + sizeof(how), rest.size()));
    for (uint8_t b : rest)
      if (b) return Errno::TOOBIG;
  }
  constexpr uint64_t kValidFlags =
      abi::O_ACCMODE_ | abi::O_CREAT_ | abi::O_EXCL_ | abi::O_NOCTTY_ | abi::O_TRUNC_ |
      abi::O_APPEND_ | abi::O_NONBLOCK_ | abi::O_DSYNC_ | abi::O_ASYNC_ | abi::O_DIRECT_ |
      abi::O_LARGEFILE_ | abi::O_DIRECTORY_ | abi::O_NOFOLLOW_ | abi::O_NOATIME_ | abi::O_CLOEXEC_ |
      abi::O_SYNC_ | abi::O_PATH_ | abi::O_TMPFILE_;
  constexpr uint64_t kValidResolve = abi::RESOLVE_NO_XDEV_ | abi::RESOLVE_NO_MAGICLINKS_ |
                                     abi::RESOLVE_NO_SYMLINKS_ | abi::RESOLVE_BENEATH_ |
                                     abi::RESOLVE_IN_ROOT_ | abi::RESOLVE_CACHED_;
  if (how.flags & ~kValidFlags) return Errno::INVAL;
  if (how.resolve & ~kValidResolve) return Errno::INVAL;
  if ((how.resolve & abi::RESOLVE_BENEATH_) && (how.resolve & abi::RESOLVE_IN_ROOT_)) return Errno::INVAL;
  const bool creating = (how.flags & abi::O_CREAT_) || (how.flags & abi::O_TMPFILE_) == abi::O_TMPFILE_;
  if (how.mode & ~uint64_t{07777}) return Errno::INVAL;
  if (how.mode && !creating) return Errno::INVAL;
  if ((how.flags & abi::O_PATH_) && (how.flags & ~uint64_t(abi::O_PATH_ | abi::O_CLOEXEC_ | abi::O_DIRECTORY_ | abi::O_NOFOLLOW_)))
    return Errno::INVAL;
  const UserPath path = TRY(path_from_user(a.a[1]));
  const int flags = static_cast<int>(how.flags);
  RefPtr<File> f = TRY(t.kernel().vfs().open2(t, static_cast<int>(a.a[0]), path, flags,
                                              static_cast<uint32_t>(how.mode), how.resolve));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

}  // namespace uml::kern

// ---- fallocate, sendfile, copy_file_range ------------------------------------------------

namespace uml::kern {

namespace {
// An optional loff_t in guest memory: read before, written back after.
Result<std::optional<int64_t>> offset_arg(long addr) {
  if (!addr) return std::optional<int64_t>();
  return std::optional<int64_t>(TRY(copy_from_user(UserPtr<int64_t>(addr))));
}
}  // namespace

Result<long> sys_fallocate(Task& t, const SyscallArgs& a) {
  RefPtr<File> f = TRY(open_file_arg(t, a.a[0]));
  TRY(t.kernel().vfs().fallocate(t, *f, static_cast<int>(a.a[1]), a.a[2], a.a[3]));
  return 0;
}

Result<long> sys_sendfile(Task& t, const SyscallArgs& a) {
  std::optional<int64_t> off = TRY(offset_arg(a.a[2]));
  RefPtr<File> in = TRY(open_file_arg(t, a.a[1]));
  RefPtr<File> out = TRY(open_file_arg(t, a.a[0]));
  const size_t n = TRY(t.kernel().vfs().sendfile(t, *out, *in, off ? &*off : nullptr,
                                                 static_cast<size_t>(a.a[3])));
  if (off) TRY(copy_to_user(UserPtr<int64_t>(a.a[2]), *off));
  return static_cast<long>(n);
}

Result<long> sys_copy_file_range(Task& t, const SyscallArgs& a) {
  std::optional<int64_t> off_in = TRY(offset_arg(a.a[1]));
  std::optional<int64_t> off_out = TRY(offset_arg(a.a[3]));
  RefPtr<File> in = TRY(open_file_arg(t, a.a[0]));
  RefPtr<File> out = TRY(open_file_arg(t, a.a[2]));
  const size_t n = TRY(t.kernel().vfs().copy_file_range(t, *in, off_in ? &*off_in : nullptr, *out,
                                                        off_out ? &*off_out : nullptr,
                                                        static_cast<size_t>(a.a[4]),
                                                        static_cast<unsigned>(a.a[5])));
  if (off_in) TRY(copy_to_user(UserPtr<int64_t>(a.a[1]), *off_in));
  if (off_out) TRY(copy_to_user(UserPtr<int64_t>(a.a[3]), *off_out));
  return static_cast<long>(n);
}

}  // namespace uml::kern
