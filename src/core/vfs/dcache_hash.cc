#include "core/vfs/dcache_hash.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/base/rcu.h"
#include "core/vfs/dentry.h"

namespace uml::kern {

// FNV-1a, then a final mix: short names, cheap to hash, well spread.
uint64_t name_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h ^= h >> 29;
  return h * 0xbf58476d1ce4e5b9ull;
}

QName* QName::make(std::string_view s) { return make_at(::operator new(offsetof(QName, chars) + s.size() + 1), s); }

QName* QName::make_at(void* mem, std::string_view s) {
  auto* q = static_cast<QName*>(mem);
  q->hash = name_hash(s);
  q->len = static_cast<uint32_t>(s.size());
  memcpy(q->chars, s.data(), s.size());
  q->chars[s.size()] = '\0';
  return q;
}

void QName::destroy(QName* q) { ::operator delete(q); }

DentryHash::Table* DentryHash::make_table(size_t n) {
  void* mem = ::operator new(offsetof(Table, buckets) + n * sizeof(std::atomic<Dentry*>));
  auto* t = static_cast<Table*>(mem);
  t->mask = n - 1;
  for (size_t i = 0; i < n; ++i) new (&t->buckets[i]) std::atomic<Dentry*>(nullptr);
  return t;
}

DentryHash::DentryHash() : m_table(make_table(16)) {}

DentryHash::~DentryHash() { ::operator delete(m_table.load(std::memory_order_relaxed)); }

size_t DentryHash::slot(const Table* t, const Dentry* parent, uint64_t hash) {
  const uint64_t p = reinterpret_cast<uintptr_t>(parent) * 0x9e3779b97f4a7c15ull;
  return static_cast<size_t>((hash ^ (p >> 17)) & t->mask);
}

Dentry* DentryHash::find(const Dentry* parent, uint64_t hash, std::string_view name) const {
  const Table* t = m_table.load(std::memory_order_acquire);
  // A chain is never longer than the table holds entries; the bound only guards against
  // following a chain while it is rewritten.
  unsigned steps = 0;
  for (Dentry* d = t->buckets[slot(t, parent, hash)].load(std::memory_order_acquire); d;
       d = d->m_hash_next.load(std::memory_order_acquire)) {
    if (++steps > 4096) return nullptr;
    if (d->m_rcu_parent.load(std::memory_order_acquire) != parent) continue;
    const QName* q = d->m_rcu_name.load(std::memory_order_acquire);
    if (q->hash != hash || q->len != name.size()) continue;
    // Names are short: compare in place rather than call memcmp.
    size_t i = 0;
    while (i < name.size() && q->chars[i] == name[i]) ++i;
    if (i == name.size()) return d;
  }
  return nullptr;
}

void DentryHash::insert(Dentry* d) {
  SpinGuard g(m_lock);
  Table* t = m_table.load(std::memory_order_relaxed);
  const QName* q = d->m_rcu_name.load(std::memory_order_relaxed);
  std::atomic<Dentry*>& b = t->buckets[slot(t, d->m_rcu_parent.load(std::memory_order_relaxed), q->hash)];
  d->m_hash_next.store(b.load(std::memory_order_relaxed), std::memory_order_relaxed);
  b.store(d, std::memory_order_release);  // publishes d's fields to readers
  d->m_hashed = true;
  // At most one dentry per two buckets (an eighth after growing): a path walk's upper
  // components are hot in the CPU's caches, and every other dentry before them on a chain
  // is a cache miss (the walk over a 20,000-file tree spent half its time there at two per
  // bucket). Linux sizes its table for far fewer still.
  if (++m_count > (t->mask + 1) / 2) grow_locked();
}

void DentryHash::remove(Dentry* d) {
  SpinGuard g(m_lock);
  if (!d->m_hashed) return;
  Table* t = m_table.load(std::memory_order_relaxed);
  const QName* q = d->m_rcu_name.load(std::memory_order_relaxed);
  std::atomic<Dentry*>* link = &t->buckets[slot(t, d->m_rcu_parent.load(std::memory_order_relaxed), q->hash)];
  for (Dentry* cur = link->load(std::memory_order_relaxed); cur; cur = link->load(std::memory_order_relaxed)) {
    if (cur == d) {
      // Readers on d still see its next: they go on down the chain.
      link->store(d->m_hash_next.load(std::memory_order_relaxed), std::memory_order_release);
      break;
    }
    link = &cur->m_hash_next;
  }
  d->m_hashed = false;
  --m_count;
}

void DentryHash::grow_locked() {
  Table* old = m_table.load(std::memory_order_relaxed);
  const size_t n = (old->mask + 1) * 4;
  Table* t = make_table(n);
  for (size_t i = 0; i <= old->mask; ++i) {
    Dentry* d = old->buckets[i].load(std::memory_order_relaxed);
    while (d) {
      Dentry* next = d->m_hash_next.load(std::memory_order_relaxed);
      const QName* q = d->m_rcu_name.load(std::memory_order_relaxed);
      std::atomic<Dentry*>& b = t->buckets[slot(t, d->m_rcu_parent.load(std::memory_order_relaxed), q->hash)];
      d->m_hash_next.store(b.load(std::memory_order_relaxed), std::memory_order_release);
      b.store(d, std::memory_order_relaxed);
      d = next;
    }
  }
  m_table.store(t, std::memory_order_release);
  rcu::retire(old, [](void* p) { ::operator delete(p); });
}

}  // namespace uml::kern
