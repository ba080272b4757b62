#pragma once
// Vfs: an instance's file namespace and the operations the file syscalls call (path walk,
// permissions, open, create, remove, stat, working directory). Handlers decode arguments and
// call one of these; the policy lives here.
//
// Lock order: m_rename_lock > parent Inode::m_rwsem > child Inode::m_rwsem > Dentry::m_lock.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <string_view>

#include "core/abi/fs.h"
#include "core/abi/time.h"
#include "core/base/result.h"
#include "core/sched/sync.h"
#include "core/vfs/anon_fs.h"
#include "core/vfs/fd_table.h"
#include "core/vfs/file_lock.h"
#include "core/vfs/file_ops.h"
#include "core/vfs/fs_context.h"
#include "core/vfs/mount_namespace.h"
#include "core/vfs/ns_fs.h"
#include "core/vfs/path.h"

namespace uml::kern {

class Task;

enum MayMask : int { MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4 };

// Linux's generic_permission: mode bits for owner, group and others, then CAP_DAC_OVERRIDE
// and CAP_DAC_READ_SEARCH (execute needs an x bit somewhere unless it is a directory).
// With an inode, its POSIX access ACL decides for everyone but the owner, where it has one
// and the mode has group bits (acl_permission_check).
Result<void> inode_permission(const Credentials& c, const InodeAttr& a, int mask, const PosixAcl* acl = nullptr);
// self: who waits for the ACL to be read; c: the credentials checked (self's, or
// faccessat's real ids).
Result<void> inode_permission(Actor& self, const Credentials& c, const Inode& i, int mask);

// After a write or truncate: the setuid and setgid bits the writer may not keep go.
void file_remove_privs(const Credentials& c, Inode& i);

class Vfs {
 public:
  // clock: the instance's CLOCK_REALTIME, for the filesystems the VFS makes itself.
  explicit Vfs(const RealtimeClock& clock) : m_clock(clock) {}
  const RealtimeClock& clock() const { return m_clock; }
  ~Vfs();
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  // ---- filesystems and mounts (vfs_mount.cc) ----
  struct FsType {
    std::string name;
    bool nodev = true;  // needs no block device ("nodev" in /proc/filesystems)
    // A superblock for mount(2): a new one, or a shared one (devtmpfs). flags are MS_*,
    // data the comma-separated options (INVAL for one it does not know).
    // caller: the task calling mount(2), null at boot.
    std::function<Result<RefPtr<SuperBlock>>(Task* caller, std::string_view source,
                                             unsigned long flags, std::string_view data)>
        make;
  };
  void register_fs(FsType t);
  std::vector<std::string> filesystems() const;  // "nodev\ttmpfs" lines' contents
  // A device number for a filesystem without a disk (major 0, like Linux's anon bdev).
  uint64_t alloc_anon_dev() { return m_next_anon_dev.fetch_add(1, std::memory_order_relaxed); }

  // Mounts sb as / (boot), the root of the initial mount namespace, numbered ns_inum.
  void mount_root(RefPtr<SuperBlock> sb, std::string source, uint64_t ns_inum);
  Path root() const { return m_root; }
  const RefPtr<MountNamespace>& init_ns() const { return m_init_ns; }
  // Boot's mounts (/dev, /proc, /tmp): fstype at path, as the kernel.
  Result<void> mount_kernel(Actor& self, std::string_view path, std::string_view fstype, unsigned long flags,
                            std::string_view data);
  // mount(2) and umount2(2), in the caller's mount namespace: a target (or bind source)
  // in another one is EINVAL (check_mnt). fstype null: none given. Mounts and umounts
  // below a shared mount propagate to its peers and slaves.
  Result<void> mount(Task& t, std::string_view source, std::string_view target,
                     const std::string* fstype, unsigned long flags, std::string_view data);
  Result<void> umount(Task& t, std::string_view target, int flags);
  // /proc/[pid]/mountinfo's view: every mount of ns visible from root, in mount order.
  // optional: mountinfo's optional fields ("shared:2 master:1", "unbindable").
  struct MountInfo {
    uint64_t id, parent_id, dev;
    std::string root, mountpoint, optional, fstype, source, mount_options, super_options;
  };
  std::vector<MountInfo> mounts(const MountNamespace& ns, const Path& root);
  // unshare(CLONE_NEWNS) (copy_mnt_ns): a copy of old's mount tree, numbered inum, whose
  // mounts are peers of the originals where those are shared (and slaves where they are);
  // fs's root and working directory move to the copies of their mounts.
  RefPtr<MountNamespace> copy_namespace(Task& t, MountNamespace& old, uint64_t inum, FsContext& fs);
  // setns(2) into ns (mntns_install): fs's root and working directory become ns's root.
  void enter_namespace(const MountNamespace& ns, FsContext& fs);
  // The last reference to ns went: its mounts are detached (MountNamespace::rc_destroy).
  void put_namespace(const MountNamespace* ns);
  // Shutdown: each mounted filesystem written back and left consistent (SuperBlock::
  // shutdown), in reverse mount order, while the disks still serve requests.
  void shutdown_filesystems(SchedEntity& self);
  // statfs(2): the filesystem's numbers, with the mount's ST_* flags.
  static abi::statfs statfs(const Path& p);
  // The path of p as seen from root (d_path); " (deleted)" appended to a removed one.
  std::string path_string(const Path& root, const Path& p) const;

  // The filesystems pipes and event files live on (pipefs, anon_inodefs), made on first use.
  AnonFs& pipefs();
  AnonFs& anon_inodefs();
  // nsfs: the files /proc/[pid]/ns/* open.
  NsFs& nsfs();

  // ---- character devices (fs/char_dev.c's cdev_map) ----
  // rdev is the device number as stat shows it (makedev(major, minor)).
  void register_chrdev(uint64_t rdev, DeviceOpen open);
  Result<std::shared_ptr<FileOps>> open_chrdev(uint64_t rdev);
  // ---- block devices (the disks' table registers and removes them) ----
  using BlockOpen = std::function<Result<std::shared_ptr<FileOps>>(int flags)>;
  void register_blkdev(uint64_t rdev, BlockOpen open);
  void unregister_blkdev(uint64_t rdev);
  Result<std::shared_ptr<FileOps>> open_blkdev(uint64_t rdev, int flags);

  // ---- path walk ----
  // openat2's constraints on a walk: the anchor is the dirfd it started from.
  struct Resolve {
    uint64_t flags = 0;
    Path anchor;
  };
  enum LookupFlags : unsigned { FOLLOW = 1, EMPTY_PATH = 2, DIRECTORY = 4 };
  // The object path names, from dirfd (AT_FDCWD: the working directory). Errors: NOENT,
  // NOTDIR, ACCES, LOOP, NAMETOOLONG, BADF (a bad dirfd).
  Result<Path> lookup(Task& t, int dirfd, std::string_view path, unsigned flags);
  struct Parent {
    Path dir;
    std::string last;  // empty for "/"
    bool trailing_slash = false;
    bool dot = false;     // the last component is "."
    bool dotdot = false;  // ... or ".."
  };
  // The directory that would contain path's last component, and that component.
  // base: where a relative path starts instead of dirfd (a symlink's directory).
  Result<Parent> lookup_parent(Task& t, int dirfd, std::string_view path,
                               const Resolve* r = nullptr, const Path* base = nullptr);

  // ---- operations ----
  Result<RefPtr<File>> open(Task& t, int dirfd, std::string_view path, int flags, uint32_t mode);
  // openat2: open with RESOLVE_* controls on the walk (the caller validated open_how).
  Result<RefPtr<File>> open2(Task& t, int dirfd, std::string_view path, int flags, uint32_t mode,
                             uint64_t resolve);
  Result<void> mkdir(Task& t, int dirfd, std::string_view path, uint32_t mode);
  Result<void> symlink(Task& t, std::string_view target, int dirfd, std::string_view path);
  // mknod: a regular file, FIFO, socket or device node (devices need CAP_MKNOD).
  Result<void> mknod(Task& t, int dirfd, std::string_view path, uint32_t mode, uint64_t dev);
  // unlink (dir false) or rmdir (dir true).
  Result<void> remove(Task& t, int dirfd, std::string_view path, bool dir);
  Result<std::string> readlink(Task& t, int dirfd, std::string_view path);
  // renameat2 (flags: RENAME_NOREPLACE, RENAME_EXCHANGE) and linkat.
  Result<void> rename(Task& t, int olddirfd, std::string_view oldpath, int newdirfd,
                      std::string_view newpath, unsigned flags);
  Result<void> link(Task& t, int olddirfd, std::string_view oldpath, int newdirfd,
                    std::string_view newpath, int at_flags);

  // ---- attributes (vfs_attr.cc) ----
  Result<void> chmod(Task& t, const Path& p, uint32_t mode);
  // uid/gid 0xffffffff: unchanged.
  Result<void> chown(Task& t, const Path& p, uint32_t uid, uint32_t gid);
  // truncate(2): needs write permission on the file; ftruncate(2): a file open for writing.
  Result<void> truncate(Task& t, const Path& p, int64_t length);
  Result<void> ftruncate(Task& t, File& f, int64_t length);
  // access/faccessat2: mode is R_OK|W_OK|X_OK or F_OK; real ids unless AT_EACCESS.
  Result<void> access(Task& t, const Path& p, int mode, bool effective);
  // utimensat: times[0] atime, times[1] mtime (UTIME_NOW, UTIME_OMIT), or null for now.
  Result<void> utimes(Task& t, const Path& p, const abi::timespec* times);
  // FS_IOC_GETFLAGS, FS_IOC_FSGETXATTR (fs/ioctl.c): the inode's flags; NOTTY where its
  // filesystem keeps none.
  Result<uint32_t> get_flags(Task& t, File& f);
  Result<abi::fsxattr> get_fsxattr(Task& t, File& f);
  // FS_IOC_SETFLAGS (ioctl_setflags, vfs_fileattr_set): ROFS, NOTTY, PERM (not the owner,
  // or immutable/append-only changed without CAP_LINUX_IMMUTABLE), OPNOTSUPP (a flag the
  // filesystem cannot set).
  Result<void> set_flags(Task& t, File& f, uint32_t flags);
  // FICLONE, FICLONERANGE, FIDEDUPERANGE (ioctl_file_clone): no filesystem here shares
  // extents, so OPNOTSUPP once the descriptors pass the generic checks.
  Result<void> clone_range(Task& t, File& dst, int src_fd);
  // ---- space and in-kernel copies (vfs_copy.cc) ----
  Result<void> fallocate(Task& t, File& f, int mode, int64_t off, int64_t len);
  // sendfile(2): from in (at *offset, or its position) to out's position.
  Result<size_t> sendfile(Task& t, File& out, File& in, int64_t* offset, size_t count);
  // copy_file_range(2): offsets null mean the files' positions.
  Result<size_t> copy_file_range(Task& t, File& in, int64_t* in_off, File& out, int64_t* out_off,
                                 size_t len, unsigned flags);

  // ---- advisory locks (vfs_lock.cc) ----
  Result<void> flock(Task& t, File& f, int op);
  // F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms; F_GETLK fills l in.
  Result<void> record_lock(Task& t, File& f, int cmd, abi::flock& l);

  // ---- extended attributes (vfs_xattr.cc): the namespace rules of xattr_permission ----
  Result<std::string> getxattr(Task& t, const Path& p, std::string_view name);
  Result<void> setxattr(Task& t, const Path& p, std::string_view name, std::string_view value,
                        int flags);
  Result<void> removexattr(Task& t, const Path& p, std::string_view name);
  Result<std::vector<std::string>> listxattr(Task& t, const Path& p);

  Result<abi::stat> stat(Task& t, int dirfd, std::string_view path, int at_flags);
  static abi::stat stat_of(const Inode& i);
  Result<void> chdir(Task& t, const Path& p);
  Result<void> chroot(Task& t, const Path& p);
  Result<std::string> getcwd(Task& t);
  // getdents64's walk: "." and ".." first, then the filesystem's entries, from the file's
  // position; emit returns false when the caller's buffer is full.
  Result<void> iterate_dir(Task& t, File& dir, const std::function<bool(const DirEntry&)>& emit);

 private:
  Result<Path> walk(Task& t, Path cur, std::string_view path, bool follow_last, int* links,
                    const Resolve* r = nullptr);
  // The lock-free walk over cached dentries; nullopt: walk with locks instead.
  std::optional<Result<Path>> walk_rcu(Task& t, int dirfd, std::string_view path, bool follow_last);
  // Its core, inside the caller's rcu::ReadGuard: Hit gives bare pointers valid until the
  // guard ends.
  enum class RcuWalk { Hit, Error, Miss };
  RcuWalk walk_rcu_in(Task& t, int dirfd, std::string_view path, bool follow_last, Mount** mnt,
                      Dentry** d, Errno* err);
  Result<void> truncate_inode(Task& t, Inode& i, int64_t length);
  Result<size_t> transfer(Task& t, File& in, int64_t* in_off, File& out, int64_t* out_off, size_t count);
  Result<RefPtr<File>> open_impl(Task& t, int dirfd, std::string_view path, int flags,
                                 uint32_t mode, const Resolve* r);
  Result<RefPtr<File>> open_tmpfile(Task& t, int dirfd, std::string_view path, int flags,
                                    uint32_t mode, const Resolve* r);
  Result<RefPtr<Dentry>> lookup_child(Task& t, const RefPtr<Dentry>& dir, std::string_view name);
  Result<Path> start_point(Task& t, int dirfd, std::string_view path);
  // Creates p.last in p.dir (its rwsem held): permission, CAP_MKNOD for devices, the
  // setgid directory's group, and the dcache entry.
  Result<RefPtr<Inode>> create_locked(Task& t, Parent& p, uint32_t mode, std::string_view target,
                                      uint64_t rdev = 0);

  // The mount on top of p, if something is mounted there (Linux's follow_down).
  bool follow_mount(Path& p) const;
  // One step of ".." from p, across mounts, never above root.
  Path dotdot(const Path& p, const Path& root) const;
  // Mount-tree surgery, under m_mount_lock (and m_namespace_sem for changes).
  void attach_locked(const RefPtr<Mount>& m, const Path& at, MountNamespace* ns);
  void detach_locked(const RefPtr<Mount>& m);
  // Every mount of every namespace (a copy of the lists).
  std::vector<Mount*> all_mounts_locked() const;
  bool has_children_locked(const Mount* m) const;
  // top and every mount below it, parents before children.
  std::vector<Mount*> subtree_locked(Mount* top) const;
  // A copy of the mounts of src (a subtree, parents first), attached at `at` in ns (top)
  // and at the same places below it. slave_groups null: each copy has its original's
  // propagation (a peer of a shared one); else each copy is a slave of its original's
  // group, and in slave_groups[i]'s peer group (0: none). top_root: the top copy's root
  // dentry, when not its original's (a bind mount of a directory inside a mount).
  std::vector<Mount*> clone_tree_locked(const std::vector<Mount*>& src, const Path& at, MountNamespace* ns,
                                        const std::vector<uint64_t>* slave_groups,
                                        const RefPtr<Dentry>* top_root = nullptr);
  // A tree just attached at dest: copies of it under every mount that receives dest's
  // events (propagate_mnt), and shared peer groups for it where dest is shared.
  void propagate_mount_locked(Mount* dest, const RefPtr<Dentry>& at, const std::vector<Mount*>& tree);
  // The mounts that receive dest's events: its peers, its group's slaves, theirs...
  std::vector<Mount*> receivers_locked(Mount* dest) const;
  // The peer group m leaves (made private or slave, or detached): when it was the last
  // member, the group's slaves become slaves of m's master (or private).
  void leave_group_locked(Mount* m, uint64_t new_master);
  Result<void> change_type_locked(Mount* top, unsigned long type, bool rec);
  uint64_t new_group_locked() { return m_next_group_id++; }
  Result<RefPtr<SuperBlock>> make_sb(Task* caller, std::string_view fstype, std::string_view source,
                                     unsigned long flags, std::string_view data);

  Path m_root;  // the initial namespace's root
  Mutex m_rename_lock;  // Linux's s_vfs_rename_mutex
  std::atomic<uint32_t> m_rename_seq{0};  // odd while a rename changes the tree (rename_lock)
  // The mount table (Linux's mount_hash and namespace list), under m_mount_lock: a reader
  // takes the spinlock only at dentries marked mounted().
  struct MountKey {
    const Mount* mnt;
    const Dentry* dentry;
    bool operator==(const MountKey& o) const { return mnt == o.mnt && dentry == o.dentry; }
  };
  struct MountKeyHash {
    size_t operator()(const MountKey& k) const {
      return std::hash<const void*>{}(k.mnt) * 31 + std::hash<const void*>{}(k.dentry);
    }
  };
  mutable SpinLock m_mount_lock;
  std::unordered_map<MountKey, RefPtr<Mount>, MountKeyHash> m_mount_hash;
  RefPtr<MountNamespace> m_init_ns;
  std::vector<MountNamespace*> m_namespaces;  // every live one, the initial first
  Mutex m_namespace_sem;                    // serialises mount and umount (namespace_sem)
  uint64_t m_next_mount_id = 21;
  uint64_t m_next_group_id = 1;
  std::atomic<uint64_t> m_next_anon_dev{0x16};  // 0x15 is the boot root
  LockGraph m_lock_graph;  // classic record-lock waits, for EDEADLK
  SpinLock m_chrdev_lock;
  std::unordered_map<uint64_t, DeviceOpen> m_chrdevs GUARDED_BY(m_chrdev_lock);
  std::unordered_map<uint64_t, BlockOpen> m_blkdevs GUARDED_BY(m_chrdev_lock);
  mutable SpinLock m_fs_lock;
  const RealtimeClock& m_clock;
  std::unique_ptr<AnonFs> m_pipefs, m_anon_inodefs;
  std::unique_ptr<NsFs> m_nsfs;
  std::vector<FsType> m_filesystems;  // Linux's s_vfs_rename_mutex
};

}  // namespace uml::kern
