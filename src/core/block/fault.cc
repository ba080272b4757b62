#include "core/block/fault.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "core/block/block_device.h"
#include "core/sched/scheduler.h"
#include "core/sched/timer_heap.h"
#include "host/fault.h"
#include "host/host.h"

namespace uml::kern {

namespace {
int eio() { return -to_int(Errno::IO); }
}  // namespace

// A request the injector sends to the driver itself (a destaged write, the round's flush,
// a torn write's prefix, a delayed request's wake-up).
struct FaultInjector::Internal {
  BlockRequest rq;
  FaultInjector* fi = nullptr;
  Record* rec = nullptr;         // a destaged record
  BlockRequest* parent = nullptr;  // a torn write's request
  SchedEntity* waiter = nullptr;  // power cut's synchronous writes
  std::atomic<bool> done{false};
  int res = 0;
  Timer timer;                    // a delayed request
};

FaultInjector::~FaultInjector() = default;

void FaultInjector::update_active() {
  m_active.store(!m_rules.empty() || m_volatile.load() || m_dead.load(), std::memory_order_release);
}

void FaultInjector::add_rule(const FaultRule& r) {
  SpinGuard g(m_lock);
  m_rules.push_back(r);
  m_seen.push_back(0);
  m_fires.push_back(0);
  update_active();
}

void FaultInjector::clear_rules() {
  SpinGuard g(m_lock);
  m_rules.clear();
  m_seen.clear();
  m_fires.clear();
  update_active();
}

bool FaultInjector::set_volatile_cache(bool on) {
  SpinGuard g(m_lock);
  if (!m_records.empty() || m_round_running) return false;
  m_volatile.store(on, std::memory_order_release);
  update_active();
  return true;
}

const FaultRule* FaultInjector::match_locked(const BlockRequest& rq, size_t* index) {
  if (!rq.is_data()) return nullptr;
  const uint64_t first = rq.offset >> 9, last = (rq.offset + BlockDevice::chain_len(rq) - 1) >> 9;
  for (size_t i = 0; i < m_rules.size(); ++i) {
    const FaultRule& r = m_rules[i];
    const bool op_ok = r.op == FaultRule::Op::Any || (r.op == FaultRule::Op::Read) == (rq.op == BlockOp::Read);
    const uint64_t rlast = r.sectors == ~uint64_t{0} ? ~uint64_t{0} : r.first_sector + r.sectors - 1;
    if (!op_ok || last < r.first_sector || first > rlast) continue;
    if (++m_seen[i] < r.nth) continue;
    if (r.times && m_fires[i] >= r.times) continue;
    ++m_fires[i];
    *index = i;
    return &r;
  }
  return nullptr;
}

bool FaultInjector::intercept(BlockRequest& rq) {
  if (m_dead.load(std::memory_order_acquire)) {
    m_dev.complete(&rq, eio());
    return true;
  }
  FaultRule rule;
  bool fire = false;
  size_t index = 0;
  {
    SpinGuard g(m_lock);
    if (const FaultRule* r = match_locked(rq, &index)) {
      rule = *r;
      fire = true;
    }
  }
  if (fire) {
    m_fired.fetch_add(1, std::memory_order_relaxed);
    if (Klog* log = m_dev.log())
      log->log(KERN_WARNING, "%s: fault injected (rule %zu): %s of sector %llu+%llu %s", m_dev.name().c_str(),
               index + 1, block_op_name(rq.op), static_cast<unsigned long long>(rq.offset >> 9),
               static_cast<unsigned long long>(BlockDevice::chain_len(rq) >> 9),
               rule.action == FaultRule::Action::Error   ? "fails"
               : rule.action == FaultRule::Action::Torn  ? "torn"
               : rule.action == FaultRule::Action::Short ? "cut short"
                                                         : "delayed");
    switch (rule.action) {
      case FaultRule::Action::Error:
        m_dev.complete(&rq, eio());
        return true;
      case FaultRule::Action::Torn:
      case FaultRule::Action::Short:
        if (rq.op == BlockOp::Write) {
          torn(rq, rule.action == FaultRule::Action::Torn ? eio() : 0);
          return true;
        }
        m_dev.complete(&rq, eio());
        return true;
      case FaultRule::Action::Delay: {
        auto* in = new Internal;
        in->fi = this;
        in->parent = &rq;
        in->timer.arg = in;
        in->timer.fire = [](Timer* t) {
          auto* in = static_cast<Internal*>(t->arg);
          FaultInjector* fi = in->fi;
          BlockRequest* rq = in->parent;
          delete in;
          fi->proceed(*rq);
        };
        if (Scheduler::add_timer_here(&in->timer, rule.delay_ns)) return true;
        delete in;  // not on a vCPU: the caller waits here instead
        const int64_t until = host::monotonic_ns() + rule.delay_ns;
        std::atomic<uint32_t> never{0};
        while (host::monotonic_ns() < until) host::futex_wait(&never, 0, until);
        break;
      }
    }
  }
  proceed(rq);
  return true;
}

void FaultInjector::proceed(BlockRequest& rq) {
  if (!m_volatile.load(std::memory_order_acquire)) return m_dev.driver().start(m_dev, rq);
  switch (rq.op) {
    case BlockOp::Read: {
      {
        SpinGuard g(m_lock);
        rq.overlay_epoch = m_epoch;
        ++m_reads[m_epoch];
      }
      return m_dev.driver().start(m_dev, rq);
    }
    case BlockOp::Write: {
      // The cache takes a copy (the segments may be guest memory: guarded copies).
      std::vector<Record> recs;
      for (BlockRequest* r = &rq; r; r = r->merged_next) {
        Record rec;
        rec.off = r->offset;
        rec.data.resize(r->len);
        size_t at = 0;
        for (const auto& s : r->segs) {
          if (!host::copy_guarded(rec.data.data() + at, s.base, s.len)) return m_dev.complete(&rq, -to_int(Errno::FAULT));
          at += s.len;
        }
        recs.push_back(std::move(rec));
      }
      const bool barrier = rq.flags & (BlockRequest::kFua | BlockRequest::kPreflush);
      bool start = false;
      {
        SpinGuard g(m_lock);
        for (Record& r : recs) m_records.push_back(std::move(r));
        if (barrier) {  // durable when done: written through with everything before it
          m_flush_waiting.push_back(&rq);
          if (!m_round_running) start = start_round_locked();
        }
      }
      if (!barrier) return m_dev.complete(&rq, 0);
      if (start) pump();
      return;
    }
    default: {
      // Flush, and discard/zeroing (after the writes before them reach the disk).
      bool start = false;
      {
        SpinGuard g(m_lock);
        m_flush_waiting.push_back(&rq);
        if (!m_round_running) start = start_round_locked();
      }
      if (start) pump();
    }
  }
}

bool FaultInjector::start_round_locked() {
  m_round_running = true;
  m_flush_round = std::move(m_flush_waiting);
  m_flush_waiting.clear();
  m_round_left = 0;
  for (const Record& r : m_records)
    if (!r.destaged) ++m_round_left;
  m_round_flushing = false;
  return true;
}

// Issues the running round's next step: the oldest record not written yet, or (all written)
// the driver flush. One step at a time, in order, so overlapping writes land as they were
// made. A synchronous driver completes inside start: the loop, not recursion, goes on.
void FaultInjector::pump() {
  if (m_pumping.fetch_add(1, std::memory_order_acq_rel) != 0) return;
  for (;;) {
    Internal* in = nullptr;
    {
      SpinGuard g(m_lock);
      if (m_round_running && !m_step_in_flight && !m_dead.load(std::memory_order_acquire)) {
        in = new Internal;
        in->fi = this;
        in->rq.internal = true;
        in->rq.owner = in;
        if (m_round_left) {
          Record* rec = nullptr;
          for (Record& r : m_records)
            if (!r.destaged) {
              rec = &r;
              break;
            }
          in->rec = rec;
          in->rq.op = BlockOp::Write;
          in->rq.offset = rec->off;
          in->rq.add_seg(rec->data.data(), rec->data.size());
        } else {
          m_round_flushing = true;
          in->rq.op = BlockOp::Flush;
        }
        in->rq.done = [](BlockRequest* r, int res) {
          auto* in = static_cast<Internal*>(r->owner);
          in->fi->step_done(in, res);
        };
        m_step_in_flight = true;
        ++m_destaging;
      }
    }
    if (in) {
      m_dev.driver().start(m_dev, in->rq);
      continue;
    }
    if (m_pumping.exchange(0, std::memory_order_acq_rel) == 1) return;
    m_pumping.store(1, std::memory_order_release);
  }
}

void FaultInjector::step_done(Internal* in, int res) {
  std::vector<BlockRequest*> finished;
  int err = 0;
  bool again = false;
  {
    SpinGuard g(m_lock);
    m_step_in_flight = false;
    --m_destaging;
    if (res < 0 && !m_round_err) m_round_err = res;
    if (in->rec) {
      in->rec->destaged = true;
      in->rec->retired_epoch = m_epoch++;
      --m_round_left;
      free_retired_locked();
    } else {
      // The round's flush: everything it covered is durable (or failed).
      err = m_round_err;
      m_round_err = 0;
      finished = std::move(m_flush_round);
      m_flush_round.clear();
      m_round_running = false;
      if (!m_flush_waiting.empty()) start_round_locked();
    }
    again = m_round_running;
  }
  delete in;
  for (BlockRequest* rq : finished) {
    const bool forward = rq->op == BlockOp::Discard || rq->op == BlockOp::WriteZeroes;
    if (forward && !err) m_dev.driver().start(m_dev, *rq);
    else m_dev.complete(rq, err);
  }
  if (again) pump();
}

void FaultInjector::free_retired_locked() {
  while (!m_records.empty() && m_records.front().destaged &&
         (m_reads.empty() || m_reads.begin()->first > m_records.front().retired_epoch))
    m_records.pop_front();
}

void FaultInjector::on_read_done(BlockRequest& rq, int res) {
  SpinGuard g(m_lock);
  if (res == 0) {
    for (BlockRequest* r = &rq; r; r = r->merged_next) {
      for (const Record& rec : m_records) {
        const uint64_t a = std::max(rec.off, r->offset);
        const uint64_t b = std::min(rec.off + rec.data.size(), r->offset + r->len);
        if (a >= b) continue;
        // Copy rec's bytes [a, b) into r's segments.
        uint64_t seg_start = r->offset;
        for (const auto& s : r->segs) {
          const uint64_t sa = std::max(a, seg_start), sb = std::min(b, seg_start + s.len);
          if (sa < sb)
            (void)host::copy_guarded(static_cast<char*>(s.base) + (sa - seg_start), rec.data.data() + (sa - rec.off),
                                     sb - sa);
          seg_start += s.len;
        }
      }
    }
  }
  auto it = m_reads.find(rq.overlay_epoch);
  if (it != m_reads.end() && --it->second == 0) m_reads.erase(it);
  rq.overlay_epoch = 0;
  free_retired_locked();
}

void FaultInjector::torn(BlockRequest& rq, int result) {
  // A prefix of the sectors (half, rounded down) reaches the disk; the request ends with
  // result (EIO: torn; 0: cut short, the rest silently lost).
  const uint64_t len = BlockDevice::chain_len(rq);
  const uint64_t keep = (len / 512 / 2) * 512;
  if (keep == 0) return m_dev.complete(&rq, result);
  auto* in = new Internal;
  in->fi = this;
  in->parent = &rq;
  in->rq.internal = true;
  in->rq.owner = in;
  in->rq.op = BlockOp::Write;
  in->rq.offset = rq.offset;
  std::vector<host::IoVec> all;
  BlockDevice::gather(rq, all);
  uint64_t left = keep;
  for (const auto& s : all) {
    if (!left) break;
    const uint64_t n = std::min<uint64_t>(left, s.len);
    in->rq.add_seg(s.base, n);
    left -= n;
  }
  in->res = result;
  in->rq.done = [](BlockRequest* r, int res) {
    auto* in = static_cast<Internal*>(r->owner);
    FaultInjector* fi = in->fi;
    BlockRequest* parent = in->parent;
    const int result = res < 0 ? res : in->res;
    delete in;
    fi->m_dev.complete(parent, result);
  };
  m_dev.driver().start(m_dev, in->rq);
}

PowerCutResult FaultInjector::power_cut(SchedEntity& self, double keep, uint64_t seed) {
  m_dead.store(true, std::memory_order_release);
  {
    SpinGuard g(m_lock);
    update_active();
  }
  // The cache's own step in flight finishes (no new one starts), then the flushes and
  // barrier writes waiting on it fail, then the driver's other requests finish (the queued
  // ones now fail with EIO).
  std::atomic<uint32_t> never{0};
  auto wait_for = [&](auto&& pred) {
    for (;;) {
      {
        SpinGuard g(m_lock);
        if (pred()) return;
      }
      host::futex_wait(&never, 0, host::monotonic_ns() + 200'000);
    }
  };
  wait_for([&] { return m_destaging == 0; });
  std::vector<Record> unflushed;
  std::vector<BlockRequest*> waiting;
  {
    SpinGuard g(m_lock);
    for (Record& r : m_records)
      if (!r.destaged) unflushed.push_back(std::move(r));
    m_records.clear();
    waiting = std::move(m_flush_waiting);
    waiting.insert(waiting.end(), m_flush_round.begin(), m_flush_round.end());
    m_flush_waiting.clear();
    m_flush_round.clear();
    m_round_running = false;
  }
  for (BlockRequest* rq : waiting) m_dev.complete(rq, eio());
  wait_for([&] { return m_dev.busy() == 0; });
  PowerCutResult res;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (Record& r : unflushed) {
    if (!(keep > 0 && coin(rng) < keep)) {
      ++res.dropped;
      continue;
    }
    Internal in;
    in.fi = this;
    in.waiter = &self;
    in.rq.internal = true;
    in.rq.owner = &in;
    in.rq.op = BlockOp::Write;
    in.rq.offset = r.off;
    in.rq.add_seg(r.data.data(), r.data.size());
    in.rq.done = [](BlockRequest* q, int res) {
      auto* in = static_cast<Internal*>(q->owner);
      in->res = res;
      SchedEntity* w = in->waiter;
      in->done.store(true, std::memory_order_release);
      Scheduler::unpark(*w);
    };
    m_dev.driver().start(m_dev, in.rq);
    while (!in.done.load(std::memory_order_acquire)) Scheduler::park(self);
    ++res.kept;
  }
  if (Klog* log = m_dev.log())
    log->log(KERN_WARNING, "%s: power cut: %llu unflushed write(s) lost, %llu kept; the disk is gone",
             m_dev.name().c_str(), static_cast<unsigned long long>(res.dropped),
             static_cast<unsigned long long>(res.kept));
  return res;
}

}  // namespace uml::kern
