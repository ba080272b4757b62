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

// A descriptor's file for the length of one syscall (Linux's struct fd from fdget): borrowed
// without a reference when the calling process has a single thread, since nobody else can
// close it meanwhile; referenced otherwise.
class FileRef {
 public:
  FileRef() = default;
  FileRef(File* f, bool owned) : m_file(f), m_owned(owned) {}
  ~FileRef() {
    if (m_owned && m_file) m_file->unref();
  }
  FileRef(FileRef&& o) noexcept : m_file(o.m_file), m_owned(o.m_owned) { o.m_file = nullptr; }
  FileRef& operator=(FileRef&&) = delete;
  FileRef(const FileRef&) = delete;
  File* get() const { return m_file; }
  File* operator->() const { return m_file; }
  File& operator*() const { return *m_file; }
  explicit operator bool() const { return m_file != nullptr; }

 private:
  File* m_file = nullptr;
  bool m_owned = false;
};

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
  // fdget: single_thread says the only thread of the only process using this table asks,
  // so the slot cannot change under it: no lock, no reference.
  FileRef fdget(int fd, bool single_thread) const {
    if (!single_thread) return FileRef(get(fd).leak(), true);
    if (fd < 0 || static_cast<size_t>(fd) >= m_slots.size()) return {};
    return FileRef(m_slots[fd].file.get(), false);
  }
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
