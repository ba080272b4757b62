#include "core/block/block_device.h"

#include <algorithm>

#include "core/base/errno.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

const char* block_op_name(BlockOp op) {
  switch (op) {
    case BlockOp::Read: return "read";
    case BlockOp::Write: return "write";
    case BlockOp::Flush: return "flush";
    case BlockOp::Discard: return "discard";
    case BlockOp::WriteZeroes: return "write-zeroes";
  }
  return "?";
}

BlockDevice::BlockDevice(Params p, std::unique_ptr<BlockDriver> driver)
    : m_p(std::move(p)), m_driver(std::move(driver)), m_read_only(m_p.read_only) {}

BlockDevice::~BlockDevice() {
  if (m_driver) m_driver->shutdown();
}

int BlockDevice::check(const BlockRequest& rq) const {
  if (rq.op == BlockOp::Flush) return rq.len == 0 ? 0 : -to_int(Errno::INVAL);
  if (rq.op != BlockOp::Read && read_only()) return -to_int(Errno::ROFS);
  const uint64_t mask = m_p.logical_block - 1;
  if ((rq.offset & mask) || (rq.len & mask) || rq.len == 0) return -to_int(Errno::INVAL);
  if (rq.offset > m_p.size || rq.len > m_p.size - rq.offset) return -to_int(Errno::IO);  // bio_check_eod
  if (rq.is_data()) {
    uint64_t sum = 0;
    for (const auto& s : rq.segs) sum += s.len;
    if (sum != rq.len) return -to_int(Errno::INVAL);
  }
  return 0;
}

bool BlockDevice::mergeable(const BlockRequest& a, const BlockRequest& b) const {
  // a then b, contiguous, same kind, neither ordered by flags.
  if (a.op != b.op || !a.is_data() || a.flags != b.flags || (a.flags & BlockRequest::kOrderFlags)) return false;
  if (a.offset + a.merged_len != b.offset) return false;
  if (a.merged_len + b.merged_len > m_p.max_bytes) return false;
  return a.merged_segs + b.merged_segs <= m_p.max_segs;
}

uint64_t BlockDevice::chain_len(const BlockRequest& rq) {
  uint64_t n = 0;
  for (const BlockRequest* r = &rq; r; r = r->merged_next) n += r->len;
  return n;
}

void BlockDevice::gather(const BlockRequest& rq, std::vector<host::IoVec>& out) {
  out.clear();
  for (const BlockRequest* r = &rq; r; r = r->merged_next)
    for (const auto& s : r->segs) {
      // Adjacent memory (pages of one buffer) joins one iovec.
      if (!out.empty() && static_cast<char*>(out.back().base) + out.back().len == s.base)
        out.back().len += s.len;
      else
        out.push_back(s);
    }
}

namespace {
// a's chain followed by b's.
void chain(BlockRequest* a, BlockRequest* b) {
  BlockRequest* tail = a->merged_tail ? a->merged_tail : a;
  tail->merged_next = b;
  a->merged_tail = b->merged_tail ? b->merged_tail : b;
  a->merged_segs += b->merged_segs;
  a->merged_len += b->merged_len;
  b->merged_tail = nullptr;
}
}  // namespace

// A back merge (rq after a pending request) or a front merge (rq before one): the newest
// pending request first (a writer going forward lands right after it, as the elevator's
// last-merge hint finds), then the oldest few.
bool BlockDevice::try_merge_locked(BlockRequest* rq) {
  if (m_tail && mergeable(*m_tail, *rq)) {
    chain(m_tail, rq);
    return true;
  }
  BlockRequest* prev = nullptr;
  int looked = 0;
  for (BlockRequest* p = m_head; p && looked < 16; prev = p, p = p->q_next, ++looked) {
    if (mergeable(*p, *rq)) {
      chain(p, rq);
      return true;
    }
    if (mergeable(*rq, *p)) {  // rq takes p's place in the queue
      chain(rq, p);
      rq->q_next = p->q_next;
      p->q_next = nullptr;
      if (prev) prev->q_next = rq;
      else m_head = rq;
      if (m_tail == p) m_tail = rq;
      return true;
    }
  }
  return false;
}

bool BlockDevice::prepare(BlockRequest* rq) {
  rq->q_next = rq->merged_next = rq->merged_tail = nullptr;
  rq->merged_segs = static_cast<uint32_t>(rq->segs.size());
  rq->merged_len = rq->len;
  if (int e = check(*rq); e != 0) {
    {
      SpinGuard g(m_lock);
      ++m_stats.errors;
    }
    rq->done(rq, e);
    return false;
  }
  return true;
}

void BlockDevice::submit(BlockRequest* rq) {
  if (prepare(rq)) enqueue(rq, 1);
}

// rq: a checked request, perhaps with a chain merged behind it (count requests in all).
void BlockDevice::enqueue(BlockRequest* rq, uint32_t count) {
  m_busy.fetch_add(count, std::memory_order_acq_rel);
  {
    SpinGuard g(m_lock);
    m_stats.submitted += count;
    m_stats.merged += count - 1;
    if (m_head && try_merge_locked(rq)) {  // the queue is backed up: join a waiting one
      m_stats.merged += 1;
      rq = nullptr;
    }
    if (rq) {
      if (m_tail) m_tail->q_next = rq;
      else m_head = rq;
      m_tail = rq;
    }
  }
  dispatch();
}

// Hands pending requests to the driver while there is depth. One caller at a time runs the
// loop (a synchronous driver completes inside start, which would otherwise recurse here);
// the others leave their work to it.
void BlockDevice::dispatch() {
  if (m_dispatching.fetch_add(1, std::memory_order_acq_rel) != 0) return;
  for (;;) {
    BlockRequest* rq = nullptr;
    {
      SpinGuard g(m_lock);
      if (m_head && m_in_flight < m_p.depth) {
        rq = m_head;
        m_head = rq->q_next;
        if (!m_head) m_tail = nullptr;
        rq->q_next = nullptr;
        ++m_in_flight;
        ++m_stats.dispatched;
        m_stats.max_in_flight = std::max(m_stats.max_in_flight, m_in_flight);
      }
    }
    if (rq) {
      if (!m_faults.active() || !m_faults.intercept(*rq)) m_driver->start(*this, *rq);
      continue;
    }
    // Nothing to start: leave, unless someone asked meanwhile.
    if (m_dispatching.exchange(0, std::memory_order_acq_rel) == 1) return;
    m_dispatching.store(1, std::memory_order_release);
  }
}

void BlockDevice::complete(BlockRequest* rq, int res) {
  if (rq->internal) {  // the injector's own request: it does the accounting
    rq->done(rq, res);
    return;
  }
  if (rq->overlay_epoch) m_faults.on_read_done(*rq, res);
  if (res < 0 && m_p.log && res != -to_int(Errno::OPNOTSUPP))  // blk_print_req_error
    m_p.log->log(KERN_ERR, "I/O error, dev %s, sector %llu op %s, %s", m_p.name.c_str(),
                 static_cast<unsigned long long>(rq->offset >> 9), block_op_name(rq->op),
                 errno_name(static_cast<Errno>(-res)));
  {
    SpinGuard g(m_lock);
    --m_in_flight;
    ++m_stats.completed;
    if (res < 0) ++m_stats.errors;
    const uint64_t n = chain_len(*rq);
    if (res >= 0 && rq->op == BlockOp::Read) m_stats.read_bytes += n;
    if (res >= 0 && rq->op == BlockOp::Write) m_stats.write_bytes += n;
    if (rq->op == BlockOp::Flush) ++m_stats.flushes;
  }
  for (BlockRequest* r = rq; r;) {
    BlockRequest* next = r->merged_next;  // done may free r
    r->merged_next = r->merged_tail = nullptr;
    m_busy.fetch_sub(1, std::memory_order_acq_rel);
    r->done(r, res < 0 ? res : 0);
    r = next;
  }
  dispatch();
}

BlockQueueStats BlockDevice::stats() const {
  SpinGuard g(m_lock);
  return m_stats;
}

void BlockPlug::flush() {
  if (m_list.empty()) return;
  std::vector<BlockRequest*> list;
  list.swap(m_list);
  std::stable_sort(list.begin(), list.end(),
                   [](const BlockRequest* a, const BlockRequest* b) { return a->offset < b->offset; });
  BlockRequest* head = nullptr;
  uint32_t count = 0;
  for (BlockRequest* rq : list) {
    if (!m_dev.prepare(rq)) continue;
    if (head && m_dev.mergeable(*head, *rq)) {
      chain(head, rq);
      ++count;
      continue;
    }
    if (head) m_dev.enqueue(head, count);
    head = rq;
    count = 1;
  }
  if (head) m_dev.enqueue(head, count);
}

namespace {
struct Waiter {
  SchedEntity* self;
  std::atomic<bool> done{false};
  int res = 0;
};
}  // namespace

int submit_and_wait(SchedEntity& self, BlockDevice& dev, BlockRequest& rq) {
  Waiter w{&self};
  rq.owner = &w;
  rq.done = [](BlockRequest* r, int res) {
    auto* w = static_cast<Waiter*>(r->owner);
    w->res = res;
    SchedEntity* s = w->self;
    w->done.store(true, std::memory_order_release);
    Scheduler::unpark(*s);
  };
  dev.submit(&rq);
  while (!w.done.load(std::memory_order_acquire)) Scheduler::park(self);
  return w.res;
}

}  // namespace uml::kern
