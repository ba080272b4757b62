#pragma once
// Guest memory access. In-process guest tasks share the host address space, so a "user
// pointer" is a plain address; every byte the guest hands the kernel still goes through
// these helpers, so that the code says which bytes came from the guest and a later
// hardening (fault-safe copies, bounds, MPK) has one place to go.
//
// The null page and non-canonical addresses give EFAULT at once; any other unmapped address
// gives EFAULT through the host's guarded copies (a fault is caught, not fatal). Memory that
// is mapped but belongs to someone else is not detected: guest and host share one address
// space (docs/differences.md).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "core/abi/fs.h"
#include "core/base/result.h"
#include "host/fault.h"

namespace uml::kern {

inline constexpr uintptr_t kUserMin = 4096;
inline constexpr uintptr_t kUserMax = 0x0000800000000000ull;  // x86-64 TASK_SIZE_MAX bound

inline bool user_range_ok(uintptr_t addr, size_t len) {
  if (len == 0) return true;
  return addr >= kUserMin && addr < kUserMax && len <= kUserMax - addr;
}

template <typename T>
struct UserPtr {
  uintptr_t addr = 0;
  explicit UserPtr(long a) : addr(static_cast<uintptr_t>(a)) {}
  bool is_null() const { return addr == 0; }
};

inline Result<void> copy_to_user(uintptr_t dst, const void* src, size_t len) {
  if (len == 0) return {};
  if (!user_range_ok(dst, len)) return Errno::FAULT;
  if (!host::copy_guarded(reinterpret_cast<void*>(dst), src, len)) return Errno::FAULT;
  return {};
}

inline Result<void> copy_from_user(void* dst, uintptr_t src, size_t len) {
  if (len == 0) return {};
  if (!user_range_ok(src, len)) return Errno::FAULT;
  if (!host::copy_guarded(dst, reinterpret_cast<const void*>(src), len)) return Errno::FAULT;
  return {};
}

template <typename T>
Result<void> copy_to_user(UserPtr<T> dst, const T& v) {
  return copy_to_user(dst.addr, &v, sizeof(T));
}

template <typename T>
Result<T> copy_from_user(UserPtr<T> src) {
  T v;
  TRY(copy_from_user(&v, src.addr, sizeof(T)));
  return v;
}

// The length of a NUL-terminated guest string, looking at most max bytes: max when there is
// no NUL within them. Errors: FAULT.
inline Result<size_t> strnlen_user(uintptr_t src, size_t max) {
  if (!user_range_ok(src, 1)) return Errno::FAULT;
  size_t n = 0;
  if (!host::strnlen_guarded(reinterpret_cast<const char*>(src), max, &n)) return Errno::FAULT;
  return n;
}

// Copies a NUL-terminated string of at most max bytes (excluding the NUL). Errors: FAULT;
// NAMETOOLONG when no NUL comes within max bytes.
inline Result<std::string> copy_string_from_user(uintptr_t src, size_t max) {
  const size_t n = TRY(strnlen_user(src, max + 1));
  if (n > max) return Errno::NAMETOOLONG;
  std::string s(n, '\0');
  TRY(copy_from_user(s.data(), src, n));
  return s;
}

// A path argument, copied in: short paths (nearly all) live in the object itself, longer
// ones on the heap; either way one guarded pass over the guest's bytes.
class UserPath {
 public:
  UserPath() = default;
  UserPath(UserPath&& o) noexcept { *this = std::move(o); }
  UserPath& operator=(UserPath&& o) noexcept {
    m_len = o.m_len;
    m_heap = std::move(o.m_heap);
    if (!m_heap) memcpy(m_inline, o.m_inline, m_len);
    return *this;
  }
  std::string_view view() const { return {m_heap ? m_heap.get() : m_inline, m_len}; }
  operator std::string_view() const { return view(); }  // NOLINT: a path is read as a view
  const char* c_str() const { return m_heap ? m_heap.get() : m_inline; }
  bool empty() const { return m_len == 0; }

 private:
  friend Result<UserPath> path_from_user(long addr);
  static constexpr size_t kInline = 256;
  char m_inline[kInline];
  size_t m_len = 0;
  std::unique_ptr<char[]> m_heap;
};

// A path argument: at most PATH_MAX - 1 bytes (NAMETOOLONG past that), FAULT for a bad
// pointer. An empty path is returned as such (callers without AT_EMPTY_PATH get NOENT from
// the walk).
inline Result<UserPath> path_from_user(long addr) {
  const auto src = static_cast<uintptr_t>(addr);
  if (!user_range_ok(src, 1)) return Errno::FAULT;
  UserPath p;
  size_t n = 0;
  if (!host::strncpy_guarded(p.m_inline, reinterpret_cast<const char*>(src), UserPath::kInline, &n))
    return Errno::FAULT;
  if (n < UserPath::kInline) {
    p.m_len = n;
    return p;
  }
  // Longer than the inline room: the general copy (PATH_MAX bounded).
  const std::string s = TRY(copy_string_from_user(src, abi::PATH_MAX_ - 1));
  p.m_heap.reset(new char[s.size() + 1]);
  memcpy(p.m_heap.get(), s.c_str(), s.size() + 1);
  p.m_len = s.size();
  return p;
}

}  // namespace uml::kern
