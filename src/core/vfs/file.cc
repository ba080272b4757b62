#include "core/time/clock.h"
#include "core/vfs/file.h"

#include "core/poll/epoll.h"
#include "core/cred/actor.h"
#include "core/vfs/file_lock.h"
#include "core/vfs/vfs.h"
#include "core/abi/process.h"
#include "host/host.h"

namespace uml::kern {

namespace {
constexpr uint64_t kMaxFileSize = INT64_MAX;

// RLIMIT_FSIZE (generic_write_check_limits): a write that starts at or past the limit is
// EFBIG with SIGXFSZ; one that crosses it is cut at the limit.
Result<IoBuffer> within_fsize(Actor& self, uint64_t off, const IoBuffer& buf) {
  const uint64_t limit = self.rlimit_cur(abi::RLIMIT_FSIZE_);
  if (limit == abi::RLIM_INFINITY_ || buf.size() == 0) return buf;
  if (off >= limit) {
    self.signal_self(abi::SIGXFSZ_);
    return Errno::FBIG;
  }
  return buf.sub(0, static_cast<size_t>(std::min<uint64_t>(buf.size(), limit - off)));
}
}

File::~File() {
  // First, while everything is intact: epoll items watching it go (eventpoll_release).
  if (m_ep_links.load(std::memory_order_acquire)) Epoll::release_file(*this);
  if (FileLocks* l = m_inode->locks_if_any()) {
    l->release_flock(this);
    l->release_posix(this);
  }
}

void File::set_status_flags(int f) {
  constexpr int kChangeable = abi::O_APPEND_ | abi::O_NONBLOCK_ | abi::O_NOATIME_ | abi::O_DIRECT_;
  int cur = m_flags.load(std::memory_order_relaxed);
  m_flags.store((cur & ~kChangeable) | (f & kChangeable), std::memory_order_relaxed);
}

bool File::readable() const {
  const int f = flags();
  if (f & abi::O_PATH_) return false;
  const int acc = f & abi::O_ACCMODE_;
  return acc == abi::O_RDONLY_ || acc == abi::O_RDWR_;
}

bool File::writable() const {
  const int f = flags();
  if (f & abi::O_PATH_) return false;
  const int acc = f & abi::O_ACCMODE_;
  return acc == abi::O_WRONLY_ || acc == abi::O_RDWR_;
}

Result<size_t> File::pread(Actor& self, const IoBuffer& buf, uint64_t off) {
  if (!readable()) return Errno::BADF;
  if (m_ops) {
    if (!m_ops->positional()) return Errno::SPIPE;
    return m_ops->read(*this, self, buf, &off);
  }
  if (m_inode->is_dir()) return Errno::ISDIR;
  size_t n = TRY(m_inode->read_file(self, m_ra, off, buf));
  touch_atime();
  return n;
}

Result<size_t> File::pwrite(Actor& self, const IoBuffer& buf, uint64_t off) {
  if (!writable()) return Errno::BADF;
  if (m_ops) {
    if (!m_ops->positional()) return Errno::SPIPE;
    return m_ops->write(*this, self, buf, &off);
  }
  if (m_inode->is_dir()) return Errno::ISDIR;
  if (m_inode->immutable()) return Errno::PERM;  // opened before chattr +i (ext4_write_checks)
  size_t n;
  {
    MutexGuard g(m_inode->rwsem(), self);
    // An append-only file is written at its end, whatever the offset (IOCB_APPEND).
    if (m_inode->append_only()) off = m_inode->attr().size;
    if (off > kMaxFileSize || buf.size() > kMaxFileSize - off) return Errno::FBIG;
    const IoBuffer b = m_inode->is_reg() ? TRY(within_fsize(self, off, buf)) : buf;
    n = TRY(m_inode->write(self, off, b));
    if (n) file_remove_privs(self.creds(), *m_inode);  // not for an empty write
  }
  TRY(write_sync(self, n));
  return n;
}

// generic_write_sync: O_DSYNC and O_SYNC writes, and every write to a file with the sync
// flag (chattr +S, as O_SYNC), are durable when they return.
Result<void> File::write_sync(Actor& self, size_t written) {
  if (!written || !m_inode->is_reg()) return {};
  const bool sync_inode = m_inode->fsflags() & abi::FS_SYNC_FL_;
  if (!(flags() & abi::O_DSYNC_) && !sync_inode) return {};
  const bool full = sync_inode || (flags() & abi::O_SYNC_) == abi::O_SYNC_;
  return fsync(self, !full);
}

Result<size_t> File::read(Actor& self, const IoBuffer& buf) {
  if (!readable()) return Errno::BADF;
  if (m_ops) {
    // A stream (a pipe, an event file) has no position to guard (Linux's FMODE_STREAM):
    // no position lock, so a second reader waits on the stream itself, interruptibly.
    if (!m_ops->positional()) {
      uint64_t none = 0;
      return m_ops->read(*this, self, buf, &none);
    }
    MutexGuard g(m_pos_lock, self);
    return m_ops->read(*this, self, buf, &m_pos);
  }
  if (m_inode->is_dir()) return Errno::ISDIR;
  MutexGuard g(m_pos_lock, self);
  size_t n = TRY(pread(self, buf, m_pos));
  m_pos += n;
  return n;
}

Result<size_t> File::write(Actor& self, const IoBuffer& buf) {
  if (!writable()) return Errno::BADF;
  if (m_ops) {
    if (!m_ops->positional()) {
      uint64_t none = 0;
      return m_ops->write(*this, self, buf, &none);
    }
    MutexGuard g(m_pos_lock, self);
    return m_ops->write(*this, self, buf, &m_pos);
  }
  if (m_inode->is_dir()) return Errno::ISDIR;
  if (m_inode->immutable()) return Errno::PERM;  // opened before chattr +i (ext4_write_checks)
  MutexGuard g(m_pos_lock, self);
  size_t n;
  {
    MutexGuard w(m_inode->rwsem(), self);
    // O_APPEND (or an append-only file): the end of the file at the moment of the write,
    // under the inode lock.
    if ((flags() & abi::O_APPEND_) || m_inode->append_only()) m_pos = m_inode->attr().size;
    if (m_pos > kMaxFileSize || buf.size() > kMaxFileSize - m_pos) return Errno::FBIG;
    const IoBuffer b = m_inode->is_reg() ? TRY(within_fsize(self, m_pos, buf)) : buf;
    n = TRY(m_inode->write(self, m_pos, b));
    if (n) file_remove_privs(self.creds(), *m_inode);
  }
  m_pos += n;
  TRY(write_sync(self, n));
  return n;
}

Result<int64_t> File::bytes_readable(Actor& self) {
  if (m_ops || !m_inode->is_reg()) return Errno::NOTTY;  // FIXME: pipes and sockets answer
  MutexGuard g(m_pos_lock, self);
  const int64_t left = static_cast<int64_t>(m_inode->attr().size) - static_cast<int64_t>(m_pos);
  return left < 0 ? 0 : left;
}

// fs/inode.c: touch_atime with relatime (the default), strictatime and noatime: under
// relatime the access time moves only when it is not newer than the modification or change
// time, or is a day old.
void File::touch_atime() {
  if (flags() & abi::O_NOATIME_) return;
  touch_atime(m_path, *m_inode);
}

void File::touch_atime(const Path& p, Inode& inode) {
  if (inode.fsflags() & abi::FS_NOATIME_FL_) return;  // chattr +A (IS_NOATIME)
  const unsigned long mf = p.mnt->flags();
  if ((mf & MNT_NOATIME) || ((mf & MNT_NODIRATIME) && inode.is_dir())) return;
  if (p.mnt->read_only()) return;
  const bool relatime = mf & MNT_RELATIME;
  const int64_t now = inode.sb().now_coarse();  // enough to tell a day
  if (relatime && now < inode.relatime_fresh_until()) return;  // the common case: no lock
  constexpr int64_t kDay = 24 * 3600 * abi::NSEC_PER_SEC;
  inode.update_attr([&](InodeAttr& a) {
    if (relatime && a.atime_ns > a.mtime_ns && a.atime_ns > a.ctime_ns && now - a.atime_ns < kDay) return;
    a.atime_ns = inode.sb().now();  // precise, as the other times are
  });
}

Result<void> File::fsync(Actor& self, bool datasync) {
  if (m_ops) return m_ops->fsync(*this, self, datasync);
  // Linux's errseq_check_and_advance on f_wb_err: two fsyncs racing on one open file may
  // both report an error, never neither.
  uint32_t seen = m_wb_seen.load(std::memory_order_acquire);
  auto r = m_inode->fsync(self, datasync, &seen);
  m_wb_seen.store(seen, std::memory_order_release);
  return r;
}

Result<long> File::ioctl(Actor& self, unsigned cmd, uintptr_t arg) {
  if (!m_ops) return Errno::NOTTY;
  return m_ops->ioctl(*this, self, cmd, arg);
}

Result<int64_t> File::lseek(Actor& self, int64_t off, int whence) {
  if (is_path_only()) return Errno::BADF;
  MutexGuard g(m_pos_lock, self);
  if (m_ops) {
    const int64_t p = TRY(m_ops->llseek(*this, m_pos, off, whence));
    m_pos = static_cast<uint64_t>(p);
    return p;
  }
  if (m_inode->is_dir()) {
    // A directory position is a readdir cookie: SEEK_SET and SEEK_CUR only, never negative
    // (tmpfs's offset_dir_llseek).
    int64_t p;
    if (whence == abi::SEEK_SET_) p = off;
    else if (whence == abi::SEEK_CUR_ && !__builtin_add_overflow(static_cast<int64_t>(m_pos), off, &p)) {}
    else return Errno::INVAL;
    if (p < 0) return Errno::INVAL;
    m_pos = static_cast<uint64_t>(p);
    return p;
  }
  const int64_t size = static_cast<int64_t>(m_inode->attr().size);
  int64_t base;
  switch (whence) {
    case abi::SEEK_SET_: base = 0; break;
    case abi::SEEK_CUR_: base = static_cast<int64_t>(m_pos); break;
    case abi::SEEK_END_: base = size; break;
    case abi::SEEK_DATA_:
    case abi::SEEK_HOLE_:
      // The filesystem knows its holes (a page that was never written, or was punched).
      if (m_inode->is_dir()) return Errno::INVAL;
      if (off < 0 || off >= size) return Errno::NXIO;
      m_pos = TRY(m_inode->seek_data(self, static_cast<uint64_t>(off), whence == abi::SEEK_HOLE_));
      return static_cast<int64_t>(m_pos);
    default: return Errno::INVAL;
  }
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return Errno::INVAL;
  m_pos = static_cast<uint64_t>(base + off);
  return static_cast<int64_t>(m_pos);
}

}  // namespace uml::kern
