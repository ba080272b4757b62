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

namespace {
// read|write|any, then nth=, times=, sector=, sectors=, and one of eio, torn, delay=US.
bool parse_fault(std::string_view v, DiskFault* f) {
  bool have_op = false, have_action = false;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    const size_t eq = item.find('=');
    const std::string_view k = item.substr(0, eq);
    uint64_t n = 0;
    const bool num = eq != std::string_view::npos && parse_u64(item.substr(eq + 1), &n);
    if (k == "read" || k == "write" || k == "any") {
      f->op = k == "read" ? DiskFault::Op::Read : k == "write" ? DiskFault::Op::Write : DiskFault::Op::Any;
      have_op = true;
    } else if (k == "eio" || k == "torn" || k == "short") {
      f->action = k == "eio" ? DiskFault::Action::Error : k == "torn" ? DiskFault::Action::Torn : DiskFault::Action::Short;
      have_action = true;
    } else if (k == "delay" && num && n <= 10'000'000) {
      f->action = DiskFault::Action::Delay;
      f->delay_us = static_cast<int64_t>(n);
      have_action = true;
    } else if (k == "nth" && num && n >= 1) {
      f->nth = n;
    } else if (k == "times" && num) {
      f->times = n;
    } else if (k == "sector" && num) {
      f->first_sector = n;
    } else if (k == "sectors" && num && n >= 1) {
      f->sectors = n;
    } else {
      return false;
    }
  }
  return have_op && have_action;
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
    if (word == "ro" || word == "rw") {  // the root filesystem's mount mode
      c.root_read_only = word == "ro";
      continue;
    }
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
    } else if (key.substr(0, 3) == "ubd" && key.find('.') != std::string_view::npos) {
      // ubdX.cache=volatile, ubdX.fault=SPEC, ubdX.lock=off: options of a disk given before or after it.
      const std::string_view id = key.substr(3, key.find('.') - 3), what = key.substr(key.find('.') + 1);
      uint64_t idx = 0;
      bool ok = !id.empty();
      if (ok && id[0] >= 'a' && id[0] <= 'p' && id.size() == 1) idx = static_cast<uint64_t>(id[0] - 'a');
      else ok = ok && parse_u64(id, &idx) && idx < 16;
      if (!ok || (what != "cache" && what != "fault" && what != "lock")) {
        *error = "bad disk option '" + std::string(key) + "': expected ubdX.cache, ubdX.fault or ubdX.lock";
        return false;
      }
      DiskSpec* d = nullptr;
      for (DiskSpec& x : c.disks)
        if (x.index == idx) d = &x;
      if (!d) {
        c.disks.push_back(DiskSpec{});
        d = &c.disks.back();
        d->index = static_cast<unsigned>(idx);
      }
      if (what == "cache") {
        if (val != "volatile" && val != "writethrough") {
          *error = bad(key, val, "expected 'volatile' or 'writethrough'");
          return false;
        }
        d->volatile_cache = val == "volatile";
      } else if (what == "lock") {
        if (val != "on" && val != "off") {
          *error = bad(key, val, "expected 'on' or 'off'");
          return false;
        }
        d->lock = val == "on";
      } else {
        DiskFault f;
        if (!parse_fault(val, &f)) {
          *error = bad(key, val, "expected read|write|any[,nth=N][,times=N][,sector=N][,sectors=N],eio|torn|short|delay=US");
          return false;
        }
        d->faults.push_back(f);
      }
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
      d.path = std::string(val.substr(0, val.find(',')));
      if (val.find(',') != std::string_view::npos) d.base = std::string(val.substr(val.find(',') + 1));
      if (d.path.empty() || (val.find(',') != std::string_view::npos && d.base.empty())) {
        *error = bad(key, val, "expected FILE or OVERLAY,BASE");
        return false;
      }
      DiskSpec* same = nullptr;  // a later option wins; .cache and .fault options stay
      for (DiskSpec& x : c.disks)
        if (x.index == d.index) same = &x;
      if (same) {
        same->path = d.path;
        same->base = d.base;
        same->read_only = d.read_only;
      } else {
        c.disks.push_back(std::move(d));
      }
    } else if (key == "root") {
      if (val.empty() || val.size() > 255) {
        *error = bad(key, val, "expected a device such as /dev/ubda");
        return false;
      }
      c.root = std::string(val);
    } else if (key == "rootfstype") {
      if (val != "ext2" && val != "ext3" && val != "ext4") {
        *error = bad(key, val, "expected ext2, ext3 or ext4");
        return false;
      }
      c.rootfstype = std::string(val);
    } else if (key == "rootflags") {
      c.rootflags = std::string(val);
    } else if (key == "reactor") {
      if (val != "uring" && val != "poll" && val != "auto") {
        *error = bad(key, val, "expected uring, poll or auto");
        return false;
      }
      c.reactor = val == "auto" ? std::string() : std::string(val);
    } else if (key == "clock") {
      if (val != "host" && val != "fake") {
        *error = bad(key, val, "expected host or fake");
        return false;
      }
      c.fake_clock = val == "fake";
    } else {
      *error = "unknown option '" + std::string(key) +
               "' (known: vcpus, mem, hostname, domainname, loglevel, stack_size, quantum_us, "
               "seed, console, reactor, clock, ubdN, root, rootfstype, rootflags, ro, rw)";
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
  if (!reactor.empty()) s += " reactor=" + reactor;
  if (fake_clock) s += " clock=fake";
  if (!root.empty()) {
    s += " root=" + root;
    if (!rootfstype.empty()) s += " rootfstype=" + rootfstype;
    if (!rootflags.empty()) s += " rootflags=" + rootflags;
    s += root_read_only ? " ro" : " rw";
  }
  for (const DiskSpec& d : disks) {
    const std::string name = "ubd" + std::string(1, static_cast<char>('a' + d.index));
    if (!d.path.empty())
      s += " " + name + (d.read_only ? "r" : "") + "=" + d.path + (d.base.empty() ? "" : "," + d.base);
    if (d.volatile_cache) s += " " + name + ".cache=volatile";
    if (!d.lock) s += " " + name + ".lock=off";
    for (const DiskFault& f : d.faults) {
      s += " " + name + ".fault=" +
           (f.op == DiskFault::Op::Read ? "read" : f.op == DiskFault::Op::Write ? "write" : "any") +
           ",nth=" + std::to_string(f.nth) + ",times=" + std::to_string(f.times);
      if (f.first_sector) s += ",sector=" + std::to_string(f.first_sector);
      if (f.sectors != ~uint64_t{0}) s += ",sectors=" + std::to_string(f.sectors);
      s += f.action == DiskFault::Action::Error ? ",eio"
           : f.action == DiskFault::Action::Torn ? ",torn"
           : f.action == DiskFault::Action::Short ? ",short"
                                                 : ",delay=" + std::to_string(f.delay_us);
    }
  }
  return s;
}

}  // namespace uml
