#pragma once
// Waiting for host I/O from a fiber: submit an operation on the fiber's own vCPU ring, park,
// and be woken by the completion (which the vCPU reaps in its scheduler loop). The ring has
// a single issuer, so only fibers use this; attached threads do their I/O in a later layer.

#include <atomic>

#include "core/base/result.h"
#include "core/sched/scheduler.h"
#include "host/reactor.h"

namespace uml::kern {

class IoWait final : public host::Completion {
 public:
  explicit IoWait(SchedEntity& self) : m_self(self) {}
  void complete(int32_t res) override {
    m_res = res;
    m_done.store(true, std::memory_order_release);
    Scheduler::unpark(m_self);
  }
  // Parks until the completion has run; returns the host's result (>= 0 or -errno).
  int32_t wait() {
    while (!m_done.load(std::memory_order_acquire)) Scheduler::park(m_self);
    return m_res;
  }

 private:
  SchedEntity& m_self;
  int32_t m_res = 0;
  std::atomic<bool> m_done{false};
};

// Runs submit(reactor, completion) on the calling fiber's vCPU ring and waits for it.
// Errors: INVAL from an attached thread, AGAIN when the ring is full.
template <typename Submit>
Result<int32_t> submit_and_wait(SchedEntity& self, Submit&& submit) {
  if (!self.is_fiber()) return Errno::INVAL;
  IoWait w(self);
  if (!submit(self.vcpu()->reactor(), &w)) return Errno::AGAIN;
  self.vcpu()->reactor().submit();
  return w.wait();
}

}  // namespace uml::kern
