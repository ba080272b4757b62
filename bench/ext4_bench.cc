// ext4: an instance's mount of an image against the host kernel's ext4 on a loop mount of
// the same image, and against fuse2fs (e2fsprogs' FUSE driver) on it, in the same run. The
// same walk code runs on every side; only the syscall underneath differs.
//
//   ext4_walk_*:     stat every entry and read every file of a tree of 20,000 files;
//   ext4_seq_read_*: read a 1 GiB file in 1 MiB reads;
//   ext4_create_tree: make a tree of 5,000 files (1 B to 32 KiB) in 50 directories on an
//                    empty filesystem, then syncfs;
//   ext4_seq_write:  write a 512 MiB file in 1 MiB writes, then fsync.
// The write benchmarks start each sample on a freshly made empty image (not timed).
// Warm: every side has read it all before (its caches hold it). Cold: before each sample
// the host's page cache is dropped (the image file's pages and /proc/sys/vm/drop_caches),
// the host and fuse2fs mounts are made afresh, and the instance is freshly booted; the
// mount itself is not timed on any side.
//
// The images live in $UML_BENCH_DIR (default /var/tmp, a disk, not a tmpfs); the read
// benchmarks' is made once per run by mke2fs -d, and all are removed at exit. $UML_BENCH_EXT4_FILES and $UML_BENCH_EXT4_BIG_MB
// shrink it for a quick look. The host baselines need root (loop mount, drop_caches) and
// fuse2fs; a side that cannot run reports no number.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench.h"
#include "guest.h"

namespace {

uint64_t env_or(const char* name, uint64_t dflt) {
  const char* v = getenv(name);
  return v ? strtoull(v, nullptr, 10) : dflt;
}

bool sh(const std::string& cmd) { return system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// ---- the walk, the same on every side ---------------------------------------------------------

struct HostSys {
  long operator()(long nr, long a = 0, long b = 0, long c = 0, long d = 0) const {
    const long r = ::syscall(nr, a, b, c, d);
    return r < 0 ? -errno : r;
  }
};
struct GuestSys {
  long operator()(long nr, long a = 0, long b = 0, long c = 0, long d = 0) const { return uml::syscall(nr, a, b, c, d); }
};

struct WalkCount {
  uint64_t files = 0, entries = 0, bytes = 0, errors = 0;
};

template <typename Sys>
void walk(const Sys& sys, std::string& path, std::vector<char>& buf, WalkCount& n) {
  const long fd = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path.c_str()), O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    ++n.errors;
    return;
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  for (;;) {
    const long got = sys(SYS_getdents64, fd, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()));
    if (got <= 0) break;
    for (long off = 0; off < got;) {
      auto* d = reinterpret_cast<dirent64*>(buf.data() + off);
      if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) names.emplace_back(d->d_name, d->d_type);
      off += d->d_reclen;
    }
  }
  sys(SYS_close, fd);
  const size_t len = path.size();
  for (const auto& [name, type] : names) {
    path.resize(len);
    path += '/';
    path += name;
    ++n.entries;
    struct stat st;
    if (sys(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(path.c_str()), reinterpret_cast<long>(&st),
            AT_SYMLINK_NOFOLLOW) != 0) {
      ++n.errors;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      walk(sys, path, buf, n);
    } else if (S_ISREG(st.st_mode)) {
      ++n.files;
      const long f = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path.c_str()), O_RDONLY);
      if (f < 0) {
        ++n.errors;
        continue;
      }
      for (long r; (r = sys(SYS_read, f, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()))) > 0;)
        n.bytes += static_cast<uint64_t>(r);
      sys(SYS_close, f);
    }
  }
  path.resize(len);
}

// Milliseconds for a walk of the tree under root (NaN if it did not see the whole tree).
template <typename Sys>
double timed_walk(const Sys& sys, const std::string& root, uint64_t want_files) {
  std::vector<char> buf(64 << 10);
  std::string path = root + "/tree";
  WalkCount n;
  const double t0 = bench::now_ns();
  walk(sys, path, buf, n);
  const double ms = (bench::now_ns() - t0) / 1e6;
  if (n.files != want_files || n.errors) {
    fprintf(stderr, "ext4 bench: a walk of %s saw %llu files (want %llu), %llu errors\n", root.c_str(),
            static_cast<unsigned long long>(n.files), static_cast<unsigned long long>(want_files),
            static_cast<unsigned long long>(n.errors));
    return NAN;
  }
  return ms;
}

// MiB/s reading root/big in 1 MiB reads (NaN on a short read).
template <typename Sys>
double timed_seq_read(const Sys& sys, const std::string& root, uint64_t want_bytes) {
  std::vector<char> buf(1 << 20);
  const std::string path = root + "/big";
  const double t0 = bench::now_ns();
  const long f = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path.c_str()), O_RDONLY);
  if (f < 0) return NAN;
  uint64_t total = 0;
  for (long r; (r = sys(SYS_read, f, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()))) > 0;)
    total += static_cast<uint64_t>(r);
  sys(SYS_close, f);
  const double secs = (bench::now_ns() - t0) / 1e9;
  if (total != want_bytes) return NAN;
  return static_cast<double>(total) / (1 << 20) / secs;
}

// ---- the image and its three mounts -----------------------------------------------------------

struct Image {
  std::string dir, path, host_mnt, fuse_mnt;
  uint64_t files = 0, big_bytes = 0;
  bool made = false;

  Image() {
    dir = bench::scratch_dir("ext4");
    if (dir.empty()) return;
    path = dir + "/ext4.img";
    host_mnt = dir + "/host";
    fuse_mnt = dir + "/fuse";
    mkdir(host_mnt.c_str(), 0755);
    mkdir(fuse_mnt.c_str(), 0755);
    files = env_or("UML_BENCH_EXT4_FILES", 20000);
    big_bytes = env_or("UML_BENCH_EXT4_BIG_MB", 1024) << 20;
    // The tree: 100 files per directory, 20 directories per level, sizes spread from
    // empty to 32 KiB (most small, as in a source tree).
    const std::string src = dir + "/src";
    mkdir(src.c_str(), 0755);
    mkdir((src + "/tree").c_str(), 0755);
    std::mt19937_64 rng(7);
    std::vector<char> data(1 << 20);
    for (auto& c : data) c = static_cast<char>(rng());
    uint64_t tree_bytes = 0;
    for (uint64_t i = 0; i < files; ++i) {
      const std::string d1 = src + "/tree/d" + std::to_string(i / 2000);
      const std::string d2 = d1 + "/e" + std::to_string(i / 100 % 20);
      if (i % 2000 == 0) mkdir(d1.c_str(), 0755);
      if (i % 100 == 0) mkdir(d2.c_str(), 0755);
      const size_t size = static_cast<size_t>(std::exp2(static_cast<double>(rng() % 1500) / 100.0));  // 1 B .. 32 KiB
      const std::string f = d2 + "/file" + std::to_string(i) + ".c";
      const int fd = open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write(fd, data.data() + rng() % (data.size() / 2), size) != static_cast<ssize_t>(size)) return;
      close(fd);
      tree_bytes += size;
    }
    const int fd = open((src + "/big").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (uint64_t off = 0; off < big_bytes; off += data.size()) {
      data[0] = static_cast<char>(off >> 20);  // no two MiB alike
      if (pwrite(fd, data.data(), data.size(), static_cast<off_t>(off)) < 0) break;
    }
    close(fd);
    const uint64_t mb = (big_bytes + tree_bytes + files * 4096) / (1 << 20) * 5 / 4 + 64;
    made = sh("mke2fs -q -F -t ext4 -d " + src + " " + path + " " + std::to_string(mb) + "M");
    sh("rm -rf " + src);
    if (!made) fprintf(stderr, "ext4 bench: mke2fs -d failed (e2fsprogs installed?)\n");
  }
  ~Image() {
    umount_host();
    umount_fuse();
    if (!path.empty()) unlink(path.c_str());
    rmdir(host_mnt.c_str());
    rmdir(fuse_mnt.c_str());
    if (!dir.empty()) rmdir(dir.c_str());
  }

  // The host's page cache of the image, and its dentries and inodes, dropped.
  void drop_host_cache() const {
    sync();
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
      posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      close(fd);
    }
    const int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (dc >= 0) {
      if (write(dc, "3", 1) != 1) {}
      close(dc);
    }
  }
  bool host_mounted = false, fuse_mounted = false;
  bool mount_host() {
    if (!host_mounted) host_mounted = made && sh("mount -t ext4 -o loop,ro " + path + " " + host_mnt);
    return host_mounted;
  }
  void umount_host() {
    if (host_mounted) sh("umount " + host_mnt);
    host_mounted = false;
  }
  bool mount_fuse() {
    if (!fuse_mounted) fuse_mounted = made && sh("fuse2fs -o ro,fakeroot " + path + " " + fuse_mnt);
    return fuse_mounted;
  }
  void umount_fuse() {
    if (fuse_mounted) sh("fusermount3 -u " + fuse_mnt + " || umount " + fuse_mnt);
    fuse_mounted = false;
  }
};

Image& image() {
  static Image img;
  return img;
}

// ---- the guest side ----------------------------------------------------------------------------

struct Guest {
  std::unique_ptr<uml::Kernel> k;
  bool boot() {
    const Image& img = image();
    k.reset();
    if (!img.made) return false;
    // Memory for the whole image in the page cache (the warm read keeps 1 GiB of it).
    const uint64_t mem_mb = img.big_bytes / (1 << 20) * 2 + 512;
    k = bench::boot(("vcpus=1 mem=" + std::to_string(mem_mb) + "M ubdar=" + img.path).c_str());
    const double r = bench::in_guest(*k, [] {
      uml::syscall(SYS_mkdir, reinterpret_cast<long>("/mnt"), 0755);
      return static_cast<double>(uml::syscall(SYS_mount, reinterpret_cast<long>("/dev/ubda"),
                                              reinterpret_cast<long>("/mnt"), reinterpret_cast<long>("ext4"),
                                              MS_RDONLY, 0));
    });
    if (r != 0) {
      fprintf(stderr, "ext4 bench: the instance could not mount the image (%g)\n%s", r, k->dmesg().c_str());
      k.reset();
    }
    return k != nullptr;
  }
};

enum class What { Walk, SeqRead };

template <typename Sys>
double measure(What w, const Sys& sys, const std::string& root) {
  const Image& img = image();
  return w == What::Walk ? timed_walk(sys, root, img.files) : timed_seq_read(sys, root, img.big_bytes);
}

// Warm: each side walks (or reads) once untimed before its first sample.
double guest_sample(Guest& g, What w, bool cold) {
  if (cold) {
    image().drop_host_cache();
    if (!g.boot()) return NAN;
  } else if (!g.k) {
    if (!g.boot()) return NAN;
    bench::in_guest(*g.k, [w] { return measure(w, GuestSys{}, "/mnt"); });
  }
  return bench::in_guest(*g.k, [w] { return measure(w, GuestSys{}, "/mnt"); });
}

// The host's side: its kernel's ext4 on a loop mount, or fuse2fs.
double host_sample(What w, bool cold, bool fuse) {
  Image& img = image();
  if (cold) {
    fuse ? img.umount_fuse() : img.umount_host();
    img.drop_host_cache();
  }
  const std::string& root = fuse ? img.fuse_mnt : img.host_mnt;
  if (!(fuse ? img.fuse_mounted : img.host_mounted)) {
    if (!(fuse ? img.mount_fuse() : img.mount_host())) return NAN;
    if (!cold) measure(w, HostSys{}, root);
  }
  return measure(w, HostSys{}, root);
}

bench::Benchmark ext4_bench(const char* name, What w, bool cold, const char* note) {
  auto g = std::make_shared<Guest>();
  bench::Benchmark b;
  b.name = name;
  b.unit = w == What::Walk ? "ms" : "MiB/s";
  b.higher_is_better = w == What::SeqRead;
  b.baseline = "host ext4";
  b.note = note;
  b.setup = [] { image(); };
  b.guest = [g, w, cold] { return guest_sample(*g, w, cold); };
  b.base = [w, cold] { return host_sample(w, cold, false); };
  b.more.push_back({"fuse2fs", [w, cold] { return host_sample(w, cold, true); }});
  b.teardown = [g] {
    g->k.reset();
    image().umount_host();
    image().umount_fuse();
  };
  return b;
}

}  // namespace

UML_BENCHMARK(ext4_walk_warm) {
  return ext4_bench("ext4_walk_warm", What::Walk, false,
                    "stat every entry and read every file of a 20,000-file tree, caches warm; vs the host kernel's "
                    "ext4 on a loop mount of the same image, and fuse2fs");
}

UML_BENCHMARK(ext4_walk_cold) {
  return ext4_bench("ext4_walk_cold", What::Walk, true,
                    "the same walk after the host's caches were dropped and the instance freshly booted (mounts "
                    "made afresh, not timed)");
}

UML_BENCHMARK(ext4_seq_read_warm) {
  return ext4_bench("ext4_seq_read_warm", What::SeqRead, false, "a 1 GiB file in 1 MiB reads, caches warm");
}

UML_BENCHMARK(ext4_seq_read_cold) {
  return ext4_bench("ext4_seq_read_cold", What::SeqRead, true,
                    "a 1 GiB file in 1 MiB reads after the host's caches were dropped and the instance freshly "
                    "booted");
}

// ---- writing ----------------------------------------------------------------------------------

namespace {

constexpr uint64_t kTreeFiles = 5000, kWriteBytes = 512ull << 20;

// A fresh empty filesystem for one sample of a write benchmark.
struct WriteImage {
  std::string dir, path, mnt;
  WriteImage() {
    dir = bench::scratch_dir("ext4w");
    if (dir.empty()) return;
    path = dir + "/w.img";
    mnt = dir + "/mnt";
    mkdir(mnt.c_str(), 0755);
  }
  ~WriteImage() {
    if (!path.empty()) unlink(path.c_str());
    rmdir(mnt.c_str());
    if (!dir.empty()) rmdir(dir.c_str());
  }
  bool fresh() { return !dir.empty() && sh("mke2fs -q -F -t ext4 " + path + " 2G"); }
};

WriteImage& write_image() {
  static WriteImage w;
  return w;
}

// Milliseconds to make the tree under root and syncfs it (NaN on an error).
template <typename Sys>
double timed_create_tree(const Sys& sys, const std::string& root) {
  std::mt19937_64 rng(11);
  std::vector<char> data(64 << 10);
  for (auto& c : data) c = static_cast<char>(rng());
  const double t0 = bench::now_ns();
  for (uint64_t i = 0; i < kTreeFiles; ++i) {
    const std::string d = root + "/d" + std::to_string(i / 100);
    if (i % 100 == 0 && sys(SYS_mkdir, reinterpret_cast<long>(d.c_str()), 0755) != 0) return NAN;
    const size_t size = static_cast<size_t>(std::exp2(static_cast<double>(rng() % 1500) / 100.0));
    const std::string f = d + "/file" + std::to_string(i) + ".c";
    const long fd = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(f.c_str()), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return NAN;
    const long w = sys(SYS_write, fd, reinterpret_cast<long>(data.data() + rng() % (data.size() / 2)), static_cast<long>(size));
    sys(SYS_close, fd);
    if (w != static_cast<long>(size)) return NAN;
  }
  const long rfd = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(root.c_str()), O_RDONLY | O_DIRECTORY);
  const long r = sys(SYS_syncfs, rfd);
  sys(SYS_close, rfd);
  if (r != 0) return NAN;
  return (bench::now_ns() - t0) / 1e6;
}

// MiB/s writing root/big in 1 MiB writes, then fsync (NaN on an error).
template <typename Sys>
double timed_seq_write(const Sys& sys, const std::string& root) {
  std::vector<char> buf(1 << 20);
  std::mt19937_64 rng(5);
  for (auto& c : buf) c = static_cast<char>(rng());
  const std::string path = root + "/big";
  const double t0 = bench::now_ns();
  const long f = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path.c_str()), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return NAN;
  for (uint64_t off = 0; off < kWriteBytes; off += buf.size()) {
    buf[0] = static_cast<char>(off >> 20);
    if (sys(SYS_write, f, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size())) != static_cast<long>(buf.size())) {
      sys(SYS_close, f);
      return NAN;
    }
  }
  const long r = sys(SYS_fsync, f);
  sys(SYS_close, f);
  if (r != 0) return NAN;
  return static_cast<double>(kWriteBytes) / (1 << 20) / ((bench::now_ns() - t0) / 1e9);
}

enum class WriteWhat { Tree, Seq };

template <typename Sys>
double measure_write(WriteWhat w, const Sys& sys, const std::string& root) {
  return w == WriteWhat::Tree ? timed_create_tree(sys, root) : timed_seq_write(sys, root);
}

double guest_write_sample(WriteWhat w) {
  WriteImage& img = write_image();
  if (!img.fresh()) return NAN;
  auto k = bench::boot(("vcpus=1 mem=1024M ubda=" + img.path).c_str());
  return bench::in_guest(*k, [w] {
    uml::syscall(SYS_mkdir, reinterpret_cast<long>("/mnt"), 0755);
    if (uml::syscall(SYS_mount, reinterpret_cast<long>("/dev/ubda"), reinterpret_cast<long>("/mnt"),
                     reinterpret_cast<long>("ext4"), 0, 0) != 0)
      return static_cast<double>(NAN);
    const double v = measure_write(w, GuestSys{}, "/mnt");
    uml::syscall(SYS_umount2, reinterpret_cast<long>("/mnt"), 0);
    return v;
  });
}

// The host kernel's ext4 on a loop mount, or fuse2fs (its syncfs waits for what the
// daemon has taken; the daemon may keep writes in its own cache until umount).
double host_write_sample(WriteWhat w, bool fuse) {
  WriteImage& img = write_image();
  if (!img.fresh()) return NAN;
  const bool ok = fuse ? sh("fuse2fs -o rw,fakeroot " + img.path + " " + img.mnt)
                       : sh("mount -t ext4 -o loop " + img.path + " " + img.mnt);
  if (!ok) return NAN;
  const double v = measure_write(w, HostSys{}, img.mnt);
  sh(fuse ? "fusermount3 -u " + img.mnt + " || umount " + img.mnt : "umount " + img.mnt);
  return v;
}

bench::Benchmark ext4_write_bench(const char* name, WriteWhat w, const char* note) {
  bench::Benchmark b;
  b.name = name;
  b.unit = w == WriteWhat::Tree ? "ms" : "MiB/s";
  b.higher_is_better = w == WriteWhat::Seq;
  b.baseline = "host ext4";
  b.note = note;
  b.setup = [] { write_image(); };
  b.guest = [w] { return guest_write_sample(w); };
  b.base = [w] { return host_write_sample(w, false); };
  b.more.push_back({"fuse2fs", [w] { return host_write_sample(w, true); }});
  return b;
}

}  // namespace

UML_BENCHMARK(ext4_create_tree) {
  return ext4_write_bench("ext4_create_tree", WriteWhat::Tree,
                          "make 5,000 files (1 B to 32 KiB) in 50 directories of an empty 2 GiB ext4, then syncfs; vs "
                          "the host kernel's ext4 on a loop mount of the same kind of image, and fuse2fs");
}

UML_BENCHMARK(ext4_seq_write) {
  return ext4_write_bench("ext4_seq_write", WriteWhat::Seq,
                          "write a 512 MiB file in 1 MiB writes to an empty 2 GiB ext4, then fsync");
}
