// Readiness: poll, ppoll, select, pselect6 and epoll over pipes and eventfds: the events
// each end reports, timeouts, errors, and epoll's level, edge and one-shot modes, nesting
// and EPOLLEXCLUSIVE's rules.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;
using shim::sigbit;

namespace {

struct Pipe {
  int r = -1, w = -1;
  explicit Pipe(int flags = 0) {
    int fds[2];
    REQUIRE(call(SYS_pipe2, fds, flags) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) call(SYS_close, r);
    if (w >= 0) call(SYS_close, w);
  }
  void close_r() { call(SYS_close, r), r = -1; }
  void close_w() { call(SYS_close, w), w = -1; }
};

short poll1(int fd, short events, int timeout = 0) {
  struct pollfd p {fd, events, 0};
  const long n = call(SYS_poll, &p, 1, timeout);
  return n < 0 ? static_cast<short>(n) : p.revents;
}

// epoll_wait into a vector: the events, or one entry with events = -errno.
std::vector<epoll_event> ewait(int ep, int max = 16, int timeout = 0) {
  std::vector<epoll_event> evs(max);
  const long n = call(SYS_epoll_wait, ep, evs.data(), max, timeout);
  if (n < 0) return {epoll_event{static_cast<uint32_t>(n), {}}};
  evs.resize(n);
  return evs;
}

long ctl(int ep, int op, int fd, uint32_t events, uint64_t data = 0) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  return call(SYS_epoll_ctl, ep, op, fd, &ev);
}

volatile int g_handled = 0;
void on_usr1(int) { g_handled = g_handled + 1; }

void expect_clean(int status) {
  INFO("child wait status " << status << " (exit code: the failing line mod 256)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("poll: pipe ends report data, room, hang-up and error") {
  shim::fresh_task([] {
    Pipe p;
    CHECK(poll1(p.r, POLLIN) == 0);
    CHECK(poll1(p.w, POLLOUT) == POLLOUT);
    CHECK(poll1(p.w, POLLIN) == 0);  // only what was asked for
    CHECK(call(SYS_write, p.w, "ab", 2) == 2);
    CHECK(poll1(p.r, POLLIN | POLLRDNORM) == (POLLIN | POLLRDNORM));
    p.close_w();
    CHECK(poll1(p.r, POLLIN) == (POLLIN | POLLHUP));  // HUP always reported
    char buf[4];
    call(SYS_read, p.r, buf, sizeof buf);
    CHECK(poll1(p.r, POLLIN) == POLLHUP);
    CHECK(poll1(p.r, 0) == POLLHUP);
    Pipe q;
    q.close_r();
    CHECK(poll1(q.w, POLLOUT) == (POLLOUT | POLLERR));
    // A full pipe is not writable.
    Pipe full(O_NONBLOCK);
    std::vector<char> big(1 << 16, 'x');
    CHECK(call(SYS_write, full.w, big.data(), big.size()) == 65536);
    CHECK(poll1(full.w, POLLOUT) == 0);
    CHECK(call(SYS_read, full.r, big.data(), 4096) == 4096);
    CHECK(poll1(full.w, POLLOUT | POLLWRNORM) == (POLLOUT | POLLWRNORM));
  });
}

TEST_CASE("poll: invalid and negative descriptors, files that cannot wait, errors") {
  shim::fresh_task([] {
    Pipe p;
    struct pollfd fds[3] = {{-1, POLLIN, 77}, {999, POLLIN, 0}, {p.r, POLLIN, 0}};
    CHECK(call(SYS_poll, fds, 3, 1000) == 1);  // the invalid one counts, and nothing waits
    CHECK(fds[0].revents == 0);
    CHECK(fds[1].revents == POLLNVAL);
    CHECK(fds[2].revents == 0);
    shim::ScratchDir dir;
    const long f = call(SYS_openat, AT_FDCWD, (dir / "f").c_str(), O_CREAT | O_RDWR, 0600);
    REQUIRE(f >= 0);
    CHECK(poll1(static_cast<int>(f), POLLIN | POLLOUT | POLLPRI) == (POLLIN | POLLOUT));
    call(SYS_close, f);
    CHECK(call(SYS_poll, nullptr, 0, 0) == 0);
    CHECK(call(SYS_poll, 8, 1, 0) == -EFAULT);
    CHECK(call(SYS_poll, fds, 1 << 30, 0) == -EINVAL);  // more than RLIMIT_NOFILE
    // A timeout: nothing ready, 0 after about that long.
    CHECK(poll1(p.r, POLLIN, 20) == 0);
  });
}

TEST_CASE("poll wakes when another process writes") {
  shim::fresh_task([] {
    Pipe p;
    const long pid = shim::start_child([&] {
      struct timespec ts {0, 20000000};
      call(SYS_nanosleep, &ts, nullptr);
      return call(SYS_write, p.w, "z", 1) == 1 ? 0 : 1;
    });
    REQUIRE(pid > 0);
    struct pollfd pf {p.r, POLLIN, 0};
    CHECK(call(SYS_poll, &pf, 1, 5000) == 1);
    CHECK(pf.revents == POLLIN);
    int status = 0;
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    expect_clean(status);
  });
}

TEST_CASE("select: read, write and exception sets, the time left, errors") {
  shim::fresh_task([] {
    Pipe p;
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    FD_SET(p.r, &rd);
    FD_SET(p.w, &wr);
    FD_SET(p.r, &ex);
    const int nfds = std::max(p.r, p.w) + 1;
    struct timeval tv {0, 0};
    CHECK(call(SYS_select, nfds, &rd, &wr, &ex, &tv) == 1);
    CHECK_FALSE(FD_ISSET(p.r, &rd));
    CHECK(FD_ISSET(p.w, &wr));
    CHECK_FALSE(FD_ISSET(p.r, &ex));
    call(SYS_write, p.w, "x", 1);
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(p.r, &rd);
    FD_SET(p.w, &wr);
    tv = {5, 0};
    CHECK(call(SYS_select, nfds, &rd, &wr, nullptr, &tv) == 2);
    CHECK(FD_ISSET(p.r, &rd));
    CHECK(tv.tv_sec >= 4);  // the time left is written back
    // A timeout with nothing ready.
    FD_ZERO(&wr);
    call(SYS_read, p.r, &tv, 1);
    FD_ZERO(&rd);
    FD_SET(p.r, &rd);
    tv = {0, 20000};
    CHECK(call(SYS_select, nfds, &rd, nullptr, nullptr, &tv) == 0);
    CHECK(tv.tv_sec == 0);
    CHECK(tv.tv_usec == 0);
    CHECK_FALSE(FD_ISSET(p.r, &rd));
    // Errors.
    const int closed = static_cast<int>(call(SYS_dup, p.r));
    call(SYS_close, closed);
    FD_ZERO(&rd);
    FD_SET(closed, &rd);
    tv = {0, 0};
    CHECK(call(SYS_select, closed + 1, &rd, nullptr, nullptr, &tv) == -EBADF);
    CHECK(call(SYS_select, -1, nullptr, nullptr, nullptr, &tv) == -EINVAL);
    tv = {0, -1};
    CHECK(call(SYS_select, nfds, nullptr, nullptr, nullptr, &tv) == -EINVAL);
    CHECK(call(SYS_select, nfds, 8, nullptr, nullptr, nullptr) == -EFAULT);
    // A long microsecond count carries into seconds.
    tv = {0, 1500000};
    FD_ZERO(&wr);
    FD_SET(p.w, &wr);
    CHECK(call(SYS_select, nfds, nullptr, &wr, nullptr, &tv) == 1);
  });
}

TEST_CASE("ppoll and pselect6: the temporary mask lets a pending signal in, then returns") {
  shim::fresh_task([] {
    expect_clean(shim::run_child([] {
      g_handled = 0;
      CHILD_CHECK(shim::set_action(SIGUSR1, reinterpret_cast<void*>(on_usr1), SA_RESTART) == 0);
      shim::set_mask(sigbit(SIGUSR1));
      int fds[2];
      CHILD_CHECK(call(SYS_pipe2, fds, 0) == 0);
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      CHILD_CHECK(g_handled == 0);
      unsigned long none = 0;
      struct pollfd pf {fds[0], POLLIN, 0};
      struct timespec ts {5, 0};
      CHILD_CHECK(call(SYS_ppoll, &pf, 1, &ts, &none, 8) == -EINTR);  // even with SA_RESTART
      CHILD_CHECK(g_handled == 1);
      CHILD_CHECK(ts.tv_sec >= 4);
      unsigned long mask = 0;
      call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &mask, 8);
      CHILD_CHECK(mask == sigbit(SIGUSR1));  // restored
      CHILD_CHECK(call(SYS_ppoll, &pf, 1, &ts, &none, 4) == -EINVAL);
      // pselect6: the same through its {mask, size} pair.
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      fd_set rd;
      FD_ZERO(&rd);
      FD_SET(fds[0], &rd);
      struct {
        unsigned long* ss;
        unsigned long len;
      } sig = {&none, 8};
      CHILD_CHECK(call(SYS_pselect6, fds[0] + 1, &rd, nullptr, nullptr, nullptr, &sig) == -EINTR);
      CHILD_CHECK(g_handled == 2);
      call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &mask, 8);
      CHILD_CHECK(mask == sigbit(SIGUSR1));
      // No signal: ppoll with a mask returns normally, and the mask comes back.
      call(SYS_write, fds[1], "x", 1);
      CHILD_CHECK(call(SYS_ppoll, &pf, 1, nullptr, &none, 8) == 1);
      call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &mask, 8);
      CHILD_CHECK(mask == sigbit(SIGUSR1));
      return 0;
    }));
  });
}

TEST_CASE("epoll_ctl: its errors, in Linux's order") {
  shim::fresh_task([] {
    CHECK(call(SYS_epoll_create1, 1) == -EINVAL);
    CHECK(call(SYS_epoll_create, 0) == -EINVAL);
    const long ep = call(SYS_epoll_create1, EPOLL_CLOEXEC);
    REQUIRE(ep >= 0);
    CHECK(call(SYS_fcntl, ep, F_GETFD) == FD_CLOEXEC);
    Pipe p;
    shim::ScratchDir dir;
    const long f = call(SYS_openat, AT_FDCWD, (dir / "f").c_str(), O_CREAT | O_RDWR, 0600);
    CHECK(ctl(ep, EPOLL_CTL_ADD, static_cast<int>(f), EPOLLIN) == -EPERM);  // cannot wait
    CHECK(ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN) == -EBADF);
    CHECK(ctl(999, EPOLL_CTL_ADD, p.r, EPOLLIN) == -EBADF);
    CHECK(ctl(p.w, EPOLL_CTL_ADD, p.r, EPOLLIN) == -EINVAL);  // not an epoll
    CHECK(ctl(ep, EPOLL_CTL_ADD, static_cast<int>(ep), EPOLLIN) == -EINVAL);  // itself
    CHECK(call(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p.r, 8) == -EFAULT);
    CHECK(call(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p.r, 8) == -ENOENT);  // DEL reads no event
    CHECK(ctl(ep, EPOLL_CTL_MOD, p.r, EPOLLIN) == -ENOENT);
    CHECK(ctl(ep, EPOLL_CTL_ADD, p.r, EPOLLIN) == 0);
    CHECK(ctl(ep, EPOLL_CTL_ADD, p.r, EPOLLIN) == -EEXIST);
    CHECK(ctl(ep, 7, p.r, EPOLLIN) == -EINVAL);
    CHECK(ctl(ep, EPOLL_CTL_MOD, p.r, EPOLLIN | EPOLLEXCLUSIVE) == -EINVAL);
    CHECK(ctl(ep, EPOLL_CTL_ADD, p.w, EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT) == -EINVAL);
    CHECK(ctl(ep, EPOLL_CTL_ADD, p.w, EPOLLOUT | EPOLLEXCLUSIVE) == 0);
    CHECK(ctl(ep, EPOLL_CTL_MOD, p.w, EPOLLOUT) == -EINVAL);  // an exclusive item stays so
    CHECK(ctl(ep, EPOLL_CTL_DEL, p.w, 0) == 0);
    CHECK(ctl(ep, EPOLL_CTL_DEL, p.r, 0) == 0);
    // Waiting: bad counts and pointers, not an epoll.
    epoll_event ev[2];
    CHECK(call(SYS_epoll_wait, ep, ev, 0, 0) == -EINVAL);
    CHECK(call(SYS_epoll_wait, ep, ev, -1, 0) == -EINVAL);
    CHECK(call(SYS_epoll_wait, ep, nullptr, 2, 0) == 0);  // nothing to copy: no fault
    CHECK(call(SYS_epoll_wait, ep, -1L, 2, 0) == -EFAULT);  // past the user range
    CHECK(call(SYS_epoll_wait, p.r, ev, 2, 0) == -EINVAL);
    CHECK(call(SYS_epoll_wait, 999, ev, 2, 0) == -EBADF);
    CHECK(call(SYS_epoll_wait, ep, ev, 2, 10) == 0);  // a timeout
    // Loops, and an epoll inside an epoll.
    const long ep2 = call(SYS_epoll_create1, 0);
    CHECK(ctl(ep, EPOLL_CTL_ADD, static_cast<int>(ep2), EPOLLIN) == 0);
    CHECK(ctl(ep2, EPOLL_CTL_ADD, static_cast<int>(ep), EPOLLIN) == -ELOOP);
    CHECK(ctl(ep, EPOLL_CTL_ADD, static_cast<int>(ep2), EPOLLIN) == -EEXIST);
    call(SYS_close, ep2);
    call(SYS_close, ep);
    call(SYS_close, f);
  });
}

TEST_CASE("epoll: level-triggered reports until drained; edge-triggered once per write") {
  shim::fresh_task([] {
    const long ep = call(SYS_epoll_create1, 0);
    Pipe lt(O_NONBLOCK), et(O_NONBLOCK);
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, lt.r, EPOLLIN, 1) == 0);
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, et.r, EPOLLIN | EPOLLET, 2) == 0);
    CHECK(ewait(ep).empty());
    call(SYS_write, lt.w, "a", 1);
    call(SYS_write, et.w, "b", 1);
    auto evs = ewait(ep);
    REQUIRE(evs.size() == 2);
    CHECK(evs[0].data.u64 + evs[1].data.u64 == 3);
    // Nothing read: the level-triggered one again, the edge-triggered one not.
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 1);
    CHECK(evs[0].events == EPOLLIN);
    // Another write is another edge.
    call(SYS_write, et.w, "c", 1);
    evs = ewait(ep);
    REQUIRE(evs.size() == 2);
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 1);
    // Drained: no more.
    char buf[8];
    call(SYS_read, lt.r, buf, sizeof buf);
    call(SYS_read, et.r, buf, sizeof buf);
    CHECK(ewait(ep).empty());
    // A write end: EPOLLOUT, and EPOLLERR once the readers are gone.
    Pipe w;
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, w.w, EPOLLOUT, 3) == 0);
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].events == EPOLLOUT);
    w.close_r();
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].events == (EPOLLOUT | EPOLLERR));
    // maxevents: one at a time, the rest stay ready.
    call(SYS_write, lt.w, "a", 1);
    evs = ewait(ep, 1);
    CHECK(evs.size() == 1);
    evs = ewait(ep, 1);
    CHECK(evs.size() == 1);
    call(SYS_close, ep);
  });
}

TEST_CASE("epoll: one-shot, hang-up without RDHUP on pipes, closing the watched file") {
  shim::fresh_task([] {
    const long ep = call(SYS_epoll_create1, 0);
    Pipe p(O_NONBLOCK);
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, p.r, EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, 9) == 0);
    call(SYS_write, p.w, "a", 1);
    auto evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 9);
    call(SYS_write, p.w, "b", 1);
    CHECK(ewait(ep).empty());  // disabled until re-armed
    REQUIRE(ctl(ep, EPOLL_CTL_MOD, p.r, EPOLLIN | EPOLLRDHUP, 10) == 0);
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 10);
    p.close_w();
    evs = ewait(ep);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].events == (EPOLLIN | EPOLLHUP));  // pipes never say RDHUP
    // The last close of the watched file takes it out of the set.
    p.close_r();
    CHECK(ewait(ep).empty());
    call(SYS_close, ep);
  });
}

TEST_CASE("epoll: nested sets and eventfd") {
  shim::fresh_task([] {
    const long outer = call(SYS_epoll_create1, 0);
    const long inner = call(SYS_epoll_create1, 0);
    const long efd = call(SYS_eventfd2, 0, EFD_NONBLOCK);
    REQUIRE(ctl(inner, EPOLL_CTL_ADD, static_cast<int>(efd), EPOLLIN, 5) == 0);
    REQUIRE(ctl(outer, EPOLL_CTL_ADD, static_cast<int>(inner), EPOLLIN, 6) == 0);
    CHECK(ewait(outer).empty());
    CHECK(poll1(static_cast<int>(inner), POLLIN) == 0);
    uint64_t one = 1;
    call(SYS_write, efd, &one, 8);
    auto evs = ewait(outer);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 6);
    CHECK(evs[0].events == EPOLLIN);
    CHECK(poll1(static_cast<int>(inner), POLLIN) == POLLIN);
    evs = ewait(inner);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].data.u64 == 5);
    uint64_t v;
    call(SYS_read, efd, &v, 8);
    CHECK(ewait(outer).empty());
    CHECK(poll1(static_cast<int>(efd), POLLIN | POLLOUT) == POLLOUT);
    call(SYS_close, efd);
    call(SYS_close, inner);
    call(SYS_close, outer);
  });
}

TEST_CASE("epoll_wait wakes when another process writes, and a handled signal ends it with EINTR") {
  shim::fresh_task([] {
    const long ep = call(SYS_epoll_create1, 0);
    Pipe p;
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, p.r, EPOLLIN, 1) == 0);
    const long pid = shim::start_child([&] {
      struct timespec ts {0, 20000000};
      call(SYS_nanosleep, &ts, nullptr);
      return call(SYS_write, p.w, "z", 1) == 1 ? 0 : 1;
    });
    epoll_event ev{};
    CHECK(call(SYS_epoll_wait, ep, &ev, 1, 5000) == 1);
    CHECK(ev.data.u64 == 1);
    int status = 0;
    CHECK(call(SYS_wait4, pid, &status, 0, nullptr) == pid);
    expect_clean(status);
    expect_clean(shim::run_child([&] {
      g_handled = 0;
      CHILD_CHECK(shim::set_action(SIGUSR1, reinterpret_cast<void*>(on_usr1), SA_RESTART) == 0);
      shim::set_mask(sigbit(SIGUSR1));
      call(SYS_kill, call(SYS_getpid), SIGUSR1);
      char c;
      call(SYS_read, p.r, &c, 1);  // drain
      unsigned long none = 0;
      epoll_event e{};
      CHILD_CHECK(call(SYS_epoll_pwait, ep, &e, 1, 5000, &none, 8) == -EINTR);
      CHILD_CHECK(g_handled == 1);
      CHILD_CHECK(call(SYS_epoll_pwait, ep, &e, 1, 0, &none, 4) == -EINVAL);
      struct timespec zero {0, 0};
      CHILD_CHECK(call(SYS_epoll_pwait2, ep, &e, 1, &zero, nullptr, 8) == 0);
      return 0;
    }));
    call(SYS_close, ep);
  });
}

TEST_CASE("epoll: 10,000 pipes in one set, one ready") {
  if (!shim::is_root()) return test::skip("needs root");  // raising RLIMIT_NOFILE past 4096 needs root in libuml
  shim::fresh_task([] {
    shim::ScratchDir dir;
    expect_clean(shim::run_child([&] {
      // FIFOs opened for reading and writing: one descriptor per pipe, which the host's
      // descriptor limit (20,000 here) makes room for.
      struct rlimit lim {};
      call(SYS_getrlimit, RLIMIT_NOFILE, &lim);
      lim.rlim_cur = 10100;
      if (lim.rlim_max < lim.rlim_cur) lim.rlim_max = lim.rlim_cur;
      CHILD_CHECK(call(SYS_setrlimit, RLIMIT_NOFILE, &lim) == 0);
      const long ep = call(SYS_epoll_create1, 0);
      std::vector<int> fds(10000);
      for (int i = 0; i < 10000; ++i) {
        const std::string path = dir / std::to_string(i);
        CHILD_CHECK(call(SYS_mknodat, AT_FDCWD, path.c_str(), S_IFIFO | 0600, 0) == 0);
        fds[i] = static_cast<int>(call(SYS_openat, AT_FDCWD, path.c_str(), O_RDWR | O_NONBLOCK));
        CHILD_CHECK(fds[i] >= 0);
        CHILD_CHECK(ctl(static_cast<int>(ep), EPOLL_CTL_ADD, fds[i], EPOLLIN, static_cast<uint64_t>(i)) == 0);
      }
      CHILD_CHECK(ewait(static_cast<int>(ep)).empty());
      for (int k : {0, 4321, 9999}) {
        call(SYS_write, fds[k], "x", 1);
        auto evs = ewait(static_cast<int>(ep));
        CHILD_CHECK(evs.size() == 1);
        CHILD_CHECK(evs[0].data.u64 == static_cast<uint64_t>(k));
        char c;
        call(SYS_read, fds[k], &c, 1);
        CHILD_CHECK(ewait(static_cast<int>(ep)).empty());
      }
      for (int fd : fds) call(SYS_close, fd);
      call(SYS_close, ep);
      return 0;
    }));
  });
}

// ep_done_scan: a level-triggered item a waiter reported goes back on the ready list, and
// the next waiter is woken for it. Threads blocked on one set, one byte written and never
// read: every one of them returns it, long before its own timeout (whose last look would
// find the byte too). The threads stay alive until all have returned, so no exit of one
// wakes the others.
TEST_CASE("epoll: a level-triggered event wakes every thread waiting on the set") {
  shim::fresh_task([] {
    constexpr int kThreads = 3, kRounds = 5;
    const long ep = call(SYS_epoll_create1, 0);
    Pipe p, release;
    REQUIRE(ctl(ep, EPOLL_CTL_ADD, p.r, EPOLLIN, 7) == 0);
    int all_returned = 0;
    for (int round = 0; round < kRounds; ++round) {
      std::atomic<int> returned{0}, right{0};
      std::vector<std::function<void()>> joins;
      for (int i = 0; i < kThreads; ++i)
        joins.push_back(shim::start_thread([&] {
          epoll_event ev{};
          if (call(SYS_epoll_wait, ep, &ev, 1, 30000) == 1 && ev.data.u64 == 7) ++right;
          ++returned;
          char c;
          call(SYS_read, release.r, &c, 1);
        }));
      struct timespec ts {0, 20000000};
      call(SYS_nanosleep, &ts, nullptr);  // asleep by now, most likely (any order passes)
      REQUIRE(call(SYS_write, p.w, "x", 1) == 1);
      // Up to 10 s for every waiter to come back (it takes microseconds).
      struct timespec tick {0, 10000000};
      for (int i = 0; i < 1000 && returned.load() < kThreads; ++i) call(SYS_nanosleep, &tick, nullptr);
      if (returned.load() == kThreads && right.load() == kThreads) ++all_returned;
      REQUIRE(call(SYS_write, release.w, "rrr", kThreads) == kThreads);
      for (auto& j : joins) j();
      char c;
      REQUIRE(call(SYS_read, p.r, &c, 1) == 1);
    }
    CHECK(all_returned == kRounds);
    call(SYS_close, ep);
  });
}
