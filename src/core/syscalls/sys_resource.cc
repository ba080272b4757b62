// Resource limits: getrlimit, setrlimit, prlimit64 (kernel/sys.c: do_prlimit).

#include "core/abi/process.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/task/process_table.h"

namespace uml::kern {

namespace {

// The process prlimit64 names: the caller's (0), or another the caller may act on (the
// same real, effective and saved ids as the caller's real ones, or CAP_SYS_RESOURCE).
Result<RefPtr<ThreadGroup>> target_of(Task& t, pid_t_ pid) {
  if (pid == 0 || pid == t.pid()) return RefPtr<ThreadGroup>(&t.group());
  RefPtr<ThreadGroup> g = t.kernel().procs().group_ref(pid);
  if (!g) return Errno::SRCH;
  const auto snap = t.kernel().procs().snapshot(pid);
  if (!snap) return Errno::SRCH;
  const Credentials& c = t.creds();
  const Credentials& o = snap->creds;
  const bool same = c.uid == o.uid && c.uid == o.euid && c.uid == o.suid && c.gid == o.gid &&
                    c.gid == o.egid && c.gid == o.sgid;
  if (!same && !c.capable(abi::CAP_SYS_RESOURCE)) return Errno::PERM;
  return g;
}

Result<void> do_prlimit(Task& t, ThreadGroup& g, int resource, const abi::rlimit64* next,
                        abi::rlimit64* old) {
  if (resource < 0 || resource >= abi::RLIM_NLIMITS_) return Errno::INVAL;
  if (next) {
    if (next->rlim_cur > next->rlim_max) return Errno::INVAL;
    if (resource == abi::RLIMIT_NOFILE_ && next->rlim_max > abi::NR_OPEN_) return Errno::PERM;
  }
  const abi::rlimit64 cur = g.rlimit(resource);
  if (next) {
    if (next->rlim_max > cur.rlim_max && !t.creds().capable(abi::CAP_SYS_RESOURCE)) return Errno::PERM;
    g.set_rlimit(resource, *next);
    // The descriptor table enforces RLIMIT_NOFILE at each allocation.
    if (resource == abi::RLIMIT_NOFILE_ && &g == &t.group())
      t.files().set_limit(static_cast<int>(std::min<uint64_t>(next->rlim_cur, abi::NR_OPEN_)));
  }
  if (old) *old = cur;
  return {};
}

}  // namespace

Result<long> sys_getrlimit(Task& t, const SyscallArgs& a) {
  abi::rlimit64 old{};
  TRY(do_prlimit(t, t.group(), static_cast<int>(a.a[0]), nullptr, &old));
  TRY(copy_to_user(UserPtr<abi::rlimit64>(a.a[1]), old));
  return 0;
}

Result<long> sys_setrlimit(Task& t, const SyscallArgs& a) {
  const abi::rlimit64 next = TRY(copy_from_user(UserPtr<abi::rlimit64>(a.a[1])));
  TRY(do_prlimit(t, t.group(), static_cast<int>(a.a[0]), &next, nullptr));
  return 0;
}

Result<long> sys_prlimit64(Task& t, const SyscallArgs& a) {
  std::optional<abi::rlimit64> next;
  if (a.a[2]) next = TRY(copy_from_user(UserPtr<abi::rlimit64>(a.a[2])));
  RefPtr<ThreadGroup> g = TRY(target_of(t, static_cast<pid_t_>(a.a[0])));
  abi::rlimit64 old{};
  TRY(do_prlimit(t, *g, static_cast<int>(a.a[1]), next ? &*next : nullptr, a.a[3] ? &old : nullptr));
  if (a.a[3]) TRY(copy_to_user(UserPtr<abi::rlimit64>(a.a[3]), old));
  return 0;
}

}  // namespace uml::kern
