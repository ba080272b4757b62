// Vfs: the mount tree — filesystem types, mount(2), umount2(2), crossing mounts in a walk,
// and the views /proc/mounts and mountinfo show (fs/namespace.c, fs/d_path.c).

#include <algorithm>

#include "core/task/task.h"
#include "core/base/rcu.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

namespace {

bool is_ancestor(const Dentry* maybe_ancestor, RefPtr<Dentry> d) {
  for (; d; d = d->parent())
    if (d.get() == maybe_ancestor) return true;
  return false;
}

// Per-mount flags from mount(2)'s: relatime unless noatime or strictatime is asked for.
unsigned long mount_flags_of(unsigned long ms) {
  unsigned long f = ms & (MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_NOATIME |
                          MNT_NODIRATIME);
  if (!(ms & (abi::MS_NOATIME_ | abi::MS_STRICTATIME_))) f |= MNT_RELATIME;
  return f;
}

}  // namespace

Vfs::~Vfs() {
  // Detach every mount so the tree's references (parent mounts, mountpoint dentries) go;
  // the last reference to each superblock's mounts prunes its dentries.
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    all.swap(m_mount_list);
    m_mount_hash.clear();
  }
  for (auto& m : all) {
    if (m->m_mountpoint) m->m_mountpoint->remove_mount();
    m->m_mountpoint = nullptr;
    m->m_parent = nullptr;
  }
  all.clear();
  m_root = Path{};
  // The mounts leave through RCU: once they have, their filesystems are killed, and a disk
  // filesystem lets go of everything it holds in the page cache (which goes after us).
  rcu::synchronize();
}

void Vfs::register_fs(FsType t) {
  SpinGuard g(m_fs_lock);
  m_filesystems.push_back(std::move(t));
}

std::vector<std::string> Vfs::filesystems() const {
  std::vector<std::string> out;
  SpinGuard g(m_fs_lock);
  for (const auto& f : m_filesystems) out.push_back((f.nodev ? "nodev\t" : "\t") + f.name);
  return out;
}

Result<RefPtr<SuperBlock>> Vfs::make_sb(Task* caller, std::string_view fstype, std::string_view source,
                                         unsigned long flags, std::string_view data) {
  decltype(FsType::make) make;
  {
    SpinGuard g(m_fs_lock);
    for (const auto& f : m_filesystems)
      if (f.name == fstype) make = f.make;
  }
  if (!make) return Errno::NODEV;
  return make(caller, source, flags, data);
}

void Vfs::mount_root(RefPtr<SuperBlock> sb, std::string source) {
  RefPtr<Dentry> d = sb->root_dentry();
  auto m = make_ref<Mount>(std::move(sb), d, MNT_RELATIME);
  m->m_source = std::move(source);
  SpinGuard g(m_mount_lock);
  m->m_id = m_next_mount_id++;
  m_mount_list.push_back(m);
  m_root = Path{m, d};
}

bool Vfs::follow_mount(Path& p) const {
  bool crossed = false;
  SpinGuard g(m_mount_lock);
  for (;;) {
    auto it = m_mount_hash.find(MountKey{p.mnt.get(), p.dentry.get()});
    if (it == m_mount_hash.end()) break;
    // The old values are still referenced by the mount we are crossing into, so dropping
    // them here frees nothing under the spinlock.
    p.mnt = it->second;
    p.dentry = it->second->root();
    crossed = true;
    if (!p.dentry->mounted()) break;
  }
  return crossed;
}

// fs/namei.c: follow_dotdot — up one directory, through mount roots, never above root.
Path Vfs::dotdot(const Path& p, const Path& root) const {
  Path cur = p;
  for (;;) {
    if (cur == root) return cur;
    if (cur.dentry.get() != cur.mnt->root().get()) {
      if (RefPtr<Dentry> d = cur.dentry->parent()) cur.dentry = std::move(d);
      return cur;
    }
    Path up;
    {
      SpinGuard g(m_mount_lock);
      if (!cur.mnt->m_parent) return cur;  // the namespace root (or a detached mount)
      up = Path{cur.mnt->m_parent, cur.mnt->m_mountpoint};
    }
    cur = std::move(up);
  }
}

// fs/d_path.c: d_path, relative to a root.
std::string Vfs::path_string(const Path& root, const Path& p) const {
  if (p.mnt->internal()) return p.dentry->name();  // "pipe:[1234]": d_dname's answer
  std::string out;
  Path cur = p;
  for (;;) {
    if (cur == root) break;
    if (cur.dentry.get() == cur.mnt->root().get()) {
      Path up;
      {
        SpinGuard g(m_mount_lock);
        if (cur.mnt->m_parent) up = Path{cur.mnt->m_parent, cur.mnt->m_mountpoint};
      }
      if (!up) break;  // outside the task's root: Linux shows it from the real root too
      cur = std::move(up);
      continue;
    }
    RefPtr<Dentry> parent = cur.dentry->parent();
    if (!parent) break;
    out = "/" + cur.dentry->name() + out;
    cur.dentry = std::move(parent);
  }
  if (out.empty()) out = "/";
  if (p.dentry->deleted()) out += " (deleted)";
  return out;
}

void Vfs::attach_locked(const RefPtr<Mount>& m, const Path& at) {
  m->m_parent = at.mnt;
  m->m_mountpoint = at.dentry;
  m->m_id = m_next_mount_id++;
  at.dentry->add_mount();
  m_mount_hash[MountKey{at.mnt.get(), at.dentry.get()}] = m;
  m_mount_list.push_back(m);
}

void Vfs::detach_locked(const RefPtr<Mount>& m) {
  m_mount_hash.erase(MountKey{m->m_parent.get(), m->m_mountpoint.get()});
  m->m_mountpoint->remove_mount();
  auto it = std::find(m_mount_list.begin(), m_mount_list.end(), m);
  if (it != m_mount_list.end()) m_mount_list.erase(it);
  // The caller holds m, so these releases free nothing but the links themselves.
  m->m_mountpoint = nullptr;
  m->m_parent = nullptr;
}

Result<void> Vfs::mount_kernel(std::string_view path, std::string_view fstype, unsigned long flags,
                               std::string_view data) {
  RefPtr<SuperBlock> sb = TRY(make_sb(nullptr, fstype, fstype, flags, data));
  if (flags & abi::MS_RDONLY_) sb->set_read_only(true);
  // Boot's paths are plain names under the root: no task walks them.
  // Boot is single-threaded: the lookup needs no directory lock.
  Path at = m_root;
  const std::string_view name = path.substr(path.find_first_not_of('/'));
  RefPtr<Inode> child = TRY(at.inode()->lookup(name));
  at.dentry = at.dentry->set_child(name, child);
  auto m = make_ref<Mount>(sb, sb->root_dentry(), mount_flags_of(flags) & ~MNT_RDONLY);
  m->m_source = std::string(fstype);
  SpinGuard g(m_mount_lock);
  attach_locked(m, at);
  return {};
}

// fs/namespace.c: path_mount and the do_* it dispatches to.
Result<void> Vfs::mount(Task& t, std::string_view source, std::string_view target,
                        const std::string* fstype, unsigned long flags, std::string_view data) {
  if ((flags & abi::MS_MGC_MSK_) == abi::MS_MGC_VAL_) flags &= ~abi::MS_MGC_MSK_;
  Path at = TRY(lookup(t, abi::AT_FDCWD_, target, FOLLOW));
  if (flags & abi::MS_NOUSER_) return Errno::INVAL;
  if (!t.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::PERM;
  const unsigned long mnt_flags = mount_flags_of(flags);
  const bool at_root = at.dentry.get() == at.mnt->root().get();
  MutexGuard ns(m_namespace_sem, t);

  if ((flags & (abi::MS_REMOUNT_ | abi::MS_BIND_)) == (abi::MS_REMOUNT_ | abi::MS_BIND_)) {
    // do_reconfigure_mnt: this mount's flags only.
    if (!at_root) return Errno::INVAL;
    at.mnt->set_flags(mnt_flags);
    return {};
  }
  if (flags & abi::MS_REMOUNT_) {
    // do_remount: the filesystem's options and read-only state, and this mount's flags.
    if (!at_root) return Errno::INVAL;
    TRY(at.mnt->sb().remount(flags, data));
    at.mnt->sb().set_read_only(flags & abi::MS_RDONLY_);
    at.mnt->set_flags(mnt_flags & ~MNT_RDONLY);
    return {};
  }
  if (flags & abi::MS_BIND_) {
    // do_loopback: the subtree at source, shown again at target (and, with MS_REC, the
    // mounts below it). The other flags are ignored, as in Linux: a read-only bind mount
    // takes a second call with MS_REMOUNT | MS_BIND | MS_RDONLY.
    Path src = TRY(lookup(t, abi::AT_FDCWD_, source, FOLLOW));
    if (src.inode()->is_dir() != at.inode()->is_dir()) return Errno::NOTDIR;
    if (at.inode()->attr().nlink == 0) return Errno::NOENT;
    std::vector<RefPtr<Mount>> snapshot;
    {
      SpinGuard g(m_mount_lock);
      snapshot = m_mount_list;
    }
    auto top = make_ref<Mount>(src.mnt->sb_ref(), src.dentry, src.mnt->flags());
    top->m_source = src.mnt->source();
    SpinGuard g(m_mount_lock);
    attach_locked(top, at);
    if (flags & abi::MS_REC_) {
      // copy_tree: each mount below source, cloned onto the clone of its parent.
      std::vector<std::pair<Mount*, RefPtr<Mount>>> clones{{src.mnt.get(), top}};
      for (size_t i = 0; i < clones.size(); ++i) {
        Mount* orig = clones[i].first;
        for (const auto& c : snapshot) {
          if (c->m_parent.get() != orig) continue;
          if (orig == src.mnt.get() && !is_ancestor(src.dentry.get(), c->m_mountpoint)) continue;
          auto copy = make_ref<Mount>(c->sb_ref(), c->root(), c->flags());
          copy->m_source = c->source();
          attach_locked(copy, Path{clones[i].second, c->m_mountpoint});
          clones.emplace_back(c.get(), copy);
        }
      }
    }
    return {};
  }
  if (flags & (abi::MS_SHARED_ | abi::MS_PRIVATE_ | abi::MS_SLAVE_ | abi::MS_UNBINDABLE_)) {
    // do_change_type: one namespace and no propagation between mounts, so every mount
    // behaves as private; the call is checked and accepted (docs/differences.md).
    if (!at_root) return Errno::INVAL;
    const unsigned long type = flags & (abi::MS_SHARED_ | abi::MS_PRIVATE_ | abi::MS_SLAVE_ | abi::MS_UNBINDABLE_);
    if (type & (type - 1)) return Errno::INVAL;
    return {};
  }
  if (flags & abi::MS_MOVE_) {
    // do_move_mount_old: the mount at source goes to target.
    Path src = TRY(lookup(t, abi::AT_FDCWD_, source, FOLLOW));
    if (src.dentry.get() != src.mnt->root().get()) return Errno::INVAL;
    SpinGuard g(m_mount_lock);
    if (!src.mnt->m_parent) return Errno::INVAL;
    // Into itself or below itself: ELOOP.
    for (Path p = at; p.mnt;) {
      if (p.mnt.get() == src.mnt.get()) return Errno::LOOP;
      p = Path{p.mnt->m_parent, p.mnt->m_mountpoint};
    }
    if (src.inode()->is_dir() != at.inode()->is_dir()) return Errno::NOTDIR;
    RefPtr<Mount> m = src.mnt;
    detach_locked(m);
    attach_locked(m, at);
    return {};
  }
  // do_new_mount.
  if (!fstype) return Errno::INVAL;
  RefPtr<SuperBlock> sb = TRY(make_sb(&t, *fstype, source, flags, data));
  if (flags & abi::MS_RDONLY_) sb->set_read_only(true);
  if (!at.inode()->is_dir()) return Errno::NOTDIR;
  if (at.inode()->attr().nlink == 0) return Errno::NOENT;
  auto m = make_ref<Mount>(sb, sb->root_dentry(), mnt_flags & ~MNT_RDONLY);
  m->m_source = std::string(source.empty() ? std::string_view("none") : source);
  SpinGuard g(m_mount_lock);
  attach_locked(m, at);
  return {};
}

// fs/namespace.c: ksys_umount, can_umount, do_umount.
Result<void> Vfs::umount(Task& t, std::string_view target, int flags) {
  if (flags & ~(abi::MNT_FORCE_ | abi::MNT_DETACH_ | abi::MNT_EXPIRE_ | abi::UMOUNT_NOFOLLOW_))
    return Errno::INVAL;
  Path p = TRY(lookup(t, abi::AT_FDCWD_, target, (flags & abi::UMOUNT_NOFOLLOW_) ? 0u : FOLLOW));
  if (!t.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::PERM;
  if (p.dentry.get() != p.mnt->root().get()) return Errno::INVAL;
  if ((flags & abi::MNT_EXPIRE_) && (flags & (abi::MNT_FORCE_ | abi::MNT_DETACH_))) return Errno::INVAL;
  MutexGuard ns(m_namespace_sem, t);
  std::vector<RefPtr<Mount>> gone;  // released after the spinlock
  {
    SpinGuard g(m_mount_lock);
    if (!p.mnt->m_parent) {
      // The namespace root: Linux would detach it with MNT_DETACH; here it always stays.
      return (flags & abi::MNT_DETACH_) ? Errno::INVAL : Errno::BUSY;
    }
    bool children = false;
    for (const auto& m : m_mount_list)
      if (m->m_parent.get() == p.mnt.get()) children = true;
    // References: the mount hash, the mount list, and our own path.
    const bool busy = children || p.mnt->ref_count() > 3;
    if (flags & abi::MNT_EXPIRE_) {
      if (busy) return Errno::BUSY;
      if (!p.mnt->m_expire_mark) {
        p.mnt->m_expire_mark = true;
        return Errno::AGAIN;
      }
    }
    if (busy && !(flags & abi::MNT_DETACH_)) return Errno::BUSY;
    // umount_tree: the mount and everything mounted below it.
    gone.push_back(p.mnt);
    for (size_t i = 0; i < gone.size(); ++i)
      for (const auto& m : m_mount_list)
        if (m->m_parent.get() == gone[i].get()) gone.push_back(m);
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) detach_locked(*it);
  }
  // namespace_unlock: once no lock-free walk can still see the detached mounts, they go,
  // and with the last of them their filesystem (a disk filesystem lets go of its disk
  // before umount returns, as Linux's does).
  gone.clear();
  p = Path{};
  rcu::synchronize();
  return {};
}

void Vfs::shutdown_filesystems(SchedEntity& self) {
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    all = m_mount_list;
  }
  std::vector<SuperBlock*> done;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    SuperBlock* sb = &(*it)->sb();
    if (std::find(done.begin(), done.end(), sb) != done.end()) continue;
    done.push_back(sb);
    sb->shutdown(self);
  }
}

std::vector<Vfs::MountInfo> Vfs::mounts(const Path& root) {
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    all = m_mount_list;
  }
  std::vector<MountInfo> out;
  for (const auto& m : all) {
    Path at;
    uint64_t parent_id = 1;
    {
      SpinGuard g(m_mount_lock);
      if (m->m_parent) {
        at = Path{m->m_parent, m->m_mountpoint};
        parent_id = m->m_parent->m_id;
      } else if (m.get() == m_root.mnt.get()) {
        at = Path{m, m->root()};
      }
    }
    if (!at) continue;
    // Only mounts at or below the task's root are visible from it.
    bool visible = false;
    for (Path p = at; p.mnt;) {
      if (p.mnt.get() == root.mnt.get() && is_ancestor(root.dentry.get(), p.dentry)) {
        visible = true;
        break;
      }
      SpinGuard g(m_mount_lock);
      p = Path{p.mnt->m_parent, p.mnt->m_mountpoint};
    }
    if (!visible) continue;
    MountInfo i;
    i.id = m->id();
    i.parent_id = parent_id;
    i.dev = m->sb().dev();
    // The mount's root within its filesystem.
    std::string r;
    for (RefPtr<Dentry> d = m->root(); d && !d->is_root(); d = d->parent()) r = "/" + d->name() + r;
    i.root = r.empty() ? "/" : r;
    i.mountpoint = path_string(root, at);
    i.fstype = m->sb().fstype();
    i.source = m->source();
    const unsigned long f = m->flags();
    i.mount_options = m->read_only() ? "ro" : "rw";
    if (f & MNT_NOSUID) i.mount_options += ",nosuid";
    if (f & MNT_NODEV) i.mount_options += ",nodev";
    if (f & MNT_NOEXEC) i.mount_options += ",noexec";
    if (f & MNT_NOATIME) i.mount_options += ",noatime";
    if (f & MNT_NODIRATIME) i.mount_options += ",nodiratime";
    if (f & MNT_RELATIME) i.mount_options += ",relatime";
    i.super_options = std::string(m->sb().read_only() ? "ro" : "rw") + m->sb().show_options();
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace uml::kern

namespace uml::kern {

abi::statfs Vfs::statfs(const Path& p) {
  abi::statfs s = p.mnt->sb().statfs();
  const unsigned long f = p.mnt->flags();
  s.f_flags = abi::ST_VALID_;
  if (p.mnt->read_only()) s.f_flags |= abi::ST_RDONLY_;
  if (f & MNT_NOSUID) s.f_flags |= abi::ST_NOSUID_;
  if (f & MNT_NODEV) s.f_flags |= abi::ST_NODEV_;
  if (f & MNT_NOEXEC) s.f_flags |= abi::ST_NOEXEC_;
  if (f & MNT_NOATIME) s.f_flags |= abi::ST_NOATIME_;
  if (f & MNT_NODIRATIME) s.f_flags |= abi::ST_NODIRATIME_;
  if (f & MNT_RELATIME) s.f_flags |= abi::ST_RELATIME_;
  if (s.f_fsid[0] == 0 && s.f_fsid[1] == 0) {  // a filesystem without an id of its own (ext4 has its uuid's)
    const uint64_t dev = p.mnt->sb().dev();
    s.f_fsid[0] = static_cast<int32_t>(dev & 0xffffffff);
    s.f_fsid[1] = static_cast<int32_t>(dev >> 32);
  }
  return s;
}

}  // namespace uml::kern
