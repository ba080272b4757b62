#include "core/poll/poll.h"

#include <cstddef>

#include "core/vfs/file.h"

namespace uml::kern {

PollWaiters::~PollWaiters() {
  for (auto& e : m_entries) e->wq->remove_callback(e->waiter);
}

void PollWaiters::wait(WaitQueue& wq) {
  auto e = std::make_unique<Entry>(this, &wq);
  wq.add_callback(e->waiter);
  m_entries.push_back(std::move(e));
}

// pollwake: note it, and wake the poller.
bool PollWaiters::woken(Waiter& w, uint32_t) {
  Entry* e = reinterpret_cast<Entry*>(reinterpret_cast<char*>(&w) - offsetof(Entry, waiter));
  PollWaiters* self = e->owner;
  self->m_triggered.store(true, std::memory_order_release);
  Scheduler::unpark(self->m_self);
  return false;
}

bool PollWaiters::sleep(int64_t deadline) {
  for (;;) {
    if (m_triggered.exchange(false, std::memory_order_acq_rel)) return true;
    if (m_self.m_interrupt.load(std::memory_order_acquire)) return true;
    if (!Scheduler::park(m_self, deadline)) return m_triggered.exchange(false, std::memory_order_acq_rel);
  }
}

Result<int> poll_files(SchedEntity& self, std::vector<PollRequest>& reqs, int64_t deadline) {
  PollWaiters table(self);
  PollTable* pt = &table;
  for (;;) {
    int count = 0;
    for (PollRequest& r : reqs) {
      if (!r.file) continue;
      r.mask = r.file->ops() ? r.file->ops()->poll(*r.file, pt) : kDefaultPollMask;
      if (r.mask & r.events) {
        ++count;
        pt = nullptr;  // one ready: the rest need not register
      }
    }
    pt = nullptr;
    if (count || deadline == 0) return count;
    if (self.m_interrupt.load(std::memory_order_acquire)) return Errno::INTR;
    if (!table.sleep(deadline)) deadline = 0;  // timed out: one last look
  }
}

}  // namespace uml::kern
