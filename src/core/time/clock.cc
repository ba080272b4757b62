#include "core/time/clock.h"

#include "core/sched/scheduler.h"

namespace uml::kern {

void RealtimeClock::set(int64_t ns) {
  SpinGuard g(m_lock);
  const int64_t old = m_offset.load(std::memory_order_relaxed);
  const int64_t next = ns - host::realtime_ns();
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

namespace {
const RealtimeClock* current_clock() {
  const SchedEntity* e = Scheduler::current();
  return e ? e->realtime_clock() : nullptr;
}
}  // namespace

int64_t realtime_now() {
  const RealtimeClock* c = current_clock();
  return c ? c->now() : host::realtime_ns();
}

int64_t realtime_now_coarse() {
  const RealtimeClock* c = current_clock();
  return c ? c->now_coarse() : host::realtime_coarse_ns();
}

}  // namespace uml::kern
