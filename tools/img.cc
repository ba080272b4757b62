// uml-img: reads and changes an ext2/3/4 image without root and without a VM. It boots an
// instance, mounts the image (read-only for the reading commands), and runs one command in
// it, through the public API only.
//
//   uml-img IMAGE ls [-l] [-R] [-a] [PATH...]   list directories (like ls -n: numeric ids
//                                               unless the image has /etc/passwd, /etc/group)
//   uml-img IMAGE cat PATH...                   copy files to stdout
//   uml-img IMAGE stat PATH...                  everything stat(1) shows
//   uml-img IMAGE tree [PATH]                   the tree below PATH, as tree(1) draws it
//   uml-img IMAGE df                            the filesystem's size and use, as df(1)
//   uml-img IMAGE get [-r] PATH HOST_DEST       copy out, keeping modes, times, symlinks,
//                                               hard links, xattrs, holes, and owners and
//                                               device nodes when run as root
// Writing (the image is mounted read-write, and written back and marked clean at the end):
//   uml-img IMAGE put [-r] HOST_SRC PATH        copy in, as get keeps things, owners and
//                                               device nodes always (as mke2fs -d does)
//   uml-img IMAGE mkdir [-p] PATH...            as mkdir(1)
//   uml-img IMAGE rm [-r] [-f] PATH...          as rm(1), refusing the root
//   uml-img IMAGE mv SRC DEST                   as mv(1) within the image
//   uml-img IMAGE chmod MODE PATH...            octal MODE
//   uml-img IMAGE chown OWNER[:GROUP] PATH...   ids or names from the image's /etc
//   uml-img IMAGE ln [-s] TARGET LINK           as ln(1)
//   uml-img IMAGE setfattr -n NAME [-v VALUE] PATH | -x NAME PATH
//
// Options before IMAGE: --no-lock (the image is locked for the command's access by
// default: see docs/block.md), --help, --version.
//
// Exit status as coreutils: 0 success, 1 a file could not be read or changed, 2 bad usage
// or a path that cannot be reached (ls), 1 for anything else; messages go to stderr, with
// the kernel's log lines of warning level and above, and an error the kernel logged (a
// corrupted block met on the way) fails the command.

#include <libuml/libuml.h>

#include <dirent.h>
#include <getopt.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr const char* kRoot = "/img";  // where the image is mounted; tasks chroot into it

long g(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) { return uml::syscall(nr, a, b, c, d, e); }
template <typename T>
long P(T* p) {
  return reinterpret_cast<long>(p);
}

int g_status = 0;
void complain(const std::string& what, long err, int status = 1) {
  fprintf(stderr, "uml-img: %s: %s\n", what.c_str(), strerror(static_cast<int>(-err)));
  g_status = std::max(g_status, status);
}

bool guest_stat(const std::string& p, struct stat* st, bool follow = false) {
  const long r = g(SYS_newfstatat, AT_FDCWD, P(p.c_str()), P(st), follow ? 0 : AT_SYMLINK_NOFOLLOW);
  if (r < 0) {
    complain("cannot access '" + p + "'", r, 2);
    return false;
  }
  return true;
}

std::vector<std::pair<std::string, unsigned char>> list_dir(const std::string& p, long* err) {
  std::vector<std::pair<std::string, unsigned char>> out;
  const long fd = g(SYS_openat, AT_FDCWD, P(p.c_str()), O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    *err = fd;
    return out;
  }
  std::vector<char> buf(1 << 16);
  for (long n; (n = g(SYS_getdents64, fd, P(buf.data()), static_cast<long>(buf.size()))) > 0;)
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(buf.data() + off);
      out.emplace_back(d->d_name, d->d_type);
      off += d->d_reclen;
    }
  g(SYS_close, fd);
  std::sort(out.begin(), out.end());
  *err = 0;
  return out;
}

std::string read_all(const std::string& p) {
  std::string s;
  const long fd = g(SYS_openat, AT_FDCWD, P(p.c_str()), O_RDONLY);
  if (fd < 0) return s;
  char buf[65536];
  for (long n; (n = g(SYS_read, fd, P(buf), sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  g(SYS_close, fd);
  return s;
}

// Names from the image's /etc/passwd and /etc/group (the image's users, not the host's).
std::map<uint32_t, std::string> id_names(const std::string& file) {
  std::map<uint32_t, std::string> m;
  const std::string s = read_all(file);
  for (size_t pos = 0; pos < s.size();) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    const std::string line = s.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1), c3 = line.find(':', c2 + 1);
    if (c3 == std::string::npos) continue;
    m.emplace(static_cast<uint32_t>(strtoul(line.c_str() + c2 + 1, nullptr, 10)), line.substr(0, c1));
  }
  return m;
}
std::map<uint32_t, std::string> g_users, g_groups;
std::string name_of(const std::map<uint32_t, std::string>& m, uint32_t id) {
  auto it = m.find(id);
  return it == m.end() ? std::to_string(id) : it->second;
}

std::string mode_string(uint32_t m) {
  std::string s = S_ISDIR(m) ? "d" : S_ISLNK(m) ? "l" : S_ISCHR(m) ? "c" : S_ISBLK(m) ? "b" : S_ISFIFO(m) ? "p" : S_ISSOCK(m) ? "s" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (m & (0400 >> i)) ? rwx[i] : '-';
  if (m & S_ISUID) s[3] = (m & S_IXUSR) ? 's' : 'S';
  if (m & S_ISGID) s[6] = (m & S_IXGRP) ? 's' : 'S';
  if (m & S_ISVTX) s[9] = (m & S_IXOTH) ? 't' : 'T';
  return s;
}

std::string ls_time(int64_t t) {
  char buf[64];
  const time_t tt = t;
  struct tm tm {};
  gmtime_r(&tt, &tm);
  const time_t now = time(nullptr);
  const bool recent = t <= now && now - t < 180LL * 24 * 3600;  // ls: six months
  strftime(buf, sizeof buf, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);
  return buf;
}

void ls_entry(const std::string& dir, const std::string& name, bool lng) {
  if (!lng) {
    printf("%s\n", name.c_str());
    return;
  }
  const std::string p = dir.empty() ? name : (dir == "/" ? "/" + name : dir + "/" + name);
  struct stat st {};
  if (!guest_stat(p, &st)) return;
  std::string size = (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
                         ? std::to_string(major(st.st_rdev)) + ", " + std::to_string(minor(st.st_rdev))
                         : std::to_string(st.st_size);
  printf("%s %lu %s %s %8s %s %s", mode_string(st.st_mode).c_str(), static_cast<unsigned long>(st.st_nlink),
         name_of(g_users, st.st_uid).c_str(), name_of(g_groups, st.st_gid).c_str(), size.c_str(),
         ls_time(st.st_mtim.tv_sec).c_str(), name.c_str());
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    const long n = g(SYS_readlinkat, AT_FDCWD, P(p.c_str()), P(target), sizeof target);
    if (n >= 0) printf(" -> %.*s", static_cast<int>(n), target);
  }
  printf("\n");
}

void ls_dir(const std::string& p, bool lng, bool all, bool rec, bool header) {
  long err;
  auto entries = list_dir(p, &err);
  if (err) {
    complain("cannot open directory '" + p + "'", err, 2);
    return;
  }
  if (header) printf("%s:\n", p.c_str());
  if (lng) {
    uint64_t blocks = 0;
    for (const auto& [n, t] : entries) {
      if (!all && n[0] == '.') continue;
      struct stat st {};
      const std::string c = p == "/" ? "/" + n : p + "/" + n;
      if (g(SYS_newfstatat, AT_FDCWD, P(c.c_str()), P(&st), AT_SYMLINK_NOFOLLOW) == 0) blocks += st.st_blocks;
    }
    printf("total %llu\n", static_cast<unsigned long long>(blocks / 2));
  }
  for (const auto& [n, t] : entries)
    if (all || n[0] != '.') ls_entry(p, n, lng);
  if (rec)
    for (const auto& [n, t] : entries) {
      if (n == "." || n == ".." || t != DT_DIR || (!all && n[0] == '.')) continue;
      printf("\n");
      ls_dir(p == "/" ? "/" + n : p + "/" + n, lng, all, rec, true);
    }
}

int cmd_ls(const std::vector<std::string>& args) {
  bool lng = false, all = false, rec = false;
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '-') {
      for (char c : a.substr(1)) {
        if (c == 'l') lng = true;
        else if (c == 'a') all = true;
        else if (c == 'R') rec = true;
        else {
          fprintf(stderr, "uml-img: ls: invalid option -- '%c'\n", c);
          return 2;
        }
      }
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) paths.push_back("/");
  bool first = true;
  for (const std::string& p : paths) {
    struct stat st {};
    if (!guest_stat(p, &st)) continue;
    if (!S_ISDIR(st.st_mode)) {
      ls_entry("", p, lng);
      continue;
    }
    if (!first) printf("\n");
    first = false;
    ls_dir(p, lng, all, rec, rec || paths.size() > 1);
  }
  return g_status;
}

int usage();

const char* file_kind(uint32_t m) {
  return S_ISFIFO(m) ? "a fifo" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISLNK(m) ? "a symbolic link" : "not a regular file";
}

int cmd_cat(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  std::vector<char> buf(1 << 20);
  for (const std::string& p : args) {
    // Only regular files are opened: a FIFO would block for good, and a device node
    // would reach the instance's device, not the image's bytes.
    struct stat st {};
    if (long r = g(SYS_newfstatat, AT_FDCWD, P(p.c_str()), P(&st), 0); r < 0) {
      complain(p, r);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      if (S_ISDIR(st.st_mode)) complain(p, -EISDIR);
      else fprintf(stderr, "uml-img: %s: not a regular file (%s): not read\n", p.c_str(), file_kind(st.st_mode));
      g_status = 1;
      continue;
    }
    const long fd = g(SYS_openat, AT_FDCWD, P(p.c_str()), O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      complain(p, fd);
      continue;
    }
    for (;;) {
      const long n = g(SYS_read, fd, P(buf.data()), static_cast<long>(buf.size()));
      if (n < 0) {
        complain(p, n);
        break;
      }
      if (n == 0) break;
      if (fwrite(buf.data(), 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) return 1;
    }
    g(SYS_close, fd);
  }
  return g_status;
}

std::string stat_time(const struct timespec& ts) {
  char buf[64];
  const time_t tt = ts.tv_sec;
  struct tm tm {};
  gmtime_r(&tt, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[96];
  snprintf(out, sizeof out, "%s.%09ld +0000", buf, ts.tv_nsec);
  return out;
}

int cmd_stat(const std::vector<std::string>& args) {
  if (args.empty()) {
    fprintf(stderr, "uml-img: stat: missing operand\n");
    return 1;
  }
  for (const std::string& p : args) {
    struct statx sx {};
    const long r = g(SYS_statx, AT_FDCWD, P(p.c_str()), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, P(&sx));
    if (r < 0) {
      complain("cannot stat '" + p + "'", r);
      continue;
    }
    const uint32_t m = sx.stx_mode;
    const char* type = S_ISREG(m) ? (sx.stx_size ? "regular file" : "regular empty file") : S_ISDIR(m) ? "directory"
                       : S_ISLNK(m) ? "symbolic link" : S_ISCHR(m) ? "character special file"
                       : S_ISBLK(m) ? "block special file" : S_ISFIFO(m) ? "fifo" : "socket";
    std::string name = p;
    if (S_ISLNK(m)) {
      char t[4096];
      const long n = g(SYS_readlinkat, AT_FDCWD, P(p.c_str()), P(t), sizeof t);
      if (n >= 0) name += " -> " + std::string(t, static_cast<size_t>(n));
    }
    printf("  File: %s\n", name.c_str());
    printf("  Size: %-15llu Blocks: %-10llu IO Block: %-6u %s\n", static_cast<unsigned long long>(sx.stx_size),
           static_cast<unsigned long long>(sx.stx_blocks), sx.stx_blksize, type);
    char dev[32];
    snprintf(dev, sizeof dev, "%u,%u", sx.stx_dev_major, sx.stx_dev_minor);
    printf("Device: %-15s Inode: %-11llu Links: %u", dev, static_cast<unsigned long long>(sx.stx_ino), sx.stx_nlink);
    if (S_ISCHR(m) || S_ISBLK(m)) printf("     Device type: %u,%u", sx.stx_rdev_major, sx.stx_rdev_minor);
    printf("\nAccess: (%04o/%s)  Uid: (%5u/%8s)   Gid: (%5u/%8s)\n", m & 07777, mode_string(m).c_str(), sx.stx_uid,
           name_of(g_users, sx.stx_uid).c_str(), sx.stx_gid, name_of(g_groups, sx.stx_gid).c_str());
    auto ts = [](const struct statx_timestamp& t) { return timespec{t.tv_sec, t.tv_nsec}; };
    printf("Access: %s\n", stat_time(ts(sx.stx_atime)).c_str());
    printf("Modify: %s\n", stat_time(ts(sx.stx_mtime)).c_str());
    printf("Change: %s\n", stat_time(ts(sx.stx_ctime)).c_str());
    printf(" Birth: %s\n", (sx.stx_mask & STATX_BTIME) ? stat_time(ts(sx.stx_btime)).c_str() : "-");
  }
  return g_status;
}

void tree_walk(const std::string& p, const std::string& prefix, int depth, uint64_t* dirs, uint64_t* files) {
  long err;
  auto entries = list_dir(p, &err);
  if (err) {
    printf("%s [error opening dir]\n", prefix.c_str());
    return;
  }
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const auto& e) { return e.first[0] == '.'; }),
                entries.end());
  for (size_t i = 0; i < entries.size(); ++i) {
    const bool last = i + 1 == entries.size();
    const std::string& n = entries[i].first;
    const std::string c = p == "/" ? "/" + n : p + "/" + n;
    std::string shown = n;
    if (entries[i].second == DT_LNK) {
      char t[4096];
      const long k = g(SYS_readlinkat, AT_FDCWD, P(c.c_str()), P(t), sizeof t);
      if (k >= 0) shown += " -> " + std::string(t, static_cast<size_t>(k));
    }
    printf("%s%s%s\n", prefix.c_str(), last ? "\u2514\u2500\u2500 " : "\u251c\u2500\u2500 ", shown.c_str());
    if (entries[i].second == DT_DIR) {
      ++*dirs;
      if (depth < 256) tree_walk(c, prefix + (last ? "    " : "\u2502   "), depth + 1, dirs, files);
    } else {
      ++*files;
    }
  }
}

int cmd_tree(const std::vector<std::string>& args) {
  const std::string p = args.empty() ? "/" : args[0];
  struct stat st {};
  if (!guest_stat(p, &st, true)) return 2;
  printf("%s\n", p.c_str());
  uint64_t dirs = 0, files = 0;
  if (S_ISDIR(st.st_mode)) tree_walk(p, "", 0, &dirs, &files);
  printf("\n%llu director%s, %llu file%s\n", static_cast<unsigned long long>(dirs), dirs == 1 ? "y" : "ies",
         static_cast<unsigned long long>(files), files == 1 ? "" : "s");
  return g_status;
}

int cmd_df(const std::string& image) {
  struct statfs s {};
  const long r = g(SYS_statfs, P("/"), P(&s));
  if (r < 0) {
    complain("statfs", r);
    return 1;
  }
  const uint64_t k = s.f_bsize / 1024;
  const uint64_t total = s.f_blocks * k, avail = s.f_bavail * k, used = (s.f_blocks - s.f_bfree) * k;
  const uint64_t denom = used + avail;
  const unsigned pct = denom ? static_cast<unsigned>((used * 100 + denom - 1) / denom) : 0;
  printf("Filesystem     1K-blocks     Used Available Use%% Mounted on\n");
  printf("%-14s %9llu %8llu %9llu %3u%% /\n", image.c_str(), static_cast<unsigned long long>(total),
         static_cast<unsigned long long>(used), static_cast<unsigned long long>(avail), pct);
  return 0;
}

// ---- get: copy out ----

// A copy's progress, drawn on stderr (a terminal) for 8 MiB or more, and the directories
// whose times are set once their contents are in.
struct CopyProgress {
  bool progress = isatty(2);
  uint64_t total = 0, done = 0;
  std::vector<std::pair<std::string, struct stat>> dir_times;
  std::map<std::pair<uint64_t, uint64_t>, std::string> links;  // (dev, ino) of the source -> copy
  std::vector<char> buf = std::vector<char>(1 << 20);

  void bar() {
    if (!progress || total < (8u << 20)) return;
    const int w = 40;
    const int filled = static_cast<int>(w * done / std::max<uint64_t>(total, 1));
    fprintf(stderr, "\r[%.*s%*s] %3llu%% %llu/%llu MiB", filled, "========================================", w - filled, "",
            static_cast<unsigned long long>(done * 100 / std::max<uint64_t>(total, 1)),
            static_cast<unsigned long long>(done >> 20), static_cast<unsigned long long>(total >> 20));
  }

  // A file copied before under another name (a hard link): where it went; else null, and
  // it is remembered under dst.
  const std::string* copied_before(const struct stat& st, const std::string& dst) {
    if (S_ISDIR(st.st_mode) || st.st_nlink < 2) return nullptr;
    auto [it, fresh] = links.try_emplace({st.st_dev, st.st_ino}, dst);
    return fresh ? nullptr : &it->second;
  }
  // A directory without -r: skipped, as cp skips it.
  bool omitted(const std::string& src, bool recursive) {
    if (recursive) return false;
    fprintf(stderr, "uml-img: -r not specified; omitting directory '%s'\n", src.c_str());
    g_status = 1;
    return true;
  }

  // The data regions (SEEK_DATA/SEEK_HOLE) of a size-byte file, so that holes stay holes.
  // seek and read return what lseek and pread do (-errno for the guest's); read reports
  // its own failure, and write returns whether it wrote all (reporting otherwise).
  template <typename Seek, typename Read, typename Write>
  bool copy_data(int64_t size, Seek seek, Read read, Write write) {
    for (int64_t pos = 0; pos < size;) {
      const int64_t data = seek(pos, SEEK_DATA);
      if (data < 0) break;  // ENXIO: only a hole is left
      int64_t hole = seek(data, SEEK_HOLE);
      if (hole < 0) hole = size;
      for (int64_t at = data; at < hole;) {
        const long n = read(buf.data(), static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()), hole - at)), at);
        if (n < 0) return false;
        if (n == 0) break;
        if (!write(buf.data(), static_cast<size_t>(n), at)) return false;
        at += n;
        done += static_cast<uint64_t>(n);
        bar();
      }
      pos = hole;
    }
    return true;
  }
};

struct Copier : CopyProgress {
  bool root = geteuid() == 0;
  void dir_time(const std::string& p, const struct stat& st) {
    const timespec ts[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, p.c_str(), ts, 0);
  }


  uint64_t measure(const std::string& p) {
    struct stat st {};
    if (g(SYS_newfstatat, AT_FDCWD, P(p.c_str()), P(&st), AT_SYMLINK_NOFOLLOW) < 0) return 0;
    if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
    if (!S_ISDIR(st.st_mode)) return 0;
    long err;
    uint64_t n = 0;
    for (const auto& [name, t] : list_dir(p, &err))
      if (name != "." && name != "..") n += measure(p + "/" + name);
    return n;
  }

  void xattrs(const std::string& src, const std::string& dst) {
    const long n = g(SYS_llistxattr, P(src.c_str()), P(buf.data()), static_cast<long>(buf.size()));
    if (n <= 0) return;
    std::vector<std::string> names;
    for (long i = 0; i < n; i += static_cast<long>(names.back().size()) + 1) names.emplace_back(buf.data() + i);
    std::vector<char> v(65536);
    for (const std::string& k : names) {
      if (!root && k.rfind("user.", 0) != 0) continue;  // trusted., security.: root's
      const long m = g(SYS_lgetxattr, P(src.c_str()), P(k.c_str()), P(v.data()), static_cast<long>(v.size()));
      if (m < 0) continue;
      if (lsetxattr(dst.c_str(), k.c_str(), v.data(), static_cast<size_t>(m), 0) != 0)
        fprintf(stderr, "uml-img: %s: cannot set %s: %s\n", dst.c_str(), k.c_str(), strerror(errno));
    }
  }

  void attrs(const std::string& src, const std::string& dst, const struct stat& st) {
    xattrs(src, dst);
    if (root && lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) fprintf(stderr, "uml-img: %s: chown: %s\n", dst.c_str(), strerror(errno));
    if (!S_ISLNK(st.st_mode)) chmod(dst.c_str(), st.st_mode & 07777);
    if (!S_ISDIR(st.st_mode)) {
      const timespec ts[2] = {st.st_atim, st.st_mtim};
      utimensat(AT_FDCWD, dst.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
  }

  bool file(const std::string& src, const std::string& dst, const struct stat& st) {
    const long in = g(SYS_openat, AT_FDCWD, P(src.c_str()), O_RDONLY);
    if (in < 0) {
      complain(src, in);
      return false;
    }
    const int out = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) {
      fprintf(stderr, "uml-img: cannot create '%s': %s\n", dst.c_str(), strerror(errno));
      g(SYS_close, in);
      g_status = 1;
      return false;
    }
    const int64_t size = st.st_size;
    bool ok = copy_data(
        size, [&](int64_t pos, int whence) { return g(SYS_lseek, in, pos, whence); },
        [&](char* b, size_t n, int64_t at) {
          const long r = g(SYS_pread64, in, P(b), static_cast<long>(n), at);
          if (r < 0) complain(src, r);
          return r;
        },
        [&](const char* b, size_t n, int64_t at) {
          if (pwrite(out, b, n, at) == static_cast<ssize_t>(n)) return true;
          fprintf(stderr, "uml-img: %s: write: %s\n", dst.c_str(), strerror(errno));
          return false;
        });
    if (ftruncate(out, size) != 0) ok = false;
    close(out);
    g(SYS_close, in);
    if (!ok) g_status = 1;
    return ok;
  }

  void copy(const std::string& src, const std::string& dst, bool recursive) {
    struct stat st {};
    const long r = g(SYS_newfstatat, AT_FDCWD, P(src.c_str()), P(&st), AT_SYMLINK_NOFOLLOW);
    if (r < 0) {
      complain("cannot stat '" + src + "'", r);
      return;
    }
    if (const std::string* first = copied_before(st, dst)) {
      if (link(first->c_str(), dst.c_str()) != 0) fprintf(stderr, "uml-img: %s: link: %s\n", dst.c_str(), strerror(errno));
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      if (omitted(src, recursive)) return;
      if (mkdir(dst.c_str(), 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "uml-img: cannot create directory '%s': %s\n", dst.c_str(), strerror(errno));
        g_status = 1;
        return;
      }
      long err;
      for (const auto& [name, t] : list_dir(src, &err))
        if (name != "." && name != "..") copy(src == "/" ? "/" + name : src + "/" + name, dst + "/" + name, true);
      if (err) complain("cannot read directory '" + src + "'", err);
      attrs(src, dst, st);
      dir_times.emplace_back(dst, st);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      if (!file(src, dst, st)) return;
    } else if (S_ISLNK(st.st_mode)) {
      char t[4096];
      const long n = g(SYS_readlinkat, AT_FDCWD, P(src.c_str()), P(t), sizeof t - 1);
      if (n < 0) {
        complain(src, n);
        return;
      }
      t[n] = 0;
      if (symlink(t, dst.c_str()) != 0) {
        fprintf(stderr, "uml-img: cannot create symlink '%s': %s\n", dst.c_str(), strerror(errno));
        g_status = 1;
        return;
      }
    } else if (S_ISFIFO(st.st_mode) || ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) && root)) {
      if (mknod(dst.c_str(), st.st_mode, st.st_rdev) != 0) {
        fprintf(stderr, "uml-img: cannot create '%s': %s\n", dst.c_str(), strerror(errno));
        g_status = 1;
        return;
      }
    } else {
      fprintf(stderr, "uml-img: '%s': a device or socket needs root to copy; skipped\n", src.c_str());
      return;
    }
    attrs(src, dst, st);
  }
};

int usage() {
  fprintf(stderr,
          "usage: uml-img [--no-lock] IMAGE COMMAND [ARGS]\n"
          "reading:  ls [-l] [-R] [-a] [PATH...], cat PATH..., stat PATH..., tree [PATH], df,\n"
          "          get [-r] PATH HOST_DEST\n"
          "writing:  put [-r] HOST_SRC PATH, mkdir [-p] PATH..., rm [-r] [-f] PATH..., mv SRC DEST,\n"
          "          chmod MODE PATH..., chown OWNER[:GROUP] PATH..., ln [-s] TARGET LINK,\n"
          "          setfattr -n NAME [-v VALUE] PATH..., setfattr -x NAME PATH...\n"
          "Try 'uml-img --help' for more information.\n");
  return 2;
}

// ---- writing ----

bool is_guest_dir(const std::string& p) {
  struct stat st {};
  return g(SYS_newfstatat, AT_FDCWD, P(p.c_str()), P(&st), 0) == 0 && S_ISDIR(st.st_mode);
}

std::string base_name(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// cp's rule: into DEST when it is a directory, else as DEST.
std::string target_in(const std::string& src, const std::string& dest) {
  if (!is_guest_dir(dest)) return dest;
  return (dest == "/" ? "" : dest) + "/" + base_name(src);
}

// put: a host tree copied into the image, everything kept (owners too: inside the image
// the instance's root may set them, as mke2fs -d does).
struct Putter : CopyProgress {
  void dir_time(const std::string& p, const struct stat& st) {
    const timespec ts[2] = {st.st_atim, st.st_mtim};
    g(SYS_utimensat, AT_FDCWD, P(p.c_str()), P(ts), 0);
  }

  void fail(const std::string& what, long err) { complain(what, err); }
  void host_fail(const std::string& what) {
    fprintf(stderr, "uml-img: %s: %s\n", what.c_str(), strerror(errno));
    g_status = 1;
  }

  uint64_t measure(const std::string& p) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
    if (!S_ISDIR(st.st_mode)) return 0;
    uint64_t n = 0;
    if (DIR* d = opendir(p.c_str())) {
      while (dirent* e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n += measure(p + "/" + e->d_name);
      closedir(d);
    }
    return n;
  }


  void attrs(const std::string& src, const std::string& dst, const struct stat& st) {
    const ssize_t n = llistxattr(src.c_str(), buf.data(), buf.size());
    for (ssize_t i = 0; i < n;) {
      const std::string k(buf.data() + i);
      i += static_cast<ssize_t>(k.size()) + 1;
      std::vector<char> v(65536);
      const ssize_t m = lgetxattr(src.c_str(), k.c_str(), v.data(), v.size());
      if (m < 0) continue;  // trusted.* and the like: the host's root only
      const long r = g(SYS_lsetxattr, P(dst.c_str()), P(k.c_str()), P(v.data()), m, 0);
      if (r < 0) fail(dst + ": cannot set " + k, r);
    }
    if (long r = g(SYS_fchownat, AT_FDCWD, P(dst.c_str()), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW); r < 0)
      fail(dst + ": chown", r);
    if (!S_ISLNK(st.st_mode))
      if (long r = g(SYS_fchmodat, AT_FDCWD, P(dst.c_str()), st.st_mode & 07777); r < 0) fail(dst + ": chmod", r);
    if (!S_ISDIR(st.st_mode)) {
      const timespec ts[2] = {st.st_atim, st.st_mtim};
      g(SYS_utimensat, AT_FDCWD, P(dst.c_str()), P(ts), AT_SYMLINK_NOFOLLOW);
    }
  }

  bool file(const std::string& src, const std::string& dst, const struct stat& st) {
    const int in = open(src.c_str(), O_RDONLY);
    if (in < 0) {
      host_fail("cannot open '" + src + "'");
      return false;
    }
    const long out = g(SYS_openat, AT_FDCWD, P(dst.c_str()), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) {
      fail("cannot create '" + dst + "'", out);
      close(in);
      return false;
    }
    bool ok = copy_data(
        st.st_size, [&](int64_t pos, int whence) { return static_cast<int64_t>(lseek(in, pos, whence)); },
        [&](char* b, size_t n, int64_t at) {
          const long r = static_cast<long>(pread(in, b, n, at));
          if (r < 0) host_fail("cannot read '" + src + "'");
          return r;
        },
        [&](const char* b, size_t n, int64_t at) {
          const long w = g(SYS_pwrite64, out, P(b), static_cast<long>(n), at);
          if (w == static_cast<long>(n)) return true;
          fail("cannot write '" + dst + "'", w < 0 ? w : -ENOSPC);
          return false;
        });
    if (ok)
      if (long r = g(SYS_ftruncate, out, st.st_size); r < 0) {
        fail("cannot size '" + dst + "'", r);
        ok = false;
      }
    g(SYS_close, out);
    close(in);
    if (!ok) {
      // No partial file stays behind with the wrong owner and mode (ENOSPC, EIO...).
      if (long r = g(SYS_unlinkat, AT_FDCWD, P(dst.c_str()), 0); r < 0) fail("cannot remove the partial '" + dst + "'", r);
      else fprintf(stderr, "uml-img: '%s' not copied: its partial copy was removed\n", dst.c_str());
    }
    return ok;
  }

  void copy(const std::string& src, const std::string& dst, bool recursive) {
    struct stat st {};
    if (lstat(src.c_str(), &st) != 0) {
      host_fail("cannot stat '" + src + "'");
      return;
    }
    if (const std::string* first = copied_before(st, dst)) {
      if (long r = g(SYS_linkat, AT_FDCWD, P(first->c_str()), AT_FDCWD, P(dst.c_str()), 0); r < 0) fail(dst + ": link", r);
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      if (omitted(src, recursive)) return;
      const long r = g(SYS_mkdirat, AT_FDCWD, P(dst.c_str()), 0700);
      if (r < 0 && !(r == -EEXIST && is_guest_dir(dst))) {
        fail("cannot create directory '" + dst + "'", r);
        return;
      }
      std::vector<std::string> names;
      if (DIR* d = opendir(src.c_str())) {
        while (dirent* e = readdir(d))
          if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
        closedir(d);
      } else {
        host_fail("cannot read directory '" + src + "'");
      }
      std::sort(names.begin(), names.end());
      for (const std::string& n : names) copy(src + "/" + n, (dst == "/" ? "" : dst) + "/" + n, true);
      attrs(src, dst, st);
      dir_times.emplace_back(dst, st);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      if (!file(src, dst, st)) return;
    } else if (S_ISLNK(st.st_mode)) {
      std::vector<char> t(static_cast<size_t>(st.st_size) + 1);
      const ssize_t n = readlink(src.c_str(), t.data(), t.size());
      if (n < 0 || static_cast<size_t>(n) >= t.size()) {
        host_fail("cannot read link '" + src + "'");
        return;
      }
      t[static_cast<size_t>(n)] = 0;
      if (long r = g(SYS_symlinkat, P(t.data()), AT_FDCWD, P(dst.c_str())); r < 0) {
        fail("cannot create symlink '" + dst + "'", r);
        return;
      }
    } else if (long r = g(SYS_mknodat, AT_FDCWD, P(dst.c_str()), st.st_mode, static_cast<long>(st.st_rdev)); r < 0) {
      fail("cannot create '" + dst + "'", r);
      return;
    }
    attrs(src, dst, st);
  }
};

// get and put: [-r] FROM TO, then the directories' times, deepest first.
template <typename C>
int run_copy(const std::vector<std::string>& args, const char* operands, bool into_dir) {
  bool recursive = false;
  std::vector<std::string> rest;
  for (const std::string& a : args) {
    if (a == "-r" || a == "-R") recursive = true;
    else rest.push_back(a);
  }
  if (rest.size() != 2) {
    fprintf(stderr, "uml-img: expected %s\n", operands);
    return 2;
  }
  C c;
  c.total = c.progress ? c.measure(rest[0]) : 0;
  c.copy(rest[0], into_dir ? target_in(rest[0], rest[1]) : rest[1], recursive);
  for (auto it = c.dir_times.rbegin(); it != c.dir_times.rend(); ++it) c.dir_time(it->first, it->second);
  if (c.progress && c.total >= (8u << 20)) fprintf(stderr, "\n");
  return g_status;
}

int cmd_get(const std::vector<std::string>& args) { return run_copy<Copier>(args, "PATH HOST_DEST", false); }
int cmd_put(const std::vector<std::string>& args) { return run_copy<Putter>(args, "HOST_SRC PATH", true); }

// Options (single letters, possibly grouped) before the operands.
std::vector<std::string> operands(const std::vector<std::string>& args, const std::string& allowed, std::string* flags) {
  std::vector<std::string> rest;
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '-' && rest.empty()) {
      for (char c : a.substr(1)) {
        if (allowed.find(c) == std::string::npos) {
          fprintf(stderr, "uml-img: invalid option -- '%c'\n", c);
          g_status = 2;
        }
        *flags += c;
      }
    } else {
      rest.push_back(a);
    }
  }
  return rest;
}

int cmd_mkdir(const std::vector<std::string>& args) {
  std::string flags;
  const std::vector<std::string> paths = operands(args, "p", &flags);
  if (g_status || paths.empty()) return usage();
  const bool parents = flags.find('p') != std::string::npos;
  for (const std::string& p : paths) {
    if (parents) {
      for (size_t at = 1; at <= p.size(); ++at) {
        if (at != p.size() && p[at] != '/') continue;
        const std::string prefix = p.substr(0, at);
        const long r = g(SYS_mkdirat, AT_FDCWD, P(prefix.c_str()), 0755);
        if (r < 0 && !(r == -EEXIST && is_guest_dir(prefix))) {
          complain("cannot create directory '" + prefix + "'", r);
          break;
        }
      }
    } else if (long r = g(SYS_mkdirat, AT_FDCWD, P(p.c_str()), 0755); r < 0) {
      complain("cannot create directory '" + p + "'", r);
    }
  }
  return g_status;
}

bool remove_tree(const std::string& p, bool recursive, bool force) {
  struct stat st {};
  long r = g(SYS_newfstatat, AT_FDCWD, P(p.c_str()), P(&st), AT_SYMLINK_NOFOLLOW);
  if (r < 0) {
    if (!(force && r == -ENOENT)) complain("cannot remove '" + p + "'", r);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    if (!recursive) {
      fprintf(stderr, "uml-img: cannot remove '%s': Is a directory\n", p.c_str());
      g_status = 1;
      return false;
    }
    long err;
    for (const auto& [name, t] : list_dir(p, &err))
      if (name != "." && name != "..") remove_tree(p + "/" + name, true, force);
    r = g(SYS_unlinkat, AT_FDCWD, P(p.c_str()), AT_REMOVEDIR);
  } else {
    r = g(SYS_unlinkat, AT_FDCWD, P(p.c_str()), 0);
  }
  if (r < 0) complain("cannot remove '" + p + "'", r);
  return r == 0;
}

int cmd_rm(const std::vector<std::string>& args) {
  std::string flags;
  const std::vector<std::string> paths = operands(args, "rRf", &flags);
  if (g_status || paths.empty()) return usage();
  const bool recursive = flags.find_first_of("rR") != std::string::npos, force = flags.find('f') != std::string::npos;
  for (const std::string& p : paths) {
    if (p.find_first_not_of('/') == std::string::npos) {  // rm's --preserve-root
      fprintf(stderr, "uml-img: it is dangerous to operate recursively on '/'\n");
      g_status = 1;
      continue;
    }
    remove_tree(p, recursive, force);
  }
  return g_status;
}

int cmd_mv(const std::vector<std::string>& args) {
  if (args.size() != 2) return usage();
  const std::string dst = target_in(args[0], args[1]);
  if (long r = g(SYS_renameat2, AT_FDCWD, P(args[0].c_str()), AT_FDCWD, P(dst.c_str()), 0); r < 0)
    complain("cannot move '" + args[0] + "' to '" + dst + "'", r);
  return g_status;
}

int cmd_chmod(const std::vector<std::string>& args) {
  if (args.size() < 2) return usage();
  char* end = nullptr;
  const unsigned long mode = strtoul(args[0].c_str(), &end, 8);
  if (args[0].empty() || *end || mode > 07777) {
    fprintf(stderr, "uml-img: invalid mode: '%s' (octal only)\n", args[0].c_str());
    return 2;
  }
  for (size_t i = 1; i < args.size(); ++i)
    if (long r = g(SYS_fchmodat, AT_FDCWD, P(args[i].c_str()), static_cast<long>(mode)); r < 0)
      complain("changing permissions of '" + args[i] + "'", r);
  return g_status;
}

// A user or group: a number, or a name from the image's /etc/passwd or /etc/group.
bool id_of(const std::string& s, const std::map<uint32_t, std::string>& names, long* out) {
  char* end = nullptr;
  const unsigned long v = strtoul(s.c_str(), &end, 10);
  if (!s.empty() && !*end && v <= 0xFFFFFFFFul) {
    *out = static_cast<long>(v);
    return true;
  }
  for (const auto& [id, name] : names)
    if (name == s) {
      *out = id;
      return true;
    }
  return false;
}

int cmd_chown(const std::vector<std::string>& args) {
  if (args.size() < 2) return usage();
  const size_t colon = args[0].find(':');
  long uid = -1, gid = -1;
  const std::string user = args[0].substr(0, colon), group = colon == std::string::npos ? "" : args[0].substr(colon + 1);
  if ((!user.empty() && !id_of(user, g_users, &uid)) || (!group.empty() && !id_of(group, g_groups, &gid))) {
    fprintf(stderr, "uml-img: invalid user or group: '%s'\n", args[0].c_str());
    return 1;
  }
  for (size_t i = 1; i < args.size(); ++i)
    if (long r = g(SYS_fchownat, AT_FDCWD, P(args[i].c_str()), uid, gid, AT_SYMLINK_NOFOLLOW); r < 0)
      complain("changing ownership of '" + args[i] + "'", r);
  return g_status;
}

int cmd_ln(const std::vector<std::string>& args) {
  std::string flags;
  const std::vector<std::string> rest = operands(args, "s", &flags);
  if (g_status || rest.size() != 2) return usage();
  const bool sym = flags.find('s') != std::string::npos;
  const std::string dst = target_in(rest[0], rest[1]);
  const long r = sym ? g(SYS_symlinkat, P(rest[0].c_str()), AT_FDCWD, P(dst.c_str()))
                     : g(SYS_linkat, AT_FDCWD, P(rest[0].c_str()), AT_FDCWD, P(dst.c_str()), 0);
  if (r < 0) complain("failed to create " + std::string(sym ? "symbolic " : "hard ") + "link '" + dst + "'", r);
  return g_status;
}

int cmd_setfattr(const std::vector<std::string>& args) {
  std::string name, value, remove;
  std::vector<std::string> paths;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-n" || args[i] == "-v" || args[i] == "-x") && i + 1 < args.size()) {
      (args[i] == "-n" ? name : args[i] == "-v" ? value : remove) = args[i + 1];
      ++i;
    } else {
      paths.push_back(args[i]);
    }
  }
  if (paths.empty() || name.empty() == remove.empty()) return usage();
  for (const std::string& p : paths) {
    const long r = remove.empty() ? g(SYS_lsetxattr, P(p.c_str()), P(name.c_str()), P(value.data()), static_cast<long>(value.size()), 0)
                                  : g(SYS_lremovexattr, P(p.c_str()), P(remove.c_str()));
    if (r < 0) complain(p, r);
  }
  return g_status;
}

// Kernel log lines at warning level and above, from *next on, go to stderr (each text
// once, with how often it came); one at error level or above (a corrupted block, a failed
// write-back) makes the command fail.
int report_log(const uml::Kernel& k, uint64_t* next, int rc) {
  std::vector<std::pair<std::string, int>> lines;
  std::map<std::string, size_t> at;
  for (const uml::LogRecord& r : k.log()) {
    if (r.seq < *next) continue;
    *next = r.seq + 1;
    if (r.level <= 3) rc = std::max(rc, 1);
    if (r.level > 4) continue;
    auto [it, fresh] = at.try_emplace(r.text, lines.size());
    if (fresh) lines.emplace_back(r.text, 0);
    ++lines[it->second].second;
  }
  for (const auto& [text, n] : lines)
    fprintf(stderr, "uml-img: kernel: %s%s\n", text.c_str(), n > 1 ? (" (" + std::to_string(n) + " times)").c_str() : "");
  return rc;
}

// The command, as a task of k with the image mounted at kRoot and chrooted into.
int run(uml::Kernel& k, const std::string& image, const std::string& cmd, const std::vector<std::string>& args,
        bool writing) {
  using Command = int (*)(const std::vector<std::string>&);
  static const std::map<std::string, Command> kCommands = {
      {"ls", cmd_ls},       {"cat", cmd_cat},     {"stat", cmd_stat},   {"tree", cmd_tree}, {"get", cmd_get},
      {"put", cmd_put},     {"mkdir", cmd_mkdir}, {"rm", cmd_rm},       {"mv", cmd_mv},     {"chmod", cmd_chmod},
      {"chown", cmd_chown}, {"ln", cmd_ln},       {"setfattr", cmd_setfattr}};
  auto self = k.attach();
  g(SYS_mkdir, P(kRoot), 0755);
  if (long r = g(SYS_mount, P("/dev/ubda"), P(kRoot), P("ext4"), writing ? 0 : MS_RDONLY, 0); r < 0) {
    fprintf(stderr, "uml-img: cannot mount '%s'%s: %s\n", image.c_str(), writing ? " read-write" : "",
            strerror(static_cast<int>(-r)));
    return 1;
  }
  const long root_fd = g(SYS_openat, AT_FDCWD, P(kRoot), O_RDONLY | O_DIRECTORY);
  g(SYS_chroot, P(kRoot));
  g(SYS_chdir, P("/"));
  g_users = id_names("/etc/passwd");
  g_groups = id_names("/etc/group");
  int rc = cmd == "df" ? cmd_df(image) : kCommands.at(cmd)(args);
  fflush(stdout);
  if (writing) {
    // Everything on the image now; a write-back error is the command's failure.
    if (long r = g(SYS_syncfs, root_fd); r < 0) {
      fprintf(stderr, "uml-img: cannot write '%s': %s\n", image.c_str(), strerror(static_cast<int>(-r)));
      rc = 1;
    }
  }
  g(SYS_close, root_fd);
  return rc;
}

int help() {
  printf("Usage: uml-img [OPTION]... IMAGE COMMAND [ARG]...\n"
         "Read and change an ext2/3/4 image without root, through an instance of libuml.\n"
         "\n"
         "Reading commands (the image is mounted read-only):\n"
         "  ls [-l] [-R] [-a] [PATH]...   list directories (ids by the image's /etc/passwd, group)\n"
         "  cat PATH...                   copy regular files to stdout\n"
         "  stat PATH...                  everything stat(1) shows\n"
         "  tree [PATH]                   the tree below PATH, as tree(1) draws it\n"
         "  df                            the filesystem's size and use, as df(1)\n"
         "  get [-r] PATH HOST_DEST       copy out, keeping modes, times, links, xattrs, holes\n"
         "Writing commands (written back and marked clean at the end):\n"
         "  put [-r] HOST_SRC PATH        copy in, owners and device nodes too (as mke2fs -d)\n"
         "  mkdir [-p] PATH...            rm [-r] [-f] PATH...        mv SRC DEST\n"
         "  chmod MODE PATH...            chown OWNER[:GROUP] PATH... ln [-s] TARGET LINK\n"
         "  setfattr -n NAME [-v VALUE] PATH...   setfattr -x NAME PATH...\n"
         "\n"
         "Options:\n"
         "      --no-lock   do not lock the image (by default a writing command locks it\n"
         "                  exclusively and a reading one shared, so that two writers, or a\n"
         "                  writer and a reader, never have one image at once)\n"
         "  -h, --help      show this help and exit\n"
         "  -V, --version   show the version and exit\n"
         "\n"
         "Kernel log lines at warning level and above are printed on stderr. Exit status: 0 on\n"
         "success; 1 when a file could not be read or changed, or the kernel logged an error\n"
         "(a corrupted image); 2 for bad usage or a path that cannot be reached (ls).\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  enum { kNoLock = 256 };
  static const option kOptions[] = {{"help", no_argument, nullptr, 'h'},
                                    {"version", no_argument, nullptr, 'V'},
                                    {"no-lock", no_argument, nullptr, kNoLock},
                                    {nullptr, 0, nullptr, 0}};
  bool lock = true;
  // "+": options end at IMAGE; what follows the command is the command's own.
  for (int c; (c = getopt_long(argc, argv, "+hV", kOptions, nullptr)) != -1;) {
    switch (c) {
      case 'h': return help();
      case 'V': printf("uml-img (libuml) %s\n", UML_VERSION); return 0;
      case kNoLock: lock = false; break;
      default: return usage();
    }
  }
  if (argc - optind < 2) return usage();
  const std::string image = argv[optind], cmd = argv[optind + 1];
  std::vector<std::string> args(argv + optind + 2, argv + argc);
  static const std::set<std::string> kReading = {"ls", "cat", "stat", "tree", "get", "df"};
  static const std::set<std::string> kWriting = {"put", "mkdir", "rm", "mv", "chmod", "chown", "ln", "setfattr"};
  const bool writing = kWriting.count(cmd) != 0;
  if (!writing && !kReading.count(cmd)) {
    fprintf(stderr, "uml-img: unknown command '%s'\n", cmd.c_str());
    return usage();
  }
  struct stat host_st {};
  if (stat(image.c_str(), &host_st) != 0) {
    fprintf(stderr, "uml-img: cannot open '%s': %s\n", image.c_str(), strerror(errno));
    return 1;
  }
  std::unique_ptr<uml::Kernel> k;
  try {
    k = uml::Kernel::boot("console=none mem=512M");
  } catch (const std::exception& e) {
    fprintf(stderr, "uml-img: %s\n", e.what());
    return 1;
  }
  uint64_t next_log = 0;
  (void)report_log(*k, &next_log, 0);  // the boot's lines are the instance's, not the image's
  uml::DiskSpec d;
  d.path = image;
  d.read_only = !writing;
  d.lock = lock;
  int rc = 0;
  if (int r = k->add_disk(d); r < 0) {
    // The kernel's log line, printed below, says why (an overlay whose base changed...);
    // an image in use is said here instead, naming this tool's override rather than the
    // kernel's ubdX.lock=off, and its log line is left out.
    if (r == -EBUSY) next_log = ~uint64_t{0};
    fprintf(stderr, "uml-img: %s: %s\n", image.c_str(),
            r == -EBUSY ? "the image is in use by another program (it holds the image's lock; --no-lock overrides)"
                        : strerror(-r));
    rc = 1;
  } else {
    rc = run(*k, image, cmd, args, writing);
  }
  // Unmounted and written back; what the kernel said on the way is the command's too.
  k->shutdown();
  return report_log(*k, &next_log, rc);
}
