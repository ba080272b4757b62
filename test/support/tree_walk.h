#pragma once
// A whole-tree snapshot made with raw syscalls, so the same code walks a host directory
// (through the host kernel) and a guest one (through an instance): every entry's type,
// mode, owner, size, link count, times, content hash, link target and xattrs, and which
// entries share an inode. Two snapshots compare equal when the trees are the same.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace test {

struct TreeEntry {
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t size = 0, nlink = 0, rdev = 0;
  int64_t mtime_ns = 0;
  uint64_t hash = 0;          // FNV-1a of the content (regular files)
  uint64_t data_bytes = 0;    // bytes read (must equal size)
  std::string target;         // symlinks
  std::map<std::string, std::string> xattrs;
  std::string link_group;     // the first path seen with the same inode
  bool operator==(const TreeEntry&) const = default;
};

using Tree = std::map<std::string, TreeEntry>;
// A syscall returning -errno on failure (uml::syscall's convention).
using Syscall = std::function<long(long, long, long, long, long, long)>;

inline long host_syscall(long nr, long a, long b, long c, long d, long e) {
  const long r = ::syscall(nr, a, b, c, d, e);
  return r < 0 ? -errno : r;
}

// Walks root (a directory) and returns the tree; *err gets the first failure ("" if none).
inline Tree snapshot(const Syscall& sys, const std::string& root, std::string* err, bool with_xattrs = true) {
  Tree out;
  std::map<std::pair<uint64_t, uint64_t>, std::string> inodes;
  auto L = [](const void* p) { return reinterpret_cast<long>(p); };
  std::vector<std::string> todo{""};
  std::vector<char> buf(1 << 20);
  while (!todo.empty()) {
    const std::string rel = todo.back();
    todo.pop_back();
    const std::string dir = root + rel;
    const long fd = sys(SYS_openat, AT_FDCWD, L(dir.c_str()), O_RDONLY | O_DIRECTORY, 0, 0);
    if (fd < 0) {
      *err = "open " + dir + ": " + strerror(static_cast<int>(-fd));
      return out;
    }
    std::vector<std::string> names;
    for (;;) {
      const long n = sys(SYS_getdents64, fd, L(buf.data()), static_cast<long>(buf.size()), 0, 0);
      if (n < 0) {
        *err = "getdents " + dir + ": " + strerror(static_cast<int>(-n));
        return out;
      }
      if (n == 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<struct dirent64*>(buf.data() + off);
        const std::string name = d->d_name;
        if (name != "." && name != ".." && !(rel.empty() && name == "lost+found")) names.push_back(name);
        off += d->d_reclen;
      }
    }
    sys(SYS_close, fd, 0, 0, 0, 0);
    for (const std::string& name : names) {
      const std::string path = rel + "/" + name;
      const std::string full = root + path;
      struct stat st {};
      long r = sys(SYS_newfstatat, AT_FDCWD, L(full.c_str()), L(&st), AT_SYMLINK_NOFOLLOW, 0);
      if (r < 0) {
        *err = "stat " + full + ": " + strerror(static_cast<int>(-r));
        return out;
      }
      TreeEntry e;
      e.mode = st.st_mode;
      e.uid = st.st_uid;
      e.gid = st.st_gid;
      e.nlink = st.st_nlink;
      e.mtime_ns = st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec;
      if (!S_ISDIR(st.st_mode)) e.size = st.st_size;  // directory sizes are the filesystem's
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) e.rdev = st.st_rdev;
      if (!S_ISDIR(st.st_mode)) {
        auto [it, fresh] = inodes.try_emplace({st.st_dev, st.st_ino}, path);
        e.link_group = it->second;
      } else {
        e.nlink = 0;  // ext4 counts subdirectories; the host filesystem may not
      }
      if (S_ISLNK(st.st_mode)) {
        const long n = sys(SYS_readlinkat, AT_FDCWD, L(full.c_str()), L(buf.data()), static_cast<long>(buf.size()), 0);
        if (n < 0) {
          *err = "readlink " + full + ": " + strerror(static_cast<int>(-n));
          return out;
        }
        e.target.assign(buf.data(), static_cast<size_t>(n));
      }
      if (S_ISREG(st.st_mode)) {
        const long f = sys(SYS_openat, AT_FDCWD, L(full.c_str()), O_RDONLY, 0, 0);
        if (f < 0) {
          *err = "open " + full + ": " + strerror(static_cast<int>(-f));
          return out;
        }
        uint64_t h = 1469598103934665603ull;
        for (;;) {
          const long n = sys(SYS_read, f, L(buf.data()), static_cast<long>(buf.size()), 0, 0);
          if (n < 0) {
            *err = "read " + full + ": " + strerror(static_cast<int>(-n));
            return out;
          }
          if (n == 0) break;
          for (long i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(buf[i])) * 1099511628211ull;
          e.data_bytes += static_cast<uint64_t>(n);
        }
        sys(SYS_close, f, 0, 0, 0, 0);
        e.hash = h;
      }
      if (with_xattrs && !S_ISLNK(st.st_mode)) {
        const long n = sys(SYS_llistxattr, L(full.c_str()), L(buf.data()), static_cast<long>(buf.size()), 0, 0);
        if (n < 0 && n != -EOPNOTSUPP) {
          *err = "listxattr " + full + ": " + strerror(static_cast<int>(-n));
          return out;
        }
        std::vector<std::string> keys;
        for (long i = 0; i < n;) {
          keys.emplace_back(buf.data() + i);
          i += static_cast<long>(keys.back().size()) + 1;
        }
        for (const std::string& k : keys) {
          if (k.rfind("security.", 0) == 0) continue;  // host LSM labels
          const long m = sys(SYS_lgetxattr, L(full.c_str()), L(k.c_str()), L(buf.data()), static_cast<long>(buf.size()), 0);
          if (m < 0) {
            *err = "getxattr " + full + " " + k + ": " + strerror(static_cast<int>(-m));
            return out;
          }
          e.xattrs[k].assign(buf.data(), static_cast<size_t>(m));
        }
      }
      out[path] = e;
      if (S_ISDIR(st.st_mode)) todo.push_back(path);
    }
  }
  return out;
}

// The first difference between two trees, "" when equal.
inline std::string tree_diff(const Tree& want, const Tree& got) {
  for (const auto& [p, e] : want) {
    auto it = got.find(p);
    if (it == got.end()) return "missing: " + p;
    const TreeEntry& g = it->second;
    if (e == g) continue;
    std::string why = p + ":";
    if (e.mode != g.mode) why += " mode " + std::to_string(e.mode) + " vs " + std::to_string(g.mode);
    if (e.uid != g.uid || e.gid != g.gid) why += " owner";
    if (e.size != g.size) why += " size " + std::to_string(e.size) + " vs " + std::to_string(g.size);
    if (e.nlink != g.nlink) why += " nlink " + std::to_string(e.nlink) + " vs " + std::to_string(g.nlink);
    if (e.rdev != g.rdev) why += " rdev";
    if (e.mtime_ns != g.mtime_ns) why += " mtime " + std::to_string(e.mtime_ns) + " vs " + std::to_string(g.mtime_ns);
    if (e.hash != g.hash || e.data_bytes != g.data_bytes) why += " content (" + std::to_string(g.data_bytes) + " bytes read)";
    if (e.target != g.target) why += " target '" + e.target + "' vs '" + g.target + "'";
    if (e.xattrs != g.xattrs) why += " xattrs (" + std::to_string(e.xattrs.size()) + " vs " + std::to_string(g.xattrs.size()) + ")";
    if (e.link_group != g.link_group) why += " hard links '" + e.link_group + "' vs '" + g.link_group + "'";
    return why;
  }
  for (const auto& [p, e] : got)
    if (!want.count(p)) return "extra: " + p;
  return {};
}

}  // namespace test
