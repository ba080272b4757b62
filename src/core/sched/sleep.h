#pragma once
// Sleeping until a CLOCK_MONOTONIC deadline: never returns early (the scheduler may wake a
// sleeper spuriously; the loop re-checks the clock). Errors: RESTARTSYS when interrupted.

#include "core/base/result.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

inline Result<void> sleep_until(SchedEntity& self, int64_t deadline_ns) {
  for (;;) {
    if (self.monotonic_ns() >= deadline_ns) return {};
    if (self.m_interrupt.load(std::memory_order_acquire)) return Errno::RESTARTSYS;
    Scheduler::park(self, deadline_ns);
  }
}

}  // namespace uml::kern
