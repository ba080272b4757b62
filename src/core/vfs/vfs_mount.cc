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
  // Detach every mount of every namespace so the tree's references (parent mounts,
  // mountpoint dentries) go; the last reference to each superblock's mounts prunes its
  // dentries. Tasks released their namespaces when they exited.
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    for (MountNamespace* ns : m_namespaces) {
      for (auto& m : ns->m_mounts) {
        m->m_ns = nullptr;
        all.push_back(std::move(m));
      }
      ns->m_mounts.clear();
      ns->m_root = nullptr;
    }
    m_mount_hash.clear();
  }
  for (auto& m : all) {
    if (m->m_mountpoint) m->m_mountpoint->remove_mount();
    m->m_mountpoint = nullptr;
    m->m_parent = nullptr;
  }
  all.clear();
  m_root = Path{};
  m_init_ns = nullptr;
  // The mounts leave through RCU: once they have, their filesystems are killed, and a disk
  // filesystem lets go of everything it holds in the page cache (which goes after us).
  rcu::synchronize();
}

void MountNamespace::rc_destroy(const MountNamespace* ns) {
  ns->m_vfs.put_namespace(ns);
  delete ns;
}

void Vfs::put_namespace(const MountNamespace* cns) {
  auto* ns = const_cast<MountNamespace*>(cns);
  std::vector<RefPtr<Mount>> gone;  // released after the lock
  SpinGuard g(m_mount_lock);
  std::erase(m_namespaces, ns);
  gone = ns->m_mounts;
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    if ((*it)->m_parent) {
      detach_locked(*it);
    } else {
      leave_group_locked(it->get(), (*it)->m_master);
      (*it)->m_ns = nullptr;
    }
  }
  ns->m_mounts.clear();
  ns->m_root = nullptr;
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

void Vfs::mount_root(RefPtr<SuperBlock> sb, std::string source, uint64_t ns_inum) {
  RefPtr<Dentry> d = sb->root_dentry();
  auto m = make_ref<Mount>(std::move(sb), d, MNT_RELATIME);
  m->m_source = std::move(source);
  m_init_ns = make_ref<MountNamespace>(*this, ns_inum);
  SpinGuard g(m_mount_lock);
  m->m_id = m_next_mount_id++;
  m->m_ns = m_init_ns.get();
  m_init_ns->m_root = m;
  m_init_ns->m_mounts.push_back(m);
  m_namespaces.push_back(m_init_ns.get());
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

void Vfs::attach_locked(const RefPtr<Mount>& m, const Path& at, MountNamespace* ns) {
  m->m_parent = at.mnt;
  m->m_mountpoint = at.dentry;
  m->m_id = m_next_mount_id++;
  m->m_ns = ns;
  at.dentry->add_mount();
  m_mount_hash[MountKey{at.mnt.get(), at.dentry.get()}] = m;
  ns->m_mounts.push_back(m);
}

void Vfs::detach_locked(const RefPtr<Mount>& m) {
  m_mount_hash.erase(MountKey{m->m_parent.get(), m->m_mountpoint.get()});
  m->m_mountpoint->remove_mount();
  if (MountNamespace* ns = m->m_ns) {
    auto it = std::find(ns->m_mounts.begin(), ns->m_mounts.end(), m);
    if (it != ns->m_mounts.end()) ns->m_mounts.erase(it);
  }
  // A detached mount takes part in no propagation (umount_tree's change_mnt_propagation).
  leave_group_locked(m.get(), m->m_master);
  m->m_master = 0;
  m->m_ns = nullptr;
  // The caller holds m, so these releases free nothing but the links themselves.
  m->m_mountpoint = nullptr;
  m->m_parent = nullptr;
}

std::vector<Mount*> Vfs::all_mounts_locked() const {
  std::vector<Mount*> out;
  for (const MountNamespace* ns : m_namespaces)
    for (const auto& m : ns->m_mounts) out.push_back(m.get());
  return out;
}

bool Vfs::has_children_locked(const Mount* m) const {
  if (!m->m_ns) return false;
  for (const auto& c : m->m_ns->m_mounts)
    if (c->m_parent.get() == m) return true;
  return false;
}

std::vector<Mount*> Vfs::subtree_locked(Mount* top) const {
  std::vector<Mount*> out{top};
  if (!top->m_ns) return out;
  for (size_t i = 0; i < out.size(); ++i)
    for (const auto& c : top->m_ns->m_mounts)
      if (c->m_parent.get() == out[i]) out.push_back(c.get());
  return out;
}

std::vector<Mount*> Vfs::clone_tree_locked(const std::vector<Mount*>& src, const Path& at, MountNamespace* ns,
                                           const std::vector<uint64_t>* slave_groups, const RefPtr<Dentry>* top_root) {
  std::vector<Mount*> out;
  for (size_t i = 0; i < src.size(); ++i) {
    const Mount* o = src[i];
    auto c = make_ref<Mount>(o->sb_ref(), (i == 0 && top_root) ? *top_root : o->root(), o->flags());
    c->m_source = o->source();
    c->m_unbindable = o->m_unbindable;
    if (slave_groups) {  // CL_SLAVE, and CL_MAKE_SHARED when the receiver is shared
      c->m_master = o->m_group;
      c->m_group = (*slave_groups)[i];
    } else {  // clone_mnt: a peer of a shared original, a slave of its master
      c->m_group = o->m_group;
      c->m_master = o->m_master;
    }
    if (i == 0) {
      attach_locked(c, at, ns);
    } else {
      // Below the copy of its original's parent, at the same dentry.
      const size_t p = static_cast<size_t>(std::find(src.begin(), src.end(), o->m_parent.get()) - src.begin());
      attach_locked(c, Path{RefPtr<Mount>(out[p]), o->m_mountpoint}, ns);
    }
    out.push_back(c.get());
  }
  return out;
}

std::vector<Mount*> Vfs::receivers_locked(Mount* dest) const {
  std::vector<Mount*> out;
  if (!dest->m_group) return out;
  const std::vector<Mount*> all = all_mounts_locked();
  std::vector<uint64_t> groups{dest->m_group};
  for (size_t g = 0; g < groups.size(); ++g) {
    for (Mount* m : all) {
      if (m == dest) continue;
      if (m->m_group == groups[g]) {
        if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
      } else if (m->m_master == groups[g]) {
        if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
        if (m->m_group && std::find(groups.begin(), groups.end(), m->m_group) == groups.end())
          groups.push_back(m->m_group);
      }
    }
  }
  return out;
}

// fs/pnode.c: propagate_mnt. Each receiving peer group gets copies: a peer of the source
// group gets peers of the new mounts; a group that is a slave of it gets slaves of them,
// which are themselves peers within that group (a new peer group for each new mount), and
// those are what the group's own slaves receive in turn.
void Vfs::propagate_mount_locked(Mount* dest, const RefPtr<Dentry>& at, const std::vector<Mount*>& tree) {
  if (!dest->m_group) return;
  // attach_recursive_mnt: below a shared mount, every new mount is shared.
  for (Mount* m : tree)
    if (!m->m_group && !m->m_unbindable) m->m_group = new_group_locked();
  struct Visit {
    uint64_t group;
    std::vector<Mount*> src;
    bool peers;  // the source's own peer group
  };
  std::vector<Visit> todo{{dest->m_group, tree, true}};
  std::vector<uint64_t> seen{dest->m_group};
  std::vector<Mount*> made = tree;  // the new mounts and their copies receive nothing
  auto receives = [&](Mount* p) {
    return std::find(made.begin(), made.end(), p) == made.end() && is_ancestor(p->root().get(), at) &&
           !m_mount_hash.count(MountKey{p, at.get()});
  };
  for (size_t v = 0; v < todo.size(); ++v) {
    const Visit vis = todo[v];
    std::vector<uint64_t> groups;
    if (!vis.peers)
      for (size_t i = 0; i < vis.src.size(); ++i) groups.push_back(new_group_locked());
    std::vector<Mount*> rep = vis.peers ? vis.src : std::vector<Mount*>{};
    const std::vector<Mount*> all = all_mounts_locked();
    for (Mount* p : all) {
      if (p == dest || p->m_group != vis.group || !receives(p)) continue;
      std::vector<Mount*> c = clone_tree_locked(vis.src, Path{RefPtr<Mount>(p), at}, p->m_ns, vis.peers ? nullptr : &groups);
      made.insert(made.end(), c.begin(), c.end());
      if (rep.empty()) rep = std::move(c);
    }
    if (rep.empty()) continue;  // no member of the group sees the mountpoint
    for (Mount* s : all) {
      if (s->m_master != vis.group || s->m_group == vis.group) continue;
      if (s->m_group) {
        if (std::find(seen.begin(), seen.end(), s->m_group) != seen.end()) continue;
        seen.push_back(s->m_group);
        todo.push_back({s->m_group, rep, false});
      } else if (receives(s)) {
        const std::vector<uint64_t> none(rep.size(), 0);
        std::vector<Mount*> c = clone_tree_locked(rep, Path{RefPtr<Mount>(s), at}, s->m_ns, &none);
        made.insert(made.end(), c.begin(), c.end());
      }
    }
  }
}

void Vfs::leave_group_locked(Mount* m, uint64_t new_master) {
  const uint64_t g = m->m_group;
  if (!g) return;
  m->m_group = 0;
  const std::vector<Mount*> all = all_mounts_locked();
  for (const Mount* o : all)
    if (o->m_group == g) return;  // peers remain: the group's slaves stay theirs
  for (Mount* o : all)
    if (o->m_master == g) o->m_master = new_master;
}

// fs/pnode.c: change_mnt_propagation, for one mount or (MS_REC) its subtree.
Result<void> Vfs::change_type_locked(Mount* top, unsigned long type, bool rec) {
  const std::vector<Mount*> mounts = rec ? subtree_locked(top) : std::vector<Mount*>{top};
  for (Mount* m : mounts) {
    if (type == abi::MS_SHARED_) {
      if (!m->m_group) m->m_group = new_group_locked();
      m->m_unbindable = false;
      continue;
    }
    if (type == abi::MS_SLAVE_) {
      // do_make_slave: a slave of its former peers, or of its master when it had none.
      const uint64_t g = m->m_group;
      bool peers = false;
      if (g)
        for (const Mount* o : all_mounts_locked())
          if (o != m && o->m_group == g) peers = true;
      leave_group_locked(m, m->m_master);
      if (peers) m->m_master = g;
      m->m_unbindable = false;
      continue;
    }
    // MS_PRIVATE, MS_UNBINDABLE
    leave_group_locked(m, m->m_master);
    m->m_master = 0;
    m->m_unbindable = type == abi::MS_UNBINDABLE_;
  }
  return {};
}

Result<void> Vfs::mount_kernel(Actor& self, std::string_view path, std::string_view fstype, unsigned long flags,
                               std::string_view data) {
  RefPtr<SuperBlock> sb = TRY(make_sb(nullptr, fstype, fstype, flags, data));
  if (flags & abi::MS_RDONLY_) sb->set_read_only(true);
  // Boot's paths are plain names under the root: no task walks them.
  // Boot is single-threaded: the lookup needs no directory lock.
  Path at = m_root;
  const std::string_view name = path.substr(path.find_first_not_of('/'));
  RefPtr<Inode> child = TRY(at.inode()->lookup(self, name));
  at.dentry = at.dentry->set_child(name, child);
  auto m = make_ref<Mount>(sb, sb->root_dentry(), mount_flags_of(flags) & ~MNT_RDONLY);
  m->m_source = std::string(fstype);
  SpinGuard g(m_mount_lock);
  attach_locked(m, at, m_init_ns.get());
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
  const RefPtr<MountNamespace> ns = t.mnt_ns();
  MutexGuard nsg(m_namespace_sem, t);
  auto check_mnt = [&](const Mount& m) {
    SpinGuard g(m_mount_lock);
    return m.m_ns == ns.get();
  };

  if ((flags & (abi::MS_REMOUNT_ | abi::MS_BIND_)) == (abi::MS_REMOUNT_ | abi::MS_BIND_)) {
    // do_reconfigure_mnt: this mount's flags only.
    if (!check_mnt(*at.mnt) || !at_root) return Errno::INVAL;
    at.mnt->set_flags(mnt_flags);
    return {};
  }
  if (flags & abi::MS_REMOUNT_) {
    // do_remount: the filesystem's options and read-only state, and this mount's flags.
    if (!check_mnt(*at.mnt) || !at_root) return Errno::INVAL;
    TRY(at.mnt->sb().remount(t, flags, data));
    at.mnt->sb().set_read_only(flags & abi::MS_RDONLY_);
    at.mnt->set_flags(mnt_flags & ~MNT_RDONLY);
    return {};
  }
  if (flags & abi::MS_BIND_) {
    // do_loopback: the subtree at source, shown again at target (and, with MS_REC, the
    // mounts below it, but for unbindable ones). The other flags are ignored, as in
    // Linux: a read-only bind mount takes a second call with MS_REMOUNT | MS_BIND | MS_RDONLY.
    Path src = TRY(lookup(t, abi::AT_FDCWD_, source, FOLLOW));
    if (src.inode()->is_dir() != at.inode()->is_dir()) return Errno::NOTDIR;
    if (at.inode()->attr().nlink == 0) return Errno::NOENT;
    SpinGuard g(m_mount_lock);
    if (src.mnt->m_ns != ns.get() || at.mnt->m_ns != ns.get()) return Errno::INVAL;
    if (src.mnt->m_unbindable) return Errno::INVAL;
    // The source mount, shown from the source dentry, then (MS_REC) each mount below it
    // that the source dentry shows.
    std::vector<Mount*> tree{src.mnt.get()};
    if (flags & abi::MS_REC_) {
      const std::vector<Mount*> below = subtree_locked(src.mnt.get());
      for (size_t i = 1; i < below.size(); ++i) {
        Mount* c = below[i];
        if (c->m_unbindable) continue;
        if (std::find(tree.begin(), tree.end(), c->m_parent.get()) == tree.end()) continue;
        if (c->m_parent.get() == src.mnt.get() && !is_ancestor(src.dentry.get(), c->m_mountpoint)) continue;
        tree.push_back(c);
      }
    }
    std::vector<Mount*> made = clone_tree_locked(tree, at, ns.get(), nullptr, &src.dentry);
    propagate_mount_locked(at.mnt.get(), at.dentry, made);
    return {};
  }
  if (flags & (abi::MS_SHARED_ | abi::MS_PRIVATE_ | abi::MS_SLAVE_ | abi::MS_UNBINDABLE_)) {
    // do_change_type: the mount's propagation, or (MS_REC) its whole subtree's.
    if (!check_mnt(*at.mnt) || !at_root) return Errno::INVAL;
    const unsigned long type = flags & (abi::MS_SHARED_ | abi::MS_PRIVATE_ | abi::MS_SLAVE_ | abi::MS_UNBINDABLE_);
    if (type & (type - 1)) return Errno::INVAL;
    SpinGuard g(m_mount_lock);
    return change_type_locked(at.mnt.get(), type, flags & abi::MS_REC_);
  }
  if (flags & abi::MS_MOVE_) {
    // do_move_mount_old: the mount at source goes to target.
    Path src = TRY(lookup(t, abi::AT_FDCWD_, source, FOLLOW));
    if (src.dentry.get() != src.mnt->root().get()) return Errno::INVAL;
    SpinGuard g(m_mount_lock);
    if (src.mnt->m_ns != ns.get() || at.mnt->m_ns != ns.get()) return Errno::INVAL;
    if (!src.mnt->m_parent) return Errno::INVAL;
    // A mount below a shared one cannot move (its peers' copies would be left behind).
    if (src.mnt->m_parent->m_group) return Errno::INVAL;
    // Into itself or below itself: ELOOP.
    for (Path p = at; p.mnt;) {
      if (p.mnt.get() == src.mnt.get()) return Errno::LOOP;
      p = Path{p.mnt->m_parent, p.mnt->m_mountpoint};
    }
    if (src.inode()->is_dir() != at.inode()->is_dir()) return Errno::NOTDIR;
    RefPtr<Mount> m = src.mnt;
    const std::vector<Mount*> below = subtree_locked(m.get());
    const uint64_t group = m->m_group, master = m->m_master;
    detach_locked(m);
    m->m_group = group;  // moving keeps its propagation
    m->m_master = master;
    attach_locked(m, at, ns.get());
    propagate_mount_locked(at.mnt.get(), at.dentry, below);
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
  if (at.mnt->m_ns != ns.get()) return Errno::INVAL;
  attach_locked(m, at, ns.get());
  propagate_mount_locked(at.mnt.get(), at.dentry, {m.get()});
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
  const RefPtr<MountNamespace> ns = t.mnt_ns();
  MutexGuard nsg(m_namespace_sem, t);
  std::vector<RefPtr<Mount>> gone;  // released after the spinlock
  {
    SpinGuard g(m_mount_lock);
    if (p.mnt->m_ns != ns.get()) return Errno::INVAL;  // check_mnt
    if (!p.mnt->m_parent) {
      // The namespace root: Linux would detach it with MNT_DETACH; here it always stays.
      return (flags & abi::MNT_DETACH_) ? Errno::INVAL : Errno::BUSY;
    }
    // References: the mount hash, the namespace's list, and our own path.
    const bool busy = has_children_locked(p.mnt.get()) || p.mnt->ref_count() > 3;
    if (flags & abi::MNT_EXPIRE_) {
      if (busy) return Errno::BUSY;
      if (!p.mnt->m_expire_mark) {
        p.mnt->m_expire_mark = true;
        return Errno::AGAIN;
      }
    }
    if (busy && !(flags & abi::MNT_DETACH_)) return Errno::BUSY;
    // umount_tree: the mount and everything mounted below it; propagate_umount: the
    // copies of it under the parent's peers and slaves, where nothing is mounted on them.
    gone.push_back(p.mnt);
    for (Mount* r : receivers_locked(p.mnt->m_parent.get())) {
      auto it = m_mount_hash.find(MountKey{r, p.mnt->m_mountpoint.get()});
      if (it == m_mount_hash.end()) continue;
      const RefPtr<Mount>& c = it->second;
      if (&c->sb() == &p.mnt->sb() && !has_children_locked(c.get())) gone.push_back(c);
    }
    for (size_t i = 0; i < gone.size(); ++i)
      for (Mount* m : subtree_locked(gone[i].get()))
        if (std::none_of(gone.begin(), gone.end(), [m](const RefPtr<Mount>& x) { return x.get() == m; }))
          gone.emplace_back(m);
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

RefPtr<MountNamespace> Vfs::copy_namespace(Task& t, MountNamespace& old, uint64_t inum, FsContext& fs) {
  auto ns = make_ref<MountNamespace>(*this, inum);
  MutexGuard nsg(m_namespace_sem, t);
  std::vector<std::pair<Mount*, Mount*>> map;  // original, copy
  {
    SpinGuard g(m_mount_lock);
    Mount* root = old.m_root.get();
    const std::vector<Mount*> below = subtree_locked(root);
    // copy_tree(CL_COPY_ALL): every mount, unbindable ones too, with its propagation.
    auto r = make_ref<Mount>(root->sb_ref(), root->root(), root->flags());
    r->m_source = root->source();
    r->m_group = root->m_group;
    r->m_master = root->m_master;
    r->m_unbindable = root->m_unbindable;
    r->m_id = m_next_mount_id++;
    r->m_ns = ns.get();
    ns->m_root = r;
    ns->m_mounts.push_back(r);
    m_namespaces.push_back(ns.get());
    map.emplace_back(root, r.get());
    for (size_t i = 1; i < below.size(); ++i) {
      Mount* o = below[i];
      Mount* parent_copy = nullptr;
      for (const auto& [orig, copy] : map)
        if (orig == o->m_parent.get()) parent_copy = copy;
      const std::vector<Mount*> one{o};
      Mount* c = clone_tree_locked(one, Path{RefPtr<Mount>(parent_copy), o->m_mountpoint}, ns.get(), nullptr)[0];
      map.emplace_back(o, c);
    }
  }
  // The process's root and working directory, in the copies.
  auto moved = [&](const Path& p) {
    for (const auto& [orig, copy] : map)
      if (orig == p.mnt.get()) return Path{RefPtr<Mount>(copy), p.dentry};
    return p;
  };
  fs.set_root(moved(fs.root()));
  fs.set_cwd(moved(fs.cwd()));
  return ns;
}

void Vfs::enter_namespace(const MountNamespace& ns, FsContext& fs) {
  Path root;
  {
    SpinGuard g(m_mount_lock);
    if (!ns.m_root) return;
    root = Path{ns.m_root, ns.m_root->root()};
  }
  fs.set_root(root);
  fs.set_cwd(root);
}

void Vfs::shutdown_filesystems(SchedEntity& self) {
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    for (Mount* m : all_mounts_locked()) all.emplace_back(m);
  }
  std::vector<SuperBlock*> done;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    SuperBlock* sb = &(*it)->sb();
    if (std::find(done.begin(), done.end(), sb) != done.end()) continue;
    done.push_back(sb);
    sb->shutdown(self);
  }
}

std::vector<Vfs::MountInfo> Vfs::mounts(const MountNamespace& ns, const Path& root) {
  std::vector<RefPtr<Mount>> all;
  {
    SpinGuard g(m_mount_lock);
    all = ns.m_mounts;
  }
  std::vector<MountInfo> out;
  for (const auto& m : all) {
    Path at;
    uint64_t parent_id = 1;
    std::string optional;
    {
      SpinGuard g(m_mount_lock);
      if (m->m_ns != &ns) continue;  // gone meanwhile
      if (m->m_parent) {
        at = Path{m->m_parent, m->m_mountpoint};
        parent_id = m->m_parent->m_id;
      } else {
        at = Path{m, m->root()};
      }
      // show_mountinfo's optional fields (propagate_from is not shown).
      if (m->m_group) optional += " shared:" + std::to_string(m->m_group);
      if (m->m_master) optional += " master:" + std::to_string(m->m_master);
      if (m->m_unbindable) optional += " unbindable";
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
    i.optional = optional.empty() ? optional : optional.substr(1);
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
