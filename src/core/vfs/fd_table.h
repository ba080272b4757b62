#pragma once
// FdTable: a process's file descriptors (shared by its threads), with the close-on-exec bit
// per descriptor. Never parks: a spinlock guards the slots; closing drops the File after the
// lock is released.

#include <vector>

#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/vfs/file.h"

namespace uml::kern {

class FdTable final : public RefCounted<FdTable> {
 public:
  static constexpr int kDefaultLimit = 1024;  // RLIMIT_NOFILE's usual soft limit
  FdTable() = default;
  ~FdTable();
  // The process whose classic record locks a close drops (its ThreadGroup).
  void set_lock_owner(const void* owner) { m_lock_owner = owner; }

  // The lowest free descriptor >= min_fd. Errors: MFILE.
  Result<int> install(RefPtr<File> f, bool cloexec, int min_fd = 0);
  RefPtr<File> get(int fd) const;
  Result<void> close(int fd);
  // dup2/dup3's step: newfd becomes a copy of oldfd (closing what was there). INVAL/BADF.
  Result<int> dup_to(int oldfd, int newfd, bool cloexec);
  Result<bool> cloexec(int fd) const;
  Result<void> set_cloexec(int fd, bool on);
  // close_range: closes (or, with cloexec_only, marks close-on-exec) [first, last].
  void close_range(unsigned first, unsigned last, bool cloexec_only);
  // fork: a copy of every descriptor.
  RefPtr<FdTable> clone() const;
  int limit() const {
    SpinGuard g(m_lock);
    return m_limit;
  }
  // RLIMIT_NOFILE changed: descriptors from here on stay below it (open ones stay).
  void set_limit(int limit) {
    SpinGuard g(m_lock);
    m_limit = limit;
  }
  // The open descriptors, ascending (/proc/[pid]/fd), and how many slots exist (FDSize).
  std::vector<std::pair<int, RefPtr<File>>> open_files() const;
  size_t slot_count() const {
    SpinGuard g(m_lock);
    return m_slots.size();
  }

 private:
  void closed(File& f) const;
  struct Slot {
    RefPtr<File> file;
    bool cloexec = false;
  };
  mutable SpinLock m_lock;
  std::vector<Slot> m_slots;
  int m_limit = kDefaultLimit;
  const void* m_lock_owner = nullptr;
};

}  // namespace uml::kern
