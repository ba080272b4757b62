// System identity and accounting: uname, sethostname, setdomainname, sysinfo, getrusage.

#include <cstring>

#include "core/abi/process.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {
void put_field(char* dst, std::string_view s) {
  size_t n = std::min(s.size(), static_cast<size_t>(abi::NEW_UTS_LEN));
  memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

// kernel/sys.c: sethostname/setdomainname, same order of checks.
Result<std::string> uts_name_arg(Task& t, const SyscallArgs& a) {
  if (!t.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::PERM;
  const auto len = static_cast<int32_t>(a.a[1]);
  if (len < 0 || len > abi::NEW_UTS_LEN) return Errno::INVAL;
  std::string name(static_cast<size_t>(len), '\0');
  TRY(copy_from_user(name.data(), static_cast<uintptr_t>(a.a[0]), name.size()));
  // The name is the first len bytes up to any NUL, as utsname() will show it.
  name.resize(strnlen(name.data(), name.size()));
  return name;
}
}  // namespace

Result<long> sys_uname(Task& t, const SyscallArgs& a) {
  abi::new_utsname u{};
  put_field(u.sysname, "Linux");
  const std::shared_ptr<UtsNamespace> uts = t.uts();
  put_field(u.nodename, uts->hostname());
  put_field(u.release, Kernel::kRelease);
  put_field(u.version, Kernel::kVersion);
  put_field(u.machine, "x86_64");
  put_field(u.domainname, uts->domainname());
  TRY(copy_to_user(UserPtr<abi::new_utsname>(a.a[0]), u));
  return 0;
}

Result<long> sys_sethostname(Task& t, const SyscallArgs& a) {
  std::string name = TRY(uts_name_arg(t, a));
  t.uts()->set_hostname(name);
  return 0;
}

Result<long> sys_setdomainname(Task& t, const SyscallArgs& a) {
  std::string name = TRY(uts_name_arg(t, a));
  t.uts()->set_domainname(name);
  return 0;
}

Result<long> sys_sysinfo(Task& t, const SyscallArgs& a) {
  Kernel& k = t.kernel();
  abi::sysinfo si{};
  const int64_t up = k.uptime_ns();
  si.uptime = up / abi::NSEC_PER_SEC + (up % abi::NSEC_PER_SEC ? 1 : 0);
  si.totalram = k.config().mem_bytes;
  si.freeram = k.config().mem_bytes;  // FIXME: no memory accounting yet
  const size_t procs = k.procs().task_count();
  si.procs = static_cast<uint16_t>(procs > 0xffff ? 0xffff : procs);
  si.mem_unit = 1;
  TRY(copy_to_user(UserPtr<abi::sysinfo>(a.a[0]), si));
  return 0;
}

Result<long> sys_getrusage(Task& t, const SyscallArgs& a) {
  const auto who = static_cast<int32_t>(a.a[0]);
  int64_t ns;
  switch (who) {
    case abi::RUSAGE_SELF_:
      ns = t.group().dead_threads_cpu_ns() + t.kernel().procs().live_threads_cpu_ns(t.group());
      break;
    case abi::RUSAGE_CHILDREN_:
      ns = t.group().children_cpu_ns();
      break;
    case abi::RUSAGE_THREAD_:
      ns = t.cpu_time_ns();
      break;
    default:
      return Errno::INVAL;
  }
  TRY(copy_to_user(UserPtr<abi::rusage>(a.a[1]), rusage_from_cpu(ns)));
  return 0;
}

}  // namespace uml::kern
