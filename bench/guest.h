#pragma once
// Helpers for benchmarks that measure inside a guest: booting an instance, running a
// measurement as a guest task, and a partner task for two-party exchanges.

#include <libuml/libuml.h>

#include <functional>
#include <memory>
#include <string>

namespace bench {

inline std::unique_ptr<uml::Kernel> boot(const char* extra = "") {
  return uml::Kernel::boot(std::string("console=none ") + extra);
}

// Runs measure() as a guest task of k and returns what it measured.
inline double in_guest(uml::Kernel& k, const std::function<double()>& measure) {
  double result = 0;
  k.spawn([&] {
    result = measure();
    return 0;
  }).wait();
  return result;
}

}  // namespace bench
