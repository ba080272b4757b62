#include "core/vfs/vfs.h"

#include <optional>
#include <vector>

#include "core/base/rcu.h"
#include "core/ipc/pipe.h"
#include "core/task/task.h"
#include "host/host.h"

namespace uml::kern {

namespace {

bool same(const Path& a, const Path& b) { return a == b; }

}  // namespace

// fs/namei.c: generic_permission.
Result<void> inode_permission(const Credentials& c, const InodeAttr& a, int mask, const PosixAcl* acl) {
  uint32_t mode = a.mode;
  bool granted;
  if (c.fsuid == a.uid) {
    granted = (mask & ~(mode >> 6) & 7) == 0;
  } else if (acl && (mode & 070)) {
    auto r = posix_acl_permission(c, *acl, a, mask);
    if (!r && r.error() != Errno::ACCES) return r;
    granted = r.has_value();
  } else {
    if (c.in_group(a.gid)) mode >>= 3;
    granted = (mask & ~mode & 7) == 0;
  }
  if (granted) return {};
  const bool dir = (a.mode & abi::S_IFMT_) == abi::S_IFDIR_;
  if (dir) {
    if (!(mask & MAY_WRITE) && c.capable(abi::CAP_DAC_READ_SEARCH)) return {};
    if (c.capable(abi::CAP_DAC_OVERRIDE)) return {};
    return Errno::ACCES;
  }
  if (mask == MAY_READ && c.capable(abi::CAP_DAC_READ_SEARCH)) return {};
  if (c.capable(abi::CAP_DAC_OVERRIDE) && (!(mask & MAY_EXEC) || (a.mode & 0111))) return {};
  return Errno::ACCES;
}


Result<void> inode_permission(Actor& self, const Credentials& c, const Inode& i, int mask) {
  // An immutable file is written by nobody, root included (inode_permission's IS_IMMUTABLE).
  if ((mask & MAY_WRITE) && i.immutable()) return Errno::PERM;
  const InodeAttr a = i.attr();
  if (c.fsuid == a.uid || !(a.mode & 070)) return inode_permission(c, a, mask);
  const std::shared_ptr<const PosixAcl> acl = TRY(i.access_acl(self));
  return inode_permission(c, a, mask, acl.get());
}

Result<Path> Vfs::start_point(Task& t, int dirfd, std::string_view path) {
  if (!path.empty() && path[0] == '/') return t.fs().root();
  if (dirfd == abi::AT_FDCWD_) return t.fs().cwd();
  RefPtr<File> f = t.files().get(dirfd);
  if (!f) return Errno::BADF;
  if (!f->inode().is_dir()) return Errno::NOTDIR;
  return f->path();
}

Result<RefPtr<Dentry>> Vfs::lookup_child(Task& t, const RefPtr<Dentry>& dir, std::string_view name) {
  if (RefPtr<Dentry> d = dir->cached_child(name)) {
    if (!d->inode()) return Errno::NOENT;
    if (d->inode()->revalidate()) return d;
  }
  RefPtr<Inode> di = dir->inode();
  MutexGuard g(di->rwsem(), t);
  if (RefPtr<Dentry> d = dir->cached_child(name)) {  // raced with another lookup
    if (!d->inode()) return Errno::NOENT;
    if (d->inode()->revalidate()) return d;
    if (!d->mounted()) dir->drop_child(name);  // d_invalidate: stale, look it up again
  }
  auto r = di->lookup(t, name);
  if (!r.has_value()) {
    // A negative entry, where the filesystem allows one.
    if (r.error() == Errno::NOENT && di->sb().caches_negative()) dir->set_child(name, nullptr);
    return r.error();
  }
  return dir->set_child(name, std::move(r.value()));
}

namespace {
// A path's components in order, repeated slashes skipped; last marks the final one.
struct Components {
  std::string_view path;
  size_t i = 0;
  bool next(std::string_view* c, bool* last) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j == i) return false;
    *c = path.substr(i, j - i);
    size_t k = j;
    while (k < path.size() && path[k] == '/') ++k;
    *last = k == path.size();
    i = j;
    return true;
  }
};

// generic_permission for MAY_EXEC on a directory, from the lock-free attribute copies.
// nullopt: an ACL may decide, which the locked walk reads.
std::optional<bool> may_search_rcu(const Credentials& c, const Inode& dir) {
  uint32_t mode = dir.rcu_mode();
  if (c.fsuid == dir.rcu_uid()) mode >>= 6;
  else if ((mode & 070) && dir.may_have_acl()) return std::nullopt;
  else if (c.in_group(dir.rcu_gid())) mode >>= 3;
  return (mode & MAY_EXEC) || c.capable(abi::CAP_DAC_OVERRIDE);
}
}  // namespace

// fs/namei.c's RCU-walk: the cached path, with neither locks nor references until the end.
// Nothing here blocks, so the read section is short; anything the fast walk does not
// handle (a name not cached, a symlink, "..", out of a mount, procfs, a rename in flight)
// answers nullopt and the caller walks again with locks.
Vfs::RcuWalk Vfs::walk_rcu_in(Task& t, int dirfd, std::string_view path, bool follow_last, Mount** mnt_out,
                              Dentry** d_out, Errno* err_out) {
  if (path.empty() || (path[0] != '/' && dirfd != abi::AT_FDCWD_)) return RcuWalk::Miss;
  const uint32_t seq = m_rename_seq.load(std::memory_order_acquire);
  if (seq & 1) return RcuWalk::Miss;
  FsContext::RcuView fs;
  if (!t.fs().rcu_view(&fs)) return RcuWalk::Miss;
  Mount* mnt = path[0] == '/' ? fs.root_mnt : fs.cwd_mnt;
  Dentry* d = path[0] == '/' ? fs.root : fs.cwd;
  const bool trailing = path.back() == '/';
  const Credentials& creds = t.creds();
  const bool search_all = creds.capable(abi::CAP_DAC_READ_SEARCH);
  std::optional<Errno> err;
  Components parts{path};
  std::string_view c;
  bool last = false;
  while (parts.next(&c, &last)) {
    const Inode& dir = *d->rcu_inode();
    if (!dir.is_dir()) {
      err = Errno::NOTDIR;
      break;
    }
    if (!search_all) {
      const std::optional<bool> may = may_search_rcu(creds, dir);
      if (!may) return RcuWalk::Miss;
      if (!*may) {
        err = Errno::ACCES;
        break;
      }
    }
    if (c.size() > static_cast<size_t>(abi::NAME_MAX_)) {
      err = Errno::NAMETOOLONG;
      break;
    }
    if (c == ".") continue;
    if (c == ".." || !dir.sb().caches_negative()) return RcuWalk::Miss;
    Dentry* child = dir.sb().dcache().find(d, name_hash(c), c);
    if (!child) return RcuWalk::Miss;
    const Inode* ci = child->rcu_inode();
    if (!ci) {
      err = Errno::NOENT;  // a negative dentry
      break;
    }
    if (ci->is_symlink() && (!last || follow_last || trailing)) return RcuWalk::Miss;
    d = child;
    if (d->mounted()) {
      // Into what is mounted here (rare: /dev, /proc, /tmp): under the mount lock.
      SpinGuard g(m_mount_lock);
      for (;;) {
        auto it = m_mount_hash.find(MountKey{mnt, d});
        if (it == m_mount_hash.end()) break;
        mnt = it->second.get();
        d = mnt->root().get();
        if (!d->mounted()) break;
      }
    }
  }
  if (!err && trailing && !d->rcu_inode()->is_dir()) err = Errno::NOTDIR;
  // Valid only if no rename moved names while we looked. The walk's loads were acquires
  // (bucket, chain, parent, name, inode): this read cannot move before them, and one that
  // saw a rename's change sees its odd count.
  if (m_rename_seq.load(std::memory_order_relaxed) != seq) return RcuWalk::Miss;
  if (err) {
    *err_out = *err;
    return RcuWalk::Error;
  }
  *mnt_out = mnt;
  *d_out = d;
  return RcuWalk::Hit;
}

std::optional<Result<Path>> Vfs::walk_rcu(Task& t, int dirfd, std::string_view path, bool follow_last) {
  rcu::ReadGuard rcu;
  Mount* mnt;
  Dentry* d;
  Errno err;
  switch (walk_rcu_in(t, dirfd, path, follow_last, &mnt, &d, &err)) {
    case RcuWalk::Miss: return std::nullopt;
    case RcuWalk::Error: return Result<Path>(err);
    case RcuWalk::Hit: break;
  }
  if (!mnt->try_ref()) return std::nullopt;
  if (!d->try_ref()) {
    mnt->unref();
    return std::nullopt;
  }
  return Result<Path>(Path{RefPtr<Mount>::adopt(mnt), RefPtr<Dentry>::adopt(d)});
}

// nd_jump_link: a magic link from the directory `at` jumps to where it points. Never with
// RESOLVE_NO_MAGICLINKS (ELOOP); never to another mount with RESOLVE_NO_XDEV (EXDEV); never
// in a scoped walk, RESOLVE_BENEATH or RESOLVE_IN_ROOT (EXDEV).
static Result<Path> jump_magic_link(Task& t, Inode& link, const Path& at, const Vfs::Resolve* r) {
  if (r && (r->flags & abi::RESOLVE_NO_MAGICLINKS_)) return Errno::LOOP;
  Path to = TRY(link.follow_magic(t));
  if (r && (r->flags & abi::RESOLVE_NO_XDEV_) && to.mnt.get() != at.mnt.get()) return Errno::XDEV;
  if (r && (r->flags & (abi::RESOLVE_BENEATH_ | abi::RESOLVE_IN_ROOT_))) return Errno::XDEV;
  return to;
}

// fs/namei.c's link_path_walk: components, symlinks, ".." and mount crossing.
Result<Path> Vfs::walk(Task& t, Path cur, std::string_view path, bool follow_last, int* links,
                       const Resolve* r) {
  const bool in_root = r && (r->flags & abi::RESOLVE_IN_ROOT_);
  const bool beneath = r && (r->flags & abi::RESOLVE_BENEATH_);
  const bool no_xdev = r && (r->flags & abi::RESOLVE_NO_XDEV_);
  // RESOLVE_IN_ROOT makes the anchor the root for this walk, "/" and ".." included.
  const Path root = in_root ? r->anchor : t.fs().root();
  if (!path.empty() && path[0] == '/') {
    if (beneath) return Errno::XDEV;
    if (no_xdev && cur.mnt.get() != root.mnt.get()) return Errno::XDEV;
    cur = root;
  }
  const bool trailing = !path.empty() && path.back() == '/';
  const Credentials& creds = t.creds();
  // Search permission on directories: CAP_DAC_READ_SEARCH grants it without the mode bits.
  const bool search_all = creds.capable(abi::CAP_DAC_READ_SEARCH);
  Components parts{path};
  std::string_view c;
  bool last = false;
  while (parts.next(&c, &last)) {
    const Inode& dir = *cur.dentry->inode();
    if (!dir.is_dir()) return Errno::NOTDIR;
    if (!search_all) TRY(inode_permission(t, creds, dir, MAY_EXEC));
    if (c.size() > static_cast<size_t>(abi::NAME_MAX_)) return Errno::NAMETOOLONG;
    if (c == ".") continue;
    if (c == "..") {
      if (beneath && same(cur, r->anchor)) return Errno::XDEV;  // would climb out
      Path up = dotdot(cur, root);
      if (no_xdev && up.mnt.get() != cur.mnt.get()) return Errno::XDEV;
      cur = std::move(up);
      continue;
    }
    RefPtr<Dentry> child = TRY(lookup_child(t, cur.dentry, c));
    const RefPtr<Inode>& ci = child->inode();
    if (ci->is_symlink() && (!last || follow_last || trailing)) {
      if (r && (r->flags & abi::RESOLVE_NO_SYMLINKS_)) return Errno::LOOP;
      if (++*links > abi::MAXSYMLINKS_) return Errno::LOOP;
      if (ci->is_magic_link()) {
        cur = TRY(jump_magic_link(t, *ci, cur, r));
        continue;
      }
      const std::string target = TRY(ci->readlink(t));
      if (target.empty()) return Errno::NOENT;
      cur = TRY(walk(t, cur, target, true, links, r));
      continue;
    }
    cur.dentry = std::move(child);
    if (cur.dentry->mounted() && follow_mount(cur) && no_xdev) return Errno::XDEV;
  }
  if (trailing && !cur.dentry->inode()->is_dir()) return Errno::NOTDIR;
  return cur;
}

Result<Path> Vfs::lookup(Task& t, int dirfd, std::string_view path, unsigned flags) {
  if (path.empty()) {
    if (!(flags & EMPTY_PATH)) return Errno::NOENT;
    if (dirfd == abi::AT_FDCWD_) return t.fs().cwd();
    RefPtr<File> f = t.files().get(dirfd);
    if (!f) return Errno::BADF;
    return f->path();
  }
  Path p;
  if (auto fast = walk_rcu(t, dirfd, path, flags & FOLLOW)) {
    p = TRY(std::move(*fast));
  } else {
    Path start = TRY(start_point(t, dirfd, path));
    int links = 0;
    p = TRY(walk(t, std::move(start), path, flags & FOLLOW, &links));
  }
  if ((flags & DIRECTORY) && !p.inode()->is_dir()) return Errno::NOTDIR;
  return p;
}

Result<Vfs::Parent> Vfs::lookup_parent(Task& t, int dirfd, std::string_view path, const Resolve* r,
                                        const Path* base) {
  if (path.empty()) return Errno::NOENT;
  Parent p;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  p.trailing_slash = end < path.size();
  if (end == 0) {  // "/" (or "///"): the root itself
    if (r && (r->flags & abi::RESOLVE_BENEATH_)) return Errno::XDEV;
    p.dir = (r && (r->flags & abi::RESOLVE_IN_ROOT_)) ? r->anchor : t.fs().root();
    return p;
  }
  size_t slash = path.rfind('/', end - 1);
  std::string_view dir_part = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  std::string_view last = path.substr(slash == std::string_view::npos ? 0 : slash + 1,
                                      end - (slash == std::string_view::npos ? 0 : slash + 1));
  if (last.size() > static_cast<size_t>(abi::NAME_MAX_)) return Errno::NAMETOOLONG;
  Path start = (base && path[0] != '/') ? *base : TRY(start_point(t, dirfd, path));
  if (r && path[0] == '/') {
    if (r->flags & abi::RESOLVE_BENEATH_) return Errno::XDEV;
    if (r->flags & abi::RESOLVE_IN_ROOT_) start = r->anchor;
  }
  int links = 0;
  if (dir_part.empty()) {
    p.dir = start;
  } else if (auto fast = (!r && !base) ? walk_rcu(t, dirfd, dir_part, true) : std::nullopt) {
    p.dir = TRY(std::move(*fast));
  } else {
    p.dir = TRY(walk(t, std::move(start), dir_part, true, &links, r));
  }
  if (!p.dir.inode()->is_dir()) return Errno::NOTDIR;
  TRY(inode_permission(t, t.creds(), *p.dir.inode(), MAY_EXEC));
  p.last = std::string(last);
  p.dot = last == ".";
  p.dotdot = last == "..";
  return p;
}

Result<RefPtr<Inode>> Vfs::create_locked(Task& t, Parent& p, uint32_t mode, std::string_view target,
                                         uint64_t rdev) {
  RefPtr<Inode> dir = p.dir.inode();
  const InodeAttr da = dir->attr();
  if (p.dir.mnt->read_only()) return Errno::ROFS;
  if (da.nlink == 0) return Errno::NOENT;  // the directory itself was removed
  TRY(inode_permission(t, t.creds(), *dir, MAY_WRITE | MAY_EXEC));
  // vfs_mknod: device nodes need CAP_MKNOD (after may_create's checks, as in Linux).
  const uint32_t type = mode & abi::S_IFMT_;
  if ((type == abi::S_IFCHR_ || type == abi::S_IFBLK_) && !t.creds().capable(abi::CAP_MKNOD))
    return Errno::PERM;
  const Credentials& c = t.creds();
  uint32_t gid = c.fsgid;
  if (da.mode & abi::S_ISGID_) {  // setgid directories hand down their group (and the bit)
    gid = da.gid;
    if ((mode & abi::S_IFMT_) == abi::S_IFDIR_) mode |= abi::S_ISGID_;
  }
  RefPtr<Inode> child = TRY(dir->create(t, p.last, mode, c.fsuid, gid, rdev, target));
  p.dir.dentry->set_child(p.last, child);
  return child;
}

Result<RefPtr<File>> Vfs::open(Task& t, int dirfd, std::string_view path, int flags, uint32_t mode) {
  return open_impl(t, dirfd, path, flags, mode, nullptr);
}

Result<RefPtr<File>> Vfs::open2(Task& t, int dirfd, std::string_view path, int flags, uint32_t mode,
                                uint64_t resolve) {
  if (resolve & abi::RESOLVE_CACHED_) {
    // Linux: a cached-only walk cannot create or truncate.
    if (flags & (abi::O_CREAT_ | abi::O_TRUNC_ | abi::O_TMPFILE_)) return Errno::AGAIN;
  }
  Resolve r;
  r.flags = resolve;
  if (resolve & (abi::RESOLVE_BENEATH_ | abi::RESOLVE_IN_ROOT_)) r.anchor = TRY(start_point(t, dirfd, "."));
  return open_impl(t, dirfd, path, flags, mode, &r);
}

// fs/namei.c: do_filp_open's checks, in Linux's order where they can be told apart.
Result<RefPtr<File>> Vfs::open_impl(Task& t, int dirfd, std::string_view path, int flags,
                                    uint32_t mode, const Resolve* rv) {
  // build_open_how: O_PATH keeps only the flags that mean something to it (open and
  // openat drop the others silently).
  if (flags & abi::O_PATH_) flags &= abi::O_PATH_ | abi::O_CLOEXEC_ | abi::O_DIRECTORY_ | abi::O_NOFOLLOW_;
  const int acc = flags & abi::O_ACCMODE_;
  if (flags & (abi::O_TMPFILE_ & ~abi::O_DIRECTORY_)) return open_tmpfile(t, dirfd, path, flags, mode, rv);
  // Linux 6.4+: O_CREAT with O_DIRECTORY has no meaning and is refused.
  if ((flags & (abi::O_DIRECTORY_ | abi::O_CREAT_)) == (abi::O_DIRECTORY_ | abi::O_CREAT_)) return Errno::INVAL;
  const bool creat = flags & abi::O_CREAT_;
  Path target;
  bool created = false;
  if (!creat) {
    if (path.empty()) return Errno::NOENT;
    std::optional<Result<Path>> fast;
    if (!rv) fast = walk_rcu(t, dirfd, path, !(flags & abi::O_NOFOLLOW_));
    if (fast) {
      target = TRY(std::move(*fast));
    } else {
      Path start = TRY(start_point(t, dirfd, path));
      if (rv && (rv->flags & abi::RESOLVE_IN_ROOT_) && path[0] == '/') start = rv->anchor;
      int links = 0;
      target = TRY(walk(t, std::move(start), path, !(flags & abi::O_NOFOLLOW_), &links, rv));
    }
    if ((flags & abi::O_DIRECTORY_) && !target.inode()->is_dir()) return Errno::NOTDIR;
    if ((flags & abi::O_NOFOLLOW_) && target.inode()->is_symlink() && !(flags & abi::O_PATH_))
      return Errno::LOOP;
  } else {
    // O_CREAT: the last component, through symlinks to their targets, which a dangling
    // link makes (Linux's open_last_lookups loop).
    int links = 0;
    std::string cur(path);
    std::optional<Path> base;  // after a hop: where the link's relative target starts
    for (;;) {
      Parent p = TRY(lookup_parent(t, dirfd, cur, rv, base ? &*base : nullptr));
      // open_last_lookups: a trailing slash is EISDIR at once; "/", "." and ".." name an
      // existing directory (do_open: EEXIST under O_EXCL, else EISDIR).
      if (p.trailing_slash && !p.last.empty() && !p.dot && !p.dotdot) return Errno::ISDIR;
      if (p.last.empty() || p.dot || p.dotdot) return (flags & abi::O_EXCL_) ? Errno::EXIST : Errno::ISDIR;
      RefPtr<Inode> dir = p.dir.inode();
      RefPtr<Inode> link;
      {
        MutexGuard g(dir->rwsem(), t);
        auto existing = dir->lookup(t, p.last);
        if (existing.has_value()) {
          if (flags & abi::O_EXCL_) return Errno::EXIST;
          RefPtr<Inode> ei = existing.value();
          if (ei->is_dir()) return Errno::ISDIR;  // O_CREAT never opens a directory
          if (ei->is_symlink()) {
            if (flags & abi::O_NOFOLLOW_) return Errno::LOOP;
            if (rv && (rv->flags & abi::RESOLVE_NO_SYMLINKS_)) return Errno::LOOP;
            link = ei;  // followed below, without the directory's lock
          } else {
            RefPtr<Dentry> d = p.dir.dentry->cached_child(p.last);
            if (!d || d->inode() != ei) d = p.dir.dentry->set_child(p.last, ei);
            target = Path{p.dir.mnt, d};
            if (d->mounted()) follow_mount(target);
          }
        } else if (existing.error() == Errno::NOENT) {
          const uint32_t m = abi::S_IFREG_ | (mode & abi::S_IALLUGO_ & ~t.fs().umask());
          TRY(create_locked(t, p, m, {}));
          target = Path{p.dir.mnt, p.dir.dentry->cached_child(p.last)};
          created = true;
        } else {
          return existing.error();
        }
      }
      if (!link) break;
      if (++links > abi::MAXSYMLINKS_) return Errno::LOOP;
      if (link->is_magic_link()) {
        target = TRY(jump_magic_link(t, *link, p.dir, rv));
        break;
      }
      cur = TRY(link->readlink(t));
      if (cur.empty()) return Errno::NOENT;
      base = p.dir;
    }
  }
  RefPtr<Inode> inode = target.inode();
  if (flags & abi::O_PATH_) return make_ref<File>(std::move(target), std::move(inode), flags);
  const uint32_t type = inode->type();
  const bool device = type == abi::S_IFCHR_ || type == abi::S_IFBLK_;
  if (device && target.mnt->nodev()) return Errno::ACCES;
  // FIXME: sockets have nothing to open yet (Linux answers ENXIO for them too).
  if (!inode->is_dir() && !inode->is_reg() && !inode->is_symlink() && type != abi::S_IFCHR_ &&
      type != abi::S_IFBLK_ && type != abi::S_IFIFO_)
    return Errno::NXIO;
  if (inode->is_dir()) {
    if (acc != abi::O_RDONLY_ || (flags & abi::O_TRUNC_)) return Errno::ISDIR;
  } else if (flags & abi::O_DIRECTORY_) {
    return Errno::NOTDIR;
  }
  if (!created) {
    int mask = 0;
    if (acc == abi::O_RDONLY_ || acc == abi::O_RDWR_ || acc == abi::O_ACCMODE_) mask |= MAY_READ;
    if (acc == abi::O_WRONLY_ || acc == abi::O_RDWR_ || acc == abi::O_ACCMODE_ || (flags & abi::O_TRUNC_))
      mask |= MAY_WRITE;
    // may_open: a read-only filesystem answers before the mode bits (inode_permission), a
    // read-only mount after them (do_dentry_open's mnt_want_write).
    const bool data = inode->is_reg() || inode->is_dir() || inode->is_symlink();
    if ((mask & MAY_WRITE) && data && target.mnt->sb().read_only()) return Errno::ROFS;
    TRY(inode_permission(t, t.creds(), *inode, mask));
    if ((mask & MAY_WRITE) && data && target.mnt->read_only()) return Errno::ROFS;
    // may_open: an append-only file is opened for writing only to append, never truncated.
    if (inode->append_only() && (((mask & MAY_WRITE) && !(flags & abi::O_APPEND_)) || (flags & abi::O_TRUNC_)))
      return Errno::PERM;
    if ((flags & abi::O_NOATIME_) && t.creds().fsuid != inode->attr().uid &&
        !t.creds().capable(abi::CAP_FOWNER))
      return Errno::PERM;
    // handle_truncate: as truncate(2), setuid and setgid go too.
    if ((flags & abi::O_TRUNC_) && inode->is_reg()) TRY(truncate_inode(t, *inode, 0));
  }
  // A character device: its driver's operations (chrdev_open); a generated file: its
  // filesystem's.
  std::shared_ptr<FileOps> ops;
  if (type == abi::S_IFCHR_) ops = TRY(open_chrdev(inode->attr().rdev));
  else if (type == abi::S_IFBLK_) ops = TRY(open_blkdev(inode->attr().rdev, flags));
  else if (type == abi::S_IFIFO_) ops = TRY(open_fifo(t, *inode, flags));
  else ops = TRY(inode->open_file(t, flags));
  // 64-bit Linux marks every open file O_LARGEFILE (force_o_largefile); F_GETFL shows it.
  return make_ref<File>(std::move(target), std::move(inode),
                        (flags & ~(abi::O_CREAT_ | abi::O_EXCL_ | abi::O_NOCTTY_ | abi::O_TRUNC_)) |
                            abi::O_LARGEFILE_,
                        std::move(ops));
}

// fs/namei.c: do_tmpfile and vfs_tmpfile — an unnamed file in the directory path names.
Result<RefPtr<File>> Vfs::open_tmpfile(Task& t, int dirfd, std::string_view path, int flags,
                                       uint32_t mode, const Resolve* rv) {
  // build_open_flags: exactly O_TMPFILE (with O_DIRECTORY, without O_CREAT), for writing.
  if ((flags & (abi::O_TMPFILE_ | abi::O_CREAT_)) != abi::O_TMPFILE_) return Errno::INVAL;
  const int acc = flags & abi::O_ACCMODE_;
  if (acc == abi::O_RDONLY_) return Errno::INVAL;  // ACC_MODE(3) includes writing, as Linux's does
  if (path.empty()) return Errno::NOENT;
  Path start = TRY(start_point(t, dirfd, path));
  if (rv && (rv->flags & abi::RESOLVE_IN_ROOT_) && path[0] == '/') start = rv->anchor;
  int links = 0;
  // path_lookupat with LOOKUP_DIRECTORY: a symlink not followed (O_NOFOLLOW) is no directory.
  Path dir = TRY(walk(t, std::move(start), path, !(flags & abi::O_NOFOLLOW_), &links, rv));
  RefPtr<Inode> di = dir.inode();
  if (!di->is_dir()) return Errno::NOTDIR;
  if (dir.mnt->read_only()) return Errno::ROFS;
  const InodeAttr da = di->attr();
  TRY(inode_permission(t, t.creds(), *di, MAY_WRITE | MAY_EXEC));
  const Credentials& c = t.creds();
  const uint32_t gid = (da.mode & abi::S_ISGID_) ? da.gid : c.fsgid;
  RefPtr<Inode> inode;
  {
    MutexGuard g(di->rwsem(), t);
    inode = TRY(di->tmpfile(t, mode & abi::S_IALLUGO_ & ~t.fs().umask(), c.fsuid, gid));
  }
  if (!(flags & abi::O_EXCL_)) inode->set_linkable(true);
  const Path p{dir.mnt, Dentry::make_orphan(dir.dentry, "#" + std::to_string(inode->ino()), inode)};
  return make_ref<File>(p, inode, (flags & ~(abi::O_CREAT_ | abi::O_EXCL_ | abi::O_NOCTTY_ | abi::O_TRUNC_)) |
                                      abi::O_LARGEFILE_);
}

Result<void> Vfs::mkdir(Task& t, int dirfd, std::string_view path, uint32_t mode) {
  Parent p = TRY(lookup_parent(t, dirfd, path));
  if (p.last.empty() || p.dot || p.dotdot) return Errno::EXIST;
  RefPtr<Inode> dir = p.dir.inode();
  MutexGuard g(dir->rwsem(), t);
  if (dir->lookup(t, p.last).has_value()) return Errno::EXIST;
  // vfs_mkdir keeps the permission bits and the sticky bit; setgid comes from the parent.
  const uint32_t m = abi::S_IFDIR_ | (mode & (0777 | abi::S_ISVTX_) & ~t.fs().umask());
  TRY(create_locked(t, p, m, {}));
  return {};
}

// fs/namei.c: may_mknod's type rules; vfs_mknod's checks are create_locked's.
Result<void> Vfs::mknod(Task& t, int dirfd, std::string_view path, uint32_t mode, uint64_t dev) {
  uint32_t type = mode & abi::S_IFMT_;
  switch (type) {
    case 0: type = abi::S_IFREG_; break;
    case abi::S_IFREG_: case abi::S_IFCHR_: case abi::S_IFBLK_: case abi::S_IFIFO_: case abi::S_IFSOCK_: break;
    case abi::S_IFDIR_: return Errno::PERM;
    default: return Errno::INVAL;
  }
  Parent p = TRY(lookup_parent(t, dirfd, path));
  if (p.last.empty() || p.dot || p.dotdot) return Errno::EXIST;
  RefPtr<Inode> dir = p.dir.inode();
  MutexGuard g(dir->rwsem(), t);
  if (dir->lookup(t, p.last).has_value()) return Errno::EXIST;
  if (p.trailing_slash) return Errno::NOENT;  // filename_create: only a directory may end in '/'
  const bool device = type == abi::S_IFCHR_ || type == abi::S_IFBLK_;
  TRY(create_locked(t, p, type | (mode & abi::S_IALLUGO_ & ~t.fs().umask()), {}, device ? dev : 0));
  return {};
}

Result<void> Vfs::symlink(Task& t, std::string_view target, int dirfd, std::string_view path) {
  if (target.empty()) return Errno::NOENT;
  Parent p = TRY(lookup_parent(t, dirfd, path));
  if (p.last.empty() || p.dot || p.dotdot) return Errno::EXIST;
  RefPtr<Inode> dir = p.dir.inode();
  MutexGuard g(dir->rwsem(), t);
  if (dir->lookup(t, p.last).has_value()) return Errno::EXIST;
  if (p.trailing_slash) return Errno::NOENT;
  TRY(create_locked(t, p, abi::S_IFLNK_ | 0777, target));
  return {};
}

namespace {
// Removing or replacing an entry of a sticky directory: only its owner, the directory's
// owner, or CAP_FOWNER (fs/namei.c: check_sticky).
Result<void> check_sticky(const Credentials& c, const InodeAttr& dir, const InodeAttr& victim) {
  if ((dir.mode & abi::S_ISVTX_) && c.fsuid != victim.uid && c.fsuid != dir.uid &&
      !c.capable(abi::CAP_FOWNER))
    return Errno::PERM;
  return {};
}

bool is_ancestor(const RefPtr<Dentry>& maybe_ancestor, RefPtr<Dentry> d) {
  for (; d; d = d->parent())
    if (d.get() == maybe_ancestor.get()) return true;
  return false;
}
}  // namespace

// fs/namei.c: do_rmdir and do_unlinkat.
Result<void> Vfs::remove(Task& t, int dirfd, std::string_view path, bool dir_wanted) {
  Parent p = TRY(lookup_parent(t, dirfd, path));
  if (dir_wanted) {
    if (p.dot) return Errno::INVAL;
    if (p.dotdot) return Errno::NOTEMPTY;
    if (p.last.empty()) return Errno::BUSY;
  } else if (p.last.empty() || p.dot || p.dotdot) {
    return Errno::ISDIR;
  }
  if (p.dir.mnt->read_only()) return Errno::ROFS;  // mnt_want_write, before the lookup
  RefPtr<Inode> dir = p.dir.inode();
  MutexGuard g(dir->rwsem(), t);
  RefPtr<Inode> victim = TRY(dir->lookup(t, p.last));
  // do_unlinkat's "slashes": decided by the type, before any permission check.
  if (!dir_wanted && p.trailing_slash) return victim->is_dir() ? Errno::ISDIR : Errno::NOTDIR;
  // may_delete: permission and the sticky rule before the type checks.
  const InodeAttr da = dir->attr();
  TRY(inode_permission(t, t.creds(), *dir, MAY_WRITE | MAY_EXEC));
  if (dir->append_only()) return Errno::PERM;
  TRY(check_sticky(t.creds(), da, victim->attr()));
  if (victim->append_only() || victim->immutable()) return Errno::PERM;
  if (dir_wanted && !victim->is_dir()) return Errno::NOTDIR;
  if (!dir_wanted && victim->is_dir()) return Errno::ISDIR;
  if (RefPtr<Dentry> d = p.dir.dentry->cached_child(p.last); d && d->mounted()) return Errno::BUSY;
  TRY(dir->remove(t, p.last, dir_wanted));
  p.dir.dentry->drop_child(p.last);
  return {};
}

Result<std::string> Vfs::readlink(Task& t, int dirfd, std::string_view path) {
  Path p = TRY(lookup(t, dirfd, path, EMPTY_PATH));
  RefPtr<Inode> i = p.inode();
  if (!i->is_symlink()) return Errno::INVAL;
  File::touch_atime(p, *i);
  return i->readlink(t);
}


// fs/namei.c: do_renameat2 and vfs_rename, in Linux's order of checks.
Result<void> Vfs::rename(Task& t, int olddirfd, std::string_view oldpath, int newdirfd,
                         std::string_view newpath, unsigned flags) {
  if (flags & ~(abi::RENAME_NOREPLACE_ | abi::RENAME_EXCHANGE_ | abi::RENAME_WHITEOUT_))
    return Errno::INVAL;
  if ((flags & abi::RENAME_NOREPLACE_) && (flags & abi::RENAME_EXCHANGE_)) return Errno::INVAL;
  if (flags & abi::RENAME_WHITEOUT_) return Errno::INVAL;  // FIXME: whiteouts (overlayfs)
  Parent from = TRY(lookup_parent(t, olddirfd, oldpath));
  Parent to = TRY(lookup_parent(t, newdirfd, newpath));
  if (from.last.empty() || from.dot || from.dotdot) return Errno::BUSY;
  if (to.last.empty() || to.dot || to.dotdot)
    return (flags & abi::RENAME_NOREPLACE_) ? Errno::EXIST : Errno::BUSY;
  if (from.dir.mnt.get() != to.dir.mnt.get()) return Errno::XDEV;
  if (from.dir.mnt->read_only()) return Errno::ROFS;
  RefPtr<Inode> odir = from.dir.inode(), ndir = to.dir.inode();
  MutexGuard rename_lock(m_rename_lock, t);
  // Both parents' locks, in address order (once when they are the same directory).
  Inode* first = odir.get() < ndir.get() ? odir.get() : ndir.get();
  Inode* second = odir.get() < ndir.get() ? ndir.get() : odir.get();
  MutexGuard l1(first->rwsem(), t);
  std::optional<MutexGuard> l2;
  if (second != first) l2.emplace(second->rwsem(), t);

  RefPtr<Inode> source = TRY(odir->lookup(t, from.last));
  auto tr = ndir->lookup(t, to.last);
  if (!tr.has_value() && tr.error() != Errno::NOENT) return tr.error();
  RefPtr<Inode> target = tr.has_value() ? tr.value() : nullptr;
  const bool exchange = flags & abi::RENAME_EXCHANGE_;
  if (exchange && !target) return Errno::NOENT;
  if ((flags & abi::RENAME_NOREPLACE_) && target) return Errno::EXIST;
  const bool src_dir = source->is_dir();
  // Trailing slashes need directories: the source's always, the target's for an exchange
  // (or, for a move, a directory source).
  if (exchange && !target->is_dir() && to.trailing_slash) return Errno::NOTDIR;
  if (!src_dir && (from.trailing_slash || (!exchange && to.trailing_slash))) return Errno::NOTDIR;
  // A directory cannot move into itself or below itself.
  RefPtr<Dentry> src_d = from.dir.dentry->cached_child(from.last);
  if (!src_d || src_d->inode() != source) src_d = from.dir.dentry->set_child(from.last, source);
  if (src_dir && is_ancestor(src_d, to.dir.dentry)) return Errno::INVAL;
  RefPtr<Dentry> dst_d;
  if (target) {
    dst_d = to.dir.dentry->cached_child(to.last);
    if (!dst_d || dst_d->inode() != target) dst_d = to.dir.dentry->set_child(to.last, target);
    // The target an ancestor of the source (lock_rename's trap): ENOTEMPTY, or EINVAL for
    // an exchange.
    if (is_ancestor(dst_d, from.dir.dentry)) return exchange ? Errno::INVAL : Errno::NOTEMPTY;
  }
  if (source == target) return {};  // two names of one inode: nothing happens
  // The children's locks too (Linux 6.5's vfs_rename): a directory whose parent changes,
  // since its ".." is rewritten (an ext4 inline directory is converted for it) while others
  // may be listing it; and a directory about to be replaced. Parents first, then these in
  // address order.
  Inode* moved[2] = {nullptr, nullptr};
  if (src_dir && odir != ndir) moved[0] = source.get();
  if (target && target->is_dir() && (!exchange || odir != ndir)) moved[1] = target.get();
  if (moved[0] && moved[1] && moved[1] < moved[0]) std::swap(moved[0], moved[1]);
  std::optional<MutexGuard> c1, c2;
  if (moved[0]) c1.emplace(moved[0]->rwsem(), t);
  if (moved[1]) c2.emplace(moved[1]->rwsem(), t);
  const Credentials& c = t.creds();
  TRY(inode_permission(t, c, *odir, MAY_WRITE | MAY_EXEC));
  TRY(inode_permission(t, c, *ndir, MAY_WRITE | MAY_EXEC));
  // may_delete, for the source and for a target it replaces: append-only directories
  // lose no names, append-only and immutable files do not move.
  if (odir->append_only() || (target && ndir->append_only())) return Errno::PERM;
  TRY(check_sticky(c, odir->attr(), source->attr()));
  if (target) TRY(check_sticky(c, ndir->attr(), target->attr()));
  if (source->append_only() || source->immutable()) return Errno::PERM;
  if (target && (target->append_only() || target->immutable())) return Errno::PERM;
  if (!exchange && target) {
    if (src_dir && !target->is_dir()) return Errno::NOTDIR;
    if (!src_dir && target->is_dir()) return Errno::ISDIR;
    if (target->is_dir() && !target->empty_dir(t)) return Errno::NOTEMPTY;
  }
  // A directory that changes parents rewrites its "..": it must be writable.
  if (odir != ndir) {
    if (src_dir) TRY(inode_permission(t, c, *source, MAY_WRITE));
    if (exchange && target->is_dir()) TRY(inode_permission(t, c, *target, MAY_WRITE));
  }
  if (src_d->mounted() || (dst_d && dst_d->mounted())) return Errno::BUSY;
  // RCU walks that overlap the change of the tree retry with locks (rename_lock's seqcount).
  m_rename_seq.fetch_add(1, std::memory_order_relaxed);  // published by the index's release stores
  struct SeqEnd {
    std::atomic<uint32_t>& seq;
    ~SeqEnd() { seq.fetch_add(1, std::memory_order_release); }
  } seq_end{m_rename_seq};
  if (exchange) {
    TRY(odir->exchange(t, from.last, *ndir, to.last));
    from.dir.dentry->set_child(from.last, target);
    to.dir.dentry->set_child(to.last, source);
    return {};
  }
  TRY(odir->rename(t, from.last, *ndir, to.last));
  from.dir.dentry->move_child(from.last, *to.dir.dentry, to.last);
  return {};
}

// fs/namei.c: do_linkat, with fs.protected_hardlinks=1 (Linux's default): an unprivileged
// task may only link a file it owns, or a regular file it can read and write that is
// neither setuid nor executable setgid.
Result<void> Vfs::link(Task& t, int olddirfd, std::string_view oldpath, int newdirfd,
                       std::string_view newpath, int at_flags) {
  if (at_flags & ~(abi::AT_SYMLINK_FOLLOW_ | abi::AT_EMPTY_PATH_)) return Errno::INVAL;
  unsigned lf = (at_flags & abi::AT_SYMLINK_FOLLOW_) ? static_cast<unsigned>(FOLLOW) : 0u;
  if (at_flags & abi::AT_EMPTY_PATH_) lf |= EMPTY_PATH;
  Path src = TRY(lookup(t, olddirfd, oldpath, lf));
  Parent to = TRY(lookup_parent(t, newdirfd, newpath));
  if (to.last.empty() || to.dot || to.dotdot) return Errno::EXIST;
  RefPtr<Inode> si = src.inode();
  RefPtr<Inode> dir = to.dir.inode();
  MutexGuard g(dir->rwsem(), t);
  if (dir->lookup(t, to.last).has_value()) return Errno::EXIST;
  if (to.trailing_slash) return Errno::NOENT;
  if (to.dir.mnt->read_only()) return Errno::ROFS;
  if (src.mnt.get() != to.dir.mnt.get()) return Errno::XDEV;
  const Credentials& c = t.creds();
  TRY(inode_permission(t, c, *dir, MAY_WRITE | MAY_EXEC));
  if (si->is_dir()) return Errno::PERM;
  if (si->append_only() || si->immutable()) return Errno::PERM;  // vfs_link
  const InodeAttr a = si->attr();
  if (c.fsuid != a.uid && !c.capable(abi::CAP_FOWNER)) {
    const bool safe = (a.mode & abi::S_IFMT_) == abi::S_IFREG_ && !(a.mode & abi::S_ISUID_) &&
                      !((a.mode & abi::S_ISGID_) && (a.mode & 0010)) &&
                      inode_permission(t, c, *si, MAY_READ | MAY_WRITE).has_value();
    if (!safe) return Errno::PERM;
  }
  // An unlinked file cannot get a name back, except an O_TMPFILE one (I_LINKABLE).
  if (a.nlink == 0 && !si->linkable()) return Errno::NOENT;
  TRY(dir->link(t, to.last, *si));
  si->set_linkable(false);
  to.dir.dentry->set_child(to.last, si);
  return {};
}

abi::stat Vfs::stat_of(const Inode& i) {
  const InodeAttr a = i.attr();
  abi::stat s{};
  s.st_dev = i.sb().dev();
  s.st_ino = i.ino();
  s.st_nlink = a.nlink;
  s.st_mode = a.mode;
  s.st_uid = a.uid;
  s.st_gid = a.gid;
  s.st_rdev = a.rdev;
  s.st_size = static_cast<int64_t>(a.size);
  s.st_blksize = i.sb().blocksize();
  s.st_blocks = static_cast<int64_t>(i.blocks());
  s.st_atime_sec = a.atime_ns / abi::NSEC_PER_SEC;
  s.st_atime_nsec = static_cast<uint64_t>(a.atime_ns % abi::NSEC_PER_SEC);
  s.st_mtime_sec = a.mtime_ns / abi::NSEC_PER_SEC;
  s.st_mtime_nsec = static_cast<uint64_t>(a.mtime_ns % abi::NSEC_PER_SEC);
  s.st_ctime_sec = a.ctime_ns / abi::NSEC_PER_SEC;
  s.st_ctime_nsec = static_cast<uint64_t>(a.ctime_ns % abi::NSEC_PER_SEC);
  return s;
}

Result<abi::stat> Vfs::stat(Task& t, int dirfd, std::string_view path, int at_flags) {
  if (at_flags & ~(abi::AT_SYMLINK_NOFOLLOW_ | abi::AT_EMPTY_PATH_ | abi::AT_NO_AUTOMOUNT_))
    return Errno::INVAL;
  unsigned lf = (at_flags & abi::AT_SYMLINK_NOFOLLOW_) ? 0u : static_cast<unsigned>(FOLLOW);
  if (at_flags & abi::AT_EMPTY_PATH_) lf |= EMPTY_PATH;
  {
    // The common case takes no reference at all: the attributes are read in the walk's
    // read section.
    rcu::ReadGuard rcu;
    Mount* mnt;
    Dentry* d;
    Errno err;
    switch (walk_rcu_in(t, dirfd, path, lf & FOLLOW, &mnt, &d, &err)) {
      case RcuWalk::Hit: return stat_of(*d->rcu_inode());
      case RcuWalk::Error: return err;
      case RcuWalk::Miss: break;
    }
  }
  Path p = TRY(lookup(t, dirfd, path, lf));
  return stat_of(*p.inode());
}

Result<void> Vfs::chdir(Task& t, const Path& p) {
  RefPtr<Inode> i = p.inode();
  if (!i->is_dir()) return Errno::NOTDIR;
  TRY(inode_permission(t, t.creds(), *i, MAY_EXEC));
  t.fs().set_cwd(p);
  return {};
}

Result<void> Vfs::chroot(Task& t, const Path& p) {
  RefPtr<Inode> i = p.inode();
  if (!i->is_dir()) return Errno::NOTDIR;
  TRY(inode_permission(t, t.creds(), *i, MAY_EXEC));
  if (!t.creds().capable(abi::CAP_SYS_CHROOT)) return Errno::PERM;
  t.fs().set_root(p);
  return {};
}

Result<std::string> Vfs::getcwd(Task& t) {
  const Path cwd = t.fs().cwd();
  if (cwd.dentry->deleted()) return Errno::NOENT;
  return path_string(t.fs().root(), cwd);
}

Result<void> Vfs::iterate_dir(Task& t, File& dir, const std::function<bool(const DirEntry&)>& emit) {
  RefPtr<Inode> di = RefPtr<Inode>(&dir.inode());
  if (!di->is_dir()) return Errno::NOTDIR;
  if (di->attr().nlink == 0) return {};  // a removed directory lists nothing
  MutexGuard pos(dir.pos_lock(), t);
  uint64_t cookie = dir.pos_locked();
  // "." is cookie 0 -> 1, ".." is 1 -> 2; the filesystem's entries start at 3.
  if (cookie == 0) {
    if (!emit(DirEntry{".", di->ino(), 4 /*DT_DIR*/, 1})) return {};
    cookie = 1;
    dir.set_pos_locked(cookie);
  }
  if (cookie == 1) {
    RefPtr<Dentry> parent = dir.path().dentry->is_root() ? dir.path().dentry : dir.path().dentry->parent();
    const uint64_t pino = parent ? parent->inode()->ino() : di->ino();
    if (!emit(DirEntry{"..", pino, 4, 2})) return {};
    cookie = 3;
    dir.set_pos_locked(cookie);
  }
  MutexGuard g(di->rwsem(), t);
  uint64_t next = TRY(di->iterate(t, cookie, emit));
  dir.set_pos_locked(next);
  dir.touch_atime();
  return {};
}

}  // namespace uml::kern

namespace uml::kern {

void Vfs::register_chrdev(uint64_t rdev, DeviceOpen open) {
  SpinGuard g(m_chrdev_lock);
  m_chrdevs[rdev] = std::move(open);
}

Result<std::shared_ptr<FileOps>> Vfs::open_chrdev(uint64_t rdev) {
  DeviceOpen open;
  {
    SpinGuard g(m_chrdev_lock);
    auto it = m_chrdevs.find(rdev);
    if (it == m_chrdevs.end()) return Errno::NXIO;
    open = it->second;
  }
  return open();
}

void Vfs::register_blkdev(uint64_t rdev, BlockOpen open) {
  SpinGuard g(m_chrdev_lock);
  m_blkdevs[rdev] = std::move(open);
}

void Vfs::unregister_blkdev(uint64_t rdev) {
  BlockOpen gone;  // destroyed after the lock
  SpinGuard g(m_chrdev_lock);
  auto it = m_blkdevs.find(rdev);
  if (it == m_blkdevs.end()) return;
  gone = std::move(it->second);
  m_blkdevs.erase(it);
}

Result<std::shared_ptr<FileOps>> Vfs::open_blkdev(uint64_t rdev, int flags) {
  BlockOpen open;
  {
    SpinGuard g(m_chrdev_lock);
    auto it = m_blkdevs.find(rdev);
    if (it == m_blkdevs.end()) return Errno::NXIO;
    open = it->second;
  }
  return open(flags);
}

}  // namespace uml::kern

namespace uml::kern {

AnonFs& Vfs::pipefs() {
  SpinGuard g(m_fs_lock);
  if (!m_pipefs) m_pipefs = std::make_unique<AnonFs>("pipefs", alloc_anon_dev(), m_clock);
  return *m_pipefs;
}

AnonFs& Vfs::anon_inodefs() {
  SpinGuard g(m_fs_lock);
  if (!m_anon_inodefs) m_anon_inodefs = std::make_unique<AnonFs>("anon_inodefs", alloc_anon_dev(), m_clock);
  return *m_anon_inodefs;
}

}  // namespace uml::kern

namespace uml::kern {

NsFs& Vfs::nsfs() {
  SpinGuard g(m_fs_lock);
  if (!m_nsfs) m_nsfs = std::make_unique<NsFs>(alloc_anon_dev(), m_clock);
  return *m_nsfs;
}

}  // namespace uml::kern
