// uml-bench [--list] [--rounds N] [--json FILE] [-v] [NAME...]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench.h"

namespace bench {
std::vector<Benchmark>& registry() {
  static std::vector<Benchmark> r;
  return r;
}
}  // namespace bench

namespace {

// NaN when any sample is (a side that cannot run here).
double median(std::vector<double> v) {
  if (v.empty() || std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); })) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Row {
  const bench::Benchmark* b;
  std::string baseline;
  double guest, host, speedup;
  int runs;
};

void usage() {
  fprintf(stderr,
          "usage: uml-bench [--list] [--rounds N] [--json FILE] [-v] [NAME...]\n"
          "  Runs the named benchmarks (all by default), guest and baseline alternately,\n"
          "  N rounds each (default 5), and prints medians and guest-vs-baseline speedups\n"
          "  (> 1 means libuml is better). -v prints every sample on stderr.\n");
}

}  // namespace

int main(int argc, char** argv) {
  auto& all = bench::registry();
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  int rounds = 5;
  bool verbose = false;
  const char* json = nullptr;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--list")) {
      for (auto& b : all) printf("%-28s %-10s vs %s\n", b.name.c_str(), b.unit.c_str(), b.baseline.c_str());
      return 0;
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = atoi(argv[++i]);
      if (rounds < 1) rounds = 1;
    } else if (!strcmp(argv[i], "-v")) {
      verbose = true;
    } else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
      json = argv[++i];
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage();
      return 0;
    } else if (argv[i][0] == '-') {
      usage();
      return 2;
    } else {
      names.push_back(argv[i]);
    }
  }
  std::vector<const bench::Benchmark*> selected;
  for (auto& n : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](auto& b) { return b.name == n; });
    if (it == all.end()) {
      fprintf(stderr, "uml-bench: no benchmark named '%s' (see --list)\n", n.c_str());
      return 2;
    }
    selected.push_back(&*it);
  }
  if (names.empty())
    for (auto& b : all) selected.push_back(&b);

  std::vector<Row> rows;
  printf("%-22s %14s %14s %-14s %9s  %s\n", "benchmark", "guest", "baseline", "(vs)", "speedup", "unit");
  for (const bench::Benchmark* b : selected) {
    if (b->setup) b->setup();
    std::vector<double> g, h;
    std::vector<std::vector<double>> more(b->more.size());
    for (int r = 0; r < rounds; ++r) {
      // Alternate which side goes first, so neither always runs on a warmer machine.
      if (r % 2 == 0) {
        g.push_back(b->guest());
        h.push_back(b->base());
      } else {
        h.push_back(b->base());
        g.push_back(b->guest());
      }
      if (verbose)
        fprintf(stderr, "  %s round %d: guest %.1f, %s %.1f\n", b->name.c_str(), r, g.back(), b->baseline.c_str(),
                h.back());
    }
    // Further baselines after, not between: one that leaves work behind (a FUSE daemon
    // still answering FORGETs) would slow whichever side ran next.
    for (size_t i = 0; i < b->more.size(); ++i)
      for (int r = 0; r < rounds; ++r) {
        more[i].push_back(b->more[i].run());
        if (verbose) fprintf(stderr, "  %s round %d: %s %.1f\n", b->name.c_str(), r, b->more[i].name.c_str(), more[i].back());
      }
    if (b->teardown) b->teardown();
    auto report = [&](const std::string& baseline, double base_median) {
      Row row{b, baseline, median(g), base_median, 0, rounds};
      row.speedup = b->higher_is_better ? row.guest / row.host : row.host / row.guest;
      rows.push_back(row);
      printf("%-22s %14.1f %14.1f %-14s %8.2fx  %s\n", b->name.c_str(), row.guest, row.host, baseline.c_str(),
             row.speedup, b->unit.c_str());
    };
    report(b->baseline, median(h));
    for (size_t i = 0; i < b->more.size(); ++i) report(b->more[i].name, median(more[i]));
    fflush(stdout);
  }
  for (size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].b->note.empty() && (i == 0 || rows[i - 1].b != rows[i].b))
      printf("  %s: %s\n", rows[i].b->name.c_str(), rows[i].b->note.c_str());

  if (json) {
    FILE* f = fopen(json, "w");
    if (!f) {
      perror(json);
      return 1;
    }
    fprintf(f, "[\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      auto num = [](double v, const char* fmt) {  // JSON has no NaN: a side that could not run is null
        char b[64];
        if (std::isnan(v)) return std::string("null");
        snprintf(b, sizeof b, fmt, v);
        return std::string(b);
      };
      fprintf(f,
              "  {\"name\": \"%s\", \"unit\": \"%s\", \"guest\": %s, \"baseline\": \"%s\", "
              "\"host\": %s, \"speedup\": %s, \"runs\": %d}%s\n",
              r.b->name.c_str(), r.b->unit.c_str(), num(r.guest, "%.3f").c_str(), r.baseline.c_str(),
              num(r.host, "%.3f").c_str(), num(r.speedup, "%.4f").c_str(), r.runs, i + 1 < rows.size() ? "," : "");
    }
    fprintf(f, "]\n");
    fclose(f);
  }
  return 0;
}
