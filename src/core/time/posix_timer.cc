#include "core/time/posix_timer.h"

#include <climits>

#include "core/kernel/kernel.h"
#include "core/task/process_table.h"
#include "core/task/signal.h"
#include "core/task/task.h"

namespace uml::kern {

using namespace abi;

PosixTimer::PosixTimer(Kernel& k, ThreadGroup& g, int id, int clock, const sigevent& ev, int code)
    : m_group(g), m_id(id), m_clock(clock), m_ev(ev), m_code(code),
      m_timer(k.sched(), &PosixTimer::expire, this) {}

void PosixTimer::set(int64_t deadline, int64_t interval, int64_t* old_left, int64_t* old_interval) {
  m_timer.reprogram(
      m_lock,
      [&] {  // an expiry running now sees no deadline and does not re-arm
        const int64_t left = m_deadline ? std::max<int64_t>(m_deadline - m_timer.time().monotonic_ns(), 1) : 0;
        if (old_left) *old_left = left;
        if (old_interval) *old_interval = m_interval;
        m_deadline = 0;
        return true;
      },
      [&] {
        m_deadline = deadline;
        m_interval = deadline ? interval : 0;
        m_overrun = 0;
        if (deadline) m_timer.arm(deadline);
      });
}

void PosixTimer::get(int64_t* left, int64_t* interval) {
  SpinGuard g(m_lock);
  const int64_t now = m_timer.time().monotonic_ns();
  *left = m_deadline ? std::max<int64_t>(m_deadline - now, 1) : 0;
  *interval = m_interval;
}

void PosixTimer::taken(siginfo* info) {
  SpinGuard g(m_lock);
  info->timer.overrun = m_overrun;
  m_overrun_last.store(m_overrun, std::memory_order_relaxed);
  m_overrun = 0;
  m_queued = false;
}

// The expiry (posix_timer_fn): queue the signal, or count an overrun; re-arm a periodic
// timer past now.
void PosixTimer::expire(KTimer* kt) {
  auto* self = static_cast<PosixTimer*>(kt->ctx());
  const int64_t now = kt->time().monotonic_ns();
  bool send = false;
  {
    SpinGuard g(self->m_lock);
    if (!self->m_deadline) return;
    if (self->m_interval) {
      int64_t next = self->m_deadline + self->m_interval;
      if (next <= now) {
        const int64_t skipped = (now - self->m_deadline) / self->m_interval;
        self->m_overrun = static_cast<int>(std::min<int64_t>(self->m_overrun + skipped, INT_MAX));
        next = self->m_deadline + (skipped + 1) * self->m_interval;
      }
      self->m_deadline = next;
      kt->arm(next);
    } else {
      self->m_deadline = 0;
    }
    if (self->m_ev.notify == SIGEV_NONE_) return;
    if (self->m_code == SI_TIMER_ && self->m_queued) {
      if (self->m_overrun < INT_MAX) ++self->m_overrun;
    } else {
      self->m_queued = true;
      send = true;
    }
  }
  if (!send) return;
  siginfo info = Signals::kernel_info(self->m_ev.signo, self->m_code);
  if (self->m_code == SI_TIMER_) {
    info.timer.tid = self->m_id;
    info.timer.value = self->m_ev.value;
  }
  const int tid = (self->m_ev.notify & SIGEV_THREAD_ID_) ? self->m_ev.tid : 0;
  if (Signals::send(self->m_group, tid, info) <= 0) {
    SpinGuard g(self->m_lock);
    self->m_queued = false;  // ignored or nobody there: the next expiry tries again
  }
}

ProcessTimers::ProcessTimers(Kernel& k, ThreadGroup& g) : m_kernel(k), m_group(g) {
  sigevent ev{};
  ev.signo = SIGALRM_;
  ev.notify = SIGEV_SIGNAL_;
  m_real = std::make_unique<PosixTimer>(k, g, -1, CLOCK_MONOTONIC_, ev, SI_KERNEL_);
}

ProcessTimers::~ProcessTimers() { clear(); }

// kernel/time/posix-timers.c: good_sigevent's rules.
Result<int> ProcessTimers::create(int clock, const sigevent* given, int self_tid) {
  sigevent ev{};
  if (given) {
    ev = *given;
    switch (ev.notify) {
      case SIGEV_SIGNAL_ | SIGEV_THREAD_ID_: {
        if (ev.tid != self_tid && !m_group.table().is_thread_of(m_group, ev.tid)) return Errno::INVAL;
        [[fallthrough]];
      }
      case SIGEV_SIGNAL_:
      case SIGEV_THREAD_:
        if (ev.signo <= 0 || ev.signo > NSIG_) return Errno::INVAL;
        break;
      case SIGEV_NONE_:
        break;
      default:
        return Errno::INVAL;
    }
    if (ev.notify == SIGEV_THREAD_) ev.notify = SIGEV_SIGNAL_;
  } else {
    ev.signo = SIGALRM_;
    ev.notify = SIGEV_SIGNAL_;
  }
  SpinGuard g(m_lock);
  if (m_timers.size() >= 1u << 20) return Errno::AGAIN;
  int id = m_next_id;
  while (m_timers.count(id)) id = id == INT_MAX ? 0 : id + 1;
  m_next_id = id == INT_MAX ? 0 : id + 1;
  if (!given) ev.value = static_cast<uint64_t>(id);  // sigev_value = the timer id
  m_timers[id] = std::make_shared<PosixTimer>(m_kernel, m_group, id, clock, ev, SI_TIMER_);
  return id;
}

Result<void> ProcessTimers::remove(int id) {
  std::shared_ptr<PosixTimer> t;
  {
    SpinGuard g(m_lock);
    auto it = m_timers.find(id);
    if (it == m_timers.end()) return Errno::INVAL;
    t = std::move(it->second);
    m_timers.erase(it);
  }
  t->set(0, 0, nullptr, nullptr);
  return {};
}

std::shared_ptr<PosixTimer> ProcessTimers::find(int id) {
  SpinGuard g(m_lock);
  auto it = m_timers.find(id);
  return it == m_timers.end() ? nullptr : it->second;
}

void ProcessTimers::taken(siginfo* info) {
  SpinGuard g(m_lock);
  auto it = m_timers.find(info->timer.tid);
  if (it != m_timers.end()) it->second->taken(info);
}

void ProcessTimers::set_cpu(int which, int64_t now, int64_t value, int64_t interval, int64_t* old_left,
                            int64_t* old_interval) {
  // set_cpu_itimer adds a tick to a new value (TICK_NSEC: 4 ms at Debian's HZ=250), so at
  // least the time asked for passes; getitimer shows it.
  if (value) value += kTickNs;
  SpinGuard g(m_lock);
  CpuItimer& it = m_cpu[which - 1];
  if (old_left) *old_left = it.expires ? std::max<int64_t>(it.expires - now, 1) : 0;
  if (old_interval) *old_interval = it.incr;
  it.expires = value ? now + value : 0;
  it.incr = value ? interval : 0;
  m_cpu_armed.store(m_cpu[0].expires || m_cpu[1].expires, std::memory_order_relaxed);
}

void ProcessTimers::get_cpu(int which, int64_t now, int64_t* left, int64_t* interval) {
  SpinGuard g(m_lock);
  const CpuItimer& it = m_cpu[which - 1];
  // An expiry already passed but not yet noticed reads as one tick left (TICK_NSEC).
  *left = it.expires ? std::max<int64_t>(it.expires - now, kTickNs) : 0;
  *interval = it.incr;
}

void ProcessTimers::check_cpu(int64_t now) {
  bool fire[2] = {false, false};
  {
    SpinGuard g(m_lock);
    for (int i = 0; i < 2; ++i) {
      CpuItimer& it = m_cpu[i];
      if (!it.expires || now < it.expires) continue;
      fire[i] = true;
      if (it.incr) {
        it.expires += it.incr;
        if (it.expires <= now) it.expires = now + it.incr;  // far behind: one signal, on from now
      } else {
        it.expires = 0;
      }
    }
    m_cpu_armed.store(m_cpu[0].expires || m_cpu[1].expires, std::memory_order_relaxed);
  }
  for (int i = 0; i < 2; ++i)
    if (fire[i]) Signals::send(m_group, 0, Signals::kernel_info(i == 0 ? SIGVTALRM_ : SIGPROF_, SI_KERNEL_));
}

void ProcessTimers::clear() {
  std::map<int, std::shared_ptr<PosixTimer>> timers;
  {
    SpinGuard g(m_lock);
    timers.swap(m_timers);
  }
  for (auto& [id, t] : timers) t->set(0, 0, nullptr, nullptr);
  m_real->set(0, 0, nullptr, nullptr);
  set_cpu(1, 0, 0, 0, nullptr, nullptr);
  set_cpu(2, 0, 0, 0, nullptr, nullptr);
}

}  // namespace uml::kern
