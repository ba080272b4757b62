// File benchmarks: guest tmpfs (an attached thread's syscalls) against the host's tmpfs
// (/dev/shm) in the same run, the same operations through the raw syscall interface.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libuml/libuml.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"

namespace {

// One side of a file benchmark: where its files live, and how it makes a syscall.
struct Side {
  std::string dir;
  long (*sys)(uml::Kernel*, long, long, long, long, long);
  uml::Kernel* k;
  long call(long nr, long a = 0, long b = 0, long c = 0, long d = 0) const { return sys(k, nr, a, b, c, d); }
  template <typename... A>
  long c(long nr, A... a) const { return call(nr, (long)(a)...); }
};

long host_sys(uml::Kernel*, long nr, long a, long b, long c, long d) {
  long r = ::syscall(nr, a, b, c, d);
  return r < 0 ? -errno : r;
}
long guest_sys(uml::Kernel* k, long nr, long a, long b, long c, long d) { return k->syscall(nr, a, b, c, d); }

// The guest instance and its attached thread, shared by the file benchmarks.
struct Env {
  std::unique_ptr<uml::Kernel> k;
  uml::Attachment me;
  Side guest, host;
};
std::shared_ptr<Env> g_env;

std::shared_ptr<Env> env() {
  if (!g_env) {
    auto e = std::make_shared<Env>();
    e->k = uml::Kernel::boot("console=none mem=2G");
    e->me = e->k->attach();
    e->guest = Side{"/tmp/bench", guest_sys, e->k.get()};
    e->host = Side{"/dev/shm/uml-bench-" + std::to_string(getpid()), host_sys, nullptr};
    for (Side* s : {&e->guest, &e->host}) s->c(SYS_mkdir, s->dir.c_str(), 0755);
    g_env = e;
  }
  return g_env;
}

void remove_dir_tree(const Side& s, const std::string& dir) {
  std::vector<char> buf(65536);
  const long fd = s.c(SYS_openat, AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  std::vector<std::string> names;
  long n;
  while ((n = s.c(SYS_getdents64, fd, buf.data(), buf.size())) > 0)
    for (long off = 0; off < n;) {
      const char* name = buf.data() + off + 19;
      if (strcmp(name, ".") && strcmp(name, "..")) names.push_back(name);
      off += *reinterpret_cast<uint16_t*>(buf.data() + off + 16);
    }
  s.c(SYS_close, fd);
  for (auto& nm : names) {
    const std::string p = dir + "/" + nm;
    if (s.c(SYS_unlink, p.c_str()) == -EISDIR) remove_dir_tree(s, p);
  }
  s.c(SYS_rmdir, dir.c_str());
}

void teardown() {
  if (!g_env) return;
  remove_dir_tree(g_env->host, g_env->host.dir);
  g_env->me.detach();
  g_env.reset();
}

bench::Benchmark file_bench(const char* name, const char* note, std::function<void(const Side&)> setup,
                            std::function<double(const Side&)> run) {
  bench::Benchmark b;
  b.name = name;
  b.unit = "ns/op";
  b.baseline = "host tmpfs";
  b.note = note;
  b.setup = [setup] {
    auto e = env();
    setup(e->guest);
    setup(e->host);
  };
  b.guest = [run] { return run(env()->guest); };
  b.base = [run] { return run(env()->host); };
  b.teardown = teardown;
  return b;
}

std::string path(const Side& s, const std::string& rest) { return s.dir + "/" + rest; }

}  // namespace

UML_BENCHMARK(open_read_close) {
  return file_bench(
      "open_read_close", "open + read 4 KiB + close of an existing file",
      [](const Side& s) {
        const std::string p = path(s, "orc");
        const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        std::vector<char> data(4096, 'x');
        s.c(SYS_write, fd, data.data(), data.size());
        s.c(SYS_close, fd);
      },
      [](const Side& s) {
        const std::string p = path(s, "orc");
        char buf[4096];
        return bench::ns_per_op(200'000, [&] {
          const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_RDONLY);
          s.c(SYS_read, fd, buf, sizeof(buf));
          s.c(SYS_close, fd);
        });
      });
}

UML_BENCHMARK(stat_deep) {
  return file_bench(
      "stat_deep", "stat of a file 5 directories deep",
      [](const Side& s) {
        std::string p = s.dir;
        for (const char* d : {"/a", "/b", "/c", "/d", "/e"}) {
          p += d;
          s.c(SYS_mkdir, p.c_str(), 0755);
        }
        s.c(SYS_close, s.c(SYS_openat, AT_FDCWD, (p + "/file").c_str(), O_CREAT | O_WRONLY, 0644));
      },
      [](const Side& s) {
        const std::string p = path(s, "a/b/c/d/e/file");
        struct stat st;
        return bench::ns_per_op(500'000, [&] { s.c(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, 0); });
      });
}

UML_BENCHMARK(create_write_unlink) {
  return file_bench(
      "create_write_unlink", "create + write 4 KiB + close + unlink",
      [](const Side&) {},
      [](const Side& s) {
        const std::string p = path(s, "cwu");
        std::vector<char> data(4096, 'y');
        return bench::ns_per_op(100'000, [&] {
          const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
          s.c(SYS_write, fd, data.data(), data.size());
          s.c(SYS_close, fd);
          s.c(SYS_unlink, p.c_str());
        });
      });
}

UML_BENCHMARK(getdents_10k) {
  return file_bench(
      "getdents_10k", "getdents64 over a 10,000-entry directory (ns per directory)",
      [](const Side& s) {
        const std::string d = path(s, "big");
        s.c(SYS_mkdir, d.c_str(), 0755);
        for (int i = 0; i < 10'000; ++i)
          s.c(SYS_close, s.c(SYS_openat, AT_FDCWD, (d + "/f" + std::to_string(i)).c_str(),
                             O_CREAT | O_WRONLY, 0644));
      },
      [](const Side& s) {
        const std::string d = path(s, "big");
        std::vector<char> buf(32768);
        return bench::ns_per_op(50, [&] {
          const long fd = s.c(SYS_openat, AT_FDCWD, d.c_str(), O_RDONLY | O_DIRECTORY);
          while (s.c(SYS_getdents64, fd, buf.data(), buf.size()) > 0) {
          }
          s.c(SYS_close, fd);
        });
      });
}

UML_BENCHMARK(stat_in_1m_dir) {
  return file_bench(
      "stat_in_1m_dir", "stat of a random entry of a 1,000,000-entry directory",
      [](const Side& s) {
        const std::string d = path(s, "huge");
        s.c(SYS_mkdir, d.c_str(), 0755);
        for (int i = 0; i < 1'000'000; ++i)
          s.c(SYS_mknodat, AT_FDCWD, (d + "/f" + std::to_string(i)).c_str(), S_IFREG | 0644, 0);
      },
      [](const Side& s) {
        const std::string d = path(s, "huge");
        std::vector<std::string> names;
        uint64_t x = 88172645463325252ull;
        for (int i = 0; i < 4096; ++i) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          names.push_back(d + "/f" + std::to_string(x % 1'000'000));
        }
        struct stat st;
        size_t i = 0;
        return bench::ns_per_op(500'000, [&] { s.c(SYS_newfstatat, AT_FDCWD, names[i++ & 4095].c_str(), &st, 0); });
      });
}

namespace {
constexpr size_t kSeqBytes = 256u << 20;
constexpr size_t kSeqChunk = 1u << 20;
}  // namespace

UML_BENCHMARK(seq_write_256m) {
  bench::Benchmark b = file_bench(
      "seq_write_256m", "write a 256 MiB file in 1 MiB writes (MiB/s)", [](const Side&) {},
      [](const Side& s) {
        const std::string p = path(s, "seq");
        std::vector<char> data(kSeqChunk, 'z');
        const double t0 = bench::now_ns();
        const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        for (size_t done = 0; done < kSeqBytes; done += kSeqChunk) s.c(SYS_write, fd, data.data(), data.size());
        s.c(SYS_close, fd);
        const double secs = (bench::now_ns() - t0) / 1e9;
        s.c(SYS_unlink, p.c_str());
        return static_cast<double>(kSeqBytes >> 20) / secs;
      });
  b.unit = "MiB/s";
  b.higher_is_better = true;
  return b;
}

UML_BENCHMARK(seq_read_256m) {
  bench::Benchmark b = file_bench(
      "seq_read_256m", "read a 256 MiB file in 1 MiB reads (MiB/s)",
      [](const Side& s) {
        const std::string p = path(s, "seqr");
        std::vector<char> data(kSeqChunk, 'r');
        const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        for (size_t done = 0; done < kSeqBytes; done += kSeqChunk) s.c(SYS_write, fd, data.data(), data.size());
        s.c(SYS_close, fd);
      },
      [](const Side& s) {
        const std::string p = path(s, "seqr");
        std::vector<char> buf(kSeqChunk);
        const double t0 = bench::now_ns();
        const long fd = s.c(SYS_openat, AT_FDCWD, p.c_str(), O_RDONLY);
        while (s.c(SYS_read, fd, buf.data(), buf.size()) > 0) {
        }
        s.c(SYS_close, fd);
        return static_cast<double>(kSeqBytes >> 20) / ((bench::now_ns() - t0) / 1e9);
      });
  b.unit = "MiB/s";
  b.higher_is_better = true;
  return b;
}
