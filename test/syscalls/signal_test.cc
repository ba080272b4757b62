// Signals: masks, actions, handlers, queueing, waiting for signals, default actions, stops,
// SIGCHLD, SIGPIPE and the restart rules. Each test runs in a child process of its own
// (a fork on the host), so process-directed signals reach exactly it.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstring>

#include "shim.h"

using shim::call;
using shim::sigbit;

namespace {

// Handler bookkeeping (one child process at a time uses it).
volatile int g_count = 0;
volatile int g_last_sig = 0;
volatile int g_order[8];
volatile long g_values[8];
volatile int g_code = 0, g_pid = 0, g_status = 0;
volatile unsigned long g_mask_in_handler = 0;
volatile int g_in_read = 0, g_during_read = 0;

void reset() {
  g_count = 0;
  g_last_sig = 0;
  g_code = 0;
  g_pid = 0;
  g_status = 0;
  g_mask_in_handler = 0;
  g_in_read = 0;
  g_during_read = 0;
}

unsigned long current_mask() {
  unsigned long m = 0;
  call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &m, 8);
  return m;
}

void count_handler(int sig) {
  if (g_count < 8) g_order[g_count] = sig;
  g_last_sig = sig;
  g_mask_in_handler = current_mask();
  if (g_in_read) g_during_read = g_during_read + 1;
  g_count = g_count + 1;
}

void info_handler(int sig, siginfo_t* si, void*) {
  if (g_count < 8) {
    g_order[g_count] = sig;
    g_values[g_count] = si->si_value.sival_int;
  }
  g_code = si->si_code;
  g_pid = si->si_pid;
  g_status = si->si_status;
  g_count = g_count + 1;
}

void* h(void (*f)(int)) { return reinterpret_cast<void*>(f); }
void* h(void (*f)(int, siginfo_t*, void*)) { return reinterpret_cast<void*>(f); }
void* dfl() { return reinterpret_cast<void*>(SIG_DFL); }
void* ign() { return reinterpret_cast<void*>(SIG_IGN); }

void sleep_ms(long ms) {
  struct timespec ts {ms / 1000, (ms % 1000) * 1000000};
  call(SYS_nanosleep, &ts, nullptr);
}

// The child exits 0 when every CHILD_CHECK held; otherwise the line (mod 256) that failed.
void expect_clean(int status) {
  INFO("child wait status " << status << " (exit code: the failing line mod 256)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("rt_sigprocmask: block, unblock, set; KILL and STOP are never blocked") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      unsigned long set = sigbit(SIGUSR1) | sigbit(SIGKILL), old = 99;
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8) == 0);
      CHILD_CHECK(current_mask() == sigbit(SIGUSR1));  // SIGKILL dropped
      set = sigbit(SIGUSR2);
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_BLOCK, &set, nullptr, 8) == 0);
      CHILD_CHECK(current_mask() == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
      set = sigbit(SIGUSR1);
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &old, 8) == 0);
      CHILD_CHECK(old == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
      CHILD_CHECK(current_mask() == sigbit(SIGUSR2));
      set = ~0ul;
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_SETMASK, &set, nullptr, 8) == 0);
      CHILD_CHECK(current_mask() == (~0ul & ~(sigbit(SIGKILL) | sigbit(SIGSTOP))));
      // Errors: a bad how (before the old mask is written), a bad size, bad pointers.
      old = 7;
      CHILD_CHECK(call(SYS_rt_sigprocmask, 3, &set, &old, 8) == -EINVAL);
      CHILD_CHECK(old == 7);
      CHILD_CHECK(call(SYS_rt_sigprocmask, 7, nullptr, &old, 8) == 0);  // no set: how unused
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 4) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_BLOCK, 8, nullptr, 8) == -EFAULT);
      CHILD_CHECK(call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, 8, 8) == -EFAULT);
      return 0;
    }));
  });
}

TEST_CASE("rt_sigaction: old actions, unknown flags dropped, KILL and STOP refused") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::KSigaction old{};
      CHILD_CHECK(call(SYS_rt_sigaction, SIGUSR1, nullptr, &old, 8) == 0);
      CHILD_CHECK(old.handler == SIG_DFL);
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), SA_RESTART | 0x400 /* SA_UNSUPPORTED */,
                                   sigbit(SIGUSR2) | sigbit(SIGKILL)) == 0);
      CHILD_CHECK(call(SYS_rt_sigaction, SIGUSR1, nullptr, &old, 8) == 0);
      CHILD_CHECK(reinterpret_cast<void*>(old.handler) == h(count_handler));
      CHILD_CHECK(old.flags == (SA_RESTART | 0x04000000ul));  // SA_UNSUPPORTED cleared
      CHILD_CHECK(old.mask == sigbit(SIGUSR2));                // KILL never in a mask
      CHILD_CHECK(shim::set_action(SIGKILL, h(count_handler), 0) == -EINVAL);
      CHILD_CHECK(shim::set_action(SIGSTOP, ign(), 0) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_sigaction, SIGKILL, nullptr, &old, 8) == 0);  // may be read
      CHILD_CHECK(shim::set_action(0, ign(), 0) == -EINVAL);
      CHILD_CHECK(shim::set_action(65, ign(), 0) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_sigaction, SIGUSR1, nullptr, &old, 4) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_sigaction, SIGUSR1, 8, nullptr, 8) == -EFAULT);
      return 0;
    }));
  });
}

TEST_CASE("A handler runs before kill returns, with siginfo and the signal blocked") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      reset();
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), 0, sigbit(SIGUSR2)) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR1) == 0);
      CHILD_CHECK(g_count == 1 && g_last_sig == SIGUSR1);
      CHILD_CHECK(g_mask_in_handler == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
      CHILD_CHECK(current_mask() == 0);  // restored
      // SA_NODEFER: the signal stays unblocked in its handler.
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), SA_NODEFER) == 0);
      CHILD_CHECK(call(SYS_tgkill, call(SYS_getpid), call(SYS_gettid), SIGUSR1) == 0);
      CHILD_CHECK(g_count == 2 && g_mask_in_handler == 0);
      // SA_SIGINFO: who sent it and how.
      reset();
      CHILD_CHECK(shim::set_action(SIGUSR2, h(info_handler), SA_SIGINFO) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR2) == 0);
      CHILD_CHECK(g_count == 1 && g_code == SI_USER && g_pid == call(SYS_getpid));
      CHILD_CHECK(call(SYS_tkill, call(SYS_gettid), SIGUSR2) == 0);
      CHILD_CHECK(g_count == 2 && g_code == SI_TKILL);
      // SA_RESETHAND: once, then the default action again.
      CHILD_CHECK(shim::set_action(SIGWINCH, h(count_handler), SA_RESETHAND) == 0);
      reset();
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGWINCH) == 0);
      CHILD_CHECK(g_count == 1);
      shim::KSigaction old{};
      call(SYS_rt_sigaction, SIGWINCH, nullptr, &old, 8);
      CHILD_CHECK(old.handler == SIG_DFL);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGWINCH) == 0);  // default: ignored
      CHILD_CHECK(g_count == 1);
      // Signal 0 checks only; bad numbers.
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), 0) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), 65) == -EINVAL);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), -1) == -EINVAL);
      CHILD_CHECK(call(SYS_tgkill, call(SYS_getpid), 0, SIGUSR1) == -EINVAL);
      CHILD_CHECK(call(SYS_tgkill, 0, call(SYS_gettid), SIGUSR1) == -EINVAL);
      CHILD_CHECK(call(SYS_tgkill, call(SYS_getpid) + 100000, call(SYS_gettid), 0) == -ESRCH);
      CHILD_CHECK(call(SYS_kill, 3999999, 0) == -ESRCH);
      return 0;
    }));
  });
}

TEST_CASE("Blocked signals wait; standard ones coalesce, real-time ones queue in order") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      reset();
      const int rt = SIGRTMIN + 2;  // a real-time signal glibc leaves alone
      CHILD_CHECK(shim::set_action(SIGUSR1, h(info_handler), SA_SIGINFO) == 0);
      CHILD_CHECK(shim::set_action(rt, h(info_handler), SA_SIGINFO) == 0);
      shim::set_mask(sigbit(SIGUSR1) | sigbit(rt));
      const long me = call(SYS_getpid);
      for (int i = 0; i < 3; ++i) {
        CHILD_CHECK(call(SYS_kill, me, SIGUSR1) == 0);
        siginfo_t si{};
        si.si_code = SI_QUEUE;
        si.si_value.sival_int = 10 + i;
        CHILD_CHECK(call(SYS_rt_sigqueueinfo, me, rt, &si) == 0);
      }
      CHILD_CHECK(g_count == 0);
      unsigned long pend = 0;
      CHILD_CHECK(call(SYS_rt_sigpending, &pend, 8) == 0);
      CHILD_CHECK(pend == (sigbit(SIGUSR1) | sigbit(rt)));
      CHILD_CHECK(call(SYS_rt_sigpending, &pend, 9) == -EINVAL);
      // Delivered here, lowest number first: SIGUSR1's frame, then the first real-time one's
      // on top of it (which runs first); each later one comes when the one before returns
      // and unblocks it; SIGUSR1's handler runs last.
      shim::set_mask(0);
      CHILD_CHECK(g_count == 4);
      CHILD_CHECK(g_order[0] == rt && g_values[0] == 10);
      CHILD_CHECK(g_order[1] == rt && g_values[1] == 11);
      CHILD_CHECK(g_order[2] == rt && g_values[2] == 12);
      CHILD_CHECK(g_order[3] == SIGUSR1);
      CHILD_CHECK(g_code == SI_USER);  // SIGUSR1 ran last
      // rt_tgsigqueueinfo: to this thread, with its value.
      shim::set_mask(sigbit(rt));
      siginfo_t ti{};
      ti.si_code = SI_QUEUE;
      ti.si_value.sival_int = 99;
      CHILD_CHECK(call(SYS_rt_tgsigqueueinfo, me, call(SYS_gettid), rt, &ti) == 0);
      CHILD_CHECK(call(SYS_rt_tgsigqueueinfo, me, 0, rt, &ti) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_tgsigqueueinfo, me + 100000, call(SYS_gettid), rt, &ti) == -ESRCH);
      unsigned long rtset = sigbit(rt);
      siginfo_t got{};
      struct timespec zero {0, 0};
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &rtset, &got, &zero, 8) == rt);
      CHILD_CHECK(got.si_code == SI_QUEUE && got.si_value.sival_int == 99);
      shim::set_mask(0);
      // Forging kill's code for another process is refused.
      siginfo_t si{};
      si.si_code = SI_USER;
      CHILD_CHECK(call(SYS_rt_sigqueueinfo, call(SYS_getppid), SIGUSR1, &si) == -EPERM);
      CHILD_CHECK(call(SYS_rt_sigqueueinfo, me, SIGUSR1, nullptr) == -EFAULT);
      return 0;
    }));
  });
}

TEST_CASE("Ignoring a signal drops what is pending; ignored signals are never queued") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGUSR1));
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), 0) == 0);
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == sigbit(SIGUSR1));
      CHILD_CHECK(shim::set_action(SIGUSR1, ign(), 0) == 0);
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == 0);
      // Blocked and ignored: still queued (the action may change before it is unblocked).
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == sigbit(SIGUSR1));
      shim::set_mask(0);
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == 0);
      // Unblocked and ignored by default (SIGCHLD, SIGURG, SIGWINCH, SIGCONT): nothing happens.
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGURG) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGCONT) == 0);
      return 0;
    }));
  });
}

TEST_CASE("rt_sigtimedwait takes a pending signal, times out with EAGAIN") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGUSR2) | sigbit(SIGUSR1));
      unsigned long set = sigbit(SIGUSR2);
      struct timespec zero {0, 0}, short_wait {0, 20000000}, bad {0, 1000000000};
      siginfo_t si{};
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &zero, 8) == -EAGAIN);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &short_wait, 8) == -EAGAIN);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &bad, 8) == -EINVAL);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &zero, 16) == -EINVAL);
      call(SYS_kill, call(SYS_getpid), SIGUSR2);
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &zero, 8) == SIGUSR2);
      CHILD_CHECK(si.si_signo == SIGUSR2 && si.si_code == SI_USER && si.si_pid == call(SYS_getpid));
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == sigbit(SIGUSR1));  // the other one stays
      set = sigbit(SIGUSR1);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, nullptr, nullptr, 8) == SIGUSR1);
      return 0;
    }));
  });
}

TEST_CASE("rt_sigsuspend waits with a temporary mask and restores it after the handler") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      reset();
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), 0) == 0);
      shim::set_mask(sigbit(SIGUSR1) | sigbit(SIGUSR2));
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      CHILD_CHECK(g_count == 0);
      unsigned long tmp = sigbit(SIGUSR2);
      CHILD_CHECK(call(SYS_rt_sigsuspend, &tmp, 8) == -EINTR);
      CHILD_CHECK(g_count == 1);
      // In the handler: the temporary mask plus the signal itself.
      CHILD_CHECK(g_mask_in_handler == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
      CHILD_CHECK(current_mask() == (sigbit(SIGUSR1) | sigbit(SIGUSR2)));
      CHILD_CHECK(call(SYS_rt_sigsuspend, &tmp, 4) == -EINVAL);
      return 0;
    }));
  });
}

TEST_CASE("Default actions: terminate, core, ignore; the parent's wait status says which") {
  shim::fresh_task([] {
    int st = shim::run_child([] {
      shim::set_action(SIGTERM, dfl(), 0);
      call(SYS_kill, call(SYS_getpid), SIGTERM);
      return 42;  // not reached
    });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGTERM);
    CHECK_FALSE(WCOREDUMP(st));
    st = shim::run_child([] {
      call(SYS_kill, call(SYS_getpid), SIGKILL);
      return 42;
    });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGKILL);
    // A blocked fatal signal kills when it is unblocked.
    st = shim::run_child([] {
      shim::set_mask(sigbit(SIGUSR1));
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      if (pend != sigbit(SIGUSR1)) return 3;
      shim::set_mask(0);
      return 42;
    });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGUSR1);
    // The core actions: the flag in the wait status says a dump was taken, which
    // RLIMIT_CORE 0 (the default) prevents, or a process that is not dumpable (one that
    // changed its identity, until PR_SET_DUMPABLE). The host writes a file named core in
    // the working directory, here a scratch directory; libuml writes none.
    shim::ScratchDir dir;
    CHECK(call(SYS_prctl, PR_SET_DUMPABLE, 1) == 0);
    CHECK(call(SYS_prctl, PR_GET_DUMPABLE) == 1);
    CHECK(call(SYS_prctl, PR_SET_DUMPABLE, 2) == -EINVAL);
    for (const int variant : {0, 1, 2}) {  // limit 0; a limit; a limit but a new identity
      if (variant == 2 && !shim::is_root()) continue;
      st = shim::run_child([&] {
        shim::set_action(SIGQUIT, dfl(), 0);
        const unsigned long limit = variant ? 1ul << 20 : 0;
        struct rlimit lim {limit, limit};
        call(SYS_setrlimit, RLIMIT_CORE, &lim);
        call(SYS_chdir, dir.path.c_str());
        if (variant == 2) {
          call(SYS_setresuid, 0, 1000, 0);
          if (call(SYS_prctl, PR_GET_DUMPABLE) != 0) return 43;
        }
        call(SYS_kill, call(SYS_getpid), SIGQUIT);
        return 42;
      });
      INFO("variant " << variant);
      CHECK(WIFSIGNALED(st));
      CHECK(WTERMSIG(st) == SIGQUIT);
      CHECK(static_cast<bool>(WCOREDUMP(st)) == (variant == 1));
    }
    st = shim::run_child([] {
      call(SYS_kill, call(SYS_getpid), SIGCHLD);
      call(SYS_kill, call(SYS_getpid), SIGWINCH);
      return 5;
    });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 5);
  });
}

TEST_CASE("SIGPIPE: a write to a pipe without readers kills, or gives EPIPE when handled") {
  shim::fresh_task([] {
    int st = shim::run_child([] {
      shim::set_action(SIGPIPE, dfl(), 0);
      int fds[2];
      call(SYS_pipe2, fds, 0);
      call(SYS_close, fds[0]);
      call(SYS_write, fds[1], "x", 1);
      return 42;
    });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGPIPE);
    expect_clean(shim::run_child([] {
      reset();
      CHILD_CHECK(shim::set_action(SIGPIPE, h(info_handler), SA_SIGINFO) == 0);
      int fds[2];
      call(SYS_pipe2, fds, 0);
      call(SYS_close, fds[0]);
      CHILD_CHECK(call(SYS_write, fds[1], "x", 1) == -EPIPE);
      CHILD_CHECK(g_count == 1 && g_code == SI_USER && g_pid == call(SYS_getpid));
      // Blocked: EPIPE now, the signal pending.
      shim::set_mask(sigbit(SIGPIPE));
      CHILD_CHECK(call(SYS_write, fds[1], "x", 1) == -EPIPE);
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == sigbit(SIGPIPE));
      return 0;
    }));
  });
}

TEST_CASE("SIGXFSZ: writing past RLIMIT_FSIZE kills by default, else EFBIG") {
  shim::fresh_task([] {
    shim::ScratchDir dir;
    const std::string path = dir / "f";
    int st = shim::run_child([&] {
      shim::set_action(SIGXFSZ, dfl(), 0);
      struct rlimit lim {10, 10};
      call(SYS_setrlimit, RLIMIT_FSIZE, &lim);
      const long fd = call(SYS_openat, AT_FDCWD, path.c_str(), O_CREAT | O_WRONLY, 0600);
      call(SYS_pwrite64, fd, "0123456789abc", 13, 20);
      return 42;
    });
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGXFSZ);
    expect_clean(shim::run_child([&] {
      shim::set_action(SIGXFSZ, ign(), 0);
      struct rlimit lim {10, 10};
      call(SYS_setrlimit, RLIMIT_FSIZE, &lim);
      const long fd = call(SYS_openat, AT_FDCWD, path.c_str(), O_CREAT | O_WRONLY, 0600);
      CHILD_CHECK(call(SYS_pwrite64, fd, "0123456789abc", 13, 0) == 10);
      CHILD_CHECK(call(SYS_pwrite64, fd, "x", 1, 10) == -EFBIG);
      return 0;
    }));
  });
}

TEST_CASE("SIGCHLD: the parent hears of a child's exit with its siginfo") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGCHLD));
      const long pid = shim::start_child([] { return 7; });
      CHILD_CHECK(pid > 0);
      unsigned long set = sigbit(SIGCHLD);
      siginfo_t si{};
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, nullptr, 8) == SIGCHLD);
      CHILD_CHECK(si.si_code == CLD_EXITED && si.si_pid == pid && si.si_status == 7);
      int status = 0;
      CHILD_CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
      CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
      // A killed child: CLD_KILLED with the signal.
      const long pid2 = shim::start_child([] {
        call(SYS_kill, call(SYS_getpid), SIGKILL);
        return 0;
      });
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, nullptr, 8) == SIGCHLD);
      CHILD_CHECK(si.si_code == CLD_KILLED && si.si_pid == pid2 && si.si_status == SIGKILL);
      CHILD_CHECK(call(SYS_wait4, pid2, &status, 0, nullptr) == pid2);
      return 0;
    }));
  });
}

TEST_CASE("SIGCHLD ignored: children are reaped at once and wait finds none") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      CHILD_CHECK(shim::set_action(SIGCHLD, ign(), 0) == 0);
      const long pid = shim::start_child([] { return 3; });
      CHILD_CHECK(pid > 0);
      int status = 0;
      CHILD_CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == -ECHILD);
      return 0;
    }));
  });
}

TEST_CASE("SIGSTOP and SIGCONT of a child blocked in a pipe read; WUNTRACED and WCONTINUED") {
  shim::fresh_task([] {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, 0) == 0);
    const long pid = shim::start_child([&] {
      // A group of its own, under a parent in the same session: not orphaned, so the
      // terminal stop SIGTSTP stops it too (an orphaned group ignores it).
      if (call(SYS_setpgid, 0, 0) != 0) return 99;
      char c = 0;
      // No handler: the read goes on after the stop as if nothing happened.
      const long n = call(SYS_read, fds[0], &c, 1);
      return n == 1 && c == 'k' ? 0 : 100;
    });
    REQUIRE(pid > 0);
    sleep_ms(20);
    int status = 0;
    CHECK(call(SYS_kill, pid, SIGSTOP) == 0);
    CHECK(call(SYS_wait4, pid, &status, WUNTRACED, nullptr) == pid);
    CHECK(WIFSTOPPED(status));
    CHECK(WSTOPSIG(status) == SIGSTOP);
    // Reported once.
    CHECK(call(SYS_wait4, pid, &status, WUNTRACED | WNOHANG, nullptr) == 0);
    CHECK(call(SYS_kill, pid, SIGCONT) == 0);
    CHECK(call(SYS_wait4, pid, &status, WCONTINUED, nullptr) == pid);
    CHECK(WIFCONTINUED(status));
    // waitid sees a stop as CLD_STOPPED.
    CHECK(call(SYS_kill, pid, SIGTSTP) == 0);
    siginfo_t si{};
    CHECK(call(SYS_waitid, P_PID, pid, &si, WSTOPPED, nullptr) == 0);
    CHECK(si.si_code == CLD_STOPPED);
    CHECK(si.si_status == SIGTSTP);
    CHECK(call(SYS_kill, pid, SIGCONT) == 0);
    CHECK(call(SYS_waitid, P_PID, pid, &si, WCONTINUED, nullptr) == 0);
    CHECK(si.si_code == CLD_CONTINUED);
    CHECK(si.si_status == SIGCONT);
    CHECK(call(SYS_write, fds[1], "k", 1) == 1);
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    call(SYS_close, fds[0]);
    call(SYS_close, fds[1]);
  });
}

TEST_CASE("SIGKILL ends a stopped child") {
  shim::fresh_task([] {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, 0) == 0);
    const long pid = shim::start_child([&] {
      char c;
      call(SYS_read, fds[0], &c, 1);
      return 0;
    });
    int status = 0;
    CHECK(call(SYS_kill, pid, SIGSTOP) == 0);
    CHECK(call(SYS_wait4, pid, &status, WUNTRACED, nullptr) == pid);
    CHECK(WIFSTOPPED(status));
    CHECK(call(SYS_kill, pid, SIGKILL) == 0);
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    call(SYS_close, fds[0]);
    call(SYS_close, fds[1]);
  });
}

TEST_CASE("A handled signal interrupts a blocking pipe read with EINTR; SA_RESTART restarts it") {
  shim::fresh_task([] {
    for (const bool restart : {false, true}) {
      int fds[2];
      REQUIRE(call(SYS_pipe2, fds, 0) == 0);
      // The child starts with SIGUSR1 blocked (our mask), so none comes before its handler.
      const unsigned long old_mask = shim::set_mask(sigbit(SIGUSR1));
      const long pid = shim::start_child([&] {
        reset();
        CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), restart ? SA_RESTART : 0) == 0);
        shim::set_mask(0);
        call(SYS_close, fds[1]);
        char c = 0;
        g_in_read = 1;
        const long n = call(SYS_read, fds[0], &c, 1);
        g_in_read = 0;
        if (!restart) return n == -EINTR ? 0 : 100;
        // Restarted: the signals came and went, and the read got its byte.
        CHILD_CHECK(g_during_read > 0);
        return n == 1 && c == 'z' ? 0 : 101;
      });
      shim::set_mask(old_mask);
      REQUIRE(pid > 0);
      int status = 0;
      bool reaped = false;
      // Signal until the child is surely inside its read (a signal before it is harmless).
      for (int i = 0; i < 10 && !reaped; ++i) {
        call(SYS_kill, pid, SIGUSR1);
        sleep_ms(5);
        if (!restart) reaped = call(SYS_wait4, pid, &status, WNOHANG, nullptr) == pid;
      }
      if (restart) CHECK(call(SYS_write, fds[1], "z", 1) == 1);
      if (!reaped) CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
      INFO("SA_RESTART " << restart);
      expect_clean(status);
      call(SYS_close, fds[0]);
      call(SYS_close, fds[1]);
    }
  });
}

TEST_CASE("A handled signal ends nanosleep with EINTR and the time left; a stop does not") {
  shim::fresh_task([] {
    const unsigned long old_mask = shim::set_mask(sigbit(SIGUSR1));
    const long pid = shim::start_child([] {
      reset();
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), SA_RESTART) == 0);
      shim::set_mask(0);
      struct timespec req {5, 0}, rem {0, 0};
      const long r = call(SYS_nanosleep, &req, &rem);
      CHILD_CHECK(r == -EINTR);  // SA_RESTART does not restart sleeps
      CHILD_CHECK(rem.tv_sec >= 3 && rem.tv_sec <= 5);
      return 0;
    });
    shim::set_mask(old_mask);
    sleep_ms(30);
    int status = 0;
    CHECK(call(SYS_kill, pid, SIGUSR1) == 0);
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    expect_clean(status);
    // Stopped and continued mid-sleep: it sleeps on to the end (no handler ran).
    const long pid2 = shim::start_child([] {
      struct timespec req {0, 150000000};
      return call(SYS_nanosleep, &req, nullptr) == 0 ? 0 : 100;
    });
    sleep_ms(20);
    CHECK(call(SYS_kill, pid2, SIGSTOP) == 0);
    CHECK(call(SYS_wait4, pid2, &status, WUNTRACED, nullptr) == pid2);
    CHECK(call(SYS_kill, pid2, SIGCONT) == 0);
    CHECK(call(SYS_wait4, pid2, &status, 0, nullptr) == pid2);
    expect_clean(status);
  });
}

TEST_CASE("kill: process groups, and permission between users") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      reset();
      CHILD_CHECK(call(SYS_setpgid, 0, 0) == 0);
      CHILD_CHECK(shim::set_action(SIGUSR1, h(count_handler), 0) == 0);
      CHILD_CHECK(call(SYS_kill, 0, SIGUSR1) == 0);  // our own group: just us
      CHILD_CHECK(g_count == 1);
      CHILD_CHECK(call(SYS_kill, -call(SYS_getpid), SIGUSR1) == 0);
      CHILD_CHECK(g_count == 2);
      CHILD_CHECK(call(SYS_kill, -3999999, SIGUSR1) == -ESRCH);
      CHILD_CHECK(call(SYS_kill, INT_MIN, SIGUSR1) == -ESRCH);
      // A child in our group gets a group signal too.
      const long kid = shim::start_child([] {
        for (;;) call(SYS_pause);  // until killed
        return 0;
      });
      CHILD_CHECK(kid > 0);
      CHILD_CHECK(shim::set_action(SIGTERM, ign(), 0) == 0);
      CHILD_CHECK(call(SYS_kill, 0, SIGTERM) == 0);
      int status = 0;
      // The child kept SIGTERM's default and ends (SIGKILL too, should it be still starting).
      call(SYS_kill, kid, SIGKILL);
      CHILD_CHECK(call(SYS_wait4, kid, &status, 0, nullptr) == kid);
      CHILD_CHECK(WIFSIGNALED(status));
      // An unprivileged process may not signal another user's (init runs as root).
      shim::become_unprivileged();
      CHILD_CHECK(call(SYS_kill, 1, 0) == -EPERM);
      CHILD_CHECK(call(SYS_kill, 1, SIGKILL) == -EPERM);
      return 0;
    }));
  });
}

TEST_CASE("SIGCHLD on a child's stop and continue, unless SA_NOCLDSTOP; wait4 interrupted") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGCHLD));
      int fds[2];
      CHILD_CHECK(call(SYS_pipe2, fds, 0) == 0);
      const long kid = shim::start_child([&] {
        char c;
        call(SYS_read, fds[0], &c, 1);
        return 0;
      });
      CHILD_CHECK(kid > 0);
      unsigned long set = sigbit(SIGCHLD);
      siginfo_t si{};
      struct timespec wait_long {5, 0}, wait_short {0, 50000000};
      CHILD_CHECK(call(SYS_kill, kid, SIGSTOP) == 0);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &wait_long, 8) == SIGCHLD);
      CHILD_CHECK(si.si_code == CLD_STOPPED && si.si_pid == kid && si.si_status == SIGSTOP);
      CHILD_CHECK(call(SYS_kill, kid, SIGCONT) == 0);
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &wait_long, 8) == SIGCHLD);
      CHILD_CHECK(si.si_code == CLD_CONTINUED && si.si_status == SIGCONT);
      // SA_NOCLDSTOP: no signal for a stop, though wait still reports it.
      CHILD_CHECK(shim::set_action(SIGCHLD, h(count_handler), SA_NOCLDSTOP) == 0);
      CHILD_CHECK(call(SYS_kill, kid, SIGSTOP) == 0);
      int status = 0;
      CHILD_CHECK(call(SYS_wait4, kid, &status, WUNTRACED, nullptr) == kid);
      CHILD_CHECK(WIFSTOPPED(status));
      CHILD_CHECK(call(SYS_rt_sigtimedwait, &set, &si, &wait_short, 8) == -EAGAIN);
      CHILD_CHECK(call(SYS_kill, kid, SIGCONT) == 0);
      // wait4 blocked for the child, interrupted by a handled signal without SA_RESTART.
      reset();
      CHILD_CHECK(shim::set_action(SIGALRM, h(count_handler), 0) == 0);
      struct itimerval it {{0, 0}, {0, 30000}};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &it, nullptr) == 0);
      CHILD_CHECK(call(SYS_wait4, kid, &status, 0, nullptr) == -EINTR);
      CHILD_CHECK(g_count == 1);
      CHILD_CHECK(call(SYS_write, fds[1], "x", 1) == 1);
      CHILD_CHECK(call(SYS_wait4, kid, &status, 0, nullptr) == kid);
      CHILD_CHECK(WIFEXITED(status));
      return 0;
    }));
  });
}

namespace {
constexpr unsigned kSsAutodisarm = 1u << 31;  // <linux/signal.h>: SS_AUTODISARM
char g_altstack[64 * 1024];
volatile uintptr_t g_handler_sp = 0;
volatile int g_alt_flags = -1;
volatile long g_alt_set = 1;
void on_alt(int) {
  char here = 0;
  g_handler_sp = reinterpret_cast<uintptr_t>(&here);
  stack_t cur{};
  shim::call(SYS_sigaltstack, nullptr, &cur);
  g_alt_flags = cur.ss_flags;
  stack_t again{g_altstack, 0, sizeof g_altstack};
  g_alt_set = shim::call(SYS_sigaltstack, &again, nullptr);
}
void on_alt_quiet(int) {
  char here = 0;
  g_handler_sp = reinterpret_cast<uintptr_t>(&here);
}
bool on_altstack_mem(uintptr_t sp) {
  return sp >= reinterpret_cast<uintptr_t>(g_altstack) && sp < reinterpret_cast<uintptr_t>(g_altstack) + sizeof g_altstack;
}
}  // namespace

// sigaltstack: an SA_ONSTACK handler runs on the alternate stack, which reports SS_ONSTACK
// and cannot change meanwhile; SS_AUTODISARM hands it over to the handler and sigreturn
// brings it back.
TEST_CASE("sigaltstack: SA_ONSTACK handlers run on the alternate stack") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      // Disabled to start with (a sanitizer may have given the host's thread one).
      stack_t old{}, none{nullptr, SS_DISABLE, 0};
      CHILD_CHECK(call(SYS_sigaltstack, &none, nullptr) == 0);
      CHILD_CHECK(call(SYS_sigaltstack, nullptr, &old) == 0);
      CHILD_CHECK(old.ss_flags == SS_DISABLE);
      stack_t small{g_altstack, 0, 1024};
      CHILD_CHECK(call(SYS_sigaltstack, &small, nullptr) == -ENOMEM);
      stack_t bad{g_altstack, 7, sizeof g_altstack};
      CHILD_CHECK(call(SYS_sigaltstack, &bad, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_sigaltstack, 8, nullptr) == -EFAULT);
      stack_t ss{g_altstack, 0, sizeof g_altstack};
      CHILD_CHECK(call(SYS_sigaltstack, &ss, nullptr) == 0);
      CHILD_CHECK(call(SYS_sigaltstack, nullptr, &old) == 0);
      CHILD_CHECK(old.ss_sp == g_altstack && old.ss_size == sizeof g_altstack && old.ss_flags == 0);
      // SA_ONSTACK: on it, SS_ONSTACK, and no change while there.
      CHILD_CHECK(shim::set_action(SIGUSR1, reinterpret_cast<void*>(on_alt), SA_ONSTACK) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR1) == 0);
      CHILD_CHECK(on_altstack_mem(g_handler_sp));
      CHILD_CHECK(g_alt_flags == SS_ONSTACK);
      CHILD_CHECK(g_alt_set == -EPERM);
      // Without SA_ONSTACK: the thread's own stack.
      CHILD_CHECK(shim::set_action(SIGUSR2, reinterpret_cast<void*>(on_alt), 0) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR2) == 0);
      CHILD_CHECK(!on_altstack_mem(g_handler_sp));
      CHILD_CHECK(g_alt_flags == 0);
      // SS_AUTODISARM: disarmed inside (the handler may set another: it sets this one
      // again, without the flag, and sigreturn's restore_altstack then leaves it so, since
      // the frame is on it).
      stack_t ad{g_altstack, static_cast<int>(kSsAutodisarm), sizeof g_altstack};
      CHILD_CHECK(call(SYS_sigaltstack, &ad, nullptr) == 0);
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR1) == 0);
      CHILD_CHECK(on_altstack_mem(g_handler_sp));
      CHILD_CHECK(g_alt_flags == SS_DISABLE);
      CHILD_CHECK(g_alt_set == 0);
      CHILD_CHECK(call(SYS_sigaltstack, nullptr, &old) == 0);
      CHILD_CHECK(old.ss_sp == g_altstack && old.ss_size == sizeof g_altstack);
      CHILD_CHECK(old.ss_flags == 0);
      // A handler that leaves it alone finds it armed again after sigreturn.
      CHILD_CHECK(call(SYS_sigaltstack, &ad, nullptr) == 0);
      CHILD_CHECK(shim::set_action(SIGUSR2, reinterpret_cast<void*>(on_alt_quiet), SA_ONSTACK) == 0);
      g_handler_sp = 0;
      CHILD_CHECK(call(SYS_kill, call(SYS_getpid), SIGUSR2) == 0);
      CHILD_CHECK(on_altstack_mem(g_handler_sp));
      CHILD_CHECK(call(SYS_sigaltstack, nullptr, &old) == 0);
      CHILD_CHECK(static_cast<unsigned>(old.ss_flags) == kSsAutodisarm && old.ss_size == sizeof g_altstack);
      stack_t off{nullptr, SS_DISABLE, 0};
      CHILD_CHECK(call(SYS_sigaltstack, &off, nullptr) == 0);
      CHILD_CHECK(call(SYS_sigaltstack, nullptr, &old) == 0);
      CHILD_CHECK(old.ss_flags == SS_DISABLE && old.ss_size == 0);
      return 0;
    }));
  });
}
