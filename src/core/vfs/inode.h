#pragma once
// Inode: one file of a filesystem (Linux's struct inode). The filesystem that owns it is
// authoritative for its contents; the VFS reaches them through the virtual operations below.
// Each operation documents its contract: who holds which lock, which errors it may return.
//
// Lock order: Vfs::m_rename_lock > Inode::m_rwsem (parent before child; two unrelated
// directories in address order) > Dentry::m_lock > Inode::m_attr_lock.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/abi/fs.h"
#include "core/base/io_buffer.h"
#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/sync.h"
#include "core/cred/actor.h"
#include "core/vfs/posix_acl.h"

namespace uml::kern {

class FileLocks;
class FileReadahead;
class Pipe;
class FileOps;
class SuperBlock;
struct Path;

struct InodeAttr {
  uint32_t mode = 0;  // type and permission bits
  uint32_t uid = 0, gid = 0;
  uint32_t nlink = 1;
  uint64_t size = 0;
  uint64_t rdev = 0;
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0, btime_ns = 0;

  // A new file's attributes: all four times `now` (its superblock's now()), nlink 2 for a
  // directory and 1 otherwise.
  static InodeAttr fresh(int64_t now, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev = 0);
};

// One directory entry as iterate() reports it.
struct DirEntry {
  std::string_view name;
  uint64_t ino;
  uint8_t type;     // DT_*
  uint64_t cookie;  // where iteration resumes after this entry
};

class Inode : public RefCounted<Inode> {
 public:
  // An inode keeps its superblock's memory until it is destroyed (SuperBlock's lifetime).
  Inode(SuperBlock& sb, uint64_t ino, const InodeAttr& attr);
  // RefCounted's hook: the last reference evicts the inode (its filesystem lets go of
  // data and accounting now); the memory, which RCU walks may still read, goes after a
  // grace period.
  static void rc_destroy(const Inode* i);
  virtual ~Inode();

  SuperBlock& sb() const { return m_sb; }
  uint64_t ino() const { return m_ino; }
  InodeAttr attr() const {
    SpinGuard g(m_attr_lock);
    return m_attr;
  }
  uint32_t mode() const { return attr().mode; }
  // The file type never changes: read without the attribute lock.
  uint32_t type() const { return m_type; }
  bool is_dir() const { return m_type == abi::S_IFDIR_; }
  bool is_symlink() const { return m_type == abi::S_IFLNK_; }
  bool is_reg() const { return m_type == abi::S_IFREG_; }
  template <typename F>
  void update_attr(F&& f) {
    {
      SpinGuard g(m_attr_lock);
      f(m_attr);
      publish_perm(m_attr);
    }
    dirtied();
  }
  // The attributes changed (Linux's mark_inode_dirty): a disk filesystem records them for
  // writing back. Called after update_attr, without the attribute lock, from a task that
  // may wait; nothing by default (memory filesystems hold the attributes themselves).
  virtual void dirtied() {}
  // Until when (realtime ns) relatime leaves the access time alone: it is newer than the
  // modification and change times, for a day. 0: a read must look.
  int64_t relatime_fresh_until() const { return m_relatime_until.load(std::memory_order_relaxed); }
  // Mode, owner and group for lock-free path walks (each read atomically; a walk racing
  // with chmod and chown may see one change and not the other, as Linux's RCU walk may).
  uint32_t rcu_mode() const { return static_cast<uint32_t>(m_mode_uid.load(std::memory_order_relaxed) >> 32); }
  uint32_t rcu_uid() const { return static_cast<uint32_t>(m_mode_uid.load(std::memory_order_relaxed)); }
  uint32_t rcu_gid() const { return m_gid.load(std::memory_order_relaxed); }

  // Serialises directory changes and writes (Linux's i_rwsem, held exclusively).
  Mutex& rwsem() { return m_rwsem; }

  // An O_TMPFILE file opened without O_EXCL may get a name (Linux's I_LINKABLE).
  bool linkable() const { return m_linkable.load(std::memory_order_acquire); }
  void set_linkable(bool on) { m_linkable.store(on, std::memory_order_release); }

  // A FIFO's pipe (Linux's i_pipe): made by the first open; a new one when every end of
  // the old one has gone (what was left in it goes too).
  std::shared_ptr<Pipe> fifo();

  // The POSIX access ACL (Linux's i_acl cache), read through getxattr once: null when the
  // file has none; the filesystem's error (ext4 logs it: EUCLEAN) when the stored one is
  // malformed, and IO when a value the filesystem passed is.
  Result<std::shared_ptr<const PosixAcl>> access_acl(Actor& self) const;
  // Whether an ACL may decide access here (not read yet, or present): lock-free path walks
  // leave such a directory to the locked walk.
  bool may_have_acl() const { return m_acl_state.load(std::memory_order_acquire) != kAclNone; }
  // Its system.posix_acl_access changed: read it again at the next check.
  void forget_acl() { m_acl_state.store(kAclUnknown, std::memory_order_release); }

  // Inode flags (chattr's; Linux's S_IMMUTABLE, S_APPEND, S_NOATIME and S_SYNC in i_flags),
  // as FS_*_FL bits: what the VFS enforces. A filesystem publishes them when it loads the
  // inode and when they change.
  uint32_t fsflags() const { return m_fsflags.load(std::memory_order_relaxed); }
  bool immutable() const { return fsflags() & abi::FS_IMMUTABLE_FL_; }
  bool append_only() const { return fsflags() & abi::FS_APPEND_FL_; }
  // FS_IOC_GETFLAGS: the flags as the filesystem reports them (ext4: every user-visible
  // i_flags bit); NOTTY where the filesystem keeps none.
  virtual Result<uint32_t> get_fsflags() { return Errno::NOTTY; }
  // FS_IOC_SETFLAGS, ownership and CAP_LINUX_IMMUTABLE checked by the VFS, rwsem held:
  // OPNOTSUPP for a flag the filesystem cannot set; the change time moves.
  virtual Result<void> set_fsflags(Actor& self, uint32_t flags) {
    (void)self;
    (void)flags;
    return Errno::NOTTY;
  }

  // Advisory locks on this file, made on first use (Linux's i_flctx).
  FileLocks& locks();
  FileLocks* locks_if_any() const { return m_locks.load(std::memory_order_acquire); }

  // ---- directories (called with this directory's rwsem held) ----
  // The child called name, or NOENT. name is never "." or "..".
  virtual Result<RefPtr<Inode>> lookup(Actor& self, std::string_view name);
  // A new child of type and mode `mode` (S_IFREG, S_IFDIR, S_IFLNK with target, S_IFIFO,
  // S_IFCHR/S_IFBLK with rdev) owned by uid/gid. EEXIST is the caller's check; the
  // filesystem may still say NOSPC, NAMETOOLONG.
  virtual Result<RefPtr<Inode>> create(Actor& self, std::string_view name, uint32_t mode, uint32_t uid,
                                       uint32_t gid, uint64_t rdev, std::string_view target);
  // A new regular file with no name (O_TMPFILE), nlink 0. OPNOTSUPP where unsupported.
  virtual Result<RefPtr<Inode>> tmpfile(Actor& self, uint32_t mode, uint32_t uid, uint32_t gid);
  // A new name for an existing non-directory inode (link(2)).
  virtual Result<void> link(Actor& self, std::string_view name, Inode& target);
  // Removes the entry name (unlink, or rmdir for a directory, which must be empty:
  // NOTEMPTY otherwise).
  virtual Result<void> remove(Actor& self, std::string_view name, bool dir);
  // Moves entry `name` to new_dir as new_name, replacing what is there (the caller has
  // checked types and emptiness). Both directories' rwsems are held.
  virtual Result<void> rename(Actor& self, std::string_view name, Inode& new_dir, std::string_view new_name);
  // Swaps the inodes behind name here and new_name in new_dir (RENAME_EXCHANGE).
  virtual Result<void> exchange(Actor& self, std::string_view name, Inode& new_dir, std::string_view new_name);
  // Reports entries from cookie on (cookie 0: the start; "." and ".." are the VFS's) until
  // emit returns false. Returns the cookie to resume from.
  virtual Result<uint64_t> iterate(Actor& self, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit);
  virtual bool empty_dir(Actor& self);

  // Called once, by the last reference: release the file's data and accounting.
  virtual void evict() {}

  // ---- regular files ----
  // Copy between the file and buf (guest or kernel memory). A fault in buf ends the
  // transfer: FAULT if nothing was copied, else the count so far.
  virtual Result<size_t> read(Actor& self, uint64_t off, const IoBuffer& buf);
  // read(2) of an open file: a filesystem whose data lives in the page cache reads with
  // the file's read-ahead state and waits for its disk as self. The default is read()
  // above (and costs nothing more).
  virtual Result<size_t> read_file(Actor& self, FileReadahead& ra, uint64_t off, const IoBuffer& buf) {
    (void)ra;
    return read(self, off, buf);
  }
  virtual Result<size_t> write(Actor& self, uint64_t off, const IoBuffer& buf);
  virtual Result<void> truncate(Actor& self, uint64_t size);
  // fsync/fdatasync of an open regular file, directory or symlink: its data and (datasync:
  // only what reading the data back needs of) its attributes made durable; seen is the open
  // file's writeback error cursor (errseq: IO is reported once per open file). Nothing to do
  // by default (memory filesystems).
  virtual Result<void> fsync(Actor& self, bool datasync, uint32_t* seen) {
    (void)self;
    (void)datasync;
    (void)seen;
    return {};
  }
  // Where an open file's writeback error cursor starts (errseq_sample).
  virtual uint32_t writeback_error_seq() const { return 0; }

  // fallocate(2) on a regular file (the VFS checked the arguments): OPNOTSUPP for a mode
  // the filesystem does not do, NOSPC.
  virtual Result<void> fallocate(Actor& self, int mode, uint64_t off, uint64_t len);
  // SEEK_DATA (hole false) or SEEK_HOLE from off < size: the offset found (NXIO: no data
  // at or after off). The default: one extent of data, then the implicit hole at the end.
  virtual Result<uint64_t> seek_data(Actor& self, uint64_t off, bool hole);
  // Storage in 512-byte blocks (st_blocks).
  virtual uint64_t blocks() const;

  // ---- symlinks ----
  virtual Result<std::string> readlink(Actor& self);
  // A "magic" link (procfs's fd/N, cwd, root): following it gives an object directly, not a
  // path to walk. False for ordinary symlinks.
  virtual bool is_magic_link() const { return false; }
  virtual Result<Path> follow_magic(Actor& self);

  // ---- files whose data the inode does not hold ----
  // The operations an open of this inode gets (procfs's generated files); null: read and
  // write go to the inode.
  virtual Result<std::shared_ptr<FileOps>> open_file(Actor& self, int flags);
  // Whether a cached dentry of this inode still names it (procfs: the process still
  // exists). A stale one is dropped and looked up again.
  virtual bool revalidate() { return true; }

  // ---- extended attributes (the VFS checked permissions and names; set and remove are
  // called with the rwsem held) ----
  // NODATA when absent; OPNOTSUPP when the filesystem has no xattrs.
  virtual Result<std::string> getxattr(Actor& self, std::string_view name);
  // flags: XATTR_CREATE (EXIST if present), XATTR_REPLACE (NODATA if absent); NOSPC.
  virtual Result<void> setxattr(Actor& self, std::string_view name, std::string_view value, int flags);
  virtual Result<void> removexattr(Actor& self, std::string_view name);
  // Every name, in the filesystem's order.
  virtual Result<std::vector<std::string>> listxattr(Actor& self);

 protected:
  void publish_perm(const InodeAttr& a) {
    m_mode_uid.store((static_cast<uint64_t>(a.mode) << 32) | a.uid, std::memory_order_relaxed);
    m_gid.store(a.gid, std::memory_order_relaxed);
    constexpr int64_t kDay = 24 * 3600 * 1'000'000'000ll;
    // Saturating: a disk's times may be anything up to INT64_MAX.
    const int64_t until = a.atime_ns > INT64_MAX - kDay ? INT64_MAX : a.atime_ns + kDay;
    m_relatime_until.store(a.atime_ns > a.mtime_ns && a.atime_ns > a.ctime_ns ? until : 0, std::memory_order_relaxed);
  }

  SuperBlock& m_sb;
  const uint64_t m_ino;
  const uint32_t m_type;  // S_IFMT bits
  mutable SpinLock m_attr_lock;
  InodeAttr m_attr GUARDED_BY(m_attr_lock);
  Mutex m_rwsem;
  std::atomic<FileLocks*> m_locks{nullptr};
  enum : uint8_t { kAclUnknown, kAclNone, kAclPresent };
  mutable std::atomic<uint8_t> m_acl_state{kAclUnknown};
  mutable SpinLock m_acl_lock;
  mutable std::shared_ptr<const PosixAcl> m_acl;  // under m_acl_lock
  std::atomic<bool> m_linkable{false};
  SpinLock m_fifo_lock;
  std::shared_ptr<Pipe> m_fifo;
  std::atomic<uint64_t> m_mode_uid{0};
  std::atomic<uint32_t> m_gid{0};
  std::atomic<uint32_t> m_fsflags{0};  // FS_*_FL (see fsflags())
  std::atomic<int64_t> m_relatime_until{0};
};

}  // namespace uml::kern
