#include "core/vfs/file_lock.h"

#include <algorithm>

#include "core/abi/fs.h"

namespace uml::kern {

bool LockGraph::would_deadlock(const void* owner, const void* blocker) {
  SpinGuard g(m_lock);
  // Follow blocker's waits; a path back to owner is a cycle. Bounded like Linux's
  // MAX_DEADLK_ITERATIONS.
  for (int i = 0; i < 10 && blocker; ++i) {
    if (blocker == owner) return true;
    const void* next = nullptr;
    for (const auto& [w, b] : m_waits)
      if (w == blocker) next = b;
    blocker = next;
  }
  return false;
}

void LockGraph::set_waiting(const void* owner, const void* blocker) {
  SpinGuard g(m_lock);
  for (auto& [w, b] : m_waits)
    if (w == owner) {
      b = blocker;
      return;
    }
  m_waits.emplace_back(owner, blocker);
}

void LockGraph::clear_waiting(const void* owner) {
  SpinGuard g(m_lock);
  m_waits.erase(std::remove_if(m_waits.begin(), m_waits.end(), [&](const auto& p) { return p.first == owner; }),
                m_waits.end());
}

// ---- flock ------------------------------------------------------------------------------

Result<void> FileLocks::flock(SchedEntity& self, const void* file, int op) {
  const int cmd = op & ~abi::LOCK_NB_;
  if (cmd == abi::LOCK_UN_) {
    release_flock(file);
    return {};
  }
  const bool exclusive = cmd == abi::LOCK_EX_;
  // flock_lock_inode: an existing lock of the same kind stands; another kind is dropped
  // (waking its waiters) before the new one is sought.
  bool dropped = false;
  {
    SpinGuard g(m_lock);
    for (auto it = m_flocks.begin(); it != m_flocks.end(); ++it) {
      if (it->file != file) continue;
      if (it->exclusive == exclusive) return {};
      m_flocks.erase(it);
      dropped = true;
      break;
    }
  }
  if (dropped) m_wait.wake_all();
  auto try_take = [&] {
    SpinGuard g(m_lock);
    for (const auto& e : m_flocks)
      if (e.file != file && (exclusive || e.exclusive)) return false;
    m_flocks.push_back({file, exclusive});
    return true;
  };
  if (op & abi::LOCK_NB_) {
    if (!try_take()) return Errno::AGAIN;
    return {};
  }
  WaitOptions opt;
  opt.interruptible = true;
  return m_wait.wait(self, try_take, opt);
}

void FileLocks::release_flock(const void* file) {
  bool any = false;
  {
    SpinGuard g(m_lock);
    const size_t before = m_flocks.size();
    m_flocks.erase(std::remove_if(m_flocks.begin(), m_flocks.end(), [&](const FlockEntry& e) { return e.file == file; }),
                   m_flocks.end());
    any = m_flocks.size() != before;
  }
  if (any) m_wait.wake_all();
}

// ---- POSIX record locks -----------------------------------------------------------------

const RecordLock* FileLocks::conflict_locked(const LockOwner& owner, int type, int64_t start,
                                             int64_t end) const {
  for (const auto& l : m_posix) {
    if (l.owner == owner) continue;
    if (l.end < start || l.start > end) continue;
    if (type == abi::F_WRLCK_ || l.type == abi::F_WRLCK_) return &l;
  }
  return nullptr;
}

// posix_lock_inode's bookkeeping: the owner's locks over [start, end] are replaced by the
// new one (or removed, for F_UNLCK), splitting those that reach past it; then touching or
// overlapping locks of the same type merge.
void FileLocks::apply_locked(const LockOwner& owner, int type, int64_t start, int64_t end) {
  std::vector<RecordLock> out;
  out.reserve(m_posix.size() + 2);
  for (const auto& l : m_posix) {
    if (!(l.owner == owner) || l.end < start || l.start > end) {
      out.push_back(l);
      continue;
    }
    if (l.start < start) out.push_back({l.owner, l.type, l.start, start - 1});
    if (l.end > end) out.push_back({l.owner, l.type, end + 1, l.end});
  }
  if (type != abi::F_UNLCK_) {
    RecordLock n{owner, type, start, end};
    // Merge with the owner's same-type neighbours.
    for (auto it = out.begin(); it != out.end();) {
      const bool adjacent = (it->end != kOffsetMax && it->end + 1 >= n.start && it->start <= n.start) ||
                            (n.end != kOffsetMax && n.end + 1 >= it->start && n.start <= it->start);
      if (it->owner == owner && it->type == type && adjacent) {
        n.start = std::min(n.start, it->start);
        n.end = std::max(n.end, it->end);
        it = out.erase(it);
      } else {
        ++it;
      }
    }
    out.push_back(n);
  }
  m_posix.swap(out);
}

Result<void> FileLocks::setlk(SchedEntity& self, LockGraph& graph, const LockOwner& owner,
                              int type, int64_t start, int64_t end, bool wait) {
  if (type == abi::F_UNLCK_) {
    {
      SpinGuard g(m_lock);
      apply_locked(owner, type, start, end);
    }
    m_wait.wake_all();
    return {};
  }
  const void* blocker = nullptr;
  bool deadlock = false;
  auto try_take = [&] {
    SpinGuard g(m_lock);
    if (const RecordLock* c = conflict_locked(owner, type, start, end)) {
      blocker = c->owner.id;
      // Only classic locks wait-for-graph (posix_locks_deadlock skips OFD locks).
      if (wait && !owner.ofd && !c->owner.ofd && graph.would_deadlock(owner.id, blocker)) {
        deadlock = true;
        return true;
      }
      if (wait && !owner.ofd) graph.set_waiting(owner.id, blocker);
      return false;
    }
    apply_locked(owner, type, start, end);
    return true;
  };
  Result<void> r;
  if (!wait) {
    if (!try_take()) return Errno::AGAIN;
  } else {
    WaitOptions opt;
    opt.interruptible = true;
    r = m_wait.wait(self, try_take, opt);
    if (!owner.ofd) graph.clear_waiting(owner.id);
  }
  if (deadlock) return Errno::DEADLK;
  // A downgrade or a split may let others in.
  if (r.has_value()) m_wait.wake_all();
  return r;
}

std::optional<RecordLock> FileLocks::getlk(const LockOwner& owner, int type, int64_t start, int64_t end) {
  SpinGuard g(m_lock);
  if (const RecordLock* c = conflict_locked(owner, type, start, end)) return *c;
  return std::nullopt;
}

void FileLocks::release_posix(const void* owner) {
  bool any = false;
  {
    SpinGuard g(m_lock);
    const size_t before = m_posix.size();
    m_posix.erase(std::remove_if(m_posix.begin(), m_posix.end(), [&](const RecordLock& l) { return l.owner.id == owner; }),
                  m_posix.end());
    any = m_posix.size() != before;
  }
  if (any) m_wait.wake_all();
}

}  // namespace uml::kern
