// Scheduling: sched_yield.

#include "core/syscalls/dispatch.h"

namespace uml::kern {

Result<long> sys_sched_yield(Task& t, const SyscallArgs&) {
  Scheduler::yield(t);
  return 0;
}

}  // namespace uml::kern
