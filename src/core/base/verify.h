#pragma once
// VERIFY(cond): a kernel invariant checked at run time (Linux's BUG_ON/WARN_ON, turned
// around: the condition is what must hold). A broken one is reported with its place
// ("kernel BUG at refcount.h:42: ...") to the bug hook, which panics the instance the
// current thread serves (its task's, or its vCPU's) and no other; the host process goes
// on. VERIFY then evaluates to false, and the caller leaves the broken object alone (a
// leak rather than a double free): it never throws, so it is safe in destructors and
// under locks. The panic kills the instance's tasks at their next syscall exit.

namespace uml::kern {

// Reports a broken invariant (file, line, the condition's text). Never throws.
void report_bug(const char* file, int line, const char* what) noexcept;

// The process's one entry point for broken invariants (installed by the scheduler: it
// knows the current thread's task and vCPU). msg is the formatted report.
using BugHook = void (*)(const char* msg) noexcept;
void set_bug_hook(BugHook hook) noexcept;

}  // namespace uml::kern

#define VERIFY(cond) \
  (__builtin_expect(static_cast<bool>(cond), 1) ? true : (::uml::kern::report_bug(__FILE__, __LINE__, #cond), false))
