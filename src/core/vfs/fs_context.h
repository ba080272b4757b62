#pragma once
// FsContext: a process's root, working directory and umask (Linux's fs_struct).

#include "core/base/ref_counted.h"
#include "core/base/spinlock.h"
#include "core/vfs/path.h"

namespace uml::kern {

class FsContext final : public RefCounted<FsContext> {
 public:
  FsContext(Path root, Path cwd) : m_root(std::move(root)), m_cwd(std::move(cwd)) {}
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
    m_root = std::move(p);
  }
  void set_cwd(Path p) {
    SpinGuard g(m_lock);
    m_cwd = std::move(p);
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
  mutable SpinLock m_lock;
  Path m_root, m_cwd;
  std::atomic<uint32_t> m_umask{022};
};

}  // namespace uml::kern
