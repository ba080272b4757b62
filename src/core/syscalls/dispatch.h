#pragma once
// The syscall entry: one table indexed by Linux x86-64 numbers, built from
// <libuml/syscall_list.h>. A handler decodes and validates its arguments, copies guest
// memory, and calls one subsystem function; its Result becomes -errno here, and only here.

#include <libuml/syscall_list.h>

#include "core/base/result.h"
#include "core/kernel/kernel.h"

namespace uml::kern {

using SyscallHandler = Result<long> (*)(Task&, const SyscallArgs&);

long dispatch_syscall(Task& t, long nr, const SyscallArgs& a);
const char* syscall_name(long nr);

// Every IMPL and PART handler, declared from the list.
#define UML_DECLARE_HANDLER_IMPL(name) Result<long> sys_##name(Task& t, const SyscallArgs& a);
#define UML_DECLARE_HANDLER_PART(name) UML_DECLARE_HANDLER_IMPL(name)
#define UML_DECLARE_HANDLER_NONE(name)
#define UML_DECLARE_HANDLER(nr, name, arity, status, note, params) UML_DECLARE_HANDLER_##status(name)
UML_SYSCALL_LIST(UML_DECLARE_HANDLER)

}  // namespace uml::kern
