#pragma once
// DentryHash: a superblock's index of its cached dentries by (parent, name), searchable
// without locks under RCU (Linux's dentry_hashtable and __d_lookup_rcu). The dentries
// themselves stay owned by their parents' child maps; this only finds them.
//
// Writers (insert, remove) hold the table's spinlock. Readers may miss a dentry that is
// being inserted, moved or rehashed; they treat a miss as "not cached" and fall back to the
// locked walk, so a miss is never an answer. Growing rewrites chains in place: a reader
// still on the old buckets stays on finite chains of live dentries.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "core/base/spinlock.h"

namespace uml::kern {

class Dentry;

// A dentry's name as lock-free readers see it: immutable once published (a rename
// publishes a new one).
struct QName {
  uint64_t hash;
  uint32_t len;
  char chars[1];  // len bytes follow
  static QName* make(std::string_view s);
  // In place, in offsetof(QName, chars) + s.size() + 1 bytes at mem (a dentry's own).
  static QName* make_at(void* mem, std::string_view s);
  static void destroy(QName* q);
  std::string_view view() const { return {chars, len}; }
};

uint64_t name_hash(std::string_view s);

class DentryHash {
 public:
  DentryHash();
  ~DentryHash();
  DentryHash(const DentryHash&) = delete;
  DentryHash& operator=(const DentryHash&) = delete;

  // Under rcu::ReadGuard. Null: not found (or missed: see above).
  Dentry* find(const Dentry* parent, uint64_t hash, std::string_view name) const;
  // d's parent and name must be set. Under the parent's dentry lock.
  void insert(Dentry* d);
  void remove(Dentry* d);

 private:
  struct Table {
    size_t mask;
    std::atomic<Dentry*> buckets[1];
  };
  static Table* make_table(size_t n);
  static size_t slot(const Table* t, const Dentry* parent, uint64_t hash);
  void grow_locked();

  SpinLock m_lock;
  std::atomic<Table*> m_table;
  size_t m_count = 0;
};

}  // namespace uml::kern
