// host::sched_clock: ticks convert to the nanoseconds CLOCK_MONOTONIC counted over the same
// span, and the TSC is the source wherever the host kernel itself keeps time by it.

#include "host/sched_clock.h"

#include <cpuid.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

namespace sc = uml::host::sched_clock;

TEST_CASE("sched_clock spans agree with CLOCK_MONOTONIC's", "[host][sched_clock]") {
  sc::init();
  for (int64_t want : {int64_t{2'000'000}, int64_t{30'000'000}}) {
    const uint64_t t0 = sc::ticks();
    const int64_t m0 = uml::host::monotonic_ns();
    while (uml::host::monotonic_ns() - m0 < want) {
    }
    const uint64_t t1 = sc::ticks();
    const int64_t m1 = uml::host::monotonic_ns();
    const double ratio = static_cast<double>(sc::to_ns(t1 - t0)) / static_cast<double>(m1 - m0);
    INFO("span " << want << " ns, ratio " << ratio);
    // The reads are not atomic pairs: the host may preempt between them. Wide margins.
    CHECK(ratio > 0.9);
    CHECK(ratio < 1.1);
  }
  CHECK(sc::to_ns(0) == 0);
}

TEST_CASE("sched_clock counts the TSC where the host clocks by it", "[host][sched_clock]") {
  sc::init();
  std::ifstream f("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  f >> source;
  unsigned a = 0, b, c, d = 0;
  const bool invariant = __get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000007 &&
                         (__get_cpuid(0x80000007, &a, &b, &c, &d), (d >> 8) & 1);
  INFO("clocksource " << source << ", invariant TSC " << invariant);
  CHECK(sc::uses_tsc() == (source == "tsc" && invariant));
}
