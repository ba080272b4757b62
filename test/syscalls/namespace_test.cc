// Namespaces: mount namespaces (unshare(CLONE_NEWNS), propagation between shared, slave
// and private mounts), /proc/[pid]/ns and setns. On the host these run in children of the
// suite's private mount namespace (shim::setup); without root they check the EPERM answers.

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>
#include <string>

#include "shim.h"

using shim::call;

namespace {

long mount_(const std::string& src, const std::string& dst, const char* type, unsigned long flags) {
  return call(SYS_mount, src.empty() ? nullptr : src.c_str(), dst.c_str(), type, flags, nullptr);
}
long mkdir_(const std::string& p) { return call(SYS_mkdirat, AT_FDCWD, p.c_str(), 0755); }
bool exists(const std::string& p) {
  struct stat st;
  return call(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}
long touch(const std::string& p) {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) call(SYS_close, fd);
  return fd < 0 ? fd : 0;
}
// Whether something is mounted at p: its device differs from its parent directory's.
bool mounted(const std::string& p) {
  struct stat a {}, b {};
  call(SYS_newfstatat, AT_FDCWD, p.c_str(), &a, 0);
  call(SYS_newfstatat, AT_FDCWD, (p + "/..").c_str(), &b, 0);
  return a.st_dev != b.st_dev;
}
std::string link_of(const std::string& p) {
  char buf[128] = {};
  const long n = call(SYS_readlink, p.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}
std::string read_all(const std::string& p) {
  const long fd = call(SYS_openat, AT_FDCWD, p.c_str(), O_RDONLY);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  long n;
  while ((n = call(SYS_read, fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  call(SYS_close, fd);
  return out;
}
// The optional fields of p's line in /proc/self/mountinfo: the words between the mount
// options (the 6th field) and the "-" separator ("shared:2 master:1"); "(not mounted)".
std::string propagation_of(const std::string& p) {
  std::istringstream info(read_all("/proc/self/mountinfo"));
  std::string found = "(not mounted)", line;
  while (std::getline(info, line)) {
    std::istringstream words(line);
    std::string w[6];
    for (auto& x : w) words >> x;
    if (w[4] != p) continue;
    found.clear();
    for (std::string opt; words >> opt && opt != "-";) found += (found.empty() ? "" : " ") + opt;
  }
  return found;
}
// wait4 for a child started with start_child: whether it exited with status 0.
bool reaped_clean(long pid) {
  int st = 0;
  return call(SYS_wait4, pid, &st, 0, nullptr) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
// One byte through a pipe: the steps of two processes in order.
void signal_(int fd) {
  const char c = 1;
  call(SYS_write, fd, &c, 1);
}
bool wait_(int fd) {
  char c;
  return call(SYS_read, fd, &c, 1) == 1;
}

}  // namespace

TEST_CASE("unshare(CLONE_NEWNS): the process's mounts are its own") {
  shim::fresh_task([] {
    const std::string outer = link_of("/proc/self/ns/mnt");
    CHECK(outer.rfind("mnt:[", 0) == 0);
    shim::ScratchDir d;
    REQUIRE(mkdir_(d / "a") == 0);
    REQUIRE(mkdir_(d / "b") == 0);
    const bool root = shim::is_root();
    if (root) REQUIRE(mount_("none", d / "b", "tmpfs", 0) == 0);
    const int st = shim::run_child([&] {
      const long r = call(SYS_unshare, CLONE_NEWNS);
      if (!root) return r == -EPERM ? 0 : 1;
      CHILD_CHECK(r == 0);
      CHILD_CHECK(link_of("/proc/self/ns/mnt") != outer);
      CHILD_CHECK(link_of("/proc/self/ns/mnt").rfind("mnt:[", 0) == 0);
      // What was mounted before is in the copy; what is mounted now is the child's alone.
      CHILD_CHECK(mounted(d / "b"));
      CHILD_CHECK(mount_("none", d / "a", "tmpfs", 0) == 0);
      CHILD_CHECK(touch(d / "a/mine") == 0);
      CHILD_CHECK(exists(d / "a/mine"));
      // Unmounting the copy leaves the parent's mount alone.
      CHILD_CHECK(call(SYS_umount2, (d / "b").c_str(), 0) == 0);
      CHILD_CHECK(!mounted(d / "b"));
      return 0;
    });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    CHECK_FALSE(exists(d / "a/mine"));
    CHECK_FALSE(mounted(d / "a"));
    if (root) {
      CHECK(mounted(d / "b"));
      CHECK(call(SYS_umount2, (d / "b").c_str(), 0) == 0);
    }
  });
}

// Documentation/filesystems/sharedsubtree.rst: a shared mount's peers see each other's
// mounts and umounts; a slave receives and does not send; a private mount does neither.
TEST_CASE("mount propagation between namespaces: shared, slave and private") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(mkdir_(m) == 0);
    REQUIRE(mount_("none", m, "tmpfs", 0) == 0);
    CHECK(propagation_of(m).empty());  // a new mount is private
    REQUIRE(mount_("", m, nullptr, MS_SHARED) == 0);
    CHECK(propagation_of(m).rfind("shared:", 0) == 0);
    for (const char* sub : {"s1", "s2", "s3", "s4", "s5"}) REQUIRE(mkdir_(m + "/" + sub) == 0);
    int to_child[2], to_parent[2];
    REQUIRE(call(SYS_pipe2, to_child, 0) == 0);
    REQUIRE(call(SYS_pipe2, to_parent, 0) == 0);
    const long pid = shim::start_child([&] {
      CHILD_CHECK(call(SYS_unshare, CLONE_NEWNS) == 0);
      CHILD_CHECK(propagation_of(m).rfind("shared:", 0) == 0);  // a peer of the parent's
      signal_(to_parent[1]);
      CHILD_CHECK(wait_(to_child[0]));  // the parent mounted s1
      CHILD_CHECK(mounted(m + "/s1"));
      CHILD_CHECK(exists(m + "/s1/from-parent"));
      CHILD_CHECK(mount_("none", m + "/s2", "tmpfs", 0) == 0);  // goes to the parent too
      CHILD_CHECK(touch(m + "/s2/from-child") == 0);
      CHILD_CHECK(mount_("", m, nullptr, MS_SLAVE) == 0);
      CHILD_CHECK(propagation_of(m).rfind("master:", 0) == 0);
      CHILD_CHECK(mount_("none", m + "/s3", "tmpfs", 0) == 0);  // a slave's stay home
      signal_(to_parent[1]);
      CHILD_CHECK(wait_(to_child[0]));  // the parent mounted s4 and unmounted s1
      CHILD_CHECK(mounted(m + "/s4"));
      CHILD_CHECK(!mounted(m + "/s1"));
      CHILD_CHECK(mount_("", m, nullptr, MS_PRIVATE) == 0);
      CHILD_CHECK(propagation_of(m).empty());
      signal_(to_parent[1]);
      CHILD_CHECK(wait_(to_child[0]));  // the parent mounted s5
      CHILD_CHECK(!mounted(m + "/s5"));
      return 0;
    });
    REQUIRE(pid > 0);
    REQUIRE(wait_(to_parent[0]));
    REQUIRE(mount_("none", m + "/s1", "tmpfs", 0) == 0);
    REQUIRE(touch(m + "/s1/from-parent") == 0);
    signal_(to_child[1]);
    REQUIRE(wait_(to_parent[0]));
    CHECK(mounted(m + "/s2"));
    CHECK(exists(m + "/s2/from-child"));
    CHECK_FALSE(mounted(m + "/s3"));
    REQUIRE(mount_("none", m + "/s4", "tmpfs", 0) == 0);
    CHECK(call(SYS_umount2, (m + "/s1").c_str(), 0) == 0);
    signal_(to_child[1]);
    REQUIRE(wait_(to_parent[0]));
    REQUIRE(mount_("none", m + "/s5", "tmpfs", 0) == 0);
    signal_(to_child[1]);
    CHECK(reaped_clean(pid));
    for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) call(SYS_close, fd);
    for (const char* sub : {"s5", "s4", "s2"}) CHECK(call(SYS_umount2, (m + "/" + sub).c_str(), 0) == 0);
    CHECK(call(SYS_umount2, m.c_str(), 0) == 0);
  });
}

TEST_CASE("bind mounts of a shared mount are its peers, and unbindable mounts refuse binding") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string a = d / "a", b = d / "b", u = d / "u", v = d / "v";
    for (const auto& p : {a, b, u, v}) REQUIRE(mkdir_(p) == 0);
    REQUIRE(mount_("none", a, "tmpfs", 0) == 0);
    REQUIRE(mount_("", a, nullptr, MS_SHARED) == 0);
    REQUIRE(mkdir_(a + "/x") == 0);
    REQUIRE(mount_(a, b, nullptr, MS_BIND) == 0);
    CHECK(propagation_of(b) == propagation_of(a));  // the same peer group
    REQUIRE(mount_("none", a + "/x", "tmpfs", 0) == 0);
    CHECK(mounted(b + "/x"));  // and so it appears in the bind mount too
    REQUIRE(call(SYS_umount2, (b + "/x").c_str(), 0) == 0);
    CHECK_FALSE(mounted(a + "/x"));  // and goes from both
    // Two flags at once are EINVAL; a change of type needs the mount's root.
    CHECK(mount_("", a, nullptr, MS_SHARED | MS_PRIVATE) == -EINVAL);
    CHECK(mount_("", a + "/x", nullptr, MS_PRIVATE) == -EINVAL);
    REQUIRE(mount_("none", u, "tmpfs", 0) == 0);
    REQUIRE(mount_("", u, nullptr, MS_UNBINDABLE) == 0);
    CHECK(propagation_of(u) == "unbindable");
    CHECK(mount_(u, v, nullptr, MS_BIND) == -EINVAL);
    CHECK(call(SYS_umount2, b.c_str(), 0) == 0);
    CHECK(call(SYS_umount2, a.c_str(), 0) == 0);
    CHECK(call(SYS_umount2, u.c_str(), 0) == 0);
  });
}

TEST_CASE("/proc/[pid]/ns: every namespace, named and numbered as nsfs does") {
  shim::fresh_task([] {
    for (const char* n : {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
                          "user", "uts"}) {
      INFO(n);
      const std::string l = link_of(std::string("/proc/self/ns/") + n);
      std::string type = n;
      type = type.substr(0, type.find('_'));
      REQUIRE(l.rfind(type + ":[", 0) == 0);
      REQUIRE(l.back() == ']');
      const unsigned long inum = std::stoul(l.substr(type.size() + 2));
      // stat follows the link to the nsfs file, whose inode number is the namespace's.
      struct stat st {};
      REQUIRE(call(SYS_newfstatat, AT_FDCWD, (std::string("/proc/self/ns/") + n).c_str(), &st, 0) == 0);
      CHECK(st.st_ino == inum);
      CHECK(S_ISREG(st.st_mode));
      const long fd = call(SYS_openat, AT_FDCWD, (std::string("/proc/self/ns/") + n).c_str(), O_RDONLY);
      REQUIRE(fd >= 0);
      struct stat fst {};
      CHECK(call(SYS_fstat, fd, &fst) == 0);
      CHECK(fst.st_ino == inum);
      CHECK(fst.st_dev == st.st_dev);
      char c;
      CHECK(call(SYS_read, fd, &c, 1) == -EINVAL);
      CHECK(link_of("/proc/self/fd/" + std::to_string(fd)) == l);
      call(SYS_close, fd);
    }
    // Another process of the same namespaces shows the same numbers.
    const std::string mine = link_of("/proc/self/ns/mnt");
    const int st = shim::run_child([&] { return link_of("/proc/self/ns/mnt") == mine ? 0 : 1; });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  });
}

TEST_CASE("setns: argument errors") {
  shim::fresh_task([] {
    CHECK(call(SYS_setns, -1, 0) == -EBADF);
    CHECK(call(SYS_setns, 999, 0) == -EBADF);
    const long uts = call(SYS_openat, AT_FDCWD, "/proc/self/ns/uts", O_RDONLY);
    REQUIRE(uts >= 0);
    CHECK(call(SYS_setns, uts, CLONE_NEWNET) == -EINVAL);  // not that type
    CHECK(call(SYS_setns, uts, CLONE_NEWUTS) == (shim::is_root() ? 0 : -EPERM));  // one's own
    const long user = call(SYS_openat, AT_FDCWD, "/proc/self/ns/user", O_RDONLY);
    REQUIRE(user >= 0);
    CHECK(call(SYS_setns, user, 0) == -EINVAL);  // one's own user namespace
    const long plain = call(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY);
    REQUIRE(plain >= 0);
    CHECK(call(SYS_setns, plain, 0) == -EINVAL);  // not a namespace
    for (long fd : {uts, user, plain}) call(SYS_close, fd);
  });
}

TEST_CASE("setns: entering another process's mount and UTS namespaces") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    REQUIRE(mkdir_(d / "a") == 0);
    const bool root = shim::is_root();
    int ready[2], done[2];
    REQUIRE(call(SYS_pipe2, ready, 0) == 0);
    REQUIRE(call(SYS_pipe2, done, 0) == 0);
    // A holds namespaces of its own, with a mount and a host name in them.
    const long a = shim::start_child([&] {
      if (root) {
        CHILD_CHECK(call(SYS_unshare, CLONE_NEWNS | CLONE_NEWUTS) == 0);
        CHILD_CHECK(mount_("none", d / "a", "tmpfs", 0) == 0);
        CHILD_CHECK(touch(d / "a/in-a") == 0);
        CHILD_CHECK(call(SYS_sethostname, "in-a", 4) == 0);
      }
      signal_(ready[1]);
      wait_(done[0]);
      return 0;
    });
    REQUIRE(a > 0);
    REQUIRE(wait_(ready[0]));
    const std::string ns_dir = "/proc/" + std::to_string(a) + "/ns/";
    const std::string a_mnt = link_of(ns_dir + "mnt");
    const int st = shim::run_child([&] {
      const long mfd = call(SYS_openat, AT_FDCWD, (ns_dir + "mnt").c_str(), O_RDONLY);
      const long ufd = call(SYS_openat, AT_FDCWD, (ns_dir + "uts").c_str(), O_RDONLY);
      if (!root && mfd < 0) {
        // A process whose ids were changed is not dumpable: only CAP_SYS_PTRACE opens it
        // (how the suite drops privileges decides which case this is).
        CHILD_CHECK(mfd == -EACCES && ufd == -EACCES);
        return 0;
      }
      CHILD_CHECK(mfd >= 0 && ufd >= 0);
      if (!root) {
        CHILD_CHECK(call(SYS_setns, mfd, CLONE_NEWNS) == -EPERM);
        CHILD_CHECK(call(SYS_setns, ufd, CLONE_NEWUTS) == -EPERM);
        return 0;
      }
      CHILD_CHECK(!exists(d / "a/in-a"));
      CHILD_CHECK(call(SYS_setns, mfd, CLONE_NEWNS) == 0);
      CHILD_CHECK(call(SYS_setns, ufd, 0) == 0);
      CHILD_CHECK(link_of("/proc/self/ns/mnt") == a_mnt);
      CHILD_CHECK(exists(d / "a/in-a"));
      struct utsname u {};
      CHILD_CHECK(call(SYS_uname, &u) == 0);
      CHILD_CHECK(std::string(u.nodename) == "in-a");
      // Entering a mount namespace moves to its root.
      char cwd[256] = {};
      CHILD_CHECK(call(SYS_getcwd, cwd, sizeof cwd) > 0);
      CHILD_CHECK(std::string(cwd) == "/");
      return 0;
    });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    // A thread of a process whose filesystem context others share cannot enter a mount
    // namespace.
    if (root) {
      const long mfd = call(SYS_openat, AT_FDCWD, (ns_dir + "mnt").c_str(), O_RDONLY);
      REQUIRE(mfd >= 0);
      long r = 0;
      auto join = shim::start_thread([&] { r = call(SYS_setns, mfd, CLONE_NEWNS); });
      join();
      CHECK(r == -EINVAL);
      call(SYS_close, mfd);
    }
    signal_(done[1]);
    CHECK(reaped_clean(a));
    for (int fd : {ready[0], ready[1], done[0], done[1]}) call(SYS_close, fd);
    CHECK_FALSE(exists(d / "a/in-a"));
  });
}

// A slave that is itself shared passes what it receives on to its own peers, and what is
// mounted on it goes to them but not back to its master.
TEST_CASE("mount propagation through a shared slave") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string a = d / "a", b = d / "b", c = d / "c";
    for (const auto& p : {a, b, c}) REQUIRE(mkdir_(p) == 0);
    REQUIRE(mount_("none", a, "tmpfs", 0) == 0);
    for (const char* sub : {"x", "y"}) REQUIRE(mkdir_(a + "/" + sub) == 0);
    REQUIRE(mount_("", a, nullptr, MS_SHARED) == 0);
    REQUIRE(mount_(a, b, nullptr, MS_BIND) == 0);
    REQUIRE(mount_("", b, nullptr, MS_SLAVE) == 0);
    REQUIRE(mount_("", b, nullptr, MS_SHARED) == 0);
    const std::string pb = propagation_of(b);
    CHECK(pb.find("shared:") == 0);
    CHECK(pb.find(" master:") != std::string::npos);
    REQUIRE(mount_(b, c, nullptr, MS_BIND) == 0);
    CHECK(propagation_of(c) == pb);  // a peer of b, and so a slave of a too
    REQUIRE(mount_("none", a + "/x", "tmpfs", 0) == 0);
    CHECK(mounted(b + "/x"));
    CHECK(mounted(c + "/x"));
    REQUIRE(mount_("none", b + "/y", "tmpfs", 0) == 0);
    CHECK(mounted(c + "/y"));
    CHECK_FALSE(mounted(a + "/y"));
    REQUIRE(call(SYS_umount2, (a + "/x").c_str(), 0) == 0);
    CHECK_FALSE(mounted(b + "/x"));
    CHECK_FALSE(mounted(c + "/x"));
    REQUIRE(call(SYS_umount2, (c + "/y").c_str(), 0) == 0);
    CHECK_FALSE(mounted(b + "/y"));
    for (const auto& p : {c, b, a}) CHECK(call(SYS_umount2, p.c_str(), 0) == 0);
  });
}
