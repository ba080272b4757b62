#include "core/kernel/config.h"

#include <charconv>
#include <vector>

namespace uml {

namespace {

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "64K", "256M", "1G", or plain bytes.
bool parse_size(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  switch (s.back()) {
    case 'k': case 'K': mult = 1ull << 10; break;
    case 'm': case 'M': mult = 1ull << 20; break;
    case 'g': case 'G': mult = 1ull << 30; break;
    default: break;
  }
  if (mult != 1) s.remove_suffix(1);
  uint64_t v;
  if (!parse_u64(s, &v) || v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

std::string bad(std::string_view key, std::string_view value, std::string_view why) {
  return "invalid value '" + std::string(value) + "' for option '" + std::string(key) + "': " +
         std::string(why);
}

}  // namespace

bool Config::parse(std::string_view cmdline, Config* out, std::string* error) {
  Config c = *out;
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && (cmdline[i] == ' ' || cmdline[i] == '\t' || cmdline[i] == '\n'))
      ++i;
    if (i >= cmdline.size()) break;
    size_t j = i;
    while (j < cmdline.size() && cmdline[j] != ' ' && cmdline[j] != '\t' && cmdline[j] != '\n') ++j;
    std::string_view word = cmdline.substr(i, j - i);
    i = j;
    size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = "malformed option '" + std::string(word) + "': expected key=value";
      return false;
    }
    std::string_view key = word.substr(0, eq), val = word.substr(eq + 1);
    uint64_t n = 0;
    if (key == "vcpus") {
      if (!parse_u64(val, &n) || n < 1 || n > 64) {
        *error = bad(key, val, "expected a number from 1 to 64");
        return false;
      }
      c.vcpus = static_cast<unsigned>(n);
    } else if (key == "mem") {
      if (!parse_size(val, &n) || n < (16ull << 20) || n > (1ull << 40)) {
        *error = bad(key, val, "expected a size from 16M to 1024G (K, M, G suffixes)");
        return false;
      }
      c.mem_bytes = n;
    } else if (key == "hostname" || key == "domainname") {
      if (val.empty() || val.size() > 64) {
        *error = bad(key, val, "expected 1 to 64 characters");
        return false;
      }
      (key == "hostname" ? c.hostname : c.domainname) = std::string(val);
    } else if (key == "loglevel") {
      if (!parse_u64(val, &n) || n > 8) {
        *error = bad(key, val, "expected a number from 0 to 8");
        return false;
      }
      c.loglevel = static_cast<int>(n);
    } else if (key == "stack_size") {
      if (!parse_size(val, &n) || n < (16u << 10) || n > (64u << 20)) {
        *error = bad(key, val, "expected a size from 16K to 64M");
        return false;
      }
      c.stack_size = (n + 4095) & ~uint64_t{4095};
    } else if (key == "quantum_us") {
      if (!parse_u64(val, &n) || n < 100 || n > 1'000'000) {
        *error = bad(key, val, "expected microseconds from 100 to 1000000");
        return false;
      }
      c.quantum_ns = static_cast<int64_t>(n) * 1000;
    } else if (key == "seed") {
      if (!parse_u64(val, &n)) {
        *error = bad(key, val, "expected an unsigned 64-bit number");
        return false;
      }
      c.seed = n;
    } else if (key == "console") {
      if (val != "stderr" && val != "none") {
        *error = bad(key, val, "expected 'stderr' or 'none'");
        return false;
      }
      c.console = val == "stderr";
    } else if (key.substr(0, 3) == "ubd") {
      // ubd0=, ubda=, ubd0r= (read-only): UML's syntax, without its COW and sync flags.
      std::string_view id = key.substr(3);
      DiskSpec d;
      if (!id.empty() && id.back() == 'r' && id.size() > 1) {
        d.read_only = true;
        id.remove_suffix(1);
      }
      uint64_t idx = 0;
      bool ok = !id.empty();
      if (ok && id[0] >= 'a' && id[0] <= 'p' && id.size() == 1) idx = static_cast<uint64_t>(id[0] - 'a');
      else ok = ok && parse_u64(id, &idx) && idx < 16;
      if (!ok) {
        *error = "bad disk option '" + std::string(key) + "': expected ubd0..ubd15 or ubda..ubdp, 'r' for read-only";
        return false;
      }
      if (val.empty()) {
        *error = bad(key, val, "expected the path of a host file");
        return false;
      }
      d.index = static_cast<unsigned>(idx);
      d.path = std::string(val);
      for (auto it = c.disks.begin(); it != c.disks.end();)  // a later option wins
        it = it->index == d.index ? c.disks.erase(it) : it + 1;
      c.disks.push_back(std::move(d));
    } else {
      *error = "unknown option '" + std::string(key) +
               "' (known: vcpus, mem, hostname, domainname, loglevel, stack_size, quantum_us, "
               "seed, console, ubdN)";
      return false;
    }
  }
  *out = std::move(c);
  return true;
}

std::string Config::to_cmdline() const {
  std::string s = "vcpus=" + std::to_string(vcpus) + " mem=" + std::to_string(mem_bytes >> 20) +
                  "M hostname=" + hostname + " domainname=" + domainname +
                  " loglevel=" + std::to_string(loglevel) +
                  " stack_size=" + std::to_string(stack_size >> 10) +
                  "K quantum_us=" + std::to_string(quantum_ns / 1000) +
                  " console=" + (console ? "stderr" : "none");
  if (seed) s += " seed=" + std::to_string(*seed);
  for (const DiskSpec& d : disks)
    s += " ubd" + std::string(1, static_cast<char>('a' + d.index)) + (d.read_only ? "r" : "") + "=" + d.path;
  return s;
}

}  // namespace uml
