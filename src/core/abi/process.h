#pragma once
// Guest ABI: processes, credentials, system information (Linux x86-64 uapi headers:
// linux/wait.h, asm-generic/siginfo.h, linux/resource.h, linux/sysinfo.h, linux/utsname.h,
// linux/prctl.h, linux/random.h).

#include <cstdint>

#include "core/abi/signal.h"
#include "core/abi/time.h"

namespace uml::abi {

// wait4/waitid options
inline constexpr int WNOHANG_ = 0x00000001;
inline constexpr int WUNTRACED_ = 0x00000002;
inline constexpr int WSTOPPED_ = WUNTRACED_;
inline constexpr int WEXITED_ = 0x00000004;
inline constexpr int WCONTINUED_ = 0x00000008;
inline constexpr int WNOWAIT_ = 0x01000000;
inline constexpr int __WNOTHREAD_ = 0x20000000;
inline constexpr int __WALL_ = 0x40000000;
inline constexpr int __WCLONE_ = static_cast<int>(0x80000000u);

enum IdType : int { P_ALL_ = 0, P_PID_ = 1, P_PGID_ = 2, P_PIDFD_ = 3 };

// Wait-status encoding (the "status" of wait4).
constexpr int wstatus_exited(int code) { return (code & 0xff) << 8; }
constexpr int wstatus_signaled(int sig, bool core) { return (sig & 0x7f) | (core ? 0x80 : 0); }

// siginfo codes for SIGCHLD
inline constexpr int CLD_EXITED_ = 1;
inline constexpr int CLD_KILLED_ = 2;
inline constexpr int CLD_DUMPED_ = 3;

// The SIGCHLD layout of siginfo_t, as waitid fills it. Field names drop glibc's si_
// prefix, which <signal.h> defines as macros.
struct siginfo_chld {
  int32_t signo;
  int32_t errno_;
  int32_t code;
  int32_t _pad0;
  int32_t pid;
  uint32_t uid;
  int32_t status;
  int32_t _pad1;
  int64_t utime;
  int64_t stime;
  uint8_t _rest[128 - 48];
};
static_assert(sizeof(siginfo_chld) == 128);

struct rusage {
  timeval ru_utime;
  timeval ru_stime;
  int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock,
      ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
static_assert(sizeof(rusage) == 144);
inline constexpr int RUSAGE_SELF_ = 0;
inline constexpr int RUSAGE_CHILDREN_ = -1;
inline constexpr int RUSAGE_THREAD_ = 1;

struct sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs;
  uint16_t pad;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  // _f[20 - 2 * sizeof(long) - sizeof(u32)] is empty on 64-bit; the tail is padding.
};
static_assert(sizeof(sysinfo) == 112);

inline constexpr int NEW_UTS_LEN = 64;
struct new_utsname {
  char sysname[NEW_UTS_LEN + 1];
  char nodename[NEW_UTS_LEN + 1];
  char release[NEW_UTS_LEN + 1];
  char version[NEW_UTS_LEN + 1];
  char machine[NEW_UTS_LEN + 1];
  char domainname[NEW_UTS_LEN + 1];
};
static_assert(sizeof(new_utsname) == 390);

inline constexpr int PR_GET_DUMPABLE_ = 3;
inline constexpr int PR_SET_DUMPABLE_ = 4;
inline constexpr int PR_SET_NAME_ = 15;
inline constexpr int PR_GET_NAME_ = 16;
inline constexpr int TASK_COMM_LEN = 16;

inline constexpr unsigned GRND_NONBLOCK_ = 0x0001;
inline constexpr unsigned GRND_RANDOM_ = 0x0002;
inline constexpr unsigned GRND_INSECURE_ = 0x0004;

inline constexpr int NGROUPS_MAX_ = 65536;
inline constexpr int PID_MAX_LIMIT = 4 * 1024 * 1024;
inline constexpr int RESERVED_PIDS = 300;

// Capabilities (linux/capability.h) used by the credential rules.
inline constexpr int CAP_CHOWN = 0;
inline constexpr int CAP_DAC_OVERRIDE = 1;
inline constexpr int CAP_DAC_READ_SEARCH = 2;
inline constexpr int CAP_FOWNER = 3;
inline constexpr int CAP_FSETID = 4;
inline constexpr int CAP_KILL = 5;
inline constexpr int CAP_SETGID = 6;
inline constexpr int CAP_SETUID = 7;
inline constexpr int CAP_LINUX_IMMUTABLE = 9;
inline constexpr int CAP_SYS_CHROOT = 18;
inline constexpr int CAP_SYS_ADMIN = 21;
inline constexpr int CAP_SYS_TIME = 25;
inline constexpr int CAP_SYS_NICE = 23;
inline constexpr int CAP_SYS_RESOURCE = 24;
inline constexpr int CAP_MKNOD = 27;
inline constexpr int CAP_MAC_OVERRIDE = 32;
inline constexpr int CAP_WAKE_ALARM = 35;
inline constexpr int CAP_BLOCK_SUSPEND = 36;
inline constexpr int CAP_LAST_CAP = 40;
inline constexpr uint64_t CAP_FULL_SET = (uint64_t{1} << (CAP_LAST_CAP + 1)) - 1;
// The capabilities that follow the filesystem uid (capabilities(7), "Effect of user ID
// changes on capabilities").
inline constexpr uint64_t CAP_FS_MASK =
    (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_DAC_OVERRIDE) |
    (uint64_t{1} << CAP_DAC_READ_SEARCH) | (uint64_t{1} << CAP_FOWNER) |
    (uint64_t{1} << CAP_FSETID) | (uint64_t{1} << CAP_LINUX_IMMUTABLE) |
    (uint64_t{1} << CAP_MAC_OVERRIDE) | (uint64_t{1} << CAP_MKNOD);

// Resource limits (asm-generic/resource.h); struct rlimit64 is prlimit64's, and on x86-64
// struct rlimit has the same layout.
struct rlimit64 {
  uint64_t rlim_cur;
  uint64_t rlim_max;
};
static_assert(sizeof(rlimit64) == 16);
inline constexpr uint64_t RLIM_INFINITY_ = ~0ull;
inline constexpr int RLIMIT_CPU_ = 0, RLIMIT_FSIZE_ = 1, RLIMIT_DATA_ = 2, RLIMIT_STACK_ = 3,
                     RLIMIT_CORE_ = 4, RLIMIT_RSS_ = 5, RLIMIT_NPROC_ = 6, RLIMIT_NOFILE_ = 7,
                     RLIMIT_MEMLOCK_ = 8, RLIMIT_AS_ = 9, RLIMIT_LOCKS_ = 10,
                     RLIMIT_SIGPENDING_ = 11, RLIMIT_MSGQUEUE_ = 12, RLIMIT_NICE_ = 13,
                     RLIMIT_RTPRIO_ = 14, RLIMIT_RTTIME_ = 15, RLIM_NLIMITS_ = 16;
inline constexpr uint64_t NR_OPEN_ = 1u << 20;  // /proc/sys/fs/nr_open

}  // namespace uml::abi
