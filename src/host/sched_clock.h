#pragma once
// sched_clock: the scheduler's clock for CPU-time accounting (Linux's sched_clock). It is
// read at every park, so it must cost less than clock_gettime.
//
// Where the host kernel itself keeps time from the TSC (its clocksource is "tsc", so the
// TSC is invariant and in step across CPUs), the ticks are TSC cycles: an rdtsc. They become
// nanoseconds with a ratio measured against CLOCK_MONOTONIC over the whole run so far, re-
// measured each time the run doubles in length: the error of a ratio measured over a window
// W is about 50 ns / W, so one part in a million after the first minute. Elsewhere the
// ticks are CLOCK_MONOTONIC nanoseconds.
//
// Keep CPU time in ticks and convert when it is read: what was charged early in the run is
// then converted with the best ratio too.

#include <cstdint>

#include "host/host.h"

namespace uml::host::sched_clock {

namespace detail {
extern bool g_tsc;  // set once, by init(), before any tick is taken
}

// Picks the source (idempotent, thread-safe). Every user calls it before its first tick.
void init();
// Whether the ticks are TSC cycles.
inline bool uses_tsc() { return detail::g_tsc; }

inline uint64_t ticks() {
  if (__builtin_expect(detail::g_tsc, 1)) return __builtin_ia32_rdtsc();
  return static_cast<uint64_t>(monotonic_ns());
}

// A span of ticks in nanoseconds.
int64_t to_ns(uint64_t ticks);

}  // namespace uml::host::sched_clock
