#pragma once
// Vfs: an instance's file namespace and the operations the file syscalls call (path walk,
// permissions, open, create, remove, stat, working directory). Handlers decode arguments and
// call one of these; the policy lives here.
//
// Lock order: m_rename_lock > parent Inode::m_rwsem > child Inode::m_rwsem > Dentry::m_lock.

#include <string>
#include <string_view>

#include "core/abi/fs.h"
#include "core/abi/time.h"
#include "core/base/result.h"
#include "core/sched/sync.h"
#include "core/vfs/fd_table.h"
#include "core/vfs/fs_context.h"
#include "core/vfs/path.h"

namespace uml::kern {

class Task;

enum MayMask : int { MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4 };

// Linux's generic_permission: mode bits for owner, group and others, then CAP_DAC_OVERRIDE
// and CAP_DAC_READ_SEARCH (execute needs an x bit somewhere unless it is a directory).
Result<void> inode_permission(const Credentials& c, const InodeAttr& a, int mask);

class Vfs {
 public:
  Vfs() = default;
  ~Vfs();
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  // Mounts sb as / (boot).
  void mount_root(RefPtr<SuperBlock> sb);
  Path root() const { return m_root; }

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
  Result<Parent> lookup_parent(Task& t, int dirfd, std::string_view path,
                               const Resolve* r = nullptr);

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
  Result<void> truncate_inode(Task& t, Inode& i, int64_t length);
  Result<RefPtr<File>> open_impl(Task& t, int dirfd, std::string_view path, int flags,
                                 uint32_t mode, const Resolve* r);
  Result<RefPtr<Dentry>> lookup_child(Task& t, const RefPtr<Dentry>& dir, std::string_view name);
  Result<Path> start_point(Task& t, int dirfd, std::string_view path);
  // Creates p.last in p.dir (its rwsem held): permission, CAP_MKNOD for devices, the
  // setgid directory's group, and the dcache entry.
  Result<RefPtr<Inode>> create_locked(Task& t, Parent& p, uint32_t mode, std::string_view target,
                                      uint64_t rdev = 0);

  Path m_root;
  Mutex m_rename_lock;  // Linux's s_vfs_rename_mutex
};

}  // namespace uml::kern
