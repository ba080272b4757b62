#pragma once
// timerfd (Linux's fs/timerfd.c): a timer whose expirations are read as a count.
//
// Reads return the number of expirations since the last read (blocking while 0); poll says
// readable while it is not 0. An absolute CLOCK_REALTIME timer follows the instance clock
// when it is set, and one armed with TFD_TIMER_CANCEL_ON_SET is cancelled instead: its
// reads fail with ECANCELED until it is armed again.

#include <cstdint>

#include "core/base/spinlock.h"
#include "core/sched/ktimer.h"
#include "core/sched/wait_queue.h"
#include "core/time/clock.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class Kernel;

class TimerFd final : public FileOps, private ClockListener {
 public:
  static constexpr int kAbsTime = 1, kCancelOnSet = 2;  // TFD_TIMER_*

  TimerFd(Kernel& k, int clock);
  ~TimerFd() override;

  // timerfd_settime: value/interval in ns of the timer's clock (value 0 disarms). Returns the
  // old setting (time left and interval).
  void set(int flags, int64_t value, int64_t interval, int64_t* old_left, int64_t* old_interval);
  void get(int64_t* left, int64_t* interval);

  Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<size_t> write(File&, Actor&, const IoBuffer&, uint64_t*) override { return Errno::INVAL; }
  bool positional() const override { return false; }
  uint32_t poll(File& f, PollTable* pt) override;
  bool pollable() const override { return true; }

 private:
  static void expire(KTimer* kt);
  void clock_was_set(int64_t delta) override;
  int64_t clock_now() const;
  void arm_locked(int64_t clock_deadline);

  Kernel& m_kernel;
  const int m_clock;
  SpinLock m_lock;
  int64_t m_deadline = 0;   // on the timer's own clock; 0: disarmed
  int64_t m_interval = 0;
  uint64_t m_ticks = 0;     // expirations not yet read
  bool m_abs_realtime = false;
  bool m_cancel_on_set = false;
  bool m_canceled = false;
  WaitQueue m_wq;
  KTimer m_timer;
};

}  // namespace uml::kern
