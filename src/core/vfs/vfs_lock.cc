// Vfs: advisory locks — flock(2) and fcntl's record locks (fs/locks.c: fcntl_getlk,
// fcntl_setlk, flock_to_posix_lock).

#include "core/task/task.h"
#include "core/vfs/file_lock.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

Result<void> Vfs::flock(Task& t, File& f, int op) {
  const int cmd = op & ~abi::LOCK_NB_;
  if (cmd != abi::LOCK_SH_ && cmd != abi::LOCK_EX_ && cmd != abi::LOCK_UN_) return Errno::INVAL;
  return f.inode().locks().flock(t, &f, op);
}

namespace {

// flock_to_posix_lock: the byte range [start, end] a struct flock names.
Result<std::pair<int64_t, int64_t>> lock_range(Task& t, File& f, const abi::flock& l) {
  int64_t base;
  switch (l.l_whence) {
    case abi::SEEK_SET_: base = 0; break;
    case abi::SEEK_CUR_: base = TRY(f.lseek(t, 0, abi::SEEK_CUR_)); break;
    case abi::SEEK_END_: base = static_cast<int64_t>(f.inode().attr().size); break;
    default: return Errno::INVAL;
  }
  if (l.l_start > kOffsetMax - base) return Errno::OVERFLOW_;
  int64_t start = base + l.l_start;
  if (start < 0) return Errno::INVAL;
  int64_t end;
  if (l.l_len > 0) {
    if (l.l_len - 1 > kOffsetMax - start) return Errno::OVERFLOW_;
    end = start + l.l_len - 1;
  } else if (l.l_len < 0) {
    end = start - 1;
    start += l.l_len;
    if (start < 0) return Errno::INVAL;
  } else {
    end = kOffsetMax;
  }
  return std::pair{start, end};
}

}  // namespace

Result<void> Vfs::record_lock(Task& t, File& f, int cmd, abi::flock& l) {
  const bool ofd = cmd == abi::F_OFD_GETLK_ || cmd == abi::F_OFD_SETLK_ || cmd == abi::F_OFD_SETLKW_;
  const LockOwner owner = ofd ? LockOwner{&f, -1, true} : LockOwner{&t.group(), t.pid(), false};
  if (cmd == abi::F_GETLK_ || cmd == abi::F_OFD_GETLK_) {
    if (l.l_type != abi::F_RDLCK_ && l.l_type != abi::F_WRLCK_) return Errno::INVAL;
    auto [start, end] = TRY(lock_range(t, f, l));
    if (ofd && l.l_pid != 0) return Errno::INVAL;
    FileLocks* locks = f.inode().locks_if_any();
    std::optional<RecordLock> c = locks ? locks->getlk(owner, l.l_type, start, end) : std::nullopt;
    if (!c) {
      l.l_type = abi::F_UNLCK_;
      return {};
    }
    l.l_type = static_cast<int16_t>(c->type);
    l.l_whence = abi::SEEK_SET_;
    l.l_start = c->start;
    l.l_len = c->end == kOffsetMax ? 0 : c->end - c->start + 1;
    l.l_pid = c->owner.pid;
    return {};
  }
  if (l.l_type != abi::F_RDLCK_ && l.l_type != abi::F_WRLCK_ && l.l_type != abi::F_UNLCK_) return Errno::INVAL;
  auto [start, end] = TRY(lock_range(t, f, l));
  // check_fmode_for_setlk: a read lock needs the file open for reading, a write lock for
  // writing.
  if (l.l_type == abi::F_RDLCK_ && !f.readable()) return Errno::BADF;
  if (l.l_type == abi::F_WRLCK_ && !f.writable()) return Errno::BADF;
  if (ofd && l.l_pid != 0) return Errno::INVAL;
  const bool wait = cmd == abi::F_SETLKW_ || cmd == abi::F_OFD_SETLKW_;
  return f.inode().locks().setlk(t, m_lock_graph, owner, l.l_type, start, end, wait);
}

}  // namespace uml::kern
