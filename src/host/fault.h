#pragma once
// Fault containment: what keeps a bad guest pointer or a guest stack overflow from killing
// the host process. One SIGSEGV/SIGBUS handler for the process (installed on first use, and
// chaining to whatever handler was there before for faults that are not libuml's), running
// on a per-thread alternate signal stack.
//
// - Guarded copies: copy_guarded() and strnlen_guarded() return a failure instead of
//   crashing when the memory they touch is not mapped. The kernel's copy_from_user and
//   copy_to_user use them, so any unmapped guest pointer gives EFAULT, as on Linux.
// - Stack overflow: a fault inside the guard page below the stack the scheduler registered
//   for this thread's running fiber goes to the overflow hook, which never returns (it ends
//   that task and switches away).
//
// A process-wide signal disposition is inherently global; nothing here holds kernel state.
// The handler uses SA_NODEFER so that leaving it by a jump leaves SIGSEGV unblocked.

#include <cstddef>
#include <cstdint>

namespace uml::host {

// Installs the handler unless it is the one in place, chaining to whatever is there (an
// application or a test framework may have replaced it since: each boot calls this).
// Thread-safe.
void fault_handling_install();
// Gives the calling thread an alternate signal stack (if it has none); returns whether it
// set one up, so that the caller knows to take it down again.
bool thread_fault_stack_setup();
void thread_fault_stack_teardown();

// memcpy that returns false, having copied some unknown prefix, if a fault hit it.
bool copy_guarded(void* dst, const void* src, size_t len);
// strnlen that returns false if a fault hit it before a NUL or max bytes.
bool strnlen_guarded(const char* s, size_t max, size_t* len);
// A compare-and-swap of the 32-bit word at p: *expected updated with what was there on
// failure. Returns false on a fault (the word not mapped, or not writable).
bool cmpxchg_guarded(uint32_t* p, uint32_t* expected, uint32_t desired, bool* swapped);
// Copies the string at s into dst (room for max bytes): *len is its length when a NUL comes
// within max bytes (the NUL copied too), else max. One guarded pass; false on a fault.
bool strncpy_guarded(char* dst, const char* s, size_t max, size_t* len);

// The stack-overflow hook: called on the alternate stack with the fault address and the
// faulting stack pointer; returns if the fault is not an overflow of the running fiber's
// stack (the fault then goes on to the previous handler), and does not return otherwise.
// Set once, by the scheduler.
using OverflowHook = void (*)(void* fault_addr, void* stack_pointer);
void set_overflow_hook(OverflowHook hook);

}  // namespace uml::host
