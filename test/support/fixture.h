#pragma once
// Helpers for tests that boot instances (Starnix's create_kernel_and_task idea): boot in
// microseconds, run code as a guest task, bring results back to the test's thread (Catch2
// assertions are made there, never on vCPU threads).

#include <libuml/libuml.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "core/kernel/kernel.h"
#include "core/sched/scheduler.h"
#include "core/task/task.h"

namespace test {

inline std::unique_ptr<uml::Kernel> boot(const std::string& cmdline = "") {
  return uml::Kernel::boot("console=none " + cmdline);
}

// Runs body as a new guest process and returns its wait status.
inline int run_task(uml::Kernel& k, std::function<int()> body, uml::SpawnOptions opts = {}) {
  return k.spawn(std::move(body), opts).wait();
}

// A syscall from guest code with any mix of integer and pointer arguments.
template <typename T>
long as_arg(T v) {
  if constexpr (std::is_pointer_v<T>) return reinterpret_cast<long>(v);
  else return static_cast<long>(v);
}
template <typename... A>
long sys(long nr, A... a) {
  return uml::syscall(nr, as_arg(a)...);
}

// The guest task running on this thread (inside a task body).
inline uml::kern::Task& self() {
  return *static_cast<uml::kern::Task*>(uml::kern::Scheduler::current());
}

}  // namespace test
