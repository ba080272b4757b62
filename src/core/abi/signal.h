#pragma once
// Guest ABI: signals and timers (Linux x86-64: asm/signal.h, asm-generic/siginfo.h,
// asm/ucontext.h, linux/time.h's itimerval/itimerspec, asm-generic/signal-defs.h).

#include <cstddef>
#include <cstdint>

#include "core/abi/time.h"

namespace uml::abi {

inline constexpr int SIGHUP_ = 1, SIGINT_ = 2, SIGQUIT_ = 3, SIGILL_ = 4, SIGTRAP_ = 5,
                     SIGABRT_ = 6, SIGBUS_ = 7, SIGKILL_ = 9, SIGSEGV_ = 11, SIGCHLD_ = 17, SIGFPE_ = 8, SIGUSR1_ = 10, SIGUSR2_ = 12, SIGPIPE_ = 13,
                     SIGALRM_ = 14, SIGTERM_ = 15, SIGSTKFLT_ = 16, SIGCONT_ = 18, SIGSTOP_ = 19,
                     SIGTSTP_ = 20, SIGTTIN_ = 21, SIGTTOU_ = 22, SIGURG_ = 23, SIGXCPU_ = 24,
                     SIGXFSZ_ = 25, SIGVTALRM_ = 26, SIGPROF_ = 27, SIGWINCH_ = 28, SIGIO_ = 29,
                     SIGPWR_ = 30, SIGSYS_ = 31;
inline constexpr int SIGRTMIN_ = 32;
inline constexpr int NSIG_ = 64;  // signals 1..64

// sa_flags
inline constexpr uint64_t SA_NOCLDSTOP_ = 0x00000001;
inline constexpr uint64_t SA_NOCLDWAIT_ = 0x00000002;
inline constexpr uint64_t SA_SIGINFO_ = 0x00000004;
inline constexpr uint64_t SA_UNSUPPORTED_ = 0x00000400;
inline constexpr uint64_t SA_EXPOSE_TAGBITS_ = 0x00000800;
inline constexpr uint64_t SA_RESTORER_ = 0x04000000;
inline constexpr uint64_t SA_ONSTACK_ = 0x08000000;
inline constexpr uint64_t SA_RESTART_ = 0x10000000;
inline constexpr uint64_t SA_NODEFER_ = 0x40000000;
inline constexpr uint64_t SA_RESETHAND_ = 0x80000000;

inline constexpr uintptr_t SIG_DFL_ = 0;
inline constexpr uintptr_t SIG_IGN_ = 1;

inline constexpr int SIG_BLOCK_ = 0, SIG_UNBLOCK_ = 1, SIG_SETMASK_ = 2;

// rt_sigaction's struct (the kernel's, not glibc's): the mask is one 64-bit word.
struct kernel_sigaction {
  uintptr_t handler;
  uint64_t flags;
  uintptr_t restorer;
  uint64_t mask;
};
static_assert(sizeof(kernel_sigaction) == 32);

// si_code values
inline constexpr int SI_USER_ = 0;
inline constexpr int SI_KERNEL_ = 0x80;
inline constexpr int SI_QUEUE_ = -1;
inline constexpr int SI_TIMER_ = -2;
inline constexpr int SI_MESGQ_ = -3;
inline constexpr int SI_ASYNCIO_ = -4;
inline constexpr int SI_SIGIO_ = -5;
inline constexpr int SI_TKILL_ = -6;
inline constexpr int CLD_TRAPPED_ = 4;
inline constexpr int CLD_STOPPED_ = 5;
inline constexpr int CLD_CONTINUED_ = 6;

// siginfo_t: 128 bytes; the union starts at offset 16. The members name the layouts the
// kernel fills (kill, timer, rt/queue, chld, poll).
struct siginfo {
  int32_t signo;
  int32_t errno_;
  int32_t code;
  int32_t pad_;
  union {
    struct {
      int32_t pid;
      uint32_t uid;
      uint64_t value;  // sigval (rt/queue)
    } kill;
    struct {
      int32_t tid;
      int32_t overrun;
      uint64_t value;
      int32_t sys_private;
    } timer;
    struct {
      int32_t pid;
      uint32_t uid;
      int32_t status;
      int32_t pad;
      int64_t utime;
      int64_t stime;
    } chld;
    struct {
      int64_t band;
      int32_t fd;
    } poll;
    uint8_t raw[112];
  };
};
static_assert(sizeof(siginfo) == 128);

// What a SA_SIGINFO handler's third argument points at: the head of the kernel's struct
// ucontext, which glibc's ucontext_t extends (uc_sigmask at the same offset).
struct stack_t_ {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};
inline constexpr int SS_ONSTACK_ = 1;
inline constexpr int SS_DISABLE_ = 2;
inline constexpr uint32_t SS_AUTODISARM_ = 1u << 31;  // SS_FLAG_BITS
inline constexpr uint64_t MINSIGSTKSZ_ = 2048;
struct ucontext_ {
  uint64_t uc_flags;
  uint64_t uc_link;
  stack_t_ uc_stack;
  uint8_t uc_mcontext[256];
  uint64_t uc_sigmask;
  uint8_t glibc_rest[1024 - 304];  // room for glibc's larger ucontext_t (968 bytes)
};
static_assert(offsetof(ucontext_, uc_sigmask) == 296);

// sigevent (timer_create)
inline constexpr int SIGEV_SIGNAL_ = 0;
inline constexpr int SIGEV_NONE_ = 1;
inline constexpr int SIGEV_THREAD_ = 2;
inline constexpr int SIGEV_THREAD_ID_ = 4;
struct sigevent {
  uint64_t value;
  int32_t signo;
  int32_t notify;
  int32_t tid;  // SIGEV_THREAD_ID
  int32_t pad[11];
};
static_assert(sizeof(sigevent) == 64);

struct itimerval {
  timeval it_interval;
  timeval it_value;
};
struct itimerspec {
  timespec it_interval;
  timespec it_value;
};
inline constexpr int ITIMER_REAL_ = 0, ITIMER_VIRTUAL_ = 1, ITIMER_PROF_ = 2;

// signalfd
inline constexpr int SFD_CLOEXEC_ = 02000000;
inline constexpr int SFD_NONBLOCK_ = 04000;
struct signalfd_siginfo {
  uint32_t ssi_signo;
  int32_t ssi_errno;
  int32_t ssi_code;
  uint32_t ssi_pid;
  uint32_t ssi_uid;
  int32_t ssi_fd;
  uint32_t ssi_tid;
  uint32_t ssi_band;
  uint32_t ssi_overrun;
  uint32_t ssi_trapno;
  int32_t ssi_status;
  int32_t ssi_int;
  uint64_t ssi_ptr;
  uint64_t ssi_utime;
  uint64_t ssi_stime;
  uint64_t ssi_addr;
  uint16_t ssi_addr_lsb;
  uint16_t pad2;
  int32_t ssi_syscall;
  uint64_t ssi_call_addr;
  uint32_t ssi_arch;
  uint8_t pad[28];
};
static_assert(sizeof(signalfd_siginfo) == 128);

}  // namespace uml::abi
