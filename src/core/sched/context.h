#pragma once
// The execution-context switch under the scheduler: Boost.Context's fcontext primitive
// (the layer beneath boost::context::fiber), plus the announcements the sanitizers need and
// the MXCSR discipline.
//
// Why fcontext and not fiber: a switch has to carry a "post-switch action" that the next
// context runs once the previous one is fully saved (commit a park, free an exited task's
// stack). fcontext's transfer carries it as a plain pointer; fiber would need resume_with
// and an extra trampoline on every switch.
//
// MXCSR: jump_fcontext saves MXCSR in the leaving context's frame and reloads the target's,
// and the reload costs ~55 ns whenever the value differs from the current one. One inexact
// floating-point operation sets a sticky status flag, so guest code that did any floating
// point would pay that on every switch. Before each jump we therefore give the target's
// saved value the current sticky flags (its control bits — rounding mode, masks, FTZ/DAZ —
// stay its own): the reload then loads the value already there. The sticky exception flags
// thus belong to the vCPU rather than to each task (docs/differences.md). The frame layout
// (MXCSR at offset 0 of a suspended context) is checked once at start-up
// (mxcsr_frame_layout_ok); where it does not hold, nothing is patched.

#include <boost/context/detail/fcontext.hpp>

#include <cstddef>
#include <cstdint>

#include "host/sanitizer.h"
#ifdef UML_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef UML_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace uml::kern::ctx {

using fcontext_t = boost::context::detail::fcontext_t;
using transfer_t = boost::context::detail::transfer_t;
using boost::context::detail::jump_fcontext;
using boost::context::detail::make_fcontext;

inline uint32_t read_mxcsr() {
  uint32_t v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}
inline void write_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
inline constexpr uint32_t kMxcsrFlags = 0x3f;  // IE DE ZE OE UE PE: sticky status flags

// Gives the suspended context `target` the current sticky flags (see above).
inline void align_fp_flags(fcontext_t target) {
  auto* saved = static_cast<uint32_t*>(target);
  const uint32_t cur = read_mxcsr();
  if (__builtin_expect(((*saved ^ cur) & kMxcsrFlags) != 0, 0))
    *saved = (*saved & ~kMxcsrFlags) | (cur & kMxcsrFlags);
}

// True when make_fcontext stores MXCSR where align_fp_flags expects it.
bool mxcsr_frame_layout_ok();

// Stack bounds of a context, for AddressSanitizer.
struct StackBounds {
  const void* bottom = nullptr;
  size_t size = 0;
};

// Sanitizer bookkeeping of one execution context.
struct SanitizerState {
#ifdef UML_ASAN
  void* fake_stack = nullptr;
#endif
#ifdef UML_TSAN
  void* tsan_fiber = nullptr;
  bool owns_tsan_fiber = false;
#endif
};

// Announce a switch to `to` before jump_fcontext. `from_exits`: the leaving context will
// never run again (ASan then frees its fake stack).
inline void before_switch([[maybe_unused]] SanitizerState& from,
                          [[maybe_unused]] SanitizerState& to,
                          [[maybe_unused]] const StackBounds& to_stack,
                          [[maybe_unused]] bool from_exits) {
#ifdef UML_ASAN
  __sanitizer_start_switch_fiber(from_exits ? nullptr : &from.fake_stack, to_stack.bottom,
                                 to_stack.size);
#endif
#ifdef UML_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
}

// Announce that the switch into `self` completed (first thing after jump_fcontext returns,
// and at a new context's entry).
inline void after_switch([[maybe_unused]] SanitizerState& self) {
#ifdef UML_ASAN
  __sanitizer_finish_switch_fiber(self.fake_stack, nullptr, nullptr);
#endif
}

// A released fiber stack keeps the ASan poison of its last frames; clear it before the
// memory is reused (by another fiber, or by whatever the host maps there next).
inline void sanitizer_release_stack([[maybe_unused]] void* base, [[maybe_unused]] size_t size) {
#ifdef UML_ASAN
  __asan_unpoison_memory_region(base, size);
#endif
}

inline void sanitizer_create([[maybe_unused]] SanitizerState& s, [[maybe_unused]] bool thread_own) {
#ifdef UML_TSAN
  if (thread_own) {
    s.tsan_fiber = __tsan_get_current_fiber();
    s.owns_tsan_fiber = false;
  } else {
    s.tsan_fiber = __tsan_create_fiber(0);
    s.owns_tsan_fiber = true;
  }
#endif
}

inline void sanitizer_destroy([[maybe_unused]] SanitizerState& s) {
#ifdef UML_TSAN
  if (s.owns_tsan_fiber && s.tsan_fiber) __tsan_destroy_fiber(s.tsan_fiber);
  s.tsan_fiber = nullptr;
#endif
}

// Calls fn(arg) on the stack [base, base + size) and returns, on the caller's stack, when
// it returns (a signal handler on its sigaltstack). An exception fn throws is rethrown on
// the caller's stack. Nothing of the scheduler is involved: the same task runs on another
// stack for a while, on whatever host thread carries it.
void call_on_stack(void* base, size_t size, void (*fn)(void*), void* arg);

}  // namespace uml::kern::ctx
