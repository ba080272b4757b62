#include "core/syscalls/dispatch.h"

#include "core/base/rcu.h"

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
#define UML_TABLE_ROW(nr, nm, arity, status, note) \
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

}  // namespace

const char* syscall_name(long nr) {
  if (nr < 0 || nr >= UML_SYSCALL_MAX || !kTable.name[nr]) return "?";
  return kTable.name[nr];
}

long dispatch_syscall(Task& t, long nr, const SyscallArgs& a) {
  Kernel& k = t.kernel();
  if (__builtin_expect(k.panicked(), 0)) {
    if (t.is_fiber()) throw TaskUnwind{};
    return -to_int(Errno::IO);
  }
  if (__builtin_expect(t.exited(), 0)) return -to_int(Errno::SRCH);
  k.sched().syscall_tick(t);
  if (__builtin_expect(static_cast<unsigned long>(nr) >= UML_SYSCALL_MAX || !kTable.handler[nr], 0)) {
    k.note_enosys(nr);
    return -to_int(Errno::NOSYS);
  }
  Result<long> r = kTable.handler[nr](t, a);
  long ret;
  if (__builtin_expect(r.has_value(), 1)) {
    ret = r.value();
  } else {
    Errno e = r.error();
    // No signal handlers restart anything yet: a restart code is an interruption.
    if (is_restart_code(e)) e = Errno::INTR;
    ret = -to_int(e);
  }
  rcu::quiescent();  // frees dentries and mounts retired by now, now and then
  if (__builtin_expect(t.exit_pending(), 0)) finish_exit(t);
  return ret;
}

}  // namespace uml::kern
