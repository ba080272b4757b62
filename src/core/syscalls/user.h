#pragma once
// Guest memory access. In-process guest tasks share the host address space, so a "user
// pointer" is a plain address; every byte the guest hands the kernel still goes through
// these helpers, so that the code says which bytes came from the guest and a later
// hardening (fault-safe copies, bounds, MPK) has one place to go.
//
// Today's check: the null page and non-canonical addresses give EFAULT, as Linux would.
// FIXME: any other unmapped address faults the host process (docs/differences.md).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/base/result.h"

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
  memcpy(reinterpret_cast<void*>(dst), src, len);
  return {};
}

inline Result<void> copy_from_user(void* dst, uintptr_t src, size_t len) {
  if (len == 0) return {};
  if (!user_range_ok(src, len)) return Errno::FAULT;
  memcpy(dst, reinterpret_cast<const void*>(src), len);
  return {};
}

template <typename T>
Result<void> copy_to_user(UserPtr<T> dst, const T& v) {
  return copy_to_user(dst.addr, &v, sizeof(T));
}

template <typename T>
Result<T> copy_from_user(UserPtr<T> src) {
  T v;
  if (!user_range_ok(src.addr, sizeof(T))) return Errno::FAULT;
  memcpy(&v, reinterpret_cast<const void*>(src.addr), sizeof(T));
  return v;
}

// Copies a NUL-terminated string of at most max bytes (excluding the NUL). Errors: FAULT;
// NAMETOOLONG when no NUL comes within max bytes.
inline Result<std::string> copy_string_from_user(uintptr_t src, size_t max) {
  if (!user_range_ok(src, 1)) return Errno::FAULT;
  const char* p = reinterpret_cast<const char*>(src);
  size_t n = strnlen(p, max + 1);
  if (n > max) return Errno::NAMETOOLONG;
  return std::string(p, n);
}

}  // namespace uml::kern
