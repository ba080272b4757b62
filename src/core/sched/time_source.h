#pragma once
// TimeSource: an instance's clocks, the one place its kernel reads the time. Every deadline
// in the instance (timers, sleeps, timeouts) is on its monotonic clock. It is the host's
// clocks, or a fake one (boot option clock=fake) whose time moves only when a test
// advances it: a ten-minute timeout then takes no time at all, and every run reads the
// same times. Fake time starts at 2000-01-01 00:00:00 UTC (realtime) and one second of
// uptime (monotonic and boottime), so an image written under it is the same every run.

#include <atomic>
#include <cstdint>
#include <functional>

#include "host/host.h"

namespace uml::kern {

class TimeSource {
 public:
  static constexpr int64_t kFakeMonotonicStart = 1'000'000'000;          // 1 s
  static constexpr int64_t kFakeRealtimeStart = 946'684'800'000'000'000;  // 2000-01-01

  explicit TimeSource(bool fake) : m_fake(fake) {}
  TimeSource(const TimeSource&) = delete;
  TimeSource& operator=(const TimeSource&) = delete;

  bool fake() const { return m_fake; }
  int64_t monotonic_ns() const { return m_fake ? m_now.load(std::memory_order_seq_cst) : host::monotonic_ns(); }
  // CLOCK_BOOTTIME: the monotonic clock here (an instance never suspends).
  int64_t boottime_ns() const { return m_fake ? m_now.load(std::memory_order_seq_cst) : host::boottime_ns(); }
  // CLOCK_REALTIME before the instance's own offset (RealtimeClock adds it).
  int64_t realtime_ns() const { return m_fake ? fake_realtime() : host::realtime_ns(); }
  int64_t realtime_coarse_ns() const { return m_fake ? fake_realtime() : host::realtime_coarse_ns(); }

  // The host CLOCK_MONOTONIC instant a host thread waits until for a deadline on this
  // clock (-1: none). Fake time does not pass while the host waits: a waiter polls every
  // millisecond and checks monotonic_ns() against its deadline itself.
  int64_t host_wait_deadline(int64_t deadline_ns) const {
    if (deadline_ns < 0 || !m_fake) return deadline_ns;
    return host::monotonic_ns() + 1'000'000;
  }

  // Fake time only: moves every clock forward by ns (>= 0) and tells the listener (the
  // scheduler, which runs the timers that are now due). Any thread.
  void advance(int64_t ns) {
    if (!m_fake || ns < 0) return;
    m_now.fetch_add(ns, std::memory_order_seq_cst);
    if (m_on_advance) m_on_advance();
  }
  // Called after each advance (the scheduler installs it).
  void on_advance(std::function<void()> f) { m_on_advance = std::move(f); }

 private:
  int64_t fake_realtime() const {
    return kFakeRealtimeStart + (m_now.load(std::memory_order_seq_cst) - kFakeMonotonicStart);
  }

  const bool m_fake;
  std::atomic<int64_t> m_now{kFakeMonotonicStart};
  std::function<void()> m_on_advance;
};

}  // namespace uml::kern
