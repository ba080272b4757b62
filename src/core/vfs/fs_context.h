#pragma once
// FsContext: a process's root, working directory and umask (Linux's fs_struct).

#include "core/base/ref_counted.h"
#include "core/base/spinlock.h"
#include "core/vfs/path.h"

namespace uml::kern {

class FsContext final : public RefCounted<FsContext> {
 public:
  FsContext(Path root, Path cwd) : m_root(std::move(root)), m_cwd(std::move(cwd)) { publish_locked(); }
  Path root() const {
    SpinGuard g(m_lock);
    return m_root;
  }
  Path cwd() const {
    SpinGuard g(m_lock);
    return m_cwd;
  }
  void set_root(Path p) {
    SpinGuard g(m_lock);
    m_seq.fetch_add(1, std::memory_order_relaxed);  // published by the release stores below
    m_root = std::move(p);  // the old one goes with p, after the lock
    publish_locked();
    m_seq.fetch_add(1, std::memory_order_release);
  }
  void set_cwd(Path p) {
    SpinGuard g(m_lock);
    m_seq.fetch_add(1, std::memory_order_relaxed);
    m_cwd = std::move(p);
    publish_locked();
    m_seq.fetch_add(1, std::memory_order_release);
  }
  // Root and working directory as bare pointers, for an RCU walk (under rcu::ReadGuard;
  // the objects are freed only after a grace period). False while they change.
  struct RcuView {
    Mount* root_mnt;
    Dentry* root;
    Mount* cwd_mnt;
    Dentry* cwd;
  };
  bool rcu_view(RcuView* v) const {
    const uint32_t s1 = m_seq.load(std::memory_order_acquire);
    if (s1 & 1) return false;
    // Acquire loads: a value from a writer in progress carries its odd count with it, and
    // the second read of the count cannot move before them (a fence-free seqlock).
    v->root_mnt = m_raw[0].load(std::memory_order_acquire);
    v->root = m_raw_d[0].load(std::memory_order_acquire);
    v->cwd_mnt = m_raw[1].load(std::memory_order_acquire);
    v->cwd = m_raw_d[1].load(std::memory_order_acquire);
    return m_seq.load(std::memory_order_relaxed) == s1;
  }
  uint32_t umask() const { return m_umask.load(std::memory_order_relaxed); }
  uint32_t exchange_umask(uint32_t m) { return m_umask.exchange(m & 0777); }
  RefPtr<FsContext> clone() const {
    SpinGuard g(m_lock);
    auto c = make_ref<FsContext>(m_root, m_cwd);
    c->m_umask.store(umask());
    return c;
  }

 private:
  void publish_locked() {
    m_raw[0].store(m_root.mnt.get(), std::memory_order_release);
    m_raw_d[0].store(m_root.dentry.get(), std::memory_order_release);
    m_raw[1].store(m_cwd.mnt.get(), std::memory_order_release);
    m_raw_d[1].store(m_cwd.dentry.get(), std::memory_order_release);
  }

  mutable SpinLock m_lock;
  Path m_root, m_cwd;
  std::atomic<uint32_t> m_seq{0};  // odd while root or cwd changes
  std::atomic<Mount*> m_raw[2];
  std::atomic<Dentry*> m_raw_d[2];
  std::atomic<uint32_t> m_umask{022};
};

}  // namespace uml::kern
