// Credentials and process groups: get/set uid, gid, groups; pgid and sessions.

#include <vector>

#include "core/abi/process.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {
uint32_t id_arg(long v) { return static_cast<uint32_t>(v); }

// Applies a credential change to a copy and installs it on success.
template <typename F>
Result<long> change_creds(Task& t, F&& f) {
  Credentials c = t.creds();
  TRY(f(c));
  t.set_creds(std::move(c));
  return 0;
}

Result<long> put_three(const SyscallArgs& a, uint32_t x, uint32_t y, uint32_t z) {
  TRY(copy_to_user(UserPtr<uint32_t>(a.a[0]), x));
  TRY(copy_to_user(UserPtr<uint32_t>(a.a[1]), y));
  TRY(copy_to_user(UserPtr<uint32_t>(a.a[2]), z));
  return 0;
}
}  // namespace

Result<long> sys_getuid(Task& t, const SyscallArgs&) { return t.creds().uid; }
Result<long> sys_geteuid(Task& t, const SyscallArgs&) { return t.creds().euid; }
Result<long> sys_getgid(Task& t, const SyscallArgs&) { return t.creds().gid; }
Result<long> sys_getegid(Task& t, const SyscallArgs&) { return t.creds().egid; }

Result<long> sys_getresuid(Task& t, const SyscallArgs& a) {
  const Credentials& c = t.creds();
  return put_three(a, c.uid, c.euid, c.suid);
}
Result<long> sys_getresgid(Task& t, const SyscallArgs& a) {
  const Credentials& c = t.creds();
  return put_three(a, c.gid, c.egid, c.sgid);
}

Result<long> sys_setuid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) { return c.setuid(id_arg(a.a[0])); });
}
Result<long> sys_setgid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) { return c.setgid(id_arg(a.a[0])); });
}
Result<long> sys_setreuid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) { return c.setreuid(id_arg(a.a[0]), id_arg(a.a[1])); });
}
Result<long> sys_setregid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) { return c.setregid(id_arg(a.a[0]), id_arg(a.a[1])); });
}
Result<long> sys_setresuid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) {
    return c.setresuid(id_arg(a.a[0]), id_arg(a.a[1]), id_arg(a.a[2]));
  });
}
Result<long> sys_setresgid(Task& t, const SyscallArgs& a) {
  return change_creds(t, [&](Credentials& c) {
    return c.setresgid(id_arg(a.a[0]), id_arg(a.a[1]), id_arg(a.a[2]));
  });
}

Result<long> sys_getgroups(Task& t, const SyscallArgs& a) {
  const auto size = static_cast<int32_t>(a.a[0]);
  if (size < 0) return Errno::INVAL;
  const std::vector<uint32_t>& g = t.creds().groups;
  const long n = static_cast<long>(g.size());
  if (size == 0) return n;
  if (n > size) return Errno::INVAL;
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[1]), g.data(), g.size() * sizeof(uint32_t)));
  return n;
}

Result<long> sys_setgroups(Task& t, const SyscallArgs& a) {
  if (!t.creds().capable(abi::CAP_SETGID)) return Errno::PERM;
  const auto size = static_cast<uint32_t>(a.a[0]);
  if (size > static_cast<uint32_t>(abi::NGROUPS_MAX_)) return Errno::INVAL;
  std::vector<uint32_t> groups(size);
  TRY(copy_from_user(groups.data(), static_cast<uintptr_t>(a.a[1]), size * sizeof(uint32_t)));
  return change_creds(t, [&](Credentials& c) { return c.setgroups(std::move(groups)); });
}

Result<long> sys_getpgid(Task& t, const SyscallArgs& a) {
  return TRY(t.kernel().procs().getpgid(t, static_cast<int32_t>(a.a[0])));
}
Result<long> sys_getpgrp(Task& t, const SyscallArgs&) { return t.group().pgid(); }
Result<long> sys_getsid(Task& t, const SyscallArgs& a) {
  return TRY(t.kernel().procs().getsid(t, static_cast<int32_t>(a.a[0])));
}
Result<long> sys_setpgid(Task& t, const SyscallArgs& a) {
  TRY(t.kernel().procs().setpgid(t, static_cast<int32_t>(a.a[0]), static_cast<int32_t>(a.a[1])));
  return 0;
}
Result<long> sys_setsid(Task& t, const SyscallArgs&) {
  return TRY(t.kernel().procs().setsid(t));
}

}  // namespace uml::kern
