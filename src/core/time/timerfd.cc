#include "core/time/timerfd.h"

#include <algorithm>

#include "core/abi/time.h"
#include "core/kernel/kernel.h"

namespace uml::kern {

using namespace abi;

TimerFd::TimerFd(Kernel& k, int clock)
    : m_kernel(k), m_clock(clock), m_timer(k.sched(), &TimerFd::expire, this) {}

TimerFd::~TimerFd() {
  m_kernel.realtime().unlisten(*this);
  m_timer.cancel();
}

// The base the deadline is kept on (m_lock): a relative realtime timer runs on the
// monotonic clock, unmoved by clock_settime, as hrtimer_init puts it there.
int64_t TimerFd::clock_now() const {
  if (m_abs_realtime) return m_kernel.realtime().now();
  switch (m_clock) {
    case CLOCK_BOOTTIME_: case CLOCK_BOOTTIME_ALARM_: return m_timer.time().boottime_ns();
    default: return m_timer.time().monotonic_ns();
  }
}

// The KTimer runs on CLOCK_MONOTONIC: a deadline on the timer's clock, moved over.
void TimerFd::arm_locked(int64_t clock_deadline) {
  const int64_t mono = m_timer.time().monotonic_ns() + (clock_deadline - clock_now());
  m_timer.arm(std::max<int64_t>(mono, 1));
}

void TimerFd::set(int flags, int64_t value, int64_t interval, int64_t* old_left, int64_t* old_interval) {
  const bool realtime = m_clock == CLOCK_REALTIME_ || m_clock == CLOCK_REALTIME_ALARM_;
  const bool abs_rt = realtime && (flags & kAbsTime);
  if (abs_rt) m_kernel.realtime().listen(*this);
  m_timer.reprogram(
      m_lock,
      [&] {  // an expiry running now sees no deadline and does not re-arm
        const int64_t left = m_deadline ? std::max<int64_t>(m_deadline - clock_now(), 1) : 0;
        if (old_left) *old_left = left;
        if (old_interval) *old_interval = m_interval;
        m_deadline = 0;
        return true;
      },
      [&] {
        m_ticks = 0;
        m_canceled = false;
        m_abs_realtime = abs_rt;  // before clock_now() below: the new base
        m_cancel_on_set = abs_rt && (flags & kCancelOnSet);
        m_interval = value ? interval : 0;
        m_deadline = value ? ((flags & kAbsTime) ? value : clock_now() + value) : 0;
        if (m_deadline) arm_locked(m_deadline);
      });
}

void TimerFd::get(int64_t* left, int64_t* interval) {
  SpinGuard g(m_lock);
  *left = m_deadline ? std::max<int64_t>(m_deadline - clock_now(), 1) : 0;
  *interval = m_interval;
}

// timerfd_tmrproc: one more expiration (and those a late callback missed).
void TimerFd::expire(KTimer* kt) {
  auto* self = static_cast<TimerFd*>(kt->ctx());
  {
    SpinGuard g(self->m_lock);
    if (!self->m_deadline) return;
    const int64_t now = self->clock_now();
    if (now < self->m_deadline) {  // the clock was set back: not yet
      self->arm_locked(self->m_deadline);
      return;
    }
    uint64_t n = 1;
    if (self->m_interval) {
      const int64_t skipped = (now - self->m_deadline) / self->m_interval;
      n += static_cast<uint64_t>(skipped);
      self->m_deadline += (skipped + 1) * self->m_interval;
      self->arm_locked(self->m_deadline);
    } else {
      self->m_deadline = 0;
    }
    self->m_ticks += n;
  }
  self->m_wq.wake_poll(kPollIn | kPollRdNorm);
}

// The instance's realtime clock was set: an absolute realtime timer follows the new time,
// or, with TFD_TIMER_CANCEL_ON_SET, is cancelled (timerfd_clock_was_set).
void TimerFd::clock_was_set(int64_t) {
  bool changed = false;
  int64_t deadline = 0;
  m_timer.reprogram(
      m_lock,
      [&] {
        if (!m_abs_realtime || !m_deadline) return false;
        changed = true;
        deadline = m_deadline;
        m_deadline = 0;
        if (m_cancel_on_set) {
          m_canceled = true;
          m_interval = 0;
          deadline = 0;
        }
        return true;
      },
      [&] {
        m_deadline = deadline;
        if (m_deadline) arm_locked(m_deadline);
      });
  if (changed) m_wq.wake_poll(kPollIn | kPollRdNorm);
}

Result<size_t> TimerFd::read(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  if (buf.size() < sizeof(uint64_t)) return Errno::INVAL;
  uint64_t ticks = 0;
  for (;;) {
    {
      SpinGuard g(m_lock);
      if (m_canceled) {
        m_canceled = false;  // reported once; the timer stays disarmed
        return Errno::CANCELED;
      }
      if (m_ticks) {
        ticks = m_ticks;
        m_ticks = 0;
        break;
      }
    }
    if (f.flags() & O_NONBLOCK_) return Errno::AGAIN;
    TRY(m_wq.wait(self, [&] {
      SpinGuard g(m_lock);
      return m_ticks != 0 || m_canceled;
    }, interruptible_wait()));
  }
  if (!buf.write_from(0, &ticks, sizeof ticks)) {
    SpinGuard g(m_lock);
    m_ticks += ticks;
    return Errno::FAULT;
  }
  return sizeof ticks;
}

uint32_t TimerFd::poll(File&, PollTable* pt) {
  if (pt) pt->wait(m_wq);
  SpinGuard g(m_lock);
  return (m_ticks || m_canceled) ? kPollIn | kPollRdNorm : 0;
}

}  // namespace uml::kern
