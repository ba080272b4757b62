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

// A fault to inject into a disk's requests (docs/block.md). On the command line:
//   ubda.fault=write,nth=3,eio        the 3rd write from boot fails with EIO
//   ubda.fault=any,sector=2048,sectors=8,times=0,eio   every request touching 2048..2055
//   ubda.fault=write,torn             the next write: half its sectors land, then EIO
//   ubda.fault=write,short            ... half its sectors land, and it reports success
//   ubda.fault=read,times=0,delay=500 every read waits 500 us more
struct UML_API DiskFault {
  enum class Op { Read, Write, Any };
  enum class Action { Error, Torn, Short, Delay };
  Op op = Op::Any;
  Action action = Action::Error;
  uint64_t nth = 1;    // fires from the nth matching request on (1: the next)
  uint64_t times = 1;  // how many times (0: every match from the nth on)
  uint64_t first_sector = 0;
  uint64_t sectors = ~uint64_t{0};  // the range a request must touch to match
  int64_t delay_us = 0;             // Action::Delay
};

// A disk (UML's ubd): ubdX[r]=PATH[,BASE] on the command line, X from 0 to 15 or a to p, r
// for read-only. With BASE, PATH is a copy-on-write overlay on it (made if missing); a PATH
// that is an overlay is opened on the base its header names.
struct UML_API DiskSpec {
  unsigned index = 0;      // 0: ubda (/dev/ubda), 1: ubdb...
  std::string path;        // the host file (or host block device) behind it
  std::string base;        // a read-only base under the overlay path (copy-on-write)
  bool read_only = false;  // ubdXr=: writes give EPERM, the file is opened read-only
  bool direct = true;      // O_DIRECT on the host file where its file system allows it
  // ubdX.lock=off: no lock on the host file. By default a writable disk locks its file
  // exclusively and a read-only one shared (open file description locks, as QEMU's image
  // locking), so a second writer, in this process or another, fails with EBUSY at once.
  bool lock = true;
  // ubdX.cache=volatile: writes stay in a simulated disk cache until a flush, so that a
  // power cut (Kernel::disk_power_cut) can lose them.
  bool volatile_cache = false;
  std::vector<DiskFault> faults;  // ubdX.fault=...
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
  // reactor=uring|poll: how the vCPUs do host I/O. Empty (auto): io_uring, or, where the
  // host refuses io_uring (seccomp, kernel.io_uring_disabled), a pool of I/O threads behind
  // poll, with a kernel log line saying so. The environment's UML_REACTOR gives the
  // default when the command line does not.
  std::string reactor;
  // clock=host|fake: the instance's clocks. fake: time starts at 2000-01-01 (one second of
  // uptime) and moves only when advanced (tests: a ten-minute timeout takes no time).
  bool fake_clock = false;
  std::vector<DiskSpec> disks;        // ubdX[r]=PATH: disks present at boot
  // root=/dev/ubdX: the disk's filesystem becomes / (instead of a tmpfs), with /dev, /proc
  // and /tmp mounted on it where it has those directories. rootfstype=ext2|ext3|ext4
  // (default: ext4, which serves all three), rootflags= its mount options, ro/rw the mode
  // (read-only unless rw is given, as Linux mounts its root).
  std::string root;
  std::string rootfstype;
  std::string rootflags;
  bool root_read_only = true;

  // Parses cmdline on top of the current values. Throws uml::Error naming the bad option.
  static Config from_cmdline(std::string_view cmdline);
  // Non-throwing form: false and a one-line *error on failure (*out is left unchanged).
  static bool parse(std::string_view cmdline, Config* out, std::string* error);
  std::string to_cmdline() const;
};

}  // namespace uml
