#include "core/sched/timer_heap.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

using uml::kern::Timer;
using uml::kern::TimerHeap;

TEST_CASE("TimerHeap pops in deadline order and cancels any timer") {
  std::mt19937_64 rng(42);
  std::vector<Timer> timers(2000);
  TimerHeap heap;
  std::multimap<int64_t, Timer*> model;
  for (auto& t : timers) {
    t.deadline = static_cast<int64_t>(rng() % 100000);
    heap.add(&t);
    model.emplace(t.deadline, &t);
  }
  // Cancel a third at random.
  for (size_t i = 0; i < timers.size(); i += 3) {
    heap.remove(&timers[i]);
    auto range = model.equal_range(timers[i].deadline);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second == &timers[i]) { model.erase(it); break; }
    CHECK_FALSE(timers[i].queued());
  }
  REQUIRE(heap.size() == model.size());
  int64_t last = -1;
  size_t popped = 0;
  CHECK(heap.pop_expired(model.begin()->first - 1) == nullptr);
  while (Timer* t = heap.pop_expired(INT64_MAX)) {
    CHECK(t->deadline >= last);
    last = t->deadline;
    ++popped;
  }
  CHECK(popped == model.size());
  CHECK(heap.empty());
  CHECK(heap.next_deadline() == -1);
}
