// A seeded random differential test of the file syscalls: the same random sequence of
// operations on a small namespace runs on the host kernel (in a fresh tmpfs directory) and
// in a libuml instance, and every result must match: return value or errno, bytes read,
// stat fields (type, mode, nlink, size, uid, gid, blocks), link targets, directory
// listings, xattr values.
//
//   fs-random [--iterations N] [--ops N] [--seed S] [--unprivileged] [--verbose]
//
// The default run is bounded; longer runs (scripts/fuzz.sh fs-random) explore more seeds.
// A failure prints the seed, the step and both results, and the sequence replays exactly
// with --seed S --iterations 1.

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libuml/libuml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Side {
  std::function<long(long, long, long, long, long, long, long)> sys;
  int dirfd = -1;  // the scratch directory
  std::vector<long> fds;
  long call(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) const {
    return sys(nr, a, b, c, d, e, 0);
  }
};

long host_sys(long nr, long a, long b, long c, long d, long e, long f) {
  const long r = ::syscall(nr, a, b, c, d, e, f);
  return r == -1 ? -errno : r;
}

// ".." comes last: it is left out when the sides cannot be chrooted into their scratch
// directories (unprivileged), where it would reach the different worlds above them.
const char* kNames[] = {"a", "b", "c", "d", "d/a", "d/b", "d/e", "d/e/f", "x/y", "a/z", "d/", ".", ".."};
int g_name_count = sizeof(kNames) / sizeof(kNames[0]);
constexpr int kFdSlots = 4;

std::string stat_text(long r, const struct stat& st) {
  if (r < 0) return "err " + std::to_string(-r);
  char buf[160];
  snprintf(buf, sizeof buf, "type %o mode %o nlink %lu size %ld uid %u gid %u blocks %ld", st.st_mode & S_IFMT,
           st.st_mode & 07777, static_cast<unsigned long>(st.st_nlink), static_cast<long>(st.st_size), st.st_uid,
           st.st_gid, static_cast<long>(st.st_blocks));
  return buf;
}

// One step on one side: a description of the result, to compare as text.
class Step {
 public:
  explicit Step(uint64_t seed) : m_seed(seed) {}
  std::string run(Side& s, std::string* what) {
    std::mt19937_64 rng(m_seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const char* p = kNames[pick(g_name_count)];
    const char* q = kNames[pick(g_name_count)];
    const long pp = reinterpret_cast<long>(p), qq = reinterpret_cast<long>(q);
    const int slot = pick(kFdSlots);
    const long fd = s.fds[slot];
    const int dfd = s.dirfd;
    char buf[256];
    switch (pick(20)) {
      case 0: {
        static const int kFlags[] = {O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
                                     O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TMPFILE};
        int flags = 0;
        for (int i = 0; i < 3; ++i) flags |= kFlags[pick(11)];
        const int mode = pick(2) ? 0644 : 0000 | (pick(8) << 6);
        *what = std::string("openat ") + p + " flags " + std::to_string(flags) + " mode " + std::to_string(mode);
        const long r = s.call(SYS_openat, dfd, pp, flags, mode);
        if (r >= 0) {
          if (s.fds[slot] >= 0) s.call(SYS_close, s.fds[slot]);
          s.fds[slot] = r;
          return "fd";
        }
        return "err " + std::to_string(-r);
      }
      case 1: {
        *what = "close slot " + std::to_string(slot);
        if (fd < 0) return "none";
        s.fds[slot] = -1;
        return std::to_string(s.call(SYS_close, fd));
      }
      case 2: {
        const int n = pick(3) * 3000 + pick(10);
        *what = "write slot " + std::to_string(slot) + " " + std::to_string(n);
        if (fd < 0) return "none";
        std::vector<char> data(static_cast<size_t>(n), static_cast<char>('a' + pick(26)));
        return std::to_string(s.call(SYS_write, fd, reinterpret_cast<long>(data.data()), n));
      }
      case 3: {
        *what = "read slot " + std::to_string(slot);
        if (fd < 0) return "none";
        const long r = s.call(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf);
        return r < 0 ? "err " + std::to_string(-r) : std::string(buf, static_cast<size_t>(r));
      }
      case 4: {
        const int whence = pick(5);
        const long off = pick(3) ? pick(8000) : -pick(100);
        *what = "lseek slot " + std::to_string(slot) + " " + std::to_string(off) + " whence " + std::to_string(whence);
        if (fd < 0) return "none";
        return std::to_string(s.call(SYS_lseek, fd, off, whence));
      }
      case 5: *what = std::string("mkdirat ") + p; return std::to_string(s.call(SYS_mkdirat, dfd, pp, 0755));
      case 6: *what = std::string("rmdir ") + p; return std::to_string(s.call(SYS_unlinkat, dfd, pp, AT_REMOVEDIR));
      case 7: *what = std::string("unlink ") + p; return std::to_string(s.call(SYS_unlinkat, dfd, pp, 0));
      case 8: {
        const int flags = pick(4) == 0 ? RENAME_NOREPLACE : pick(4) == 0 ? RENAME_EXCHANGE : 0;
        *what = std::string("renameat2 ") + p + " " + q + " " + std::to_string(flags);
        return std::to_string(s.call(SYS_renameat2, dfd, pp, dfd, qq, flags));
      }
      case 9: {
        const int flags = pick(2) ? AT_SYMLINK_FOLLOW : 0;
        *what = std::string("linkat ") + p + " " + q;
        return std::to_string(s.call(SYS_linkat, dfd, pp, dfd, qq, flags));
      }
      case 10: *what = std::string("symlinkat ") + q + " -> " + p; return std::to_string(s.call(SYS_symlinkat, pp, dfd, qq));
      case 11: {
        *what = std::string("readlinkat ") + p;
        const long r = s.call(SYS_readlinkat, dfd, pp, reinterpret_cast<long>(buf), sizeof buf);
        return r < 0 ? "err " + std::to_string(-r) : std::string(buf, static_cast<size_t>(r));
      }
      case 12: {
        const int flags = pick(2) ? AT_SYMLINK_NOFOLLOW : 0;
        *what = std::string("fstatat ") + p + " " + std::to_string(flags);
        struct stat st {};
        const long r = s.call(SYS_newfstatat, dfd, pp, reinterpret_cast<long>(&st), flags);
        return stat_text(r, st);
      }
      case 13: {
        *what = "fstat slot " + std::to_string(slot);
        if (fd < 0) return "none";
        struct stat st {};
        return stat_text(s.call(SYS_fstat, fd, reinterpret_cast<long>(&st)), st);
      }
      case 14: {
        const long len = pick(4) ? pick(10000) : -1;
        *what = "ftruncate slot " + std::to_string(slot) + " " + std::to_string(len);
        if (fd < 0) return "none";
        return std::to_string(s.call(SYS_ftruncate, fd, len));
      }
      case 15: {
        const int mode = pick(07777 + 1);
        *what = std::string("fchmodat ") + p + " " + std::to_string(mode);
        return std::to_string(s.call(SYS_fchmodat, dfd, pp, mode));
      }
      case 16: {
        const int mode = pick(8);
        *what = std::string("faccessat2 ") + p + " " + std::to_string(mode);
        return std::to_string(s.call(SYS_faccessat2, dfd, pp, mode, pick(2) ? AT_EACCESS : 0));
      }
      case 17: {
        *what = std::string("getdents ") + p;
        const long d = s.call(SYS_openat, dfd, pp, O_RDONLY | O_DIRECTORY);
        if (d < 0) return "err " + std::to_string(-d);
        std::vector<std::string> names;
        alignas(8) char dents[4096];
        for (long n; (n = s.call(SYS_getdents64, d, reinterpret_cast<long>(dents), sizeof dents)) > 0;)
          for (long off = 0; off < n;) {
            names.emplace_back(dents + off + 19);
            off += *reinterpret_cast<uint16_t*>(dents + off + 16);
          }
        s.call(SYS_close, d);
        std::sort(names.begin(), names.end());
        std::string out;
        for (const auto& n : names) out += n + ",";
        return out;
      }
      case 18: {
        const int mode = pick(4) ? 0 : FALLOC_FL_KEEP_SIZE | (pick(2) ? FALLOC_FL_PUNCH_HOLE : 0);
        const long off = pick(9000), len = pick(9000);
        *what = "fallocate slot " + std::to_string(slot) + " " + std::to_string(mode) + " " + std::to_string(off) +
                " " + std::to_string(len);
        if (fd < 0) return "none";
        return std::to_string(s.call(SYS_fallocate, fd, mode, off, len));
      }
      default: {
        const int flags = pick(3);
        *what = std::string("setxattr/getxattr ") + p + " " + std::to_string(flags);
        // The working directory is the scratch directory: relative paths match dirfd's.
        const long r = s.call(SYS_lsetxattr, pp, reinterpret_cast<long>("user.k"), reinterpret_cast<long>("v"), 1, flags);
        const long g = s.call(SYS_lgetxattr, pp, reinterpret_cast<long>("user.k"), reinterpret_cast<long>(buf), sizeof buf);
        return std::to_string(r) + " " + std::to_string(g);
      }
    }
  }

 private:
  uint64_t m_seed;
};

// Runs one sequence; returns false (after printing why) on the first difference.
bool run_sequence(uint64_t seed, int ops, Side& host, Side& guest, bool verbose) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < ops; ++i) {
    const uint64_t step_seed = rng();
    std::string what_h, what_g;
    const std::string h = Step(step_seed).run(host, &what_h);
    const std::string g = Step(step_seed).run(guest, &what_g);
    if (verbose) printf("  %d: %s -> %s\n", i, what_h.c_str(), h.c_str());
    if (h != g) {
      printf("DIFFERENCE at seed %llu step %d: %s\n  host:  %s\n  guest: %s\n",
             static_cast<unsigned long long>(seed), i, what_h.c_str(), h.c_str(), g.c_str());
      return false;
    }
  }
  return true;
}

// A fresh scratch directory, made the side's working directory and, when chroot is
// allowed, its root (real_root: a descriptor of the real root to climb back out with).
void reset(Side& s, const std::string& dir, long real_root, bool chroot_ok) {
  for (long& fd : s.fds) {
    if (fd >= 0) s.call(SYS_close, fd);
    fd = -1;
  }
  if (s.dirfd >= 0) s.call(SYS_close, s.dirfd);
  if (chroot_ok) {
    s.call(SYS_fchdir, real_root);
    s.call(SYS_chroot, reinterpret_cast<long>("."));
  }
  s.call(SYS_mkdir, reinterpret_cast<long>(dir.c_str()), 0777);
  s.call(SYS_chdir, reinterpret_cast<long>(dir.c_str()));
  if (chroot_ok) s.call(SYS_chroot, reinterpret_cast<long>("."));
  s.dirfd = static_cast<int>(s.call(SYS_open, reinterpret_cast<long>("."), O_RDONLY | O_DIRECTORY));
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 200, ops = 60;
  uint64_t seed = 1;
  bool unprivileged = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) iterations = atol(argv[++i]);
    else if (a == "--ops" && i + 1 < argc) ops = atol(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = strtoull(argv[++i], nullptr, 10);
    else if (a == "--unprivileged") unprivileged = true;
    else if (a == "--verbose") verbose = true;
    else {
      fprintf(stderr, "usage: fs-random [--iterations N] [--ops N] [--seed S] [--unprivileged] [--verbose]\n");
      return 2;
    }
  }
  // As root: a mount namespace of our own with a fresh tmpfs, the filesystem the guest has.
  const bool root = geteuid() == 0;
  std::string host_base = "/tmp";
  if (root && unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
      mount("tmpfs", "/mnt", "tmpfs", 0, "mode=1777") == 0)
    host_base = "/mnt";
  auto k = uml::Kernel::boot("console=none");
  if (!k) return 1;
  bool ok = true;
  // Both sides run on one thread (attached to the instance), which drops privileges on
  // the host with raw syscalls (they change only this thread) and in the guest alike.
  std::thread worker([&] {
    auto me = k->attach();
    Side host, guest;
    host.sys = host_sys;
    guest.sys = [](long nr, long a, long b, long c, long d, long e, long f) { return uml::syscall(nr, a, b, c, d, e, f); };
    host.fds.assign(kFdSlots, -1);
    guest.fds.assign(kFdSlots, -1);
    // The host thread gets a root and working directory of its own (CLONE_FS), so its
    // chroots do not move the rest of the process.
    const bool chroot_ok = root && !unprivileged && ::unshare(CLONE_FS) == 0;
    const long host_root = host.call(SYS_open, reinterpret_cast<long>("/"), O_PATH | O_DIRECTORY);
    const long guest_root = guest.call(SYS_open, reinterpret_cast<long>("/"), O_PATH | O_DIRECTORY);
    if (!chroot_ok) g_name_count -= 1;  // no ".."
    if (unprivileged) {
      for (Side* s : {&host, &guest}) {
        s->call(SYS_setgroups, 0, 0);
        s->call(SYS_setresgid, 1000, 1000, 1000);
        s->call(SYS_setresuid, 1000, 1000, 1000);
      }
    }
    for (long it = 0; it < iterations && ok; ++it) {
      const uint64_t s = seed + static_cast<uint64_t>(it);
      const std::string name = "/fs-random-" + std::to_string(getpid()) + "-" + std::to_string(s);
      reset(host, host_base + name, host_root, chroot_ok);
      reset(guest, "/tmp" + name, guest_root, chroot_ok);
      if (verbose) printf("seed %llu\n", static_cast<unsigned long long>(s));
      ok = run_sequence(s, static_cast<int>(ops), host, guest, verbose);
    }
  });
  worker.join();
  if (ok) printf("fs-random: %ld sequences of %ld operations, no difference\n", iterations, ops);
  return ok ? 0 : 1;
}
