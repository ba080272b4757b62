#include "core/vfs/dentry.h"

#include <utility>
#include <vector>

#include "core/base/rcu.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

Dentry::~Dentry() {
  QName* q = m_rcu_name.load(std::memory_order_relaxed);
  if (q && q != reinterpret_cast<QName*>(m_iname)) QName::destroy(q);
}

// dentry_kill: the inode is let go now (so an unlinked file's space comes back at once);
// RCU walks that still hold d read the inode through m_rcu_inode, and the inode's memory
// outlives them too (Inode::rc_destroy).
void Dentry::rc_destroy(const Dentry* d) {
  auto* self = const_cast<Dentry*>(d);
  RefPtr<Inode> inode = std::move(self->m_inode);
  rcu::retire(self, [](void* p) { delete static_cast<Dentry*>(p); });
}

DentryHash& Dentry::index() const { return m_inode->sb().dcache(); }

void Dentry::set_rcu_identity(Dentry* parent, std::string_view name) {
  m_rcu_inode.store(m_inode.get(), std::memory_order_relaxed);
  auto* inline_name = reinterpret_cast<QName*>(m_iname);
  const bool first = m_rcu_name.load(std::memory_order_relaxed) == nullptr;
  QName* q = first && name.size() <= kInlineName ? QName::make_at(m_iname, name) : QName::make(name);
  QName* old = m_rcu_name.exchange(q, std::memory_order_release);
  m_rcu_parent.store(parent, std::memory_order_release);
  if (old && old != inline_name) rcu::retire(old, [](void* p) { QName::destroy(static_cast<QName*>(p)); });
}

RefPtr<Dentry> Dentry::make_root(RefPtr<Inode> root) {
  RefPtr<Dentry> d = RefPtr<Dentry>::adopt(new Dentry);
  d->m_name.assign(1, '/');  // (a literal trips GCC 12's false -Wrestrict)
  d->m_inode = std::move(root);
  d->m_is_root = true;
  d->set_rcu_identity(nullptr, "/");
  return d;
}

RefPtr<Dentry> Dentry::make_orphan(RefPtr<Dentry> parent, std::string name, RefPtr<Inode> inode,
                                   bool deleted) {
  RefPtr<Dentry> d = RefPtr<Dentry>::adopt(new Dentry);
  d->m_name = std::move(name);
  d->m_parent = std::move(parent);
  d->m_inode = std::move(inode);
  d->m_deleted = deleted;
  d->set_rcu_identity(d->m_parent.get(), d->m_name);  // never hashed
  return d;
}

RefPtr<Dentry> Dentry::cached_child(std::string_view name) const {
  SpinGuard g(m_lock);
  auto it = m_children.find(name);
  return it == m_children.end() ? nullptr : it->second;
}

RefPtr<Dentry> Dentry::set_child(std::string_view name, RefPtr<Inode> inode) {
  RefPtr<Dentry> child = RefPtr<Dentry>::adopt(new Dentry);
  child->m_name = std::string(name);
  child->m_parent = RefPtr<Dentry>(this);
  child->m_inode = std::move(inode);
  child->set_rcu_identity(this, name);
  RefPtr<Dentry> old;
  {
    SpinGuard g(m_lock);
    auto& slot = m_children[child->m_name];
    old = std::move(slot);
    if (old) index().remove(old.get());
    slot = child;
    index().insert(child.get());
  }
  if (old) old->detach();
  return child;
}

void Dentry::drop_child(std::string_view name) {
  RefPtr<Dentry> old;
  {
    SpinGuard g(m_lock);
    auto it = m_children.find(name);
    if (it == m_children.end()) return;
    old = std::move(it->second);
    m_children.erase(it);
    index().remove(old.get());
  }
  old->detach();
}

void Dentry::detach() {
  {
    SpinGuard g(m_lock);
    if (m_inode) m_deleted = true;
  }
  // Out of the tree, its cached children would keep it alive through their parent
  // pointers, and nothing would ever reach them again.
  prune();
}

void Dentry::move_child(std::string_view name, Dentry& new_parent, std::string_view new_name) {
  RefPtr<Dentry> moving;
  {
    SpinGuard g(m_lock);
    auto it = m_children.find(name);
    if (it == m_children.end()) return;
    moving = std::move(it->second);
    m_children.erase(it);
    index().remove(moving.get());
  }
  new_parent.drop_child(new_name);
  RefPtr<Dentry> old_parent;  // released after the locks
  {
    SpinGuard g(moving->m_lock);
    moving->m_name = std::string(new_name);
    old_parent = std::exchange(moving->m_parent, RefPtr<Dentry>(&new_parent));
    moving->set_rcu_identity(&new_parent, new_name);
  }
  SpinGuard g(new_parent.m_lock);
  new_parent.index().insert(moving.get());
  new_parent.m_children[std::string(new_name)] = std::move(moving);
}

void Dentry::prune() {
  decltype(m_children) children;
  {
    SpinGuard g(m_lock);
    children.swap(m_children);
    for (auto& [name, child] : children) index().remove(child.get());
  }
  for (auto& [name, child] : children) child->prune();
}

}  // namespace uml::kern
