// Scheduling: sched_yield, sched_setaffinity, sched_getaffinity, getcpu. The CPUs a guest
// sees are its instance's vCPUs.

#include <algorithm>

#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/task/process_table.h"

namespace uml::kern {

namespace {

unsigned vcpus(Task& t) { return t.kernel().sched().vcpu_count(); }
uint64_t all_vcpus(Task& t) { return vcpus(t) >= 64 ? ~uint64_t{0} : (uint64_t{1} << vcpus(t)) - 1; }

// The task named by pid (0: the caller), referenced. Errors: SRCH.
Result<RefPtr<Task>> task_arg(Task& t, int pid) {
  if (pid == 0) return RefPtr<Task>(&t);
  if (pid < 0) return Errno::INVAL;
  RefPtr<Task> found = t.kernel().procs().task_ref(pid);
  if (!found) return Errno::SRCH;
  return found;
}

}  // namespace

Result<long> sys_sched_yield(Task& t, const SyscallArgs&) {
  Scheduler::yield(t);
  return 0;
}

// kernel/sched/core.c: sched_setaffinity. A mask longer than the vCPUs is cut, a shorter
// one zero-filled; no allowed vCPU left is EINVAL.
Result<long> sys_sched_setaffinity(Task& t, const SyscallArgs& a) {
  const auto len = static_cast<size_t>(a.a[1]);
  uint64_t mask = 0;
  TRY(copy_from_user(&mask, static_cast<uintptr_t>(a.a[2]), std::min<size_t>(len, sizeof mask)));
  RefPtr<Task> target = TRY(task_arg(t, static_cast<int>(a.a[0])));
  if (target.get() != &t) {
    const Credentials& me = t.creds();
    const Credentials them = target->creds_snapshot();
    if (me.euid != them.euid && me.euid != them.uid && !me.capable(abi::CAP_SYS_NICE)) return Errno::PERM;
  }
  mask &= all_vcpus(t);
  if (!mask) return Errno::INVAL;
  Scheduler::set_affinity(t, *target, mask);
  return 0;
}

Result<long> sys_sched_getaffinity(Task& t, const SyscallArgs& a) {
  const auto len = static_cast<size_t>(a.a[1]);
  if (len * 8 < vcpus(t)) return Errno::INVAL;
  if (len & (sizeof(long) - 1)) return Errno::INVAL;
  RefPtr<Task> target = TRY(task_arg(t, static_cast<int>(a.a[0])));
  const uint64_t mask = target->affinity() & all_vcpus(t);
  const size_t out = std::min<size_t>(len, sizeof mask);  // cpumask_size(): whole longs
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[2]), &mask, out));
  return static_cast<long>(out);
}

// getcpu: the vCPU a fiber runs on; 0 for an attached thread, which runs on no vCPU.
Result<long> sys_getcpu(Task& t, const SyscallArgs& a) {
  const unsigned cpu = t.is_fiber() ? t.vcpu()->index() : 0;
  if (a.a[0]) TRY(copy_to_user(UserPtr<uint32_t>(a.a[0]), cpu));
  if (a.a[1]) TRY(copy_to_user(UserPtr<uint32_t>(a.a[1]), 0u));
  return 0;
}

}  // namespace uml::kern
