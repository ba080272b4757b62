#pragma once
// Advisory file locks (Linux's fs/locks.c): flock(2) locks, owned by an open file
// description, and POSIX record locks (fcntl F_SETLK...), owned by a process (classic) or by
// an open file description (OFD). The two kinds never conflict with each other; classic and
// OFD record locks share one list and do.
//
// Each inode gets its lock state on first use. Waiters sleep on the inode's queue; every
// release wakes them to re-check. Classic locks go when their process closes any descriptor
// of the file; flock and OFD locks when the open file description goes.

#include <cstdint>
#include <optional>
#include <vector>

#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/wait_queue.h"

namespace uml::kern {

inline constexpr int64_t kOffsetMax = INT64_MAX;

struct LockOwner {
  const void* id = nullptr;  // a process (classic) or a File (flock, OFD)
  int32_t pid = 0;           // reported by F_GETLK: the process, or -1 for OFD locks
  bool ofd = false;
  bool operator==(const LockOwner& o) const { return id == o.id; }
};

struct RecordLock {
  LockOwner owner;
  int type;  // F_RDLCK or F_WRLCK
  int64_t start, end;  // inclusive; end kOffsetMax: to the end of the file and beyond
};

// Who waits for whom among classic lock owners, for EDEADLK (Linux's blocked_hash): one per
// instance.
class LockGraph {
 public:
  // Whether owner waiting for blocker would close a cycle.
  bool would_deadlock(const void* owner, const void* blocker);
  void set_waiting(const void* owner, const void* blocker);
  void clear_waiting(const void* owner);

 private:
  SpinLock m_lock;
  std::vector<std::pair<const void*, const void*>> m_waits;
};

class FileLocks {
 public:
  // flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. A conversion drops the old lock
  // first, as Linux's does. Errors: WOULDBLOCK (AGAIN), INTR.
  Result<void> flock(SchedEntity& self, const void* file, int op);
  void release_flock(const void* file);

  // F_SETLK/F_SETLKW (type F_UNLCK unlocks). Errors: AGAIN (held, no wait), DEADLK, INTR.
  Result<void> setlk(SchedEntity& self, LockGraph& graph, const LockOwner& owner, int type,
                     int64_t start, int64_t end, bool wait);
  // F_GETLK: the first lock that would block this one, if any.
  std::optional<RecordLock> getlk(const LockOwner& owner, int type, int64_t start, int64_t end);
  // Drops every record lock of owner (close, exit, last reference to an OFD's file).
  void release_posix(const void* owner);

 private:
  struct FlockEntry {
    const void* file;
    bool exclusive;
  };
  const RecordLock* conflict_locked(const LockOwner& owner, int type, int64_t start, int64_t end) const;
  void apply_locked(const LockOwner& owner, int type, int64_t start, int64_t end);

  SpinLock m_lock;  // a leaf: taken inside m_wait's lock by waiters' predicates
  std::vector<FlockEntry> m_flocks;
  std::vector<RecordLock> m_posix;
  WaitQueue m_wait;
};

}  // namespace uml::kern
