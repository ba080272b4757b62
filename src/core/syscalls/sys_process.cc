// Process identity, exit and wait: getpid, getppid, gettid, exit, exit_group, wait4, waitid,
// prctl.

#include <climits>
#include <cstddef>

#include "core/abi/process.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/task/uts_namespace.h"
#include "core/vfs/ns_fs.h"

namespace uml::kern {

Result<long> sys_getpid(Task& t, const SyscallArgs&) { return t.pid(); }

// kernel/fork.c: ksys_unshare. CLONE_FS and CLONE_FILES give a thread of a process with
// several its own copies; CLONE_NEWUTS a UTS namespace of its own and CLONE_NEWNS a mount
// namespace of its own (CAP_SYS_ADMIN for either). CLONE_THREAD, CLONE_SIGHAND and
// CLONE_VM succeed only in a single-threaded process, where there is nothing to unshare.
// The other namespaces (IPC, network, PID, user, cgroup, time) exist once per instance:
// EINVAL, as from a kernel configured without them.
Result<long> sys_unshare(Task& t, const SyscallArgs& a) {
  constexpr uint64_t CLONE_VM_ = 0x100, CLONE_FS_ = 0x200, CLONE_FILES_ = 0x400, CLONE_SIGHAND_ = 0x800,
                     CLONE_NEWTIME_ = 0x80, CLONE_THREAD_ = 0x10000, CLONE_NEWNS_ = 0x20000, CLONE_SYSVSEM_ = 0x40000,
                     CLONE_NEWCGROUP_ = 0x02000000, CLONE_NEWUTS_ = 0x04000000, CLONE_NEWIPC_ = 0x08000000,
                     CLONE_NEWUSER_ = 0x10000000, CLONE_NEWPID_ = 0x20000000, CLONE_NEWNET_ = 0x40000000;
  uint64_t flags = static_cast<uint64_t>(a.a[0]);
  if (flags & CLONE_NEWUSER_) flags |= CLONE_THREAD_ | CLONE_FS_;
  if (flags & CLONE_VM_) flags |= CLONE_SIGHAND_;
  if (flags & CLONE_SIGHAND_) flags |= CLONE_THREAD_;
  if (flags & CLONE_NEWNS_) flags |= CLONE_FS_;
  // check_unshare_flags
  constexpr uint64_t kKnown = CLONE_THREAD_ | CLONE_FS_ | CLONE_NEWNS_ | CLONE_SIGHAND_ | CLONE_VM_ | CLONE_FILES_ |
                              CLONE_SYSVSEM_ | CLONE_NEWUTS_ | CLONE_NEWIPC_ | CLONE_NEWNET_ | CLONE_NEWUSER_ |
                              CLONE_NEWPID_ | CLONE_NEWCGROUP_ | CLONE_NEWTIME_;
  if (flags & ~kKnown) return Errno::INVAL;
  if ((flags & (CLONE_THREAD_ | CLONE_SIGHAND_ | CLONE_VM_)) && t.group().live_threads() > 1) return Errno::INVAL;
  if (flags & (CLONE_NEWIPC_ | CLONE_NEWNET_ | CLONE_NEWUSER_ | CLONE_NEWPID_ | CLONE_NEWCGROUP_ | CLONE_NEWTIME_))
    return Errno::INVAL;
  if ((flags & (CLONE_NEWUTS_ | CLONE_NEWNS_)) && !t.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::PERM;
  if (flags & CLONE_FS_) t.unshare_fs();
  if (flags & CLONE_FILES_) t.unshare_files();
  if (flags & CLONE_NEWUTS_) t.set_uts(t.uts()->copy(t.kernel().alloc_ns_inum()));
  if (flags & CLONE_NEWNS_) {
    Vfs& vfs = t.kernel().vfs();
    t.set_mnt_ns(vfs.copy_namespace(t, *t.mnt_ns(), t.kernel().alloc_ns_inum(), t.fs()));
  }
  return 0;
}

// kernel/nsproxy.c: setns, with an nsfs file (/proc/[pid]/ns/*). nstype 0 takes any
// namespace, else it must be the file's (EINVAL). Each type's install check: a mount
// namespace needs CAP_SYS_ADMIN and CAP_SYS_CHROOT and a filesystem context no other
// thread shares (EINVAL), and moves root and working directory to its root; a UTS
// namespace needs CAP_SYS_ADMIN. The instance's single IPC, network, PID, cgroup and
// time namespaces are the caller's already: CAP_SYS_ADMIN, then nothing changes (time
// also wants a single-threaded caller: EUSERS); its user namespace is EINVAL, as entering
// one's own user namespace is. pidfds are not taken (none exist yet): EINVAL.
Result<long> sys_setns(Task& t, const SyscallArgs& a) {
  const auto nstype = static_cast<uint32_t>(a.a[1]);
  FileRef f = t.fdget(static_cast<int>(a.a[0]));
  if (!f) return Errno::BADF;
  const NsHandle* h = NsFs::handle_of(f->inode());
  if (!h) return Errno::INVAL;
  if (nstype != 0 && nstype != h->type) return Errno::INVAL;
  const bool admin = t.creds().capable(abi::CAP_SYS_ADMIN);
  switch (h->type) {
    case NS_MNT: {
      if (t.fs_shared()) return Errno::INVAL;
      if (!admin || !t.creds().capable(abi::CAP_SYS_CHROOT)) return Errno::PERM;
      RefPtr<MountNamespace> ns(static_cast<MountNamespace*>(const_cast<void*>(h->object.get())));
      t.kernel().vfs().enter_namespace(*ns, t.fs());
      t.set_mnt_ns(std::move(ns));
      return 0;
    }
    case NS_UTS:
      if (!admin) return Errno::PERM;
      t.set_uts(std::static_pointer_cast<UtsNamespace>(std::const_pointer_cast<void>(h->object)));
      return 0;
    case NS_USER:
      return Errno::INVAL;
    case NS_TIME:
      if (t.group().live_threads() > 1) return Errno::USERS;
      return admin ? 0 : Result<long>(Errno::PERM);
    default:
      return admin ? 0 : Result<long>(Errno::PERM);
  }
}
Result<long> sys_getppid(Task& t, const SyscallArgs&) { return t.group().ppid(); }
Result<long> sys_gettid(Task& t, const SyscallArgs&) { return t.tid(); }

Result<long> sys_exit(Task& t, const SyscallArgs& a) {
  t.request_exit(abi::wstatus_exited(static_cast<int>(a.a[0])));
  return 0;
}

Result<long> sys_exit_group(Task& t, const SyscallArgs& a) {
  t.kernel().procs().exit_group(t, abi::wstatus_exited(static_cast<int>(a.a[0])));
  return 0;
}

Result<long> sys_wait4(Task& t, const SyscallArgs& a) {
  const auto upid = static_cast<int32_t>(a.a[0]);
  UserPtr<int32_t> wstatus(a.a[1]);
  const auto options = static_cast<int32_t>(a.a[2]);
  UserPtr<abi::rusage> ru(a.a[3]);
  constexpr int kValid = abi::WNOHANG_ | abi::WUNTRACED_ | abi::WCONTINUED_ | abi::__WNOTHREAD_ |
                         abi::__WCLONE_ | abi::__WALL_;
  if (options & ~kValid) return Errno::INVAL;
  if (upid == INT_MIN) return Errno::SRCH;  // -INT_MIN is undefined
  int type = abi::P_ALL_;
  int32_t id = 0;
  if (upid < -1) {
    type = abi::P_PGID_;
    id = -upid;
  } else if (upid == 0) {
    type = abi::P_PGID_;
    id = t.group().pgid();
  } else if (upid > 0) {
    type = abi::P_PID_;
    id = upid;
  }
  WaitInfo info;
  const pid_t_ pid = TRY(t.kernel().procs().wait(t, type, id, options | abi::WEXITED_, &info));
  if (pid > 0) {
    if (!wstatus.is_null()) TRY(copy_to_user(wstatus, info.status));
    if (!ru.is_null()) TRY(copy_to_user(ru, rusage_from_cpu(info.cpu_ns)));
  }
  return pid;
}

Result<long> sys_waitid(Task& t, const SyscallArgs& a) {
  const auto which = static_cast<int32_t>(a.a[0]);
  const auto upid = static_cast<int32_t>(a.a[1]);
  UserPtr<abi::siginfo_chld> infop(a.a[2]);
  const auto options = static_cast<int32_t>(a.a[3]);
  UserPtr<abi::rusage> ru(a.a[4]);
  constexpr int kValid = abi::WNOHANG_ | abi::WNOWAIT_ | abi::WEXITED_ | abi::WSTOPPED_ |
                         abi::WCONTINUED_ | abi::__WNOTHREAD_ | abi::__WCLONE_ | abi::__WALL_;
  if (options & ~kValid) return Errno::INVAL;
  if (!(options & (abi::WEXITED_ | abi::WSTOPPED_ | abi::WCONTINUED_))) return Errno::INVAL;
  int32_t id = upid;
  switch (which) {
    case abi::P_ALL_:
      break;
    case abi::P_PID_:
      if (upid <= 0) return Errno::INVAL;
      break;
    case abi::P_PGID_:
      if (upid < 0) return Errno::INVAL;
      if (upid == 0) id = t.group().pgid();
      break;
    case abi::P_PIDFD_:
      return Errno::BADF;  // no descriptor is a pidfd yet
    default:
      return Errno::INVAL;
  }
  WaitInfo info;
  const pid_t_ pid = TRY(t.kernel().procs().wait(t, which, id, options, &info));
  if (pid > 0 && !ru.is_null()) TRY(copy_to_user(ru, rusage_from_cpu(info.cpu_ns)));
  if (infop.is_null()) return 0;
  abi::siginfo_chld si{};
  if (pid > 0) {
    si.signo = abi::SIGCHLD_;
    si.code = info.code;
    si.pid = info.pid;
    si.uid = info.uid;
    si.status = info.child_status;
  }
  // Linux writes only the fields up to si_status (all zero when WNOHANG found nothing).
  TRY(copy_to_user(infop.addr, &si, offsetof(abi::siginfo_chld, status) + sizeof(si.status)));
  return 0;
}

Result<long> sys_prctl(Task& t, const SyscallArgs& a) {
  switch (static_cast<int>(a.a[0])) {
    case abi::PR_SET_NAME_: {
      // strncpy_from_user of TASK_COMM_LEN - 1 bytes: longer names are cut, not refused.
      char buf[abi::TASK_COMM_LEN] = {};
      const uintptr_t src = static_cast<uintptr_t>(a.a[1]);
      const size_t n = TRY(strnlen_user(src, sizeof(buf) - 1));
      TRY(copy_from_user(buf, src, n));
      t.set_comm(std::string_view(buf, n));
      return 0;
    }
    case abi::PR_GET_NAME_: {
      char buf[abi::TASK_COMM_LEN] = {};
      std::string c = t.comm();
      memcpy(buf, c.data(), std::min(c.size(), sizeof(buf) - 1));
      TRY(copy_to_user(static_cast<uintptr_t>(a.a[1]), buf, sizeof(buf)));
      return 0;
    }
    case abi::PR_GET_DUMPABLE_:
      return t.group().dumpable() ? 1 : 0;
    case abi::PR_SET_DUMPABLE_:
      if (a.a[1] != 0 && a.a[1] != 1) return Errno::INVAL;  // SUID_DUMP_USER or DISABLE only
      t.group().set_dumpable(a.a[1] == 1);
      return 0;
    default:
      return Errno::INVAL;
  }
}

}  // namespace uml::kern
