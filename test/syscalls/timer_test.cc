// Process timers: alarm, setitimer/getitimer (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF) and POSIX timers, with their
// signals, overruns and errors. Each test runs in a child process of its own.

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include <catch2/catch.hpp>

#include "shim.h"

using shim::call;
using shim::sigbit;

namespace {

volatile int g_alarms = 0;
void alarm_handler(int) { g_alarms = g_alarms + 1; }

void expect_clean(int status) {
  INFO("child wait status " << status << " (exit code: the failing line mod 256)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// rt_sigtimedwait for one signal of set, up to ms milliseconds: its number, or -errno.
long wait_signal(unsigned long set, siginfo_t* si, long ms) {
  struct timespec ts {ms / 1000, (ms % 1000) * 1000000};
  return call(SYS_rt_sigtimedwait, &set, si, &ts, 8);
}

// The kernel's sigevent (glibc's has the same layout for these fields).
struct KSigevent {
  long value;
  int signo;
  int notify;
  int tid;
  int pad[11];
};

}  // namespace

TEST_CASE("alarm: the old value in whole seconds; SIGALRM ends a pause") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      CHILD_CHECK(call(SYS_alarm, 0) == 0);
      CHILD_CHECK(call(SYS_alarm, 5) == 0);
      struct itimerval cur {};
      CHILD_CHECK(call(SYS_getitimer, ITIMER_REAL, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 4 || cur.it_value.tv_sec == 5);
      CHILD_CHECK(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
      CHILD_CHECK(call(SYS_alarm, 0) == 5);  // rounded to the nearest second
      CHILD_CHECK(call(SYS_getitimer, ITIMER_REAL, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
      CHILD_CHECK(shim::set_action(SIGALRM, reinterpret_cast<void*>(alarm_handler), 0) == 0);
      struct itimerval it {{0, 0}, {0, 20000}};
      struct itimerval old {};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &it, &old) == 0);
      CHILD_CHECK(call(SYS_pause) == -EINTR);
      CHILD_CHECK(g_alarms == 1);
      CHILD_CHECK(call(SYS_getitimer, ITIMER_REAL, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);  // one shot: done
      // A sub-second alarm left reads as 1.
      struct itimerval tiny {{0, 0}, {0, 300000}};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &tiny, nullptr) == 0);
      CHILD_CHECK(call(SYS_alarm, 0) == 1);
      // Errors.
      struct itimerval bad {{0, 0}, {0, 1000000}};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &bad, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_setitimer, 7, &it, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_getitimer, 7, &cur) == -EINVAL);
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, 8, nullptr) == -EFAULT);
      CHILD_CHECK(call(SYS_getitimer, ITIMER_REAL, 8) == -EFAULT);
      return 0;
    }));
  });
}

TEST_CASE("setitimer: a periodic ITIMER_REAL keeps sending SIGALRM") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      shim::set_mask(sigbit(SIGALRM));
      struct itimerval it {{0, 5000}, {0, 5000}};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &it, nullptr) == 0);
      for (int i = 0; i < 3; ++i) {
        siginfo_t si{};
        CHILD_CHECK(wait_signal(sigbit(SIGALRM), &si, 2000) == SIGALRM);
        CHILD_CHECK(si.si_code == SI_KERNEL);
      }
      struct itimerval cur {};
      CHILD_CHECK(call(SYS_getitimer, ITIMER_REAL, &cur) == 0);
      CHILD_CHECK(cur.it_interval.tv_usec == 5000);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 5000);
      struct itimerval off {}, old {};
      CHILD_CHECK(call(SYS_setitimer, ITIMER_REAL, &off, &old) == 0);
      CHILD_CHECK(old.it_interval.tv_usec == 5000);
      return 0;
    }));
  });
}

TEST_CASE("timer_create: a POSIX timer's signal carries its id and value") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      const int sig = SIGRTMIN + 3;
      shim::set_mask(sigbit(sig) | sigbit(SIGALRM));
      KSigevent ev{};
      ev.value = 4242;
      ev.signo = sig;
      ev.notify = SIGEV_SIGNAL;
      int id = -1;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0);
      CHILD_CHECK(id >= 0);
      struct itimerspec cur {};
      CHILD_CHECK(call(SYS_timer_gettime, id, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);  // disarmed
      struct itimerspec its {{0, 0}, {0, 10000000}};
      CHILD_CHECK(call(SYS_timer_settime, id, 0, &its, nullptr) == 0);
      CHILD_CHECK(call(SYS_timer_gettime, id, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000);
      siginfo_t si{};
      CHILD_CHECK(wait_signal(sigbit(sig), &si, 2000) == sig);
      CHILD_CHECK(si.si_code == SI_TIMER);
      CHILD_CHECK(si.si_value.sival_int == 4242);
      CHILD_CHECK(si.si_timerid == id);
      CHILD_CHECK(si.si_overrun == 0);
      CHILD_CHECK(call(SYS_timer_gettime, id, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
      // An absolute time already past fires at once.
      struct timespec now {};
      call(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
      struct itimerspec past {{0, 0}, {now.tv_sec - 1, 0}};
      CHILD_CHECK(call(SYS_timer_settime, id, TIMER_ABSTIME, &past, nullptr) == 0);
      CHILD_CHECK(wait_signal(sigbit(sig), &si, 2000) == sig);
      // A null sigevent: SIGALRM with the id as its value.
      int id2 = -1;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_REALTIME, nullptr, &id2) == 0);
      CHILD_CHECK(id2 != id);
      struct itimerspec soon {{0, 0}, {0, 1000000}};
      CHILD_CHECK(call(SYS_timer_settime, id2, 0, &soon, nullptr) == 0);
      CHILD_CHECK(wait_signal(sigbit(SIGALRM), &si, 2000) == SIGALRM);
      CHILD_CHECK(si.si_code == SI_TIMER && si.si_value.sival_int == id2);
      CHILD_CHECK(call(SYS_timer_delete, id2) == 0);
      CHILD_CHECK(call(SYS_timer_delete, id2) == -EINVAL);
      CHILD_CHECK(call(SYS_timer_delete, id) == 0);
      return 0;
    }));
  });
}

TEST_CASE("timer_getoverrun counts the expiries while the signal was pending") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      const int sig = SIGRTMIN + 4;
      shim::set_mask(sigbit(sig));
      KSigevent ev{};
      ev.signo = sig;
      ev.notify = SIGEV_SIGNAL;
      int id = -1;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0);
      struct itimerspec its {{0, 1000000}, {0, 1000000}};
      CHILD_CHECK(call(SYS_timer_settime, id, 0, &its, nullptr) == 0);
      struct timespec nap {0, 60000000};
      call(SYS_nanosleep, &nap, nullptr);
      siginfo_t si{};
      CHILD_CHECK(wait_signal(sigbit(sig), &si, 2000) == sig);
      CHILD_CHECK(si.si_overrun >= 20);  // about 59 periods went by with the signal pending
      CHILD_CHECK(call(SYS_timer_getoverrun, id) == si.si_overrun);
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == 0);  // one signal, however many expiries
      struct itimerspec old {};
      struct itimerspec off {};
      CHILD_CHECK(call(SYS_timer_settime, id, 0, &off, &old) == 0);
      CHILD_CHECK(old.it_interval.tv_nsec == 1000000);
      CHILD_CHECK(call(SYS_timer_getoverrun, id + 100) == -EINVAL);
      return 0;
    }));
  });
}

TEST_CASE("timer_create: SIGEV_NONE never signals; bad arguments") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      KSigevent ev{};
      ev.notify = SIGEV_NONE;
      int id = -1;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0);
      struct itimerspec its {{0, 0}, {0, 5000000}};
      CHILD_CHECK(call(SYS_timer_settime, id, 0, &its, nullptr) == 0);
      struct timespec nap {0, 20000000};
      call(SYS_nanosleep, &nap, nullptr);
      unsigned long pend = 0;
      call(SYS_rt_sigpending, &pend, 8);
      CHILD_CHECK(pend == 0);
      struct itimerspec cur {};
      CHILD_CHECK(call(SYS_timer_gettime, id, &cur) == 0);
      CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);  // expired, silently
      // Errors, in Linux's order.
      struct itimerspec bad {{0, 0}, {0, 1000000000}};
      CHILD_CHECK(call(SYS_timer_settime, id, 0, &bad, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_timer_settime, id, 0, nullptr, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_timer_settime, id, 0, 8, nullptr) == -EFAULT);
      CHILD_CHECK(call(SYS_timer_settime, id + 1000, 0, &its, nullptr) == -EINVAL);
      CHILD_CHECK(call(SYS_timer_gettime, id + 1000, &cur) == -EINVAL);
      CHILD_CHECK(call(SYS_timer_gettime, id, 8) == -EFAULT);
      CHILD_CHECK(call(SYS_timer_create, 99, &ev, &id) == -EINVAL);
      KSigevent badsig{};
      badsig.notify = SIGEV_SIGNAL;
      badsig.signo = 65;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &badsig, &id) == -EINVAL);
      badsig.signo = SIGUSR1;
      badsig.notify = 77;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &badsig, &id) == -EINVAL);
      badsig.notify = SIGEV_THREAD_ID;
      badsig.tid = 3999999;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &badsig, &id) == -EINVAL);
      badsig.tid = static_cast<int>(call(SYS_gettid));
      int id3 = -1;
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, &badsig, &id3) == 0);
      CHILD_CHECK(call(SYS_timer_create, CLOCK_MONOTONIC, 8, &id) == -EFAULT);
      CHILD_CHECK(call(SYS_timer_delete, 123456) == -EINVAL);
      return 0;
    }));
  });
}

// ITIMER_VIRTUAL and ITIMER_PROF run on the process's CPU time: SIGVTALRM and SIGPROF come
// while it computes (and makes syscalls, where libuml looks at the clock), periodically.
TEST_CASE("setitimer: ITIMER_VIRTUAL and ITIMER_PROF send their signals as CPU time passes") {
  for (const int which : {ITIMER_VIRTUAL, ITIMER_PROF}) {
    const int sig = which == ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF;
    INFO("which " << which);
    shim::fresh_task([&] {
      expect_clean(shim::run_child([&] {
        shim::set_mask(sigbit(sig));
        struct itimerval it {{0, 20000}, {0, 20000}};
        CHILD_CHECK(call(SYS_setitimer, which, &it, nullptr) == 0);
        struct itimerval cur {};
        CHILD_CHECK(call(SYS_getitimer, which, &cur) == 0);
        CHILD_CHECK(cur.it_interval.tv_usec == 20000);
        // set_cpu_itimer adds a tick (4 ms at HZ=250) to the value.
        CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 24000);
        int got = 0;
        volatile uint64_t x = 1;
        for (;;) {
          struct timespec cpu {};
          call(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &cpu);
          if (got == 3 || cpu.tv_sec >= 10) break;  // CPU time, not wall time: bounded either way
          for (int i = 0; i < 20000; ++i) x = x * 6364136223846793005ull + 1;
          siginfo_t si{};
          if (wait_signal(sigbit(sig), &si, 0) == sig) {
            CHILD_CHECK(si.si_code == SI_KERNEL);
            ++got;
          }
        }
        CHILD_CHECK(got == 3);
        struct itimerval off {}, old {};
        CHILD_CHECK(call(SYS_setitimer, which, &off, &old) == 0);
        CHILD_CHECK(old.it_interval.tv_usec == 20000);
        CHILD_CHECK(call(SYS_getitimer, which, &cur) == 0);
        CHILD_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
        return 0;
      }));
    });
  }
  shim::fresh_task([] {
    struct itimerval it {};
    CHECK(call(SYS_getitimer, 3, &it) == -EINVAL);
    CHECK(call(SYS_setitimer, 3, &it, nullptr) == -EINVAL);
  });
}
