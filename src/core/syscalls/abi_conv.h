#pragma once
// Conversions from kernel values to the guest ABI's structures, shared by the handlers.

#include <cstdint>

#include "core/abi/process.h"
#include "core/abi/time.h"

namespace uml::kern {

// A guest timespec or timeval in range: no negative seconds, the sub-second part below one
// second (timespec64_valid).
inline bool timespec_valid(const abi::timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < abi::NSEC_PER_SEC;
}
inline bool timeval_valid(const abi::timeval& tv) {
  return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1'000'000;
}

// Their length in ns, capped at kForeverNs: far enough to mean "never", near enough that a
// clock reading plus it (or a deadline plus an interval) cannot overflow.
inline constexpr int64_t kForeverNs = INT64_MAX / 4;
inline int64_t to_ns_saturated(const abi::timespec& ts) {
  if (ts.tv_sec >= kForeverNs / abi::NSEC_PER_SEC) return kForeverNs;
  return ts.tv_sec * abi::NSEC_PER_SEC + ts.tv_nsec;
}
inline int64_t to_ns_saturated(const abi::timeval& tv) {
  if (tv.tv_sec >= kForeverNs / abi::NSEC_PER_SEC) return kForeverNs;
  return tv.tv_sec * abi::NSEC_PER_SEC + tv.tv_usec * 1000;
}

inline abi::timespec to_timespec(int64_t ns) {
  return {ns / abi::NSEC_PER_SEC, ns % abi::NSEC_PER_SEC};
}

// A rusage carrying CPU time only (all of it as user time): what libuml accounts today.
inline abi::rusage rusage_from_cpu(int64_t cpu_ns) {
  abi::rusage ru{};
  ru.ru_utime.tv_sec = cpu_ns / abi::NSEC_PER_SEC;
  ru.ru_utime.tv_usec = (cpu_ns % abi::NSEC_PER_SEC) / 1000;
  return ru;
}

}  // namespace uml::kern
