#pragma once
// uml::Config: how an instance boots. Also parseable from a UML-style command line:
//   "vcpus=2 mem=256M hostname=g1 loglevel=7"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libuml/export.h>

namespace uml {

// A disk (UML's ubd): ubdX[r]=PATH on the command line, X from 0 to 15 or a to p, r for
// read-only.
struct UML_API DiskSpec {
  unsigned index = 0;      // 0: ubda (/dev/ubda), 1: ubdb...
  std::string path;        // the host file (or host block device) behind it
  bool read_only = false;  // ubdXr=: writes give EPERM, the file is opened read-only
  bool direct = true;      // O_DIRECT on the host file where its file system allows it
};

struct UML_API Config {
  unsigned vcpus = 1;                 // vcpus=N (1..64): vCPU host threads
  uint64_t mem_bytes = 256ull << 20;  // mem=SIZE (16M..1024G, K/M/G suffixes)
  std::string hostname = "uml";       // hostname=NAME (1..64 bytes)
  std::string domainname = "(none)";  // domainname=NAME (1..64 bytes)
  int loglevel = 4;                   // loglevel=N (0..8): console echoes levels below N
  size_t stack_size = 256 * 1024;     // stack_size=SIZE (16K..64M): default fiber stack
  int64_t quantum_ns = 2'000'000;     // quantum_us=N (100..1000000): fiber time slice
  std::optional<uint64_t> seed;       // seed=N: reproducible getrandom
  bool console = true;                // console=stderr|none: echo the kernel log to stderr
  std::vector<DiskSpec> disks;        // ubdX[r]=PATH: disks present at boot

  // Parses cmdline on top of the current values. Throws uml::Error naming the bad option.
  static Config from_cmdline(std::string_view cmdline);
  // Non-throwing form: false and a one-line *error on failure (*out is left unchanged).
  static bool parse(std::string_view cmdline, Config* out, std::string* error);
  std::string to_cmdline() const;
};

}  // namespace uml
