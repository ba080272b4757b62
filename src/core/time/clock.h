#pragma once
// The instance's CLOCK_REALTIME: the host's, moved by what clock_settime and settimeofday
// set (an offset of this instance only; the host's clock is never touched). Whoever holds a
// realtime deadline (a timerfd, a POSIX timer) listens for the clock being set, as Linux's
// clock_was_set() reaches its hrtimer bases.

#include <atomic>
#include <cstdint>

#include "core/base/intrusive_list.h"
#include "core/base/spinlock.h"
#include "core/sched/time_source.h"

namespace uml::kern {

class ClockListener {
 public:
  // The realtime clock jumped (by delta ns). Runs with the clock's listener lock held: it
  // may cancel and re-arm timers, not set the clock.
  virtual void clock_was_set(int64_t delta) = 0;
  ListNode clock_node;

 protected:
  ~ClockListener() = default;
};

class RealtimeClock {
 public:
  // source: the instance's clocks (the host's, or fake ones).
  explicit RealtimeClock(const TimeSource& source) : m_source(source) {}
  int64_t now() const { return m_source.realtime_ns() + m_offset.load(std::memory_order_acquire); }
  int64_t now_coarse() const { return m_source.realtime_coarse_ns() + m_offset.load(std::memory_order_acquire); }
  int64_t offset() const { return m_offset.load(std::memory_order_acquire); }
  // clock_settime(CLOCK_REALTIME): tells every listener.
  void set(int64_t ns);

  void listen(ClockListener& l);
  void unlisten(ClockListener& l);

 private:
  const TimeSource& m_source;
  std::atomic<int64_t> m_offset{0};
  SpinLock m_lock;
  IntrusiveList<ClockListener, &ClockListener::clock_node> m_listeners;
};

}  // namespace uml::kern
