#include "core/time/clock.h"


namespace uml::kern {

void RealtimeClock::set(int64_t ns) {
  SpinGuard g(m_lock);
  const int64_t old = m_offset.load(std::memory_order_relaxed);
  const int64_t next = ns - m_source.realtime_ns();
  m_offset.store(next, std::memory_order_release);
  m_listeners.for_each([&](ClockListener& l) { l.clock_was_set(next - old); });
}

void RealtimeClock::listen(ClockListener& l) {
  SpinGuard g(m_lock);
  if (!l.clock_node.linked()) m_listeners.push_back(l);
}

void RealtimeClock::unlisten(ClockListener& l) {
  SpinGuard g(m_lock);
  if (l.clock_node.linked()) m_listeners.remove(l);
}

}  // namespace uml::kern
