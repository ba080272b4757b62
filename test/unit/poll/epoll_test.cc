// epoll between guest tasks: EPOLLEXCLUSIVE wakes one waiter where a plain item wakes every
// one, and a task blocked in epoll_wait on another vCPU is woken by a write.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <vector>

#include "fixture.h"

namespace sys = uml::sys;

namespace {

// Two tasks, each blocked in epoll_wait on its own epoll watching one eventfd; one write.
// Returns how many of them saw the event before their 300 ms timeout.
int woken_by_one_write(uml::Kernel& k, uint32_t flags) {
  std::atomic<int> got{0};
  std::atomic<int> waiting{0};
  const int st = test::run_task(k, [&] {
    const long efd = sys::eventfd2(0, EFD_NONBLOCK);
    uml::SpawnOptions o;
    o.thread = true;
    std::vector<uml::TaskHandle> waiters;
    for (int i = 0; i < 2; ++i) {
      const long ep = sys::epoll_create1(0);
      epoll_event ev{};
      ev.events = EPOLLIN | flags;
      sys::epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
      waiters.push_back(k.spawn([&, ep] {
        ++waiting;
        epoll_event out{};
        if (sys::epoll_wait(ep, &out, 1, 300) == 1) ++got;
        return 0;
      }, o));
    }
    while (waiting < 2) sys::sched_yield();
    timespec settle{0, 20'000'000};
    sys::nanosleep(&settle, nullptr);  // both are inside epoll_wait by now
    const uint64_t one = 1;
    sys::write(efd, &one, 8);
    for (auto& w : waiters) w.wait();
    return 0;
  });
  return st == 0 ? got.load() : -1;
}

}  // namespace

TEST_CASE("EPOLLEXCLUSIVE: one write wakes one of the exclusive waiters, all of the others") {
  auto k = test::boot("vcpus=2");
  CHECK(woken_by_one_write(*k, 0) == 2);
  CHECK(woken_by_one_write(*k, EPOLLEXCLUSIVE) == 1);
}
