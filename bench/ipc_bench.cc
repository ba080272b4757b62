// Issue 4's benchmarks: pipes, futexes and readiness between guest tasks, against the same
// exchanges between host threads.

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>

#include <libuml/libuml.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "bench.h"
#include "guest.h"

namespace {

namespace gs = uml::sys;

using bench::boot;
using bench::in_guest;

// A guest thread of the calling task's process.
uml::TaskHandle guest_thread(uml::Kernel& k, std::function<int()> body) {
  uml::SpawnOptions o;
  o.thread = true;
  return k.spawn(std::move(body), o);
}

void pin_guest(int vcpu) {
  const uint64_t mask = uint64_t{1} << vcpu;
  gs::sched_setaffinity(0, sizeof mask, &mask);
}

void pin_host(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % std::max(1u, std::thread::hardware_concurrency()), &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// The syscall entries the exchanges run through: the guest's and the host's.
struct GuestSys {
  template <typename... A>
  long operator()(long nr, A... a) const {
    return uml::syscall(nr, static_cast<long>(a)...);
  }
};
struct HostSys {
  template <typename... A>
  long operator()(long nr, A... a) const {
    return ::syscall(nr, static_cast<long>(a)...);
  }
};
constexpr GuestSys guest_sys;
constexpr HostSys host_sys;

using StartPartner = std::function<void(std::function<void()>)>;
using JoinPartner = std::function<void()>;

// exchange(sys, start_partner, join_partner) in a guest task of k, its partner a guest thread
// of the same process.
template <typename Exchange>
double guest_pair(uml::Kernel& k, Exchange&& exchange) {
  return in_guest(k, [&] {
    std::shared_ptr<uml::TaskHandle> partner;
    const StartPartner start = [&](std::function<void()> body) {
      partner = std::make_shared<uml::TaskHandle>(guest_thread(k, [body] {
        body();
        return 0;
      }));
    };
    return exchange(guest_sys, start, JoinPartner([&] { partner->wait(); }));
  });
}

// The same between two host threads.
template <typename Exchange>
double host_pair(Exchange&& exchange) {
  std::thread partner;
  const StartPartner start = [&](std::function<void()> body) { partner = std::thread(std::move(body)); };
  return exchange(host_sys, start, JoinPartner([&] { partner.join(); }));
}

// One byte there and back through two pipes, N times: ns per round trip. sys is the
// syscall function (guest or host); pin(i) places side i (or does nothing).
template <typename Sys>
double pipe_pingpong(long n, Sys sys, const std::function<void(std::function<void()>)>& start_partner,
                     const std::function<void()>& join_partner, const std::function<void(int)>& pin) {
  int ab[2], ba[2];
  sys(SYS_pipe2, reinterpret_cast<long>(ab), 0);
  sys(SYS_pipe2, reinterpret_cast<long>(ba), 0);
  start_partner([=] {
    pin(1);
    char c;
    for (long i = 0; i < n; ++i) {
      sys(SYS_read, ab[0], reinterpret_cast<long>(&c), 1);
      sys(SYS_write, ba[1], reinterpret_cast<long>(&c), 1);
    }
  });
  pin(0);
  char c = 'x';
  const double t0 = bench::now_ns();
  for (long i = 0; i < n; ++i) {
    sys(SYS_write, ab[1], reinterpret_cast<long>(&c), 1);
    sys(SYS_read, ba[0], reinterpret_cast<long>(&c), 1);
  }
  const double per = (bench::now_ns() - t0) / static_cast<double>(n);
  join_partner();
  for (int fd : {ab[0], ab[1], ba[0], ba[1]}) sys(SYS_close, fd);
  return per;
}


double guest_pipe_pingpong(uml::Kernel& k, long n, bool cross) {
  return guest_pair(k, [&](auto sys, const StartPartner& start, const JoinPartner& join) {
    return pipe_pingpong(n, sys, start, join, [cross](int side) {
      if (cross) pin_guest(side);
    });
  });
}

enum class HostPlacement { Free, OneCpu, TwoCpus };

double host_pipe_pingpong(long n, HostPlacement where) {
  double r = host_pair([&](auto sys, const StartPartner& start, const JoinPartner& join) {
    return pipe_pingpong(n, sys, start, join, [where](int side) {
      if (where == HostPlacement::TwoCpus) pin_host(side);
      if (where == HostPlacement::OneCpu) pin_host(0);
    });
  });
  if (where != HostPlacement::Free) {  // the bench thread goes back to every CPU
    cpu_set_t all;
    CPU_ZERO(&all);
    for (unsigned c = 0; c < std::max(1u, std::thread::hardware_concurrency()); ++c) CPU_SET(c, &all);
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
  }
  return r;
}

struct Instance {
  std::unique_ptr<uml::Kernel> k;
};

}  // namespace

UML_BENCHMARK(pipe_pingpong_same_vcpu) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "pipe_pingpong_same_vcpu";
  b.unit = "ns/op";
  b.baseline = "host threads";
  b.note = "one byte there and back through two pipes between two guest tasks on one vCPU, "
           "vs two host threads (the host picks their CPUs)";
  b.setup = [st] { st->k = boot("vcpus=1"); };
  b.guest = [st] { return guest_pipe_pingpong(*st->k, 200'000, false); };
  b.base = [] { return host_pipe_pingpong(20'000, HostPlacement::Free); };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

UML_BENCHMARK(pipe_pingpong_one_cpu) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "pipe_pingpong_one_cpu";
  b.unit = "ns/op";
  b.baseline = "host threads, 1 CPU";
  b.note = "pipe_pingpong_same_vcpu's guest side vs two host threads pinned to one CPU (the "
           "host's cheapest case: no cross-CPU wake-up)";
  b.setup = [st] { st->k = boot("vcpus=1"); };
  b.guest = [st] { return guest_pipe_pingpong(*st->k, 200'000, false); };
  b.base = [] { return host_pipe_pingpong(50'000, HostPlacement::OneCpu); };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

UML_BENCHMARK(pipe_pingpong_cross_vcpu) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "pipe_pingpong_cross_vcpu";
  b.unit = "ns/op";
  b.baseline = "host threads";
  b.note = "as pipe_pingpong_same_vcpu with the two tasks pinned to different vCPUs, vs two "
           "host threads pinned to different CPUs";
  b.setup = [st] { st->k = boot("vcpus=2"); };
  b.guest = [st] { return guest_pipe_pingpong(*st->k, 100'000, true); };
  b.base = [] { return host_pipe_pingpong(20'000, HostPlacement::TwoCpus); };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

namespace {

// Futex ping-pong: each side waits for its turn on a shared word and wakes the other;
// ns per wake (half a round trip).
template <typename Sys>
double futex_pingpong(long n, Sys sys, const std::function<void(std::function<void()>)>& start_partner,
                      const std::function<void()>& join_partner) {
  auto turn = std::make_shared<std::atomic<uint32_t>>(0);
  auto wait_for = [sys, turn](uint32_t want) {
    for (;;) {
      const uint32_t cur = turn->load(std::memory_order_acquire);
      if (cur == want) return;
      sys(SYS_futex, reinterpret_cast<long>(turn.get()), FUTEX_WAIT_PRIVATE, cur, 0, 0, 0);
    }
  };
  auto give = [sys, turn](uint32_t v) {
    turn->store(v, std::memory_order_release);
    sys(SYS_futex, reinterpret_cast<long>(turn.get()), FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
  };
  start_partner([=] {
    for (long i = 0; i < n; ++i) {
      wait_for(1);
      give(0);
    }
  });
  const double t0 = bench::now_ns();
  for (long i = 0; i < n; ++i) {
    give(1);
    wait_for(0);
  }
  const double per = (bench::now_ns() - t0) / (2.0 * static_cast<double>(n));
  join_partner();
  return per;
}

}  // namespace

UML_BENCHMARK(futex_wake) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "futex_wake";
  b.unit = "ns/op";
  b.baseline = "host threads";
  b.note = "wake-to-run: two guest tasks on one vCPU take turns through FUTEX_WAIT/FUTEX_WAKE "
           "on a shared word (ns per hand-over), vs two host threads";
  b.setup = [st] { st->k = boot("vcpus=1"); };
  b.guest = [st] {
    return guest_pair(*st->k, [](auto sys, const StartPartner& start, const JoinPartner& join) {
      return futex_pingpong(200'000, sys, start, join);
    });
  };
  b.base = [] {
    return host_pair([](auto sys, const StartPartner& start, const JoinPartner& join) {
      return futex_pingpong(20'000, sys, start, join);
    });
  };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

namespace {

// epoll_wait over 10,000 eventfds of which one is readable (level-triggered, never read):
// ns per epoll_wait.
template <typename Sys>
double epoll_10k(Sys sys, long iterations, int kFds = 10'000) {
  const int ep = static_cast<int>(sys(SYS_epoll_create1, 0));
  std::vector<int> fds;
  fds.reserve(kFds);
  for (int i = 0; i < kFds; ++i) {
    const int fd = static_cast<int>(sys(SYS_eventfd2, 0, EFD_NONBLOCK));
    if (fd < 0) break;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    sys(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, reinterpret_cast<long>(&ev));
    fds.push_back(fd);
  }
  const uint64_t one = 1;
  sys(SYS_write, fds[fds.size() / 2], reinterpret_cast<long>(&one), 8);
  epoll_event out[16];
  const double t0 = bench::now_ns();
  for (long i = 0; i < iterations; ++i) sys(SYS_epoll_wait, ep, reinterpret_cast<long>(out), 16, 0);
  const double per = (bench::now_ns() - t0) / static_cast<double>(iterations);
  for (int fd : fds) sys(SYS_close, fd);
  sys(SYS_close, ep);
  return fds.size() == static_cast<size_t>(kFds) ? per : -1;
}

void raise_nofile(long want) {
  struct rlimit lim {};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(want)) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, static_cast<rlim_t>(want));
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

UML_BENCHMARK(epoll_10k_one_ready) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "epoll_10k_one_ready";
  b.unit = "ns/op";
  b.baseline = "host";
  b.note = "epoll_wait (level-triggered, no timeout) on a set of 10,000 eventfds with one "
           "readable, in a guest task vs on the host";
  b.setup = [st] {
    st->k = boot("vcpus=1");
    raise_nofile(10'100);
  };
  b.guest = [st] {
    return in_guest(*st->k, [] {
      struct rlimit lim {10'100, 10'100};
      gs::setrlimit(RLIMIT_NOFILE, &lim);
      return epoll_10k(guest_sys, 500'000);
    });
  };
  b.base = [] { return epoll_10k(host_sys, 200'000); };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

UML_BENCHMARK(epoll_ready_scaling) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "epoll_10k_vs_10";
  b.unit = "ns/op";
  b.baseline = "guest, 10 fds";
  b.note = "epoll_wait's cost follows what is ready, not what is watched: the guest's "
           "epoll_10k_one_ready vs the same with 10 eventfds registered (about 1.0x)";
  b.setup = [st] { st->k = boot("vcpus=1"); };
  b.guest = [st] {
    return in_guest(*st->k, [] {
      struct rlimit lim {10'100, 10'100};
      gs::setrlimit(RLIMIT_NOFILE, &lim);
      return epoll_10k(guest_sys, 500'000);
    });
  };
  b.base = [st] { return in_guest(*st->k, [] { return epoll_10k(guest_sys, 500'000, 10); }); };
  b.teardown = [st] { st->k.reset(); };
  return b;
}

namespace {

// An eventfd write wakes the other side's epoll_wait, which answers the same way: ns per
// write-to-wake-up (half a round trip).
template <typename Sys>
double eventfd_epoll(long n, Sys sys, const std::function<void(std::function<void()>)>& start_partner,
                     const std::function<void()>& join_partner) {
  const int e1 = static_cast<int>(sys(SYS_eventfd2, 0, 0));
  const int e2 = static_cast<int>(sys(SYS_eventfd2, 0, 0));
  const int p1 = static_cast<int>(sys(SYS_epoll_create1, 0));
  const int p2 = static_cast<int>(sys(SYS_epoll_create1, 0));
  epoll_event ev{};
  ev.events = EPOLLIN;
  sys(SYS_epoll_ctl, p1, EPOLL_CTL_ADD, e1, reinterpret_cast<long>(&ev));
  sys(SYS_epoll_ctl, p2, EPOLL_CTL_ADD, e2, reinterpret_cast<long>(&ev));
  auto wait_read = [sys](int ep, int efd) {
    epoll_event out;
    while (sys(SYS_epoll_wait, ep, reinterpret_cast<long>(&out), 1, -1) != 1) {
    }
    uint64_t v;
    sys(SYS_read, efd, reinterpret_cast<long>(&v), 8);
  };
  start_partner([=] {
    const uint64_t one = 1;
    for (long i = 0; i < n; ++i) {
      wait_read(p1, e1);
      sys(SYS_write, e2, reinterpret_cast<long>(&one), 8);
    }
  });
  const uint64_t one = 1;
  const double t0 = bench::now_ns();
  for (long i = 0; i < n; ++i) {
    sys(SYS_write, e1, reinterpret_cast<long>(&one), 8);
    wait_read(p2, e2);
  }
  const double per = (bench::now_ns() - t0) / (2.0 * static_cast<double>(n));
  join_partner();
  for (int fd : {e1, e2, p1, p2}) sys(SYS_close, fd);
  return per;
}

}  // namespace

UML_BENCHMARK(eventfd_epoll) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = "eventfd_epoll";
  b.unit = "ns/op";
  b.baseline = "host threads";
  b.note = "an eventfd write wakes a task in epoll_wait, which reads it and answers the same "
           "way (ns per wake-up), guest tasks on one vCPU vs host threads";
  b.setup = [st] { st->k = boot("vcpus=1"); };
  b.guest = [st] {
    return guest_pair(*st->k, [](auto sys, const StartPartner& start, const JoinPartner& join) {
      return eventfd_epoll(100'000, sys, start, join);
    });
  };
  b.base = [] {
    return host_pair([](auto sys, const StartPartner& start, const JoinPartner& join) {
      return eventfd_epoll(10'000, sys, start, join);
    });
  };
  b.teardown = [st] { st->k.reset(); };
  return b;
}
