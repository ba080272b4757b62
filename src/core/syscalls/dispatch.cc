#include "core/syscalls/dispatch.h"

#include "core/abi/signal.h"
#include "core/base/rcu.h"
#include "core/time/posix_timer.h"

#include <vector>

#include <libuml/syscall_list.h>

namespace uml::kern {

namespace {

struct Table {
  SyscallHandler handler[UML_SYSCALL_MAX] = {};
  const char* name[UML_SYSCALL_MAX] = {};
  constexpr Table() {
#define UML_TABLE_HANDLER_IMPL(name) &sys_##name
#define UML_TABLE_HANDLER_PART(name) &sys_##name
#define UML_TABLE_HANDLER_NONE(name) nullptr
#define UML_TABLE_ROW(nr, nm, arity, status, note, params) \
  handler[nr] = UML_TABLE_HANDLER_##status(nm);    \
  name[nr] = #nm;
    UML_SYSCALL_LIST(UML_TABLE_ROW)
  }
};
constexpr Table kTable;

// The task must end now: unwind a fiber to its trampoline; finish an attached thread's task
// in place (its host thread goes on, and its later syscalls get -ESRCH).
void finish_exit(Task& t) {
  if (t.is_fiber()) throw TaskUnwind{};
  t.kernel().procs().exit_task(t, t.exit_status());
}

long to_ret(const Result<long>& r) { return r.has_value() ? r.value() : -to_int(r.error()); }
bool is_restart(long ret) { return ret <= -512 && ret >= -516; }

// The syscall exit when a signal is pending or the call was interrupted: handlers run, stops
// park, and the call is restarted as signal(7) says (Linux's arch_do_signal_or_restart).
[[gnu::noinline]] long signal_exit(Task& t, SyscallHandler h, const SyscallArgs& a, long ret) {
  struct Frame {
    SigDelivery d;
    SigSet old;
  };
  constexpr size_t kMaxFrames = 256;  // more wait for the next exit
  std::vector<Frame> frames;
  for (;;) {
    bool handled = false;
    for (;;) {
      // Set up a frame for every signal deliverable under the masks they add, then run the
      // newest; its sigreturn may let more in before the older frames run.
      Frame f;
      while (frames.size() < kMaxFrames && Signals::get_signal(t, &f.d)) {
        if (!handled && is_restart(ret)) {
          switch (static_cast<Errno>(-ret)) {
            case Errno::RESTARTNOHAND:
            case Errno::RESTART_RESTARTBLOCK:
              ret = -to_int(Errno::INTR);
              break;
            case Errno::RESTARTSYS:
              if (!(f.d.action.flags & abi::SA_RESTART_)) ret = -to_int(Errno::INTR);
              break;
            default:
              break;
          }
        }
        handled = true;
        f.old = Signals::setup_frame(t, f.d);
        frames.push_back(f);
      }
      if (frames.empty()) break;
      f = frames.back();
      frames.pop_back();
      Signals::run_frame(t, f.d, f.old);
    }
    if (t.exit_pending()) return is_restart(ret) ? -to_int(Errno::INTR) : ret;
    Signals::restore_mask(t);
    if (!is_restart(ret)) return ret;
    if (ret == -to_int(Errno::RESTART_RESTARTBLOCK)) {
      RestartBlock& rb = t.restart_block();
      ret = rb.fn ? to_ret(rb.fn(t, rb)) : -to_int(Errno::INTR);
    } else {
      ret = to_ret(h(t, a));
    }
    rcu::quiescent();
    if (!is_restart(ret) && !t.m_interrupt.load(std::memory_order_acquire)) return ret;
  }
}

}  // namespace

const char* syscall_name(long nr) {
  if (nr < 0 || nr >= UML_SYSCALL_MAX || !kTable.name[nr]) return "?";
  return kTable.name[nr];
}

long dispatch_syscall(Task& t, long nr, const SyscallArgs& a) {
  Kernel& k = t.kernel();
  if (__builtin_expect(k.panicked(), 0)) {
    k.finish_bug_report();  // no lock is held here: the report and the kill need none
    if (t.is_fiber()) {
      // A task of a panicked instance dies by SIGKILL at its next syscall, as the panic's
      // kill would have made it; it never returns from its body as if it had finished.
      t.request_exit(abi::wstatus_signaled(abi::SIGKILL_, false));
      throw TaskUnwind{};
    }
    return -to_int(Errno::IO);
  }
  if (__builtin_expect(t.exited(), 0)) return -to_int(Errno::SRCH);
  k.sched().syscall_tick(t);
  if (__builtin_expect(static_cast<unsigned long>(nr) >= UML_SYSCALL_MAX || !kTable.handler[nr], 0)) {
    k.note_enosys(nr);
    return -to_int(Errno::NOSYS);
  }
  const SyscallHandler h = kTable.handler[nr];
  t.syscall_entered(nr, a.a);
  // ITIMER_VIRTUAL and ITIMER_PROF, checked against the process's CPU time as the tick
  // checks them on Linux; their signal is taken at this syscall's exit.
  if (ProcessTimers* pt = t.group().timers_if_any(); __builtin_expect(pt && pt->cpu_armed(), 0))
    pt->check_cpu(k.procs().process_cpu_ns(t.group()));
  long ret = to_ret(h(t, a));
  rcu::quiescent();  // frees dentries and mounts retired by now, now and then
  if (__builtin_expect(t.m_interrupt.load(std::memory_order_relaxed) || is_restart(ret) ||
                           t.sigmask_restore_pending(), 0))
    ret = signal_exit(t, h, a, ret);
  t.syscall_left();
  if (__builtin_expect(t.exit_pending(), 0)) finish_exit(t);
  return ret;
}

}  // namespace uml::kern
