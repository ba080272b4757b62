// Extended attributes: setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr, fgetxattr,
// listxattr, llistxattr, flistxattr, removexattr, lremovexattr, fremovexattr (fs/xattr.c).

#include "core/abi/fs.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

namespace {

enum class Target { Follow, NoFollow, Fd };

// The object: a path (following the last symlink or not), or a descriptor (not O_PATH).
Result<Path> xattr_target(Task& t, Target how, long arg) {
  if (how == Target::Fd) {
    RefPtr<File> f = t.files().get(static_cast<int32_t>(arg));
    if (!f || f->is_path_only()) return Errno::BADF;
    return f->path();
  }
  const UserPath p = TRY(path_from_user(arg));
  return t.kernel().vfs().lookup(t, abi::AT_FDCWD_, p, how == Target::Follow ? Vfs::FOLLOW : 0u);
}

// An attribute name: 1 to XATTR_NAME_MAX bytes, else RANGE.
Result<std::string> xattr_name(long addr) {
  auto r = copy_string_from_user(static_cast<uintptr_t>(addr), abi::XATTR_NAME_MAX_);
  if (!r.has_value()) return r.error() == Errno::NAMETOOLONG ? Errno::RANGE : r.error();
  if (r.value().empty()) return Errno::RANGE;
  return r;
}

Result<long> do_setxattr(Task& t, Target how, const SyscallArgs& a) {
  const int flags = static_cast<int>(a.a[4]);
  if (flags & ~(abi::XATTR_CREATE_ | abi::XATTR_REPLACE_)) return Errno::INVAL;
  const std::string name = TRY(xattr_name(a.a[1]));
  const size_t size = static_cast<size_t>(a.a[3]);
  if (size > abi::XATTR_SIZE_MAX_) return Errno::TOOBIG;
  std::string value(size, '\0');
  if (size) TRY(copy_from_user(value.data(), static_cast<uintptr_t>(a.a[2]), size));
  Path p = TRY(xattr_target(t, how, a.a[0]));
  TRY(t.kernel().vfs().setxattr(t, p, name, value, flags));
  return 0;
}

Result<long> do_getxattr(Task& t, Target how, const SyscallArgs& a) {
  const std::string name = TRY(xattr_name(a.a[1]));
  Path p = TRY(xattr_target(t, how, a.a[0]));
  const std::string value = TRY(t.kernel().vfs().getxattr(t, p, name));
  size_t size = static_cast<size_t>(a.a[3]);
  if (size == 0) return static_cast<long>(value.size());  // the size the caller needs
  if (size > abi::XATTR_SIZE_MAX_) size = abi::XATTR_SIZE_MAX_;
  if (value.size() > size) return Errno::RANGE;
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[2]), value.data(), value.size()));
  return static_cast<long>(value.size());
}

Result<long> do_listxattr(Task& t, Target how, const SyscallArgs& a) {
  Path p = TRY(xattr_target(t, how, a.a[0]));
  const std::vector<std::string> names = TRY(t.kernel().vfs().listxattr(t, p));
  std::string list;
  for (const auto& n : names) {
    list += n;
    list.push_back('\0');
  }
  size_t size = static_cast<size_t>(a.a[2]);
  if (size == 0) return static_cast<long>(list.size());
  if (size > abi::XATTR_LIST_MAX_) size = abi::XATTR_LIST_MAX_;
  if (list.size() > size) return Errno::RANGE;
  TRY(copy_to_user(static_cast<uintptr_t>(a.a[1]), list.data(), list.size()));
  return static_cast<long>(list.size());
}

Result<long> do_removexattr(Task& t, Target how, const SyscallArgs& a) {
  const std::string name = TRY(xattr_name(a.a[1]));
  Path p = TRY(xattr_target(t, how, a.a[0]));
  TRY(t.kernel().vfs().removexattr(t, p, name));
  return 0;
}

}  // namespace

Result<long> sys_setxattr(Task& t, const SyscallArgs& a) { return do_setxattr(t, Target::Follow, a); }
Result<long> sys_lsetxattr(Task& t, const SyscallArgs& a) { return do_setxattr(t, Target::NoFollow, a); }
Result<long> sys_fsetxattr(Task& t, const SyscallArgs& a) { return do_setxattr(t, Target::Fd, a); }
Result<long> sys_getxattr(Task& t, const SyscallArgs& a) { return do_getxattr(t, Target::Follow, a); }
Result<long> sys_lgetxattr(Task& t, const SyscallArgs& a) { return do_getxattr(t, Target::NoFollow, a); }
Result<long> sys_fgetxattr(Task& t, const SyscallArgs& a) { return do_getxattr(t, Target::Fd, a); }
Result<long> sys_listxattr(Task& t, const SyscallArgs& a) { return do_listxattr(t, Target::Follow, a); }
Result<long> sys_llistxattr(Task& t, const SyscallArgs& a) { return do_listxattr(t, Target::NoFollow, a); }
Result<long> sys_flistxattr(Task& t, const SyscallArgs& a) { return do_listxattr(t, Target::Fd, a); }
Result<long> sys_removexattr(Task& t, const SyscallArgs& a) { return do_removexattr(t, Target::Follow, a); }
Result<long> sys_lremovexattr(Task& t, const SyscallArgs& a) { return do_removexattr(t, Target::NoFollow, a); }
Result<long> sys_fremovexattr(Task& t, const SyscallArgs& a) { return do_removexattr(t, Target::Fd, a); }

}  // namespace uml::kern
