#include "host/sched_clock.h"

#include <cpuid.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace uml::host::sched_clock {

bool detail::g_tsc = false;

namespace {

// Calibration: the first reading of both clocks, and the ratio of their spans since.
uint64_t g_tsc0 = 0;
int64_t g_mono0 = 0;
std::atomic<double> g_ns_per_tick{0.0};
std::atomic<uint64_t> g_next_tsc{0};  // recalibrate once the TSC passes this
std::mutex g_cal_lock;

constexpr uint64_t kMinWindow = 1 << 17;  // cycles (about 40 µs) before a first ratio
constexpr uint64_t kMaxWindow = uint64_t{1} << 34;  // re-measured at least this often

bool invariant_tsc() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007) return false;
  __get_cpuid(0x80000007, &a, &b, &c, &d);
  return (d >> 8) & 1;
}

// The host kernel keeps time from the TSC: it checked the TSC is in step across CPUs.
bool host_clocksource_is_tsc() {
  FILE* f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
  if (!f) return false;
  char name[32] = {};
  const bool ok = fgets(name, sizeof name, f) != nullptr;
  fclose(f);
  return ok && strcmp(name, "tsc\n") == 0;
}

void calibrate(uint64_t now) {
  std::lock_guard<std::mutex> g(g_cal_lock);
  if (now < g_next_tsc.load(std::memory_order_relaxed)) return;  // someone just did
  uint64_t tsc = now;
  int64_t mono = monotonic_ns();
  while (tsc - g_tsc0 < kMinWindow) {  // only right after init: a few µs at most
    cpu_relax();
    tsc = __builtin_ia32_rdtsc();
    mono = monotonic_ns();
  }
  const uint64_t span = tsc - g_tsc0;
  g_ns_per_tick.store(static_cast<double>(mono - g_mono0) / static_cast<double>(span), std::memory_order_relaxed);
  g_next_tsc.store(tsc + (span < kMaxWindow ? span : kMaxWindow), std::memory_order_release);
}

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!invariant_tsc() || !host_clocksource_is_tsc()) return;
    g_tsc0 = __builtin_ia32_rdtsc();
    g_mono0 = monotonic_ns();
    detail::g_tsc = true;
  });
}

int64_t to_ns(uint64_t t) {
  if (!detail::g_tsc) return static_cast<int64_t>(t);
  const uint64_t now = __builtin_ia32_rdtsc();
  if (now >= g_next_tsc.load(std::memory_order_acquire)) calibrate(now);
  return static_cast<int64_t>(static_cast<double>(t) * g_ns_per_tick.load(std::memory_order_relaxed));
}

}  // namespace uml::host::sched_clock
