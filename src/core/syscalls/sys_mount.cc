// Mounts: mount, umount2 (fs/namespace.c).

#include "core/abi/fs.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

// copy_mount_string: an optional string argument (null: absent).
Result<std::optional<std::string>> optional_string(long addr) {
  if (!addr) return std::optional<std::string>();
  return std::optional<std::string>(TRY(copy_string_from_user(static_cast<uintptr_t>(addr), 4095)));
}

// copy_mount_options: up to a page of option text, cut at its first NUL (or the page end).
Result<std::string> mount_data(long addr) {
  if (!addr) return std::string();
  const size_t n = TRY(strnlen_user(static_cast<uintptr_t>(addr), 4095));
  std::string s(n, '\0');
  TRY(copy_from_user(s.data(), static_cast<uintptr_t>(addr), n));
  return s;
}

}  // namespace

Result<long> sys_mount(Task& t, const SyscallArgs& a) {
  const UserPath target = TRY(path_from_user(a.a[1]));
  const std::optional<std::string> source = TRY(optional_string(a.a[0]));
  const std::optional<std::string> fstype = TRY(optional_string(a.a[2]));
  const std::string data = TRY(mount_data(a.a[4]));
  TRY(t.kernel().vfs().mount(t, source.value_or(std::string()), target,
                             fstype ? &*fstype : nullptr, static_cast<unsigned long>(a.a[3]), data));
  return 0;
}

Result<long> sys_umount2(Task& t, const SyscallArgs& a) {
  const UserPath target = TRY(path_from_user(a.a[0]));
  TRY(t.kernel().vfs().umount(t, target, static_cast<int>(a.a[1])));
  return 0;
}

}  // namespace uml::kern
