#pragma once
// Signals (Linux's kernel/signal.c): pending sets, masks, actions, generation and delivery.
//
// - A process (ThreadGroup) owns the actions and a shared pending set; each thread (Task)
//   owns its blocked mask and a private pending set. Standard signals (1-31) coalesce;
//   real-time ones (32-64) queue, each with its siginfo.
// - Generation picks a thread that does not block a process-directed signal and interrupts
//   it: its interruptible wait ends (RESTARTSYS and friends) and the signal is handled at its
//   syscall exit, the one point where a task leaves the kernel. A fatal default action kills
//   the whole process at once, as Linux's complete_signal does.
// - Delivery runs a handler (a host function pointer) as an ordinary call on the task's own
//   stack, with the action's mask applied; the mask is restored when it returns, so there
//   is no signal frame and no sigreturn. A handler may make syscalls (and so take nested
//   signals) and may end the task (exit).
// - Stop signals stop the whole process (group stop): each thread parks at its syscall exit
//   until SIGCONT or SIGKILL; the parent hears CLD_STOPPED when the last one has stopped.
//
// Lock order: ProcessTable::m_lock (tasklist) > SignalHand::lock (siglock) > WaitQueue locks.
// The tasklist lock is taken for anything that walks a process's threads or its parent.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/abi/signal.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/wait_queue.h"

namespace uml::kern {

class Task;
class ThreadGroup;

using SigSet = uint64_t;  // bit sig-1
constexpr SigSet sig_bit(int sig) { return SigSet{1} << (sig - 1); }
constexpr bool valid_signal(int sig) { return sig >= 1 && sig <= abi::NSIG_; }
inline constexpr SigSet kUnblockable = sig_bit(abi::SIGKILL_) | sig_bit(abi::SIGSTOP_);
inline constexpr SigSet kStopSignals = sig_bit(abi::SIGSTOP_) | sig_bit(abi::SIGTSTP_) |
                                       sig_bit(abi::SIGTTIN_) | sig_bit(abi::SIGTTOU_);

enum class SigDefault { Term, Core, Ignore, Stop, Cont };
SigDefault default_action(int sig);

// A pending set with the siginfo of each queued signal, oldest first.
struct SigPending {
  SigSet set = 0;
  std::vector<abi::siginfo> queue;  // short, and no memory while empty
  uint32_t rt_queued = 0;           // real-time entries in queue (RLIMIT_SIGPENDING)
  // Queues info (a standard signal already pending is not queued again).
  void add(const abi::siginfo& info);
  // Removes the oldest instance of sig into *out (kernel-made info when none is queued).
  void take(int sig, abi::siginfo* out);
  void flush(SigSet mask);
};

// A process's signal state (Linux's sighand_struct and the signal parts of signal_struct).
struct SignalHand {
  SpinLock lock;
  // The actions, made at the first one set (a process that never sets one, most idle
  // tasks, keeps none: all are SIG_DFL).
  const abi::kernel_sigaction& action(int sig) const {
    static const abi::kernel_sigaction dfl{};
    return actions ? (*actions)[static_cast<size_t>(sig - 1)] : dfl;
  }
  abi::kernel_sigaction& action_for_update(int sig) {
    if (!actions) actions = std::make_unique<std::array<abi::kernel_sigaction, abi::NSIG_>>();
    return (*actions)[static_cast<size_t>(sig - 1)];
  }
  std::unique_ptr<std::array<abi::kernel_sigaction, abi::NSIG_>> actions;
  SigPending shared;
  // Group stop: `stopping` from the stop signal's dequeue until SIGCONT; `stopped` once every
  // thread has stopped. report_stop/report_continued are what wait(WUNTRACED/WCONTINUED)
  // has yet to see.
  std::atomic<bool> stopping{false};
  std::atomic<uint32_t> stop_gen{0};  // a new one at each SIGCONT (or kill) that ends a stop
  bool stopped = false;
  int stop_sig = 0;
  uint32_t stop_remaining = 0;
  int report_stop = 0;
  bool report_continued = false;
  WaitQueue stop_wq;       // threads parked in a group stop
  WaitQueue signalfd_wq;   // signalfd readers and pollers: any signal for the process
  std::atomic<uint32_t> signal_gen{0};  // a new one at each signal queued (signalfd waits)
};

// A thread's signal state (guarded by its process's siglock; `blocked` is written only by
// the thread itself).
struct TaskSignals {
  SigSet blocked = 0;
  SigSet saved_mask = 0;     // sigsuspend/ppoll/pselect/epoll_pwait: restored at syscall exit
  bool restore_mask = false;
  SigSet waiting = 0;        // rt_sigtimedwait: these count as unblocked for wake-ups
  bool stop_pending = false; // has yet to take part in the group stop
  SigPending pending;
  // sigaltstack (the task's own: only it reads and writes these). ss_size 0: disabled.
  uint64_t ss_sp = 0, ss_size = 0;
  uint32_t ss_flags = abi::SS_DISABLE_;  // as set, SS_AUTODISARM included
  int on_altstack = 0;                   // handlers running on it now (nested ones stay there)
};

// What get_signal hands the syscall exit: a handler to run.
struct SigDelivery {
  int sig = 0;
  abi::siginfo info{};
  abi::kernel_sigaction action{};
};

// Restarting an interrupted syscall whose arguments changed meaning (a relative sleep):
// Linux's restart_block.
struct RestartBlock {
  using Fn = Result<long> (*)(Task& t, RestartBlock& rb);
  Fn fn = nullptr;
  int64_t deadline = 0;
  uintptr_t arg[4] = {};
};

class Signals {
 public:
  // siginfo of a signal sent by `sender` with kill(2)-like calls (SI_USER) or by the kernel.
  static abi::siginfo user_info(int sig, const Task& sender, int code = abi::SI_USER_);
  static abi::siginfo kernel_info(int sig, int code = abi::SI_KERNEL_);

  // kill(2): pid > 0 a process (or the process of a thread id), 0 the caller's process
  // group, -1 every process the caller may signal but init and itself, < -1 a process
  // group. sig 0 checks only. Errors: INVAL, SRCH, PERM, AGAIN (real-time queue full).
  static Result<void> kill(Task& self, int pid, int sig, const abi::siginfo* info = nullptr);
  // tgkill/tkill (tgid -1: any process). Errors as kill.
  static Result<void> tgkill(Task& self, int tgid, int tid, int sig, const abi::siginfo* info = nullptr);
  // A signal to a thread from the kernel (SIGPIPE, SIGXFSZ, timers to a thread).
  static void send_to_task(Task& t, const abi::siginfo& info);
  // A signal to a process from the kernel (SIGCHLD, SIGALRM, timers).
  static void send_to_group(ThreadGroup& g, const abi::siginfo& info);
  // A timer's signal: to the process, or to its thread tid (> 0). 1 when queued, 0 when
  // dropped (ignored, nobody there), -1 when the real-time queue is full.
  static int send(ThreadGroup& g, int tid, const abi::siginfo& info);

  // rt_sigprocmask's effect on the caller (KILL and STOP are never blocked).
  static void set_blocked(Task& t, SigSet mask);
  static SigSet blocked(Task& t);
  // Pending for the thread: its own and its process's.
  static SigSet pending(Task& t);
  // What /proc/[pid]/status shows (task_sig): the thread's own pending set, its process's,
  // its mask, and the signals its process ignores and catches.
  struct StatusSets {
    SigSet pending = 0, shared = 0, blocked = 0, ignored = 0, caught = 0;
  };
  static StatusSets status(Task& t);
  // rt_sigaction. Errors: INVAL (bad signal, KILL/STOP with a handler).
  static Result<void> action(Task& t, int sig, const abi::kernel_sigaction* act, abi::kernel_sigaction* old);

  // sigsuspend/ppoll/pselect6/epoll_pwait: the mask until the syscall exit.
  static void set_temporary_mask(Task& t, SigSet mask);
  // rt_sigtimedwait: dequeues a pending signal of `set` into *info and returns its number,
  // or 0 when none is pending.
  static int dequeue_from(Task& t, SigSet set, abi::siginfo* info);
  // Marks `set` as waited for (they interrupt waits though blocked) for rt_sigtimedwait.
  static void set_waiting(Task& t, SigSet set);

  // The syscall exit (the loop is in core/syscalls/dispatch.cc): one signal to act on, or
  // false when none is left (stops, ignored signals and fatal default actions are handled
  // here); restoring a temporary mask.
  static bool get_signal(Task& t, SigDelivery* d);
  static void restore_mask(Task& t);
  // A handler's "frame": setup_frame applies the handler's mask and returns the mask to
  // restore (Linux's signal_setup_done); run_frame calls the handler and restores it
  // (sigreturn). Frames set up together run last-first, as stacked frames do on Linux.
  static SigSet setup_frame(Task& t, const SigDelivery& d);
  // sigaltstack (do_sigaltstack): the old setting into *old (SS_ONSTACK while a handler
  // runs on it), then ss applied. Errors: PERM (on the alternate stack now), INVAL (bad
  // flags), NOMEM (smaller than MINSIGSTKSZ).
  static Result<void> sigaltstack(Task& t, const abi::stack_t_* ss, abi::stack_t_* old);
  static void run_frame(Task& t, const SigDelivery& d, SigSet old);

  // Recomputes the thread's interrupt flag from its pending sets (siglock held).
  static void recalc_locked(Task& t);

  // Exit of a thread: leave a group stop it had yet to join (tasklist held).
  static void thread_exit_locked(Task& t);
  // wait(WUNTRACED/WCONTINUED): takes the child's stop or continue report (tasklist held).
  // Returns the stop signal, or -1 for continued, or 0 for none.
  static int take_report_locked(ThreadGroup& child, bool stopped, bool continued, bool consume);

  // The SIGCHLD a parent gets about child (code CLD_*, status: exit code or signal).
  static abi::siginfo child_info(ThreadGroup& child, int code, int status);

  // Queues and directs one signal (tasklist held): 1 queued, 0 dropped, -1 real-time queue
  // full.
  static int deliver(ThreadGroup& g, Task* target, const abi::siginfo& info);

 private:
  // Takes sig's oldest instance from p (siglock held), with a timer's bookkeeping.
  static void take_locked(ThreadGroup& g, SigPending& p, int sig, abi::siginfo* info);
  static bool wants(const Task& t, int sig);
  static bool may_kill(const Task& self, ThreadGroup& g, int sig);
  static void begin_group_stop(Task& t, int sig);
  static void complete_stop_locked(ThreadGroup& g);
  static void participate_in_stop(Task& t);
};

}  // namespace uml::kern
