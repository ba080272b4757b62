#include "core/task/signal.h"

#include <algorithm>
#include <climits>

#include "core/abi/process.h"
#include "core/kernel/kernel.h"
#include "core/sched/context.h"
#include "core/task/process_table.h"
#include "core/task/task.h"
#include "core/time/posix_timer.h"

namespace uml::kern {

using namespace abi;

SigDefault default_action(int sig) {
  switch (sig) {
    case SIGQUIT_: case SIGILL_: case SIGTRAP_: case SIGABRT_: case SIGBUS_: case SIGFPE_:
    case SIGSEGV_: case SIGXCPU_: case SIGXFSZ_: case SIGSYS_:
      return SigDefault::Core;
    case SIGCHLD_: case SIGURG_: case SIGWINCH_:
      return SigDefault::Ignore;
    case SIGCONT_:
      return SigDefault::Cont;
    case SIGSTOP_: case SIGTSTP_: case SIGTTIN_: case SIGTTOU_:
      return SigDefault::Stop;
    default:
      return SigDefault::Term;
  }
}

void SigPending::add(const siginfo& info) {
  const int sig = info.signo;
  if (sig < SIGRTMIN_ && (set & sig_bit(sig))) return;
  set |= sig_bit(sig);
  queue.push_back(info);
  if (sig >= SIGRTMIN_) ++rt_queued;
}

void SigPending::take(int sig, siginfo* out) {
  auto it = std::find_if(queue.begin(), queue.end(), [&](const siginfo& i) { return i.signo == sig; });
  if (it != queue.end()) {
    *out = *it;
    queue.erase(it);
    if (sig >= SIGRTMIN_) --rt_queued;
  } else {
    *out = Signals::kernel_info(sig);
  }
  if (std::none_of(queue.begin(), queue.end(), [&](const siginfo& i) { return i.signo == sig; }))
    set &= ~sig_bit(sig);
}

void SigPending::flush(SigSet mask) {
  if (!(set & mask)) return;
  set &= ~mask;
  queue.erase(std::remove_if(queue.begin(), queue.end(),
                             [&](const siginfo& i) { return (mask & sig_bit(i.signo)) != 0; }),
              queue.end());
  rt_queued = static_cast<uint32_t>(
      std::count_if(queue.begin(), queue.end(), [](const siginfo& i) { return i.signo >= SIGRTMIN_; }));
}

namespace {

bool handler_ignores(const kernel_sigaction& a, int sig) {
  if (a.handler == SIG_IGN_) return true;
  if (a.handler != SIG_DFL_) return false;
  const SigDefault d = default_action(sig);
  return d == SigDefault::Ignore || d == SigDefault::Cont;
}

void wake(Task& t) {
  t.m_interrupt.store(true, std::memory_order_release);
  Scheduler::unpark(t);
}

constexpr int64_t kNsPerTick = 10'000'000;  // USER_HZ 100

// The wait status's core flag: Linux sets it when a dump was written, which RLIMIT_CORE 0
// (the default) or a non-dumpable process prevents. No core file is written here; the flag says one would have been.
bool dumps_core(const ThreadGroup& g, SigDefault d) {
  return d == SigDefault::Core && g.dumpable() && g.rlimit(RLIMIT_CORE_).rlim_cur != 0;
}

}  // namespace

bool Signals::wants(const Task& t, int sig) {
  if (t.exited() || t.exit_pending()) return false;
  if (sig == SIGKILL_) return true;
  const TaskSignals& s = t.m_sig;
  return !((s.blocked & ~s.waiting) & sig_bit(sig));
}

siginfo Signals::user_info(int sig, const Task& sender, int code) {
  siginfo i{};
  i.signo = sig;
  i.code = code;
  i.kill.pid = sender.pid();
  i.kill.uid = sender.creds().uid;
  return i;
}

siginfo Signals::kernel_info(int sig, int code) {
  siginfo i{};
  i.signo = sig;
  i.code = code;
  return i;
}

void Signals::recalc_locked(Task& t) {
  const TaskSignals& s = t.m_sig;
  const SignalHand& sh = t.group().m_sig;
  const SigSet open = ~(s.blocked & ~s.waiting);
  const bool pending = ((s.pending.set | sh.shared.set) & open) != 0 ||
                       (s.stop_pending && sh.stopping.load(std::memory_order_relaxed));
  t.m_interrupt.store(pending || t.killed(), std::memory_order_release);
}

// kernel/signal.c: prepare_signal, __send_signal and complete_signal, with the tasklist lock
// held. target null: process-directed.
int Signals::deliver(ThreadGroup& g, Task* target, const siginfo& info) {
  const int sig = info.signo;
  if (g.m_state != ThreadGroup::State::Alive || g.m_group_exit || g.m_threads.empty()) return 0;
  SignalHand& sh = g.m_sig;
  bool continued = false;
  int result = 1;
  {
    SpinGuard l(sh.lock);
    const SigSet bit = sig_bit(sig);
    if (bit & kStopSignals) {
      sh.shared.flush(sig_bit(SIGCONT_));
      g.m_threads.for_each([](Task& t) { t.m_sig.pending.flush(sig_bit(SIGCONT_)); });
    } else if (sig == SIGCONT_) {
      sh.shared.flush(kStopSignals);
      g.m_threads.for_each([](Task& t) {
        t.m_sig.pending.flush(kStopSignals);
        t.m_sig.stop_pending = false;
      });
      if (sh.stopping.load(std::memory_order_relaxed)) {
        continued = sh.stopped;
        sh.stopping.store(false, std::memory_order_relaxed);
        sh.stopped = false;
        sh.stop_remaining = 0;
        sh.report_stop = 0;
        if (continued) sh.report_continued = true;
        sh.stop_gen.fetch_add(1, std::memory_order_release);
        sh.stop_wq.wake_all();
      }
    }
    // A signal nobody blocks whose action is to ignore it is dropped at once; a blocked one
    // stays, as the action may change before it is unblocked.
    bool blocked_somewhere = false;
    if (target) {
      blocked_somewhere = (target->m_sig.blocked & bit) != 0;
    } else {
      g.m_threads.for_each([&](Task& t) { blocked_somewhere |= (t.m_sig.blocked & bit) != 0; });
    }
    const kernel_sigaction& act = sh.action(sig);
    if (sig != SIGKILL_ && !blocked_somewhere && handler_ignores(act, sig)) {
      result = 0;  // nothing queued
    } else {
      SigPending& p = target ? target->m_sig.pending : sh.shared;
      if (sig >= SIGRTMIN_) {
        const uint64_t limit = g.rlimit(RLIMIT_SIGPENDING_).rlim_cur;
        uint64_t queued = sh.shared.rt_queued;
        g.m_threads.for_each([&](Task& t) { queued += t.m_sig.pending.rt_queued; });
        if (queued >= limit) {
          // Linux: a kill(2) still marks the signal pending without its info; the others fail.
          if (info.code != SI_USER_ && info.code != SI_KERNEL_) return -1;
          p.set |= bit;
        } else {
          p.add(info);
        }
      } else {
        p.add(info);
      }
      // complete_signal: who handles it.
      Task* chosen = nullptr;
      if (target) {
        if (wants(*target, sig)) chosen = target;
      } else {
        Task* leader = g.m_leader.get();
        if (leader && !leader->exited() && wants(*leader, sig)) {
          chosen = leader;
        } else {
          g.m_threads.for_each([&](Task& t) {
            if (!chosen && wants(t, sig)) chosen = &t;
          });
        }
      }
      if (chosen) {
        const SigDefault d = default_action(sig);
        const bool fatal = sig == SIGKILL_ ||
                           (act.handler == SIG_DFL_ && (d == SigDefault::Term || d == SigDefault::Core) &&
                            !(chosen->m_sig.blocked & bit) && !(chosen->m_sig.waiting & bit));
        if (fatal) {
          sh.shared.flush(~SigSet{0});
          g.m_threads.for_each([](Task& t) { t.m_sig.pending.flush(~SigSet{0}); });
          sh.stopping.store(false, std::memory_order_relaxed);
          sh.stop_gen.fetch_add(1, std::memory_order_release);
          sh.stop_wq.wake_all();
          g.m_table->kill_group_locked(g, wstatus_signaled(sig, dumps_core(g, d)));
        } else {
          wake(*chosen);
        }
      }
      sh.signal_gen.fetch_add(1, std::memory_order_release);
    }
  }
  if (result > 0) sh.signalfd_wq.wake_poll(kPollIn);
  if (continued) g.m_table->notify_parent_stop_locked(g, CLD_CONTINUED_, SIGCONT_);
  return result;
}

int Signals::send(ThreadGroup& g, int tid, const siginfo& info) {
  ProcessTable& pt = *g.m_table;
  SpinGuard tl(pt.m_lock);
  Task* t = nullptr;
  if (tid > 0) {
    t = pt.task_of_id_locked(tid);
    if (!t || &t->group() != &g || t->exited()) return 0;
  }
  return deliver(g, t, info);
}

void Signals::take_locked(ThreadGroup& g, SigPending& p, int sig, siginfo* info) {
  p.take(sig, info);
  if (info->code == SI_TIMER_)
    if (ProcessTimers* pt = g.timers_if_any()) pt->taken(info);
}

void Signals::send_to_task(Task& t, const siginfo& info) {
  ProcessTable& pt = t.kernel().procs();
  SpinGuard tl(pt.m_lock);
  if (t.exited()) return;
  deliver(t.group(), &t, info);
}

void Signals::send_to_group(ThreadGroup& g, const siginfo& info) {
  SpinGuard tl(g.m_table->m_lock);
  deliver(g, nullptr, info);
}

// kernel/signal.c: check_kill_permission and kill_ok_by_cred.
bool Signals::may_kill(const Task& self, ThreadGroup& g, int sig) {
  if (&self.group() == &g) return true;
  const Credentials& me = self.creds();
  const Task* leader = g.m_leader.get();
  const Credentials them = leader ? leader->creds_snapshot() : Credentials{};  // init: root
  if (me.euid == them.suid || me.euid == them.uid || me.uid == them.suid || me.uid == them.uid)
    return true;
  if (me.capable(CAP_KILL)) return true;
  return sig == SIGCONT_ && self.group().sid() == g.sid();
}

Result<void> Signals::kill(Task& self, int pid, int sig, const siginfo* given) {
  if (sig < 0 || sig > NSIG_) return Errno::INVAL;
  const siginfo info = given ? *given : user_info(sig, self);
  ProcessTable& pt = self.kernel().procs();
  SpinGuard tl(pt.m_lock);
  auto send = [&](ThreadGroup& g) -> Result<void> {
    if (!may_kill(self, g, sig)) return Errno::PERM;
    if (sig == 0 || g.pid() == 1) return {};  // init takes no signals it did not ask for
    if (deliver(g, nullptr, info) < 0) return Errno::AGAIN;
    return {};
  };
  if (pid > 0) {
    ThreadGroup* g = pt.group_of_id_locked(pid);
    if (!g) return Errno::SRCH;
    return send(*g);
  }
  // A process group, or every process (-1: but init and the caller). -INT_MIN names none.
  if (pid == INT_MIN) return Errno::SRCH;
  const int pgrp = pid == 0 ? self.group().pgid() : -pid;
  bool found = false, ok = false;
  Result<void> last = {};
  pt.for_each_group_locked([&](ThreadGroup& g) {
    if (g.m_state == ThreadGroup::State::Reaped) return;
    if (pid == -1) {
      if (g.pid() == 1 || &g == &self.group()) return;
    } else if (g.pgid() != pgrp) {
      return;
    }
    found = true;
    Result<void> r = send(g);
    if (r) ok = true; else last = r;
  });
  if (!found) return Errno::SRCH;
  if (pid == -1) return ok ? Result<void>{} : last;  // Linux: success if any was signalled
  return ok ? Result<void>{} : last;
}

Result<void> Signals::tgkill(Task& self, int tgid, int tid, int sig, const siginfo* given) {
  if (sig < 0 || sig > NSIG_) return Errno::INVAL;
  if (tid <= 0) return Errno::INVAL;
  siginfo info = given ? *given : user_info(sig, self, SI_TKILL_);
  ProcessTable& pt = self.kernel().procs();
  SpinGuard tl(pt.m_lock);
  Task* t = pt.task_of_id_locked(tid);
  if (!t || (tgid > 0 && t->pid() != tgid)) return Errno::SRCH;
  ThreadGroup& g = t->group();
  if (!may_kill(self, g, sig)) return Errno::PERM;
  if (sig == 0) return {};
  if (deliver(g, t, info) < 0) return Errno::AGAIN;
  return {};
}

void Signals::set_blocked(Task& t, SigSet mask) {
  mask &= ~kUnblockable;
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  bool retarget = false;
  {
    SpinGuard l(sh.lock);
    const SigSet newly = mask & ~t.m_sig.blocked;
    t.m_sig.blocked = mask;
    recalc_locked(t);
    retarget = (newly & sh.shared.set) != 0;
  }
  if (!retarget) return;
  // A process-directed signal this thread now blocks goes to a thread that takes it.
  SpinGuard tl(g.m_table->m_lock);
  SpinGuard l(sh.lock);
  g.m_threads.for_each([&](Task& o) {
    if (&o == &t) return;
    recalc_locked(o);
    if (o.m_interrupt.load(std::memory_order_relaxed)) Scheduler::unpark(o);
  });
}

SigSet Signals::blocked(Task& t) {
  SpinGuard l(t.group().m_sig.lock);
  return t.m_sig.blocked;
}

SigSet Signals::pending(Task& t) {
  SpinGuard l(t.group().m_sig.lock);
  return t.m_sig.pending.set | t.group().m_sig.shared.set;
}

Signals::StatusSets Signals::status(Task& t) {
  SpinGuard l(t.group().m_sig.lock);
  StatusSets s;
  s.pending = t.m_sig.pending.set;
  s.shared = t.group().m_sig.shared.set;
  s.blocked = t.m_sig.blocked;
  for (int sig = 1; sig <= abi::NSIG_; ++sig) {
    const uintptr_t h = t.group().m_sig.action(sig).handler;
    if (h == abi::SIG_IGN_) s.ignored |= sig_bit(sig);
    else if (h != abi::SIG_DFL_) s.caught |= sig_bit(sig);
  }
  return s;
}

Result<void> Signals::action(Task& t, int sig, const kernel_sigaction* act, kernel_sigaction* old) {
  if (!valid_signal(sig) || (act && (sig_bit(sig) & kUnblockable))) return Errno::INVAL;
  constexpr uint64_t kUapiFlags = SA_NOCLDSTOP_ | SA_NOCLDWAIT_ | SA_SIGINFO_ | SA_ONSTACK_ |
                                  SA_RESTART_ | SA_NODEFER_ | SA_RESETHAND_ | SA_EXPOSE_TAGBITS_ |
                                  SA_RESTORER_;
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  SpinGuard tl(g.m_table->m_lock);
  SpinGuard l(sh.lock);
  if (old) {
    *old = sh.action(sig);
    old->flags &= kUapiFlags;
  }
  if (act) {
    kernel_sigaction& cur = sh.action_for_update(sig);
    cur = *act;
    cur.flags &= kUapiFlags;
    cur.mask &= ~kUnblockable;
    // POSIX: setting an ignoring action discards what is pending, blocked or not.
    if (handler_ignores(cur, sig)) {
      sh.shared.flush(sig_bit(sig));
      g.m_threads.for_each([&](Task& o) {
        o.m_sig.pending.flush(sig_bit(sig));
        recalc_locked(o);
      });
    }
  }
  return {};
}

void Signals::set_temporary_mask(Task& t, SigSet mask) {
  {
    SpinGuard l(t.group().m_sig.lock);
    if (!t.m_sig.restore_mask) {
      t.m_sig.saved_mask = t.m_sig.blocked;
      t.m_sig.restore_mask = true;
    }
  }
  set_blocked(t, mask);
}

void Signals::restore_mask(Task& t) {
  SigSet mask;
  {
    SpinGuard l(t.group().m_sig.lock);
    if (!t.m_sig.restore_mask) return;
    t.m_sig.restore_mask = false;
    mask = t.m_sig.saved_mask;
  }
  set_blocked(t, mask);
}

void Signals::set_waiting(Task& t, SigSet set) {
  SpinGuard l(t.group().m_sig.lock);
  t.m_sig.waiting = set & ~kUnblockable;
  recalc_locked(t);
}

int Signals::dequeue_from(Task& t, SigSet set, siginfo* info) {
  SignalHand& sh = t.group().m_sig;
  SpinGuard l(sh.lock);
  int sig = 0;
  if (SigSet own = t.m_sig.pending.set & set) {
    sig = __builtin_ctzll(own) + 1;
    take_locked(t.group(), t.m_sig.pending, sig, info);
  } else if (SigSet shared = sh.shared.set & set) {
    sig = __builtin_ctzll(shared) + 1;
    take_locked(t.group(), sh.shared, sig, info);
  }
  recalc_locked(t);
  return sig;
}

// kernel/signal.c: get_signal, without ptrace.
bool Signals::get_signal(Task& t, SigDelivery* d) {
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  for (;;) {
    if (t.exit_pending()) return false;
    int sig = 0;
    siginfo info{};
    kernel_sigaction act{};
    {
      SpinGuard l(sh.lock);
      if (t.m_sig.stop_pending && sh.stopping.load(std::memory_order_relaxed)) {
        // fall through to the stop below, outside the lock
      } else {
        const SigSet open = ~t.m_sig.blocked;
        if (SigSet own = t.m_sig.pending.set & open) {
          sig = __builtin_ctzll(own) + 1;
          take_locked(g, t.m_sig.pending, sig, &info);
        } else if (SigSet shared = sh.shared.set & open) {
          sig = __builtin_ctzll(shared) + 1;
          take_locked(g, sh.shared, sig, &info);
        } else {
          recalc_locked(t);
          return false;
        }
        recalc_locked(t);
        act = sh.action(sig);
        if (act.handler != SIG_DFL_ && act.handler != SIG_IGN_) {
          if (act.flags & SA_RESETHAND_) sh.action_for_update(sig).handler = SIG_DFL_;
          d->sig = sig;
          d->info = info;
          d->action = act;
          return true;
        }
      }
    }
    if (sig == 0) {
      participate_in_stop(t);
      continue;
    }
    if (act.handler == SIG_IGN_) continue;
    switch (default_action(sig)) {
      case SigDefault::Ignore:
      case SigDefault::Cont:
        continue;
      case SigDefault::Stop:
        // The terminal stops do nothing to an orphaned process group (POSIX; Linux's
        // is_current_pgrp_orphaned): nobody would be there to continue it.
        if (sig != SIGSTOP_ && g.m_table->pgrp_orphaned(g.pgid())) continue;
        begin_group_stop(t, sig);
        continue;
      case SigDefault::Term:
      case SigDefault::Core:
        t.kernel().procs().exit_group(t, wstatus_signaled(sig, dumps_core(g, default_action(sig))));
        return false;
    }
  }
}

void Signals::begin_group_stop(Task& t, int sig) {
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  SpinGuard tl(g.m_table->m_lock);
  SpinGuard l(sh.lock);
  if (g.m_group_exit || sh.stopping.load(std::memory_order_relaxed)) return;
  sh.stopping.store(true, std::memory_order_relaxed);
  sh.stopped = false;
  sh.stop_sig = sig;
  sh.stop_remaining = 0;
  g.m_threads.for_each([&](Task& o) {
    o.m_sig.stop_pending = true;
    ++sh.stop_remaining;
    if (&o != &t) wake(o);
  });
}

void Signals::complete_stop_locked(ThreadGroup& g) {
  SignalHand& sh = g.m_sig;
  sh.stopped = true;
  sh.report_stop = sh.stop_sig;
}

void Signals::participate_in_stop(Task& t) {
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  uint32_t gen;
  {
    SpinGuard tl(g.m_table->m_lock);
    bool notify = false;
    int stop_sig = 0;
    {
      SpinGuard l(sh.lock);
      if (!t.m_sig.stop_pending || !sh.stopping.load(std::memory_order_relaxed)) {
        t.m_sig.stop_pending = false;
        recalc_locked(t);
        return;
      }
      t.m_sig.stop_pending = false;
      if (--sh.stop_remaining == 0) {
        complete_stop_locked(g);
        notify = true;
        stop_sig = sh.stop_sig;
      }
      recalc_locked(t);
      gen = sh.stop_gen.load(std::memory_order_relaxed);
    }
    if (notify) g.m_table->notify_parent_stop_locked(g, CLD_STOPPED_, stop_sig);
  }
  // Parked until SIGCONT (a new generation) or SIGKILL.
  (void)sh.stop_wq.wait(t, [&] {
    return sh.stop_gen.load(std::memory_order_acquire) != gen || t.killed();
  });
}

void Signals::thread_exit_locked(Task& t) {
  ThreadGroup& g = t.group();
  SignalHand& sh = g.m_sig;
  bool notify = false;
  int stop_sig = 0;
  {
    SpinGuard l(sh.lock);
    t.m_sig.pending.flush(~SigSet{0});
    if (t.m_sig.stop_pending && sh.stopping.load(std::memory_order_relaxed)) {
      t.m_sig.stop_pending = false;
      if (--sh.stop_remaining == 0 && g.m_live_threads > 1) {
        complete_stop_locked(g);
        notify = true;
        stop_sig = sh.stop_sig;
      }
    }
    // Process-directed signals this thread was woken for go to the others.
    if (sh.shared.set) {
      g.m_threads.for_each([&](Task& o) {
        if (&o == &t) return;
        recalc_locked(o);
        if (o.m_interrupt.load(std::memory_order_relaxed)) Scheduler::unpark(o);
      });
    }
  }
  if (notify) g.m_table->notify_parent_stop_locked(g, CLD_STOPPED_, stop_sig);
}

int Signals::take_report_locked(ThreadGroup& child, bool stopped, bool continued, bool consume) {
  SignalHand& sh = child.m_sig;
  SpinGuard l(sh.lock);
  if (stopped && sh.report_stop) {
    const int sig = sh.report_stop;
    if (consume) sh.report_stop = 0;
    return sig;
  }
  if (continued && sh.report_continued) {
    if (consume) sh.report_continued = false;
    return -1;
  }
  return 0;
}

SigSet Signals::setup_frame(Task& t, const SigDelivery& d) {
  SigSet old;
  SigSet during;
  {
    SpinGuard l(t.group().m_sig.lock);
    old = t.m_sig.restore_mask ? t.m_sig.saved_mask : t.m_sig.blocked;
    t.m_sig.restore_mask = false;
    during = t.m_sig.blocked | d.action.mask;
    if (!(d.action.flags & SA_NODEFER_)) during |= sig_bit(d.sig);
  }
  set_blocked(t, during);
  return old;
}

namespace {
// sas_ss_flags: disabled, on the alternate stack, or neither.
int altstack_mode(const TaskSignals& s) {
  if (!s.ss_size) return SS_DISABLE_;
  return s.on_altstack ? SS_ONSTACK_ : 0;
}
}  // namespace

Result<void> Signals::sigaltstack(Task& t, const stack_t_* ss, stack_t_* old) {
  TaskSignals& s = t.m_sig;
  if (old) {
    *old = stack_t_{};
    old->ss_sp = s.ss_sp;
    old->ss_size = s.ss_size;
    old->ss_flags = static_cast<int32_t>(static_cast<uint32_t>(altstack_mode(s)) | (s.ss_flags & SS_AUTODISARM_));
  }
  if (!ss) return {};
  if (s.on_altstack && s.ss_size) return Errno::PERM;  // on the registered stack (on_sig_stack)
  const uint32_t flags = static_cast<uint32_t>(ss->ss_flags);
  const uint32_t mode = flags & ~SS_AUTODISARM_;
  if (mode != SS_DISABLE_ && mode != SS_ONSTACK_ && mode != 0) return Errno::INVAL;
  if (s.ss_sp == ss->ss_sp && s.ss_size == ss->ss_size && s.ss_flags == flags) return {};
  if (mode == SS_DISABLE_) {
    s.ss_sp = 0;
    s.ss_size = 0;
  } else {
    if (ss->ss_size < MINSIGSTKSZ_) return Errno::NOMEM;
    s.ss_sp = ss->ss_sp;
    s.ss_size = ss->ss_size;
  }
  s.ss_flags = flags;
  return {};
}

void Signals::run_frame(Task& t, const SigDelivery& d, SigSet old) {
  TaskSignals& s = t.m_sig;
  ucontext_ uc{};
  // __save_altstack: the setting as it was, for sigreturn's restore_altstack.
  uc.uc_stack.ss_sp = s.ss_sp;
  uc.uc_stack.ss_size = s.ss_size;
  uc.uc_stack.ss_flags = static_cast<int32_t>(static_cast<uint32_t>(altstack_mode(s)) | (s.ss_flags & SS_AUTODISARM_));
  uc.uc_sigmask = old;
  siginfo info = d.info;
  struct Call {
    const SigDelivery& d;
    siginfo* info;
    ucontext_* uc;
    static void run(void* p) {
      auto* c = static_cast<Call*>(p);
      if (c->d.action.flags & SA_SIGINFO_) {
        reinterpret_cast<void (*)(int, siginfo*, void*)>(c->d.action.handler)(c->d.sig, c->info, c->uc);
      } else {
        reinterpret_cast<void (*)(int)>(c->d.action.handler)(c->d.sig);
      }
    }
  } call{d, &info, &uc};
  // get_sigframe: SA_ONSTACK takes the alternate stack when there is one and the task is
  // not on it already (a nested handler stays where it is).
  const bool onstack = (d.action.flags & SA_ONSTACK_) && altstack_mode(s) == 0;
  const uint64_t sp = onstack ? s.ss_sp : 0, size = onstack ? s.ss_size : 0;
  if (onstack) {
    if (s.ss_flags & SS_AUTODISARM_) {  // sas_ss_reset
      s.ss_sp = s.ss_size = 0;
      s.ss_flags = SS_DISABLE_;
    }
    ++s.on_altstack;
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{s.on_altstack};
    ctx::call_on_stack(reinterpret_cast<void*>(sp), size, &Call::run, &call);
  } else {
    Call::run(&call);
  }
  // sigreturn: the mask of the frame, which the handler may have changed, and the
  // alternate stack as the frame saved it (restore_altstack; refused while still on it).
  set_blocked(t, uc.uc_sigmask);
  // restore_altstack's do_sigaltstack runs with the frame's stack pointer: refused
  // (silently) while a registered, armed alternate stack holds that frame.
  const uint64_t frame = sp + size - 1;
  const bool frame_on_registered = onstack && s.ss_size && !(s.ss_flags & SS_AUTODISARM_) && frame >= s.ss_sp &&
                                   frame < s.ss_sp + s.ss_size;
  if (!s.on_altstack && !frame_on_registered) (void)sigaltstack(t, &uc.uc_stack, nullptr);
}

siginfo Signals::child_info(ThreadGroup& child, int code, int status) {
  siginfo i{};
  i.signo = SIGCHLD_;
  i.code = code;
  i.chld.pid = child.pid();
  const Task* leader = child.m_leader.get();
  i.chld.uid = leader ? leader->creds_snapshot().uid : 0;
  i.chld.status = status;
  const int64_t cpu = child.cpu_time_ns();
  i.chld.utime = cpu / kNsPerTick;
  i.chld.stime = 0;
  return i;
}

}  // namespace uml::kern
