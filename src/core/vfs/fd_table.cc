#include "core/vfs/fd_table.h"

#include "core/vfs/file_lock.h"

namespace uml::kern {

Result<int> FdTable::install(RefPtr<File> f, bool cloexec, int min_fd) {
  SpinGuard g(m_lock);
  for (int fd = min_fd; fd < m_limit; ++fd) {
    if (static_cast<size_t>(fd) >= m_slots.size()) m_slots.resize(fd + 1);
    if (!m_slots[fd].file) {
      m_slots[fd] = {std::move(f), cloexec};
      return fd;
    }
  }
  return Errno::MFILE;
}

RefPtr<File> FdTable::get(int fd) const {
  SpinGuard g(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_slots.size()) return nullptr;
  return m_slots[fd].file;
}

FdTable::~FdTable() {
  for (auto& s : m_slots)
    if (s.file) closed(*s.file);
}

// A descriptor of f went: the owning process's record locks on the file go with it
// (POSIX's rule: any close, not the last).
void FdTable::closed(File& f) const {
  if (!m_lock_owner) return;
  if (FileLocks* l = f.inode().locks_if_any()) l->release_posix(m_lock_owner);
}

Result<void> FdTable::close(int fd) {
  RefPtr<File> dropped;  // released after the lock
  {
    SpinGuard g(m_lock);
    if (fd < 0 || static_cast<size_t>(fd) >= m_slots.size() || !m_slots[fd].file) return Errno::BADF;
    dropped = std::move(m_slots[fd].file);
    m_slots[fd].cloexec = false;
  }
  closed(*dropped);
  return {};
}

Result<int> FdTable::dup_to(int oldfd, int newfd, bool cloexec) {
  RefPtr<File> dropped;
  {
    SpinGuard g(m_lock);
    if (oldfd < 0 || static_cast<size_t>(oldfd) >= m_slots.size() || !m_slots[oldfd].file)
      return Errno::BADF;
    if (newfd < 0 || newfd >= m_limit) return Errno::BADF;
    if (static_cast<size_t>(newfd) >= m_slots.size()) m_slots.resize(newfd + 1);
    dropped = std::move(m_slots[newfd].file);
    m_slots[newfd] = {m_slots[oldfd].file, cloexec};
  }
  if (dropped) closed(*dropped);
  return newfd;
}

Result<bool> FdTable::cloexec(int fd) const {
  SpinGuard g(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_slots.size() || !m_slots[fd].file) return Errno::BADF;
  return m_slots[fd].cloexec;
}

Result<void> FdTable::set_cloexec(int fd, bool on) {
  SpinGuard g(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_slots.size() || !m_slots[fd].file) return Errno::BADF;
  m_slots[fd].cloexec = on;
  return {};
}

void FdTable::close_range(unsigned first, unsigned last, bool cloexec_only) {
  std::vector<RefPtr<File>> dropped;  // released after the lock
  {
    SpinGuard g(m_lock);
    for (size_t fd = first; fd < m_slots.size() && fd <= last; ++fd) {
      if (!m_slots[fd].file) continue;
      if (cloexec_only) {
        m_slots[fd].cloexec = true;
      } else {
        dropped.push_back(std::move(m_slots[fd].file));
        m_slots[fd].cloexec = false;
      }
    }
  }
  for (auto& f : dropped) closed(*f);
}

RefPtr<FdTable> FdTable::clone() const {
  auto t = make_ref<FdTable>();
  SpinGuard g(m_lock);
  t->m_slots = m_slots;
  t->m_limit = m_limit;
  return t;
}

std::vector<std::pair<int, RefPtr<File>>> FdTable::open_files() const {
  std::vector<std::pair<int, RefPtr<File>>> out;
  SpinGuard g(m_lock);
  for (size_t i = 0; i < m_slots.size(); ++i)
    if (m_slots[i].file) out.emplace_back(static_cast<int>(i), m_slots[i].file);
  return out;
}

}  // namespace uml::kern
