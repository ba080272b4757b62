// uml-cow: copy-on-write overlays outside an instance (UML's uml_moo and friends).
//   uml-cow create OVERLAY BASE        a new, empty overlay on BASE
//   uml-cow info OVERLAY               its base, size and how much it holds
//   uml-cow merge OVERLAY [BASE]       writes the overlay's sectors into the base, in place
//   uml-cow merge OVERLAY BASE OUTPUT  a new image: the base with the overlay's sectors
// Options: --no-lock (files are locked as disks lock them: an overlay read shared, a base
// merged into exclusively; docs/block.md), --help, --version.
// Exit status: 0, 1 on any error (with a message on stderr), 2 for bad usage.

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "drivers/block/cow_format.h"
#include "host/file.h"

namespace cow = uml::drivers::cow;
namespace host = uml::host;

namespace {

int fail(const std::string& msg) {
  fprintf(stderr, "uml-cow: %s\n", msg.c_str());
  return 1;
}

struct Overlay {
  host::DiskFileInfo file;
  cow::Header h;
  std::vector<uint8_t> bits;
  ~Overlay() { host::close_disk_file(file); }
};

host::DiskLock g_lock = host::DiskLock::ForAccess;

std::string open_error(const std::string& path, int r) {
  return path + ": " + (r == -EBUSY ? "in use by another program (it holds the file's lock; --no-lock overrides)" : strerror(-r));
}

bool load(const std::string& path, Overlay* o, std::string* error) {
  if (int r = host::open_disk_file(path, true, false, &o->file, g_lock); r < 0) {
    *error = open_error(path, r);
    return false;
  }
  std::vector<char> hdr(cow::kHeaderSize);
  if (host::pread_full(o->file.fd, hdr.data(), hdr.size(), 0) != static_cast<int64_t>(hdr.size()) ||
      !cow::decode(hdr.data(), hdr.size(), o->file.size, &o->h, error)) {
    *error = path + ": " + (error->empty() ? "too short" : *error);
    return false;
  }
  o->bits.resize(o->h.bitmap_bytes);
  if (host::pread_full(o->file.fd, o->bits.data(), o->bits.size(), o->h.bitmap_offset) !=
      static_cast<int64_t>(o->bits.size())) {
    *error = path + ": cannot read the bitmap";
    return false;
  }
  return true;
}

bool held(const Overlay& o, uint64_t s) { return o.bits[s >> 3] & (1u << (s & 7)); }

// Copies every run of held sectors from the overlay into fd (at the same offsets).
bool apply(const Overlay& o, int fd, uint64_t* sectors, std::string* error) {
  std::vector<char> buf(1 << 20);
  const uint64_t total = o.h.disk_size / cow::kSector;
  *sectors = 0;
  for (uint64_t s = 0; s < total;) {
    if (!held(o, s)) {
      ++s;
      continue;
    }
    uint64_t n = 0;
    while (s + n < total && held(o, s + n) && n < buf.size() / cow::kSector) ++n;
    const size_t len = n * cow::kSector;
    if (host::pread_full(o.file.fd, buf.data(), len, o.h.data_offset + s * cow::kSector) != static_cast<int64_t>(len) ||
        host::pwrite_full(fd, buf.data(), len, s * cow::kSector) != static_cast<int64_t>(len)) {
      *error = "I/O error at sector " + std::to_string(s);
      return false;
    }
    *sectors += n;
    s += n;
  }
  return host::fsync_file(fd, false) == 0;
}

int usage(FILE* to) {
  fprintf(to,
          "usage: uml-cow [--no-lock] create OVERLAY BASE\n"
          "       uml-cow [--no-lock] info OVERLAY\n"
          "       uml-cow [--no-lock] merge OVERLAY [BASE]        (into the base, in place)\n"
          "       uml-cow [--no-lock] merge OVERLAY BASE OUTPUT   (a new merged image)\n");
  return to == stdout ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  enum { kNoLock = 256 };
  static const option kOptions[] = {{"help", no_argument, nullptr, 'h'},
                                    {"version", no_argument, nullptr, 'V'},
                                    {"no-lock", no_argument, nullptr, kNoLock},
                                    {nullptr, 0, nullptr, 0}};
  for (int c; (c = getopt_long(argc, argv, "+hV", kOptions, nullptr)) != -1;) {
    switch (c) {
      case 'h':
        printf("Create, inspect and merge libuml's copy-on-write disk overlays.\n");
        return usage(stdout);
      case 'V': printf("uml-cow (libuml) %s\n", UML_VERSION); return 0;
      case kNoLock: g_lock = host::DiskLock::None; break;
      default: return usage(stderr);
    }
  }
  std::vector<std::string> a(argv + optind, argv + argc);
  std::string error;
  if (a.size() == 3 && a[0] == "create") {
    if (cow::create(a[1], a[2], &error) < 0) return fail(error);
    return 0;
  }
  if (a.size() == 2 && a[0] == "info") {
    Overlay o;
    if (!load(a[1], &o, &error)) return fail(error);
    uint64_t n = 0;
    for (uint8_t b : o.bits) n += static_cast<uint64_t>(__builtin_popcount(b));
    printf("base: %s\nsize: %llu bytes\nheld: %llu sectors (%llu bytes)\n", o.h.base_path.c_str(),
           static_cast<unsigned long long>(o.h.disk_size), static_cast<unsigned long long>(n),
           static_cast<unsigned long long>(n * cow::kSector));
    return 0;
  }
  if ((a.size() == 2 || a.size() == 3 || a.size() == 4) && a[0] == "merge") {
    Overlay o;
    if (!load(a[1], &o, &error)) return fail(error);
    const std::string base = a.size() >= 3 ? a[2] : o.h.base_path;
    host::DiskFileInfo b;
    const bool in_place = a.size() < 4;
    if (int r = host::open_disk_file(base, !in_place, false, &b, g_lock); r < 0) return fail(open_error(base, r));
    if (std::string why = cow::check_base(o.h, b); !why.empty()) {
      host::close_disk_file(b);
      return fail(a[1] + " does not belong on " + base + ": " + why);
    }
    int out = b.fd;
    if (!in_place) {  // the base copied to OUTPUT first
      out = host::create_new_file(a[3], 0644);
      if (out < 0) return fail(a[3] + ": " + strerror(-out));
      std::vector<char> buf(1 << 20);
      for (uint64_t off = 0; off < b.size; off += buf.size()) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), b.size - off));
        if (host::pread_full(b.fd, buf.data(), n, off) != static_cast<int64_t>(n) ||
            host::pwrite_full(out, buf.data(), n, off) != static_cast<int64_t>(n))
          return fail("cannot copy " + base + " to " + a[3]);
      }
    }
    uint64_t sectors = 0;
    const bool ok = apply(o, out, &sectors, &error);
    if (out != b.fd) host::close_file(out);
    host::close_disk_file(b);
    if (!ok) return fail(error);
    printf("merged %llu sectors into %s\n", static_cast<unsigned long long>(sectors), (in_place ? base : a[3]).c_str());
    return 0;
  }
  return usage(stderr);
}
