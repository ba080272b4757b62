#pragma once
// uml-bench: every benchmark measures the guest side and its baseline (the host kernel, a
// host library, or a raw primitive) alternately in the same process run, for several
// rounds, and reports medians and their ratio. Absolute times on shared machines are noise;
// the ratio is the result.
//
// A benchmark registers itself with UML_BENCHMARK; each side returns one sample (per-op cost
// or a size) computed over enough iterations to be meaningful.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// A second (third...) baseline, measured after the main rounds in the same run, and
// reported on its own row against the same guest samples.
struct Baseline {
  std::string name;
  std::function<double()> run;  // one sample; NaN when it cannot run here (a row says so)
};

struct Benchmark {
  std::string name;
  std::string unit;            // "ns/op", "ns", "bytes/task", "MiB/s" ...
  std::string baseline;        // what the guest is compared with: "host", "boost.context" ...
  bool higher_is_better = false;
  std::function<void()> setup;     // once, before the rounds (may be empty)
  std::function<double()> guest;   // one sample
  std::function<double()> base;    // one sample
  std::vector<Baseline> more;      // further baselines (may be empty)
  std::function<void()> teardown;  // once, after the rounds (may be empty)
  std::string note;                // printed under the table
};

std::vector<Benchmark>& registry();

struct Registrar {
  explicit Registrar(Benchmark (*make)()) { registry().push_back(make()); }
};

#define UML_BENCHMARK(fn) \
  static bench::Benchmark fn(); \
  static bench::Registrar fn##_registrar(&fn); \
  static bench::Benchmark fn()

// Nanoseconds per iteration of f over n iterations.
template <typename F>
double ns_per_op(long n, F&& f) {
  auto a = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) f();
  auto b = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(b - a).count() / static_cast<double>(n);
}

// A fresh directory for a benchmark's files, in $UML_BENCH_DIR (default /var/tmp: a disk,
// not a tmpfs); empty if it cannot be made.
inline std::string scratch_dir(const std::string& name) {
  const char* base = getenv("UML_BENCH_DIR");
  std::string tmpl = std::string(base ? base : "/var/tmp") + "/uml-bench-" + name + "-XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : std::string();
}

inline double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace bench
