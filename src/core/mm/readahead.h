#pragma once
// Per open file: where sequential reading stands (Linux's file_ra_state). The page cache
// grows and moves the window; the file keeps it between reads.

#include <cstdint>

#include "core/base/spinlock.h"

namespace uml::kern {

struct Readahead {
  uint64_t start = 0, size = 0;  // the current window, in pages
  uint64_t prev = ~uint64_t{0};  // the last page read
};

// An open file's read-ahead state, shared by its concurrent readers: each read works on a
// copy and stores it back, so a racing reader sees a consistent window and the last one
// stays (Linux's f_ra is updated unlocked, with the same outcome).
class FileReadahead {
 public:
  Readahead load() const {
    SpinGuard g(m_lock);
    return m_ra;
  }
  void store(const Readahead& ra) {
    SpinGuard g(m_lock);
    m_ra = ra;
  }

 private:
  mutable SpinLock m_lock;
  Readahead m_ra;
};

}  // namespace uml::kern
