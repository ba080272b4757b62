#include "host/fault.h"
#include "host/sanitizer.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

namespace uml::host {

namespace {

constexpr size_t kAltStackSize = 64 * 1024;

// Process-wide, written under g_install_lock when (re)installing, read by the handler.
struct sigaction g_prev_segv, g_prev_bus;
std::atomic<OverflowHook> g_overflow_hook{nullptr};
std::mutex g_install_lock;

// Per host thread: where a guarded copy in progress resumes after a fault, and the thread's
// alternate stack.
thread_local sigjmp_buf* t_recover __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local void* t_altstack __attribute__((tls_model("initial-exec"))) = nullptr;

#if !defined(UML_TSAN) && !defined(UML_ASAN)
// The guarded copy (Linux's copy_user_generic with its exception table): the instructions
// that touch guest memory lie between copy_user_faulting and copy_user_done, and a fault
// there resumes at copy_user_fixup, which returns what was left to copy (RCX: rep movsb and
// the loops below keep it exact to the unit in flight). No setjmp on the way in, so a copy
// costs what the copy costs. Returns the bytes not copied.
extern "C" size_t uml_copy_user(void* dst, const void* src, size_t n);
extern "C" const char uml_copy_user_faulting[], uml_copy_user_done[], uml_copy_user_fixup[];
__asm__(R"(
  .text
  .p2align 4
  .globl uml_copy_user
  .hidden uml_copy_user
  .type uml_copy_user, @function
uml_copy_user:
  movq %rdx, %rcx
  cmpq $64, %rcx
  jae .Lcu_long
.Lcu_words:
  cmpq $8, %rcx
  jb .Lcu_bytes
  .globl uml_copy_user_faulting
  .hidden uml_copy_user_faulting
uml_copy_user_faulting:
  movq (%rsi), %rax
  movq %rax, (%rdi)
  addq $8, %rsi
  addq $8, %rdi
  subq $8, %rcx
  jmp .Lcu_words
.Lcu_bytes:
  testq %rcx, %rcx
  jz .Lcu_ok
  movb (%rsi), %al
  movb %al, (%rdi)
  incq %rsi
  incq %rdi
  decq %rcx
  jmp .Lcu_bytes
.Lcu_long:
  rep movsb
  .globl uml_copy_user_done
  .hidden uml_copy_user_done
uml_copy_user_done:
.Lcu_ok:
  xorl %eax, %eax
  ret
  .globl uml_copy_user_fixup
  .hidden uml_copy_user_fixup
uml_copy_user_fixup:
  movq %rcx, %rax
  ret
  .size uml_copy_user, .-uml_copy_user
)");

// A fault inside the guarded copy: resume at its fixup.
bool resume_at_fixup(ucontext_t* uc) {
  const auto ip = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  if (ip < reinterpret_cast<uintptr_t>(uml_copy_user_faulting) ||
      ip >= reinterpret_cast<uintptr_t>(uml_copy_user_done))
    return false;
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(uml_copy_user_fixup));
  return true;
}
#endif

void chain(const struct sigaction& prev, int sig, siginfo_t* info, void* uctx) {
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) {
      prev.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // The previous disposition was the default: restore it, and the faulting instruction
  // faults again on return, with the default action (a core dump), as if we were not here.
  signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
#if !defined(UML_TSAN) && !defined(UML_ASAN)
  if (resume_at_fixup(static_cast<ucontext_t*>(uctx))) return;
#endif
  if (sigjmp_buf* r = t_recover) {
    t_recover = nullptr;
    siglongjmp(*r, 1);
  }
  if (OverflowHook hook = g_overflow_hook.load(std::memory_order_acquire)) {
    auto* uc = static_cast<ucontext_t*>(uctx);
    hook(info->si_addr, reinterpret_cast<void*>(uc->uc_mcontext.gregs[REG_RSP]));
  }
  chain(sig == SIGBUS ? g_prev_bus : g_prev_segv, sig, info, uctx);
}

}  // namespace

void fault_handling_install() {
  std::lock_guard<std::mutex> g(g_install_lock);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (auto [sig, prev] : {std::pair{SIGSEGV, &g_prev_segv}, std::pair{SIGBUS, &g_prev_bus}}) {
    struct sigaction cur;
    if (sigaction(sig, nullptr, &cur) != 0) continue;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault) continue;  // ours
    // Someone installed another handler after us (or we were never here): chain to it.
    *prev = cur;
    sigaction(sig, &sa, nullptr);
  }
}

bool thread_fault_stack_setup() {
  stack_t cur;
  if (sigaltstack(nullptr, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) return false;  // has one
  void* p = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  stack_t ss;
  ss.ss_sp = p;
  ss.ss_size = kAltStackSize;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(p, kAltStackSize);
    return false;
  }
  t_altstack = p;
  return true;
}

void thread_fault_stack_teardown() {
  if (!t_altstack) return;
  stack_t ss;
  memset(&ss, 0, sizeof(ss));
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(t_altstack, kAltStackSize);
  t_altstack = nullptr;
}

#ifdef UML_TSAN
// ThreadSanitizer defers signals raised inside its interceptors (memcpy is one), so the
// handler never gets the fault. Let the host kernel do the copy instead: it checks both
// sides and answers EFAULT. Slower, and TSan does not see these accesses; only TSan builds
// use it.
bool copy_guarded(void* dst, const void* src, size_t len) {
  struct iovec local{dst, len}, remote{const_cast<void*>(src), len};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

bool strnlen_guarded(const char* s, size_t max, size_t* len) {
  char chunk[256];
  size_t n = 0;
  while (n < max) {
    const size_t want = std::min(sizeof(chunk), max - n);
    if (!copy_guarded(chunk, s + n, want)) {
      // The string may end before an unmapped byte in this chunk: go byte by byte.
      for (size_t i = 0; i < want; ++i) {
        if (!copy_guarded(chunk, s + n + i, 1)) return false;
        if (chunk[0] == '\0') {
          *len = n + i;
          return true;
        }
      }
      n += want;
      continue;
    }
    if (const void* z = memchr(chunk, 0, want)) {
      *len = n + static_cast<size_t>(static_cast<const char*>(z) - chunk);
      return true;
    }
    n += want;
  }
  *len = max;
  return true;
}
bool cmpxchg_guarded(uint32_t* p, uint32_t* expected, uint32_t desired, bool* swapped) {
  uint32_t probe;
  if (!copy_guarded(&probe, p, sizeof probe)) return false;  // TSan build: a read probe
  *swapped = __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return true;
}

bool strncpy_guarded(char* dst, const char* s, size_t max, size_t* len) {
  if (!strnlen_guarded(s, max, len)) return false;
  return copy_guarded(dst, s, *len < max ? *len + 1 : max);
}
#else
#ifndef UML_ASAN
bool copy_guarded(void* dst, const void* src, size_t len) { return uml_copy_user(dst, src, len) == 0; }
#else
// AddressSanitizer checks both sides of the copy through its memcpy, which the table above
// would hide from it. Not inlined into callers, and the copy is a call the compiler cannot
// see through, so no value is cached in a register across the possible siglongjmp.
__attribute__((noinline)) bool copy_guarded(void* dst, const void* src, size_t len) {
  if (len == 0) return true;  // memcpy's pointers must be valid even for nothing
  sigjmp_buf buf;
  if (sigsetjmp(buf, 0)) return false;
  t_recover = &buf;
  memcpy(dst, src, len);
  __asm__ volatile("" ::: "memory");
  t_recover = nullptr;
  return true;
}
#endif

// strnlen reads aligned blocks that never cross into a page past the NUL, so a string that
// ends just before an unmapped page is copied, as Linux's strncpy_from_user does.
__attribute__((noinline)) static bool cmpxchg_word(uint32_t* p, uint32_t* expected, uint32_t desired) {
  return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

__attribute__((noinline)) bool cmpxchg_guarded(uint32_t* p, uint32_t* expected, uint32_t desired, bool* swapped) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, 0)) return false;
  t_recover = &buf;
  *swapped = cmpxchg_word(p, expected, desired);
  __asm__ volatile("" ::: "memory");
  t_recover = nullptr;
  return true;
}

__attribute__((noinline)) static size_t copy_string(char* dst, const char* s, size_t max) {
  const size_t n = strnlen(s, max);
  memcpy(dst, s, n < max ? n + 1 : max);
  return n;
}

__attribute__((noinline)) bool strncpy_guarded(char* dst, const char* s, size_t max, size_t* len) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, 0)) return false;
  t_recover = &buf;
  *len = copy_string(dst, s, max);
  __asm__ volatile("" ::: "memory");
  t_recover = nullptr;
  return true;
}

__attribute__((noinline)) bool strnlen_guarded(const char* s, size_t max, size_t* len) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, 0)) return false;
  t_recover = &buf;
  *len = strnlen(s, max);
  __asm__ volatile("" ::: "memory");
  t_recover = nullptr;
  return true;
}

#endif

void set_overflow_hook(OverflowHook hook) { g_overflow_hook.store(hook, std::memory_order_release); }

}  // namespace uml::host
