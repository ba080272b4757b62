// Bug: a vCPU that had gone to sleep before any work existed never ran anything again while
// its peer had a queue full of runnable fibers: only a spinning vCPU asked for work, and a
// sleeping one could not. Fixed by offer_work(): a busy vCPU hands half of its queue to a
// sleeping peer and kicks it.

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "fixture.h"

TEST_CASE("regression: a vCPU asleep before work appears is offered work") {
  auto k = test::boot("vcpus=2");
  // Both vCPUs spin ~50 us, then sleep in io_uring: make sure they are asleep.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::atomic<unsigned> vcpus_used{0};
  auto parent = k->spawn([&] {
    std::vector<uml::TaskHandle> kids;
    for (int i = 0; i < 16; ++i)
      kids.push_back(k->spawn([&] {
        uml::kern::SchedEntity& self = test::self();
        for (int j = 0; j < 100; ++j) {
          vcpus_used.fetch_or(1u << self.vcpu()->index());
          volatile int x = 0;
          for (int s = 0; s < 5000; ++s) x = x + s;
          uml::kern::Scheduler::yield(self);
        }
        return 0;
      }));
    for (auto& h : kids) h.wait();
    return 0;
  });
  REQUIRE(parent.wait() == 0);
  CHECK(vcpus_used.load() == 3u);
}
