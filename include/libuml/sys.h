#pragma once
// uml::sys: one typed-arity wrapper per Linux syscall, generated from the syscall list.
// Each acts as the calling thread's task (see uml::syscall) and returns the raw result or
// -errno. Arguments past those given are 0 (as with libc's variadic prctl or fcntl).
// long pid = uml::sys::getpid();  uml::sys::nanosleep(&ts, nullptr);

#include <type_traits>

#include <libuml/kernel.h>
#include <libuml/syscall_list.h>

namespace uml::sys {

namespace detail {
template <typename T>
inline long arg(T v) {
  if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>)
    return reinterpret_cast<long>(v);
  else
    return static_cast<long>(v);
}
}  // namespace detail

#define UML_SYS_WRAPPER(nr, name, arity, status, note, params)                                 \
  template <typename... A>                                                               \
  inline long name(A... a) {                                                             \
    static_assert(sizeof...(A) <= (arity), "uml::sys::" #name " takes " #arity " arguments"); \
    /* fewer are passed as 0, as libc's variadic wrappers do */ \
    return ::uml::syscall(nr, detail::arg(a)...);                                        \
  }
UML_SYSCALL_LIST(UML_SYS_WRAPPER)
#undef UML_SYS_WRAPPER

}  // namespace uml::sys
