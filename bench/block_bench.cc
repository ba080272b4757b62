// Disks: a guest task on /dev/ubda against fio (ioengine=io_uring) on the same host file, in
// the same run. O_DIRECT on both sides unless the name says _buffered (then the guest goes
// through its page cache, fio through the host's, both warm after the first round).
//
// The backing file lives in $UML_BENCH_DIR (default /var/tmp, a disk, not a tmpfs) and is
// $UML_BENCH_DISK_MB MiB (default 512); it is made once per run and removed at exit.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
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

struct DiskFile {
  std::string dir, path;
  uint64_t size = 0;
  DiskFile() {
    dir = bench::scratch_dir("disk");
    if (dir.empty()) return;
    path = dir + "/disk.img";
    const char* mb = getenv("UML_BENCH_DISK_MB");
    size = (mb ? strtoull(mb, nullptr, 10) : 512) << 20;
    // Real blocks with data (reads of holes would cost nothing on either side).
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char> chunk(1 << 20);
    std::mt19937_64 rng(1);
    for (auto& c : chunk) c = static_cast<char>(rng());
    for (uint64_t off = 0; off < size; off += chunk.size())
      if (pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) < 0) break;
    fsync(fd);
    close(fd);
  }
  ~DiskFile() {
    if (!path.empty()) unlink(path.c_str());
    if (!dir.empty()) rmdir(dir.c_str());
  }
};

DiskFile& disk_file() {
  static DiskFile f;
  return f;
}

// ---- fio ------------------------------------------------------------------------------------

struct FioResult {
  double bw_bytes = 0, iops = 0, lat_ns = 0;
};

double json_number(const std::string& s, size_t from, const char* key) {
  const std::string k = std::string("\"") + key + "\" : ";
  const size_t at = s.find(k, from);
  return at == std::string::npos ? 0 : strtod(s.c_str() + at + k.size(), nullptr);
}

FioResult run_fio(const std::string& rw, const std::string& bs, int iodepth, bool direct, const char* extra) {
  const DiskFile& f = disk_file();
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "fio --name=b --filename=%s --ioengine=io_uring --direct=%d --rw=%s --bs=%s --iodepth=%d "
           "--size=%llu --numjobs=1 --group_reporting --output-format=json %s %s 2>/dev/null",
           f.path.c_str(), direct ? 1 : 0, rw.c_str(), bs.c_str(), iodepth,
           static_cast<unsigned long long>(f.size),
           direct ? "" : "--invalidate=0",  // buffered: keep the host's cache warm, as the guest's is
           extra);
  FILE* p = popen(cmd, "r");
  if (!p) return {};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  const bool write = rw.find("write") != std::string::npos;
  const size_t sec = out.find(write ? "\"write\" : {" : "\"read\" : {");
  if (sec == std::string::npos) return {};
  FioResult r;
  r.bw_bytes = json_number(out, sec, "bw_bytes");
  r.iops = json_number(out, sec, "iops");
  const size_t lat = out.find("\"lat_ns\" : {", sec);
  if (lat != std::string::npos) r.lat_ns = json_number(out, lat, "mean");
  return r;
}

// ---- the guest side ------------------------------------------------------------------------

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) { return uml::syscall(nr, a, b, c, d); }

struct Instance {
  std::unique_ptr<uml::Kernel> k;
};

std::function<void()> boot_on_disk(const std::shared_ptr<Instance>& st, const char* opts) {
  return [st, opts] {
    const DiskFile& f = disk_file();
    st->k = bench::boot((std::string(opts) + " ubda=" + f.path).c_str());
  };
}

void* aligned(size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, 4096, n) != 0) return nullptr;
  memset(p, 1, n);
  return p;
}

// Sequential transfer of the whole disk in bs blocks; MiB/s.
double guest_seq(uml::Kernel& k, bool write, bool direct, size_t bs) {
  return bench::in_guest(k, [&] {
    const uint64_t size = disk_file().size;
    const long fd = sys(SYS_open, reinterpret_cast<long>("/dev/ubda"), O_RDWR | (direct ? O_DIRECT : 0));
    if (fd < 0) return 0.0;
    char* buf = static_cast<char*>(aligned(bs));
    const double t0 = bench::now_ns();
    for (uint64_t off = 0; off < size; off += bs) {
      const long r = sys(write ? SYS_pwrite64 : SYS_pread64, fd, reinterpret_cast<long>(buf), static_cast<long>(bs),
                         static_cast<long>(off));
      if (r != static_cast<long>(bs)) break;
    }
    if (write) sys(SYS_fsync, fd);
    const double secs = (bench::now_ns() - t0) / 1e9;
    free(buf);
    sys(SYS_close, fd);
    return static_cast<double>(size) / (1 << 20) / secs;
  });
}

// Random 4 KiB reads from `tasks` guest tasks at once (one request in flight each), for
// about `ms` milliseconds; returns IOPS (or mean ns per read with latency).
double guest_randread(uml::Kernel& k, int tasks, bool direct, double ms, bool latency) {
  const uint64_t blocks = disk_file().size / 4096;
  std::atomic<uint64_t> ops{0};
  std::atomic<bool> stop{false};
  double elapsed = 0;
  bench::in_guest(k, [&] {
    std::vector<uml::TaskHandle> hs;
    const double t0 = bench::now_ns();
    for (int t = 0; t < tasks; ++t) {
      hs.push_back(k.spawn([&, t] {
        const long fd = sys(SYS_open, reinterpret_cast<long>("/dev/ubda"), O_RDONLY | (direct ? O_DIRECT : 0));
        char* buf = static_cast<char*>(aligned(4096));
        std::mt19937_64 rng(static_cast<uint64_t>(t) + 11);
        uint64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          for (int i = 0; i < 16; ++i, ++n)
            sys(SYS_pread64, fd, reinterpret_cast<long>(buf), 4096, static_cast<long>((rng() % blocks) * 4096));
          if (t == 0 && bench::now_ns() - t0 > ms * 1e6) stop = true;
        }
        ops += n;
        free(buf);
        sys(SYS_close, fd);
        return 0;
      }));
    }
    for (auto& h : hs) h.wait();
    elapsed = bench::now_ns() - t0;
    return 0.0;
  });
  if (latency) return elapsed * tasks / static_cast<double>(ops.load());
  return static_cast<double>(ops.load()) / (elapsed / 1e9);
}

bench::Benchmark disk_bench(const char* name, const char* unit, bool higher, const char* note, const char* boot_opts,
                            std::function<double(uml::Kernel&)> guest, std::function<double()> base) {
  auto st = std::make_shared<Instance>();
  bench::Benchmark b;
  b.name = name;
  b.unit = unit;
  b.baseline = "fio io_uring";
  b.higher_is_better = higher;
  b.note = note;
  b.setup = boot_on_disk(st, boot_opts);
  b.guest = [st, guest] { return guest(*st->k); };
  b.base = std::move(base);
  b.teardown = [st] { st->k.reset(); };
  return b;
}

}  // namespace

UML_BENCHMARK(seq_read_1m) {
  return disk_bench("seq_read_1m", "MiB/s", true,
                    "read the whole disk in 1 MiB O_DIRECT reads, one at a time, vs fio --rw=read --bs=1M --iodepth=1",
                    "vcpus=1", [](uml::Kernel& k) { return guest_seq(k, false, true, 1 << 20); },
                    [] { return run_fio("read", "1M", 1, true, "").bw_bytes / (1 << 20); });
}

UML_BENCHMARK(seq_write_1m) {
  return disk_bench("seq_write_1m", "MiB/s", true,
                    "write the whole disk in 1 MiB O_DIRECT writes then fsync, vs fio --rw=write --bs=1M --end_fsync=1",
                    "vcpus=1", [](uml::Kernel& k) { return guest_seq(k, true, true, 1 << 20); },
                    [] { return run_fio("write", "1M", 1, true, "--end_fsync=1").bw_bytes / (1 << 20); });
}

UML_BENCHMARK(randread_4k_qd1) {
  return disk_bench("randread_4k_qd1", "ns/op", false,
                    "mean latency of a random 4 KiB O_DIRECT read, one in flight, vs fio's mean lat_ns",
                    "vcpus=1", [](uml::Kernel& k) { return guest_randread(k, 1, true, 1500, true); },
                    [] { return run_fio("randread", "4k", 1, true, "--runtime=1.5 --time_based").lat_ns; });
}

UML_BENCHMARK(randread_4k_qd32) {
  return disk_bench("randread_4k_qd32", "IOPS", true,
                    "random 4 KiB O_DIRECT reads from 32 guest tasks at once vs fio --iodepth=32",
                    "vcpus=1", [](uml::Kernel& k) { return guest_randread(k, 32, true, 1500, false); },
                    [] { return run_fio("randread", "4k", 32, true, "--runtime=1.5 --time_based").iops; });
}

UML_BENCHMARK(seq_read_1m_buffered) {
  return disk_bench("seq_read_1m_buffered", "MiB/s", true,
                    "as seq_read_1m through the guest's page cache vs fio --direct=0 through the host's "
                    "(both hold the disk: mem=2G)",
                    "vcpus=1 mem=2G", [](uml::Kernel& k) { return guest_seq(k, false, false, 1 << 20); },
                    [] { return run_fio("read", "1M", 1, false, "").bw_bytes / (1 << 20); });
}

UML_BENCHMARK(seq_write_1m_buffered) {
  return disk_bench("seq_write_1m_buffered", "MiB/s", true,
                    "as seq_write_1m through the page caches, fsync at the end",
                    "vcpus=1 mem=2G", [](uml::Kernel& k) { return guest_seq(k, true, false, 1 << 20); },
                    [] { return run_fio("write", "1M", 1, false, "--end_fsync=1").bw_bytes / (1 << 20); });
}

UML_BENCHMARK(randread_4k_qd1_buffered) {
  return disk_bench("randread_4k_qd1_buffered", "ns/op", false,
                    "as randread_4k_qd1 through the page caches (warm after the first round)",
                    "vcpus=1 mem=2G", [](uml::Kernel& k) { return guest_randread(k, 1, false, 1500, true); },
                    [] { return run_fio("randread", "4k", 1, false, "--runtime=1.5 --time_based").lat_ns; });
}

UML_BENCHMARK(randread_4k_qd32_buffered) {
  return disk_bench("randread_4k_qd32_buffered", "IOPS", true,
                    "as randread_4k_qd32 through the page caches",
                    "vcpus=1 mem=2G", [](uml::Kernel& k) { return guest_randread(k, 32, false, 1500, false); },
                    [] { return run_fio("randread", "4k", 32, false, "--runtime=1.5 --time_based").iops; });
}
