// libFuzzer target: the boot command line parser (uml::Config::parse). Any input must give
// a configuration or a one-line error; never a crash, a hang or a sanitizer report. A
// parsed configuration must print back to a command line that parses to the same one.

#include <libuml/config.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uml::Config c;
  std::string err;
  if (!uml::Config::parse(in, &c, &err)) {
    if (err.empty() || err.find('\n') != std::string::npos) abort();
    return 0;
  }
  uml::Config again;
  std::string err2;
  if (!uml::Config::parse(c.to_cmdline(), &again, &err2)) abort();
  if (again.to_cmdline() != c.to_cmdline()) abort();
  return 0;
}
