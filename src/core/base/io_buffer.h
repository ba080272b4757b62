#pragma once
// IoBuffer: the memory a read fills or a write drains — guest memory (every copy guarded,
// so an unmapped page ends the transfer with EFAULT instead of crashing) or kernel memory.
// Filesystems copy straight between it and their storage: no bounce buffer.

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>

#include "host/fault.h"

namespace uml::kern {

class IoBuffer {
 public:
  static IoBuffer user(uintptr_t addr, size_t len) { return IoBuffer(reinterpret_cast<char*>(addr), len, true); }
  static IoBuffer kernel(void* p, size_t len) { return IoBuffer(static_cast<char*>(p), len, false); }

  static constexpr uintptr_t kNullPage = 4096;  // guest addresses below it always fault

  size_t size() const { return m_len; }
  // The memory itself, for a device that transfers into it directly (O_DIRECT): the host
  // reports EFAULT for an unmapped guest page.
  char* raw() const { return m_base; }
  IoBuffer sub(size_t off, size_t len) const { return IoBuffer(m_base + off, len, m_user); }
  // Copies n bytes at offset off of this buffer into dst. false on a guest fault.
  bool read_into(size_t off, void* dst, size_t n) const {
    if (!m_user) {
      memcpy(dst, m_base + off, n);
      return true;
    }
    if (reinterpret_cast<uintptr_t>(m_base) + off < kNullPage) return false;  // the null page
    return host::copy_guarded(dst, m_base + off, n);
  }
  // Copies n bytes from src into this buffer at offset off. false on a guest fault.
  bool write_from(size_t off, const void* src, size_t n) const {
    if (!m_user) {
      memcpy(m_base + off, src, n);
      return true;
    }
    if (reinterpret_cast<uintptr_t>(m_base) + off < kNullPage) return false;
    return host::copy_guarded(m_base + off, src, n);
  }
  // As read_into/write_from, but on a fault copies what it can, page by page of guest
  // memory (as Linux's copy_from_user does), and returns how many bytes that was.
  size_t read_some(size_t off, void* dst, size_t n) const {
    if (read_into(off, dst, n)) return n;
    return by_pages(off, n, [&](size_t o, size_t k) { return read_into(o, static_cast<char*>(dst) + (o - off), k); });
  }
  size_t write_some(size_t off, const void* src, size_t n) const {
    if (write_from(off, src, n)) return n;
    return by_pages(off, n, [&](size_t o, size_t k) {
      return write_from(o, static_cast<const char*>(src) + (o - off), k);
    });
  }

  // Zero-fills n bytes at off (a read of a hole). false on a guest fault.
  bool zero(size_t off, size_t n) const {
    static constexpr char kZeros[4096] = {};
    while (n > 0) {
      const size_t k = n < sizeof(kZeros) ? n : sizeof(kZeros);
      if (!write_from(off, kZeros, k)) return false;
      off += k;
      n -= k;
    }
    return true;
  }

 private:
  IoBuffer(char* base, size_t len, bool user) : m_base(base), m_len(len), m_user(user) {}
  template <typename Copy>
  size_t by_pages(size_t off, size_t n, Copy&& copy) const {
    size_t done = 0;
    while (done < n) {
      const uintptr_t at = reinterpret_cast<uintptr_t>(m_base + off + done);
      const size_t k = std::min(n - done, static_cast<size_t>(4096 - at % 4096));
      if (!copy(off + done, k)) break;
      done += k;
    }
    return done;
  }
  char* m_base;
  size_t m_len;
  bool m_user;
};

}  // namespace uml::kern
