#include "core/vfs/dentry.h"

#include <vector>

namespace uml::kern {

RefPtr<Dentry> Dentry::make_root(RefPtr<Inode> root) {
  RefPtr<Dentry> d = RefPtr<Dentry>::adopt(new Dentry);
  d->m_name.assign(1, '/');  // (a literal trips GCC 12's false -Wrestrict)
  d->m_inode = std::move(root);
  d->m_is_root = true;
  return d;
}

RefPtr<Dentry> Dentry::make_orphan(RefPtr<Dentry> parent, std::string name, RefPtr<Inode> inode) {
  RefPtr<Dentry> d = RefPtr<Dentry>::adopt(new Dentry);
  d->m_name = std::move(name);
  d->m_parent = std::move(parent);
  d->m_inode = std::move(inode);
  d->m_deleted = true;
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
  RefPtr<Dentry> old;
  {
    SpinGuard g(m_lock);
    auto& slot = m_children[child->m_name];
    old = std::move(slot);
    slot = child;
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
  }
  new_parent.drop_child(new_name);
  {
    SpinGuard g(moving->m_lock);
    moving->m_name = std::string(new_name);
    moving->m_parent = RefPtr<Dentry>(&new_parent);
  }
  SpinGuard g(new_parent.m_lock);
  new_parent.m_children[std::string(new_name)] = std::move(moving);
}

void Dentry::prune() {
  decltype(m_children) children;
  {
    SpinGuard g(m_lock);
    children.swap(m_children);
  }
  for (auto& [name, child] : children) child->prune();
}

}  // namespace uml::kern
