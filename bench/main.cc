// uml-bench [--list] [--rounds N] [--json FILE] [NAME...]

#include <algorithm>
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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Row {
  const bench::Benchmark* b;
  double guest, host, speedup;
  int runs;
};

void usage() {
  fprintf(stderr,
          "usage: uml-bench [--list] [--rounds N] [--json FILE] [NAME...]\n"
          "  Runs the named benchmarks (all by default), guest and baseline alternately,\n"
          "  N rounds each (default 5), and prints medians and guest-vs-baseline speedups\n"
          "  (> 1 means libuml is better).\n");
}

}  // namespace

int main(int argc, char** argv) {
  auto& all = bench::registry();
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  int rounds = 5;
  const char* json = nullptr;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--list")) {
      for (auto& b : all) printf("%-28s %-10s vs %s\n", b.name.c_str(), b.unit.c_str(), b.baseline.c_str());
      return 0;
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = atoi(argv[++i]);
      if (rounds < 1) rounds = 1;
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
    for (int r = 0; r < rounds; ++r) {
      // Alternate which side goes first, so neither always runs on a warmer machine.
      if (r % 2 == 0) {
        g.push_back(b->guest());
        h.push_back(b->base());
      } else {
        h.push_back(b->base());
        g.push_back(b->guest());
      }
    }
    if (b->teardown) b->teardown();
    Row row{b, median(g), median(h), 0, rounds};
    row.speedup = b->higher_is_better ? row.guest / row.host : row.host / row.guest;
    rows.push_back(row);
    printf("%-22s %14.1f %14.1f %-14s %8.2fx  %s\n", b->name.c_str(), row.guest, row.host,
           b->baseline.c_str(), row.speedup, b->unit.c_str());
    fflush(stdout);
  }
  for (const Row& r : rows)
    if (!r.b->note.empty()) printf("  %s: %s\n", r.b->name.c_str(), r.b->note.c_str());

  if (json) {
    FILE* f = fopen(json, "w");
    if (!f) {
      perror(json);
      return 1;
    }
    fprintf(f, "[\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      fprintf(f,
              "  {\"name\": \"%s\", \"unit\": \"%s\", \"guest\": %.3f, \"baseline\": \"%s\", "
              "\"host\": %.3f, \"speedup\": %.4f, \"runs\": %d}%s\n",
              r.b->name.c_str(), r.b->unit.c_str(), r.guest, r.b->baseline.c_str(), r.host,
              r.speedup, r.runs, i + 1 < rows.size() ? "," : "");
    }
    fprintf(f, "]\n");
    fclose(f);
  }
  return 0;
}
