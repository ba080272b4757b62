#pragma once
// Conversions from kernel values to the guest ABI's structures, shared by the handlers.

#include <cstdint>

#include "core/abi/process.h"
#include "core/abi/time.h"

namespace uml::kern {

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
