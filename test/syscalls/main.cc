// Catch2 runner for the syscall suite. The libuml build skips the tests named in
// expectations.txt (known, documented differences from Linux), each with its reason,
// which the case-tap reporter lists as skipped.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "shim.h"
#include "skip.h"

int main(int argc, char** argv) {
  shim::setup();
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--unprivileged") shim::set_unprivileged_mode(true);
    else args.push_back(argv[i]);
  }
  if (shim::is_guest()) {
    std::ifstream f(UML_EXPECTATIONS_FILE);
    std::string line;
    std::vector<std::string> excluded, reasons;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      // Test names must not contain commas: Catch2 would read them as "or".
      const size_t bar = line.find(" | ");
      excluded.push_back(line.substr(0, bar));
      reasons.push_back(bar == std::string::npos ? "" : line.substr(bar + 3));
    }
    bool has_filter = false;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "-r" || args[i] == "--reporter" || args[i] == "-o" || args[i] == "--out") ++i;  // its value
      else if (args[i][0] != '-') has_filter = true;
    }
    if (!has_filter) {
      for (size_t i = 0; i < excluded.size(); ++i) {
        args.push_back("~" + excluded[i]);
        test::note_not_run(excluded[i], reasons[i]);
      }
    }
  }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  return Catch::Session().run(static_cast<int>(cargs.size()), cargs.data());
}
