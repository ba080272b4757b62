#pragma once
// Dentry: a name in the directory tree, cached (Linux's dcache). A dentry is positive (it
// names an inode) or negative (the name is known not to exist). The filesystem stays
// authoritative; the VFS keeps the cache in step under the parent directory's rwsem:
// creating, removing and renaming a name all go through here.
//
// A child holds its parent; a parent holds its cached children until they are dropped
// (removal, rename, or prune at unmount), which breaks that cycle. A dentry that leaves the
// tree drops its own cached children for the same reason.
//
// Lock order: parent Inode::m_rwsem > Dentry::m_lock.

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/base/ref_counted.h"
#include "core/base/spinlock.h"
#include "core/vfs/dcache_hash.h"
#include "core/vfs/inode.h"

namespace uml::kern {

// Cache-line aligned: an RCU path walk touches the reference count, the fields after it
// and a short name, all in the dentry's first two lines (a walk over a big tree is bound
// by the cache misses on dentries it has not touched lately).
class alignas(64) Dentry final : public RefCounted<Dentry> {
 public:
  static RefPtr<Dentry> make_root(RefPtr<Inode> root);
  // A dentry under parent that is not in its cache and counts as deleted: an O_TMPFILE
  // file's (shown as "name (deleted)").
  static RefPtr<Dentry> make_orphan(RefPtr<Dentry> parent, std::string name, RefPtr<Inode> inode,
                                    bool deleted = true);

  std::string name() const {
    SpinGuard g(m_lock);
    return m_name;
  }
  RefPtr<Dentry> parent() const {
    SpinGuard g(m_lock);
    return m_parent;
  }
  // Set at creation and never changed (a name that gets another inode gets a new dentry),
  // so it is read without the lock. Null for a negative dentry.
  const RefPtr<Inode>& inode() const { return m_inode; }
  bool is_root() const { return m_is_root; }
  // Something is mounted here (Linux's DCACHE_MOUNTED): the walk asks the mount table only
  // for dentries with this set. Counted, because bind mounts show a dentry more than once.
  bool mounted() const { return m_mounted.load(std::memory_order_acquire) != 0; }
  void add_mount() { m_mounted.fetch_add(1, std::memory_order_release); }
  void remove_mount() { m_mounted.fetch_sub(1, std::memory_order_release); }
  // Removed from the tree (unlinked, or a directory removed) while someone still held it.
  bool deleted() const {
    SpinGuard g(m_lock);
    return m_deleted;
  }

  // The cached child called name (positive or negative), or null.
  RefPtr<Dentry> cached_child(std::string_view name) const;
  // Caches name -> inode (inode null: negative) and returns the dentry. Replaces what was
  // cached. Called with this directory's inode rwsem held.
  RefPtr<Dentry> set_child(std::string_view name, RefPtr<Inode> inode);
  // Forgets the child name; marks a positive one deleted. Called under the rwsem.
  void drop_child(std::string_view name);
  // Moves the cached child `name` to new_parent as new_name (rename). Under both rwsems.
  void move_child(std::string_view name, Dentry& new_parent, std::string_view new_name);
  // Drops every cached descendant (unmount, shutdown).
  void prune();

  // ---- lock-free readers (under rcu::ReadGuard) ----
  Dentry* rcu_parent() const { return m_rcu_parent.load(std::memory_order_acquire); }
  Inode* rcu_inode() const { return m_rcu_inode.load(std::memory_order_acquire); }
  // RefCounted's hook: freed after a grace period, since RCU walks hold bare pointers.
  static void rc_destroy(const Dentry* d);

 private:
  friend class RefCounted<Dentry>;
  friend class DentryHash;
  Dentry() = default;
  ~Dentry();
  // The index this dentry's children go in: their superblock's.
  DentryHash& index() const;
  // Sets the lock-free copies of parent and name (before the dentry is hashed).
  void set_rcu_identity(Dentry* parent, std::string_view name);
  // Leaves the tree: marks a positive dentry deleted and drops its cached children.
  void detach();

  // What RCU walks and DentryHash read, first (next to the reference count): parent and
  // name readable without m_lock, the chain, and the mount flag.
  std::atomic<Dentry*> m_rcu_parent{nullptr};
  std::atomic<Inode*> m_rcu_inode{nullptr};  // m_inode, kept for readers after the kill
  std::atomic<QName*> m_rcu_name{nullptr};
  std::atomic<Dentry*> m_hash_next{nullptr};
  std::atomic<uint32_t> m_mounted{0};
  // The first name, when short (Linux's d_iname): m_rcu_name points here. A rename
  // publishes a separately allocated name, since readers may still be on this one.
  static constexpr size_t kInlineName = 40;
  alignas(QName) unsigned char m_iname[offsetof(QName, chars) + kInlineName + 1];

  mutable SpinLock m_lock;
  std::string m_name;
  RefPtr<Dentry> m_parent;  // null for a root
  RefPtr<Inode> m_inode;    // null: negative; immutable once the dentry is published
  bool m_is_root = false;
  bool m_deleted = false;
  bool m_hashed = false;  // under the index's lock
  // Heterogeneous lookup: a path component (string_view) finds its entry without building
  // a std::string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, RefPtr<Dentry>, NameHash, std::equal_to<>> m_children;
};

}  // namespace uml::kern
