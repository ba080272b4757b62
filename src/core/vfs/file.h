#pragma once
// File: an open file description (Linux's struct file): what open() returns and dup()
// shares. It holds its inode directly, so an unlinked file stays readable and writable.

#include <cstdint>

#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/mm/readahead.h"
#include "core/sched/sync.h"
#include "core/vfs/file_ops.h"
#include "core/vfs/path.h"

namespace uml::kern {

struct EpollLinks;

class File final : public RefCounted<File> {
 public:
  File(Path path, RefPtr<Inode> inode, int flags, std::shared_ptr<FileOps> ops = nullptr)
      : m_path(std::move(path)), m_inode(std::move(inode)), m_flags(flags), m_ops(std::move(ops)),
        m_wb_seen(m_inode->writeback_error_seq()) {}
  // The last reference: flock and OFD locks of this description go.
  ~File();

  const Path& path() const { return m_path; }
  Inode& inode() const { return *m_inode; }
  int flags() const { return m_flags.load(std::memory_order_relaxed); }
  void set_status_flags(int f);  // F_SETFL: only O_APPEND, O_NONBLOCK, O_NOATIME, O_DIRECT
  bool is_path_only() const { return flags() & abi::O_PATH_; }
  bool readable() const;
  bool writable() const;

  // read(2)/write(2) at the file position; pread/pwrite at off. Errors: BADF (not open for
  // it), ISDIR, and what the filesystem returns.
  Result<size_t> read(Actor& self, const IoBuffer& buf);
  Result<size_t> write(Actor& self, const IoBuffer& buf);
  Result<size_t> pread(Actor& self, const IoBuffer& buf, uint64_t off);
  Result<size_t> pwrite(Actor& self, const IoBuffer& buf, uint64_t off);
  // After a write of n bytes: made durable when O_DSYNC/O_SYNC or the inode's sync flag
  // ask for it (generic_write_sync).
  Result<void> write_sync(Actor& self, size_t written);
  Result<int64_t> lseek(Actor& self, int64_t off, int whence);
  // FIONREAD: bytes between the position and the end of a regular file (NOTTY otherwise).
  Result<int64_t> bytes_readable(Actor& self);
  // Any other ioctl: the driver's (NOTTY without one).
  Result<long> ioctl(Actor& self, unsigned cmd, uintptr_t arg);
  FileOps* ops() const { return m_ops.get(); }
  // A read happened: the access time, as the mount's atime policy says.
  void touch_atime();
  static void touch_atime(const Path& p, Inode& inode);

  // fsync/fdatasync of a file whose inode holds the data (a device's goes to its FileOps).
  Result<void> fsync(Actor& self, bool datasync);

  // The directory position (getdents64's cookie), under the position lock.
  Mutex& pos_lock() { return m_pos_lock; }
  uint64_t pos_locked() const { return m_pos; }
  void set_pos_locked(uint64_t p) { m_pos = p; }

 private:
  friend class Epoll;
  Path m_path;
  RefPtr<Inode> m_inode;
  std::atomic<int> m_flags;
  Mutex m_pos_lock;  // Linux's f_pos_lock
  uint64_t m_pos = 0;
  const std::shared_ptr<FileOps> m_ops;  // null: the inode holds the data
  std::atomic<EpollLinks*> m_ep_links{nullptr};  // the epoll items watching this file
  FileReadahead m_ra;  // Linux's f_ra: for filesystems whose data is in the page cache
  std::atomic<uint32_t> m_wb_seen;  // Linux's f_wb_err: the writeback errors fsync has reported here
};

}  // namespace uml::kern
