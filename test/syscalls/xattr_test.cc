// Extended attributes: the user.* and trusted.* namespaces, the size protocol of get and
// list, XATTR_CREATE/XATTR_REPLACE, and the errors of each call.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <vector>
#include <string>

#include "shim.h"

using shim::call;

namespace {
long mkfile(const std::string& p, int mode = 0644) {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, mode);
  if (fd >= 0) call(SYS_close, fd);
  return fd >= 0 ? 0 : fd;
}
long set(const std::string& p, const char* name, const std::string& v, int flags = 0) {
  return call(SYS_setxattr, p.c_str(), name, v.data(), v.size(), flags);
}
std::string get(const std::string& p, const char* name) {
  char buf[256] = {};
  const long n = call(SYS_getxattr, p.c_str(), name, buf, sizeof buf);
  return n < 0 ? "errno " + std::to_string(-n) : std::string(buf, static_cast<size_t>(n));
}
std::string list(const std::string& p) {
  char buf[512] = {};
  const long n = call(SYS_listxattr, p.c_str(), buf, sizeof buf);
  if (n < 0) return "errno " + std::to_string(-n);
  // The order of names is the filesystem's (Linux's tmpfs hashes them): compare sorted.
  std::vector<std::string> names;
  for (size_t i = 0; i < static_cast<size_t>(n); i += names.back().size() + 1) names.emplace_back(buf + i);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) out += name + "|";
  return out;
}
}  // namespace

TEST_CASE("user xattrs: set get list remove and the size protocol") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "f";
    REQUIRE(mkfile(f) == 0);
    CHECK(list(f) == "");
    CHECK(set(f, "user.one", "1") == 0);
    CHECK(set(f, "user.two", "twenty") == 0);
    CHECK(set(f, "user.empty", "") == 0);
    CHECK(get(f, "user.two") == "twenty");
    CHECK(get(f, "user.empty") == "");
    CHECK(call(SYS_getxattr, f.c_str(), "user.two", nullptr, 0) == 6);  // size only
    char small[3];
    CHECK(call(SYS_getxattr, f.c_str(), "user.two", small, sizeof small) == -ERANGE);
    CHECK(get(f, "user.none") == "errno " + std::to_string(ENODATA));
    CHECK(list(f) == "user.empty|user.one|user.two|");
    CHECK(call(SYS_listxattr, f.c_str(), nullptr, 0) == 29);
    CHECK(call(SYS_listxattr, f.c_str(), small, sizeof small) == -ERANGE);
    CHECK(set(f, "user.one", "x", XATTR_CREATE) == -EEXIST);
    CHECK(set(f, "user.new", "x", XATTR_REPLACE) == -ENODATA);
    CHECK(set(f, "user.one", "uno", XATTR_REPLACE) == 0);
    CHECK(get(f, "user.one") == "uno");
    CHECK(set(f, "user.one", "x", 4) == -EINVAL);
    CHECK(call(SYS_removexattr, f.c_str(), "user.one") == 0);
    CHECK(call(SYS_removexattr, f.c_str(), "user.one") == -ENODATA);
    CHECK(list(f) == "user.empty|user.two|");
    // Names: empty or longer than 255 bytes is ERANGE; values over 64 KiB are E2BIG.
    CHECK(set(f, "", "x") == -ERANGE);
    const std::string longname = "user." + std::string(251, 'n');
    CHECK(set(f, longname.c_str(), "x") == -ERANGE);
    CHECK(set(f, longname.substr(0, 255).c_str(), "x") == 0);
    const std::string big(65537, 'v');
    CHECK(set(f, "user.big", big) == -E2BIG);
    CHECK(set(f, "user.max", std::string(65536, 'v')) == 0);
    CHECK(set(f, "nonamespace", "x") == -EOPNOTSUPP);
    CHECK(set(f, "bogus.name", "x") == -EOPNOTSUPP);
    CHECK(set(d / "missing", "user.x", "x") == -ENOENT);
    // A directory carries user xattrs too.
    CHECK(set(d.path, "user.dir", "d") == 0);
    CHECK(get(d.path, "user.dir") == "d");
  });
}

TEST_CASE("xattr calls on symlinks and descriptors") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "f", l = d / "l";
    REQUIRE(mkfile(f) == 0);
    REQUIRE(call(SYS_symlink, "f", l.c_str()) == 0);
    CHECK(set(l, "user.via", "link") == 0);  // follows to f
    CHECK(get(f, "user.via") == "link");
    CHECK(call(SYS_lsetxattr, l.c_str(), "user.x", "1", 1, 0) == -EPERM);
    char buf[16];
    CHECK(call(SYS_lgetxattr, l.c_str(), "user.via", buf, sizeof buf) == -ENODATA);
    CHECK(call(SYS_llistxattr, l.c_str(), buf, sizeof buf) == 0);
    CHECK(call(SYS_lremovexattr, l.c_str(), "user.via") == -EPERM);
    const long fd = call(SYS_open, f.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_fsetxattr, fd, "user.fd", "v", 1, 0) == 0);
    CHECK(call(SYS_fgetxattr, fd, "user.fd", buf, sizeof buf) == 1);
    char lbuf[32];
    CHECK(call(SYS_flistxattr, fd, lbuf, sizeof lbuf) == 17);  // "user.via" and "user.fd"
    CHECK(call(SYS_fremovexattr, fd, "user.fd") == 0);
    const long pfd = call(SYS_open, f.c_str(), O_PATH);
    CHECK(call(SYS_fgetxattr, pfd, "user.via", buf, sizeof buf) == -EBADF);
    CHECK(call(SYS_fsetxattr, 999, "user.x", "1", 1, 0) == -EBADF);
    call(SYS_close, pfd);
    call(SYS_close, fd);
    // A FIFO carries no user xattrs.
    REQUIRE(call(SYS_mknod, (d / "fifo").c_str(), S_IFIFO | 0644, 0) == 0);
    CHECK(set(d / "fifo", "user.x", "1") == -EPERM);
    CHECK(get(d / "fifo", "user.x") == "errno " + std::to_string(ENODATA));
  });
}

TEST_CASE("trusted xattrs are root's and user xattrs follow the file's permissions") {
  if (!shim::is_root()) return test::skip("needs root");  // it sets up as root, then drops
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string f = d / "f", mine = d / "mine";
    REQUIRE(mkfile(f, 0644) == 0);
    REQUIRE(set(f, "trusted.t", "secret") == 0);
    REQUIRE(set(f, "user.u", "public") == 0);
    CHECK(list(f) == "trusted.t|user.u|");
    REQUIRE(mkfile(mine, 0644) == 0);
    REQUIRE(call(SYS_chown, mine.c_str(), 1000, 1000) == 0);
    REQUIRE(call(SYS_chmod, d.path.c_str(), 01777) == 0);
    shim::become_unprivileged();
    CHECK(get(f, "trusted.t") == "errno " + std::to_string(ENODATA));
    CHECK(set(f, "trusted.t", "x") == -EPERM);
    CHECK(list(f) == "user.u|");
    CHECK(get(f, "user.u") == "public");  // read permission is enough to read
    CHECK(set(f, "user.u", "x") == -EACCES);
    CHECK(call(SYS_removexattr, f.c_str(), "user.u") == -EACCES);
    CHECK(set(mine, "user.m", "ok") == 0);
    // The sticky directory is not ours: its user xattrs are not for us to write.
    CHECK(set(d.path, "user.d", "x") == -EPERM);
  });
}
