// Catch2 runner for the syscall suite. The libuml build skips the tests named in
// expectations.txt (known, documented differences from Linux), each with its reason.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "shim.h"

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
    std::vector<std::string> excluded;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      // Test names must not contain commas: Catch2 would read them as "or".
      excluded.push_back("~" + line.substr(0, line.find(" | ")));
    }
    bool has_filter = false;
    for (size_t i = 1; i < args.size(); ++i)
      if (args[i][0] != '-') has_filter = true;
    if (!has_filter) args.insert(args.end(), excluded.begin(), excluded.end());
  }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  return Catch::Session().run(static_cast<int>(cargs.size()), cargs.data());
}
