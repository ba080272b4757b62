#pragma once
// The tolerant walk of a possibly corrupted tree, inside a guest task: every entry stat'ed,
// every directory listed, every file read (up to a bound), every symlink read, every xattr
// listed and read. Each failure is counted, none stops it. Directory loops (a corrupted image may
// have them) end at a depth bound and at directories already seen. tolerant_mutate changes a
// writable tree the same way: every kind of change tried, each allowed to fail. Used by the
// corrupted-image corpus tests and by the mount-and-walk fuzz target.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include <libuml/kernel.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace test {

struct WalkLimits {
  uint64_t max_entries = 200000;        // per walk: loops end here
  uint64_t max_file_bytes = 64ull << 20;  // per file: a sparse giant's start
  int max_depth = 64;
};

struct WalkStats {
  uint64_t entries = 0, errors = 0, bytes = 0;
};

inline void tolerant_walk(const std::string& dir, const WalkLimits& lim, WalkStats& s, std::set<uint64_t>& seen,
                          std::vector<char>& buf, int depth = 0) {
  if (depth > lim.max_depth || s.entries > lim.max_entries) return;
  const long fd = uml::syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(dir.c_str()), O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    ++s.errors;
    return;
  }
  std::vector<std::string> names;
  for (int rounds = 0; rounds < 100000; ++rounds) {
    const long n = uml::syscall(SYS_getdents64, fd, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()));
    if (n <= 0) {
      if (n < 0) ++s.errors;
      break;
    }
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(buf.data() + off);
      const std::string name = d->d_name;
      if (name != "." && name != "..") names.push_back(name);
      off += d->d_reclen;
    }
  }
  uml::syscall(SYS_close, fd);
  for (const std::string& name : names) {
    const std::string p = dir + "/" + name;
    ++s.entries;
    struct stat st {};
    if (uml::syscall(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(p.c_str()), reinterpret_cast<long>(&st),
                     AT_SYMLINK_NOFOLLOW) != 0) {
      ++s.errors;
      continue;
    }
    const long xl = uml::syscall(SYS_llistxattr, reinterpret_cast<long>(p.c_str()), reinterpret_cast<long>(buf.data()),
                                 static_cast<long>(buf.size()));
    if (xl < 0) ++s.errors;
    const std::string xnames(buf.data(), xl > 0 ? static_cast<size_t>(xl) : 0);
    for (size_t at = 0; at < xnames.size(); at = xnames.find('\0', at) + 1) {
      if (uml::syscall(SYS_lgetxattr, reinterpret_cast<long>(p.c_str()), reinterpret_cast<long>(xnames.c_str() + at),
                       reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size())) < 0)
        ++s.errors;  // ENODATA for user.* on a symlink or node, as Linux
      if (xnames.find('\0', at) == std::string::npos) break;
    }
    if (S_ISLNK(st.st_mode)) {
      if (uml::syscall(SYS_readlinkat, AT_FDCWD, reinterpret_cast<long>(p.c_str()), reinterpret_cast<long>(buf.data()),
                       static_cast<long>(buf.size())) < 0)
        ++s.errors;
    } else if (S_ISREG(st.st_mode)) {
      const long f = uml::syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(p.c_str()), O_RDONLY);
      if (f < 0) {
        ++s.errors;
        continue;
      }
      for (uint64_t total = 0; total < lim.max_file_bytes;) {
        const long n = uml::syscall(SYS_read, f, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()));
        if (n <= 0) {
          if (n < 0) ++s.errors;
          break;
        }
        total += static_cast<uint64_t>(n);
        s.bytes += static_cast<uint64_t>(n);
      }
      uml::syscall(SYS_close, f);
    } else if (S_ISDIR(st.st_mode) && seen.insert(st.st_ino).second) {
      tolerant_walk(p, lim, s, seen, buf, depth + 1);
    }
  }
}

// Changes of every kind on a mounted writable tree, each allowed to fail with an error: a
// new directory and file, appends and truncates of existing files, a rename, an unlink, a
// new name in an existing directory. Returns how many changes succeeded.
inline int tolerant_mutate(const std::string& root) {
  auto sys = [](long nr, auto... a) { return uml::syscall(nr, (long)(a)...); };
  int ok = 0;
  auto done = [&](long r) {
    if (r >= 0) ++ok;
    return r;
  };
  done(sys(SYS_mkdir, (root + "/uml-new").c_str(), 0755));
  const long fd = done(sys(SYS_openat, AT_FDCWD, (root + "/uml-new/f").c_str(), O_CREAT | O_RDWR, 0644));
  if (fd >= 0) {
    std::vector<char> data(10000, 'w');
    done(sys(SYS_write, fd, data.data(), data.size()));
    done(sys(SYS_fsync, fd));
    sys(SYS_close, fd);
  }
  // The root's first entries: files grow and shrink, a directory takes a name, one entry
  // is renamed and one removed.
  const long dfd = sys(SYS_openat, AT_FDCWD, root.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return ok;
  std::vector<char> dents(1 << 15);
  const long n = sys(SYS_getdents64, dfd, dents.data(), dents.size());
  sys(SYS_close, dfd);
  std::vector<std::pair<std::string, int>> names;
  for (long off = 0; off < n && names.size() < 12;) {
    const auto* d = reinterpret_cast<const dirent64*>(dents.data() + off);
    const std::string name = d->d_name;
    if (name != "." && name != ".." && name != "uml-new") names.emplace_back(name, d->d_type);
    off += d->d_reclen;
  }
  const std::string big(700, 'x');
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string p = root + "/" + names[i].first;
    // xattrs: a small one (the inode's area), a large one (the block), one replaced and
    // one removed, over whatever the entry already has.
    done(sys(SYS_lsetxattr, p.c_str(), "user.uml-small", "v", 1, 0));
    done(sys(SYS_lsetxattr, p.c_str(), "user.uml-big", big.data(), big.size(), 0));
    done(sys(SYS_lsetxattr, p.c_str(), "user.uml-small", big.data(), 300, XATTR_REPLACE));
    done(sys(SYS_lremovexattr, p.c_str(), "user.uml-big"));
    if (names[i].second == DT_REG) {
      const long f = sys(SYS_openat, AT_FDCWD, p.c_str(), O_RDWR);
      if (f < 0) continue;
      std::vector<char> more(5000, 'a');
      done(sys(SYS_pwrite64, f, more.data(), more.size(), 3000));
      struct stat st {};
      if (sys(SYS_fstat, f, &st) == 0) done(sys(SYS_ftruncate, f, st.st_size / 2));
      sys(SYS_close, f);
    } else if (names[i].second == DT_DIR) {
      const long f = done(sys(SYS_openat, AT_FDCWD, (p + "/uml-child").c_str(), O_CREAT | O_WRONLY, 0600));
      if (f >= 0) sys(SYS_close, f);
    }
    if (i == 1) done(sys(SYS_renameat2, AT_FDCWD, p.c_str(), AT_FDCWD, (root + "/uml-renamed").c_str(), 0));
    if (i == 2 && names[i].second != DT_DIR) done(sys(SYS_unlinkat, AT_FDCWD, p.c_str(), 0));
  }
  return ok;
}

}  // namespace test
