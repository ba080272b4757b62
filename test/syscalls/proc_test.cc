// procfs: the files a program reads about itself (self, stat, status, fd/, fdinfo/, cwd,
// root, mounts, mountinfo) and about the system (version, filesystems, meminfo, uptime,
// sys/kernel/*).

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "shim.h"

using shim::call;
using shim::sigbit;

namespace {
std::string slurp(const std::string& p) {
  const long fd = call(SYS_open, p.c_str(), O_RDONLY);
  if (fd < 0) return "errno " + std::to_string(-fd);
  std::string out;
  char buf[1000];  // small reads: the text must hold together across them
  for (long n; (n = call(SYS_read, fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  call(SYS_close, fd);
  return out;
}
std::string readlink_(const std::string& p) {
  char buf[512];
  const long n = call(SYS_readlink, p.c_str(), buf, sizeof buf);
  return n < 0 ? "errno " + std::to_string(-n) : std::string(buf, static_cast<size_t>(n));
}
std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}
std::string field(const std::string& text, const std::string& key) {  // "Key:\tvalue"
  const size_t p = text.find("\n" + key + ":");
  const size_t start = p == std::string::npos ? (text.rfind(key + ":", 0) == 0 ? 0 : std::string::npos) : p + 1;
  if (start == std::string::npos) return "missing";
  const size_t v = text.find(':', start) + 1;
  std::string out = text.substr(v, text.find('\n', v) - v);
  while (!out.empty() && (out[0] == '\t' || out[0] == ' ')) out.erase(0, 1);
  return out;
}
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}
}  // namespace

TEST_CASE("proc self names the calling process and its stat and status agree") {
  shim::fresh_task([] {
    const long pid = call(SYS_getpid);
    CHECK(readlink_("/proc/self") == std::to_string(pid));
    const std::string stat = slurp("/proc/self/stat");
    const auto f = words(stat);
    REQUIRE(f.size() == 52);
    CHECK(f[0] == std::to_string(pid));
    CHECK(f[1].front() == '(');
    CHECK(f[3] == std::to_string(call(SYS_getppid)));
    CHECK(f[4] == std::to_string(call(SYS_getpgid, 0)));
    CHECK(f[5] == std::to_string(call(SYS_getsid, 0)));
    const std::string status = slurp("/proc/self/status");
    CHECK(field(status, "Pid") == std::to_string(pid));
    CHECK(field(status, "Tgid") == std::to_string(pid));
    CHECK(field(status, "PPid") == std::to_string(call(SYS_getppid)));
    // Credentials are per thread: the host's test body is a thread of a root process.
    const std::string uid = std::to_string(call(SYS_getuid));
    const std::string tstatus = slurp("/proc/thread-self/status");
    CHECK(field(tstatus, "Uid") == uid + "\t" + uid + "\t" + uid + "\t" + uid);
    CHECK(field(status, "Name") + "\n" == slurp("/proc/self/comm"));
    CHECK(field(status, "Umask") == "0022");
    // The thread's own view.
    const long tid = call(SYS_gettid);
    CHECK(readlink_("/proc/thread-self") == std::to_string(pid) + "/task/" + std::to_string(tid));
    CHECK(field(slurp("/proc/thread-self/status"), "Pid") == std::to_string(tid));
    CHECK(words(slurp("/proc/" + std::to_string(tid) + "/stat"))[0] == std::to_string(tid));
    CHECK(slurp("/proc/999999/status") == "errno " + std::to_string(ENOENT));
    CHECK(slurp("/proc/self/nonexistent") == "errno " + std::to_string(ENOENT));
    struct statfs sf {};
    REQUIRE(call(SYS_statfs, "/proc", &sf) == 0);
    CHECK(sf.f_type == 0x9fa0);
  });
}

TEST_CASE("proc self fd shows open files and reopens them") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string path = d / "file";
    const long fd = call(SYS_open, path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(call(SYS_write, fd, "hello", 5) == 5);
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    CHECK(readlink_(link) == path);
    struct stat a {}, b {};
    REQUIRE(call(SYS_fstat, fd, &a) == 0);
    REQUIRE(call(SYS_stat, link.c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
    CHECK(a.st_dev == b.st_dev);
    // Opening the magic link is a new open of the same file.
    const long again = call(SYS_open, link.c_str(), O_RDONLY);
    REQUIRE(again >= 0);
    char buf[8] = {};
    CHECK(call(SYS_read, again, buf, sizeof buf) == 5);
    CHECK(std::string(buf) == "hello");
    const std::string info = slurp("/proc/self/fdinfo/" + std::to_string(fd));
    CHECK(field(info, "pos") == "5");
    CHECK(field(info, "flags") == "02100002");  // O_CLOEXEC | O_LARGEFILE | O_RDWR
    CHECK(field(info, "ino") == std::to_string(a.st_ino));
    CHECK(field(slurp("/proc/self/fdinfo/" + std::to_string(again)), "pos") == "5");
    // The listing has both descriptors; an unlinked file shows " (deleted)".
    const long dir = call(SYS_open, "/proc/self/fd", O_RDONLY | O_DIRECTORY);
    REQUIRE(dir >= 0);
    char dents[4096];
    const long n = call(SYS_getdents64, dir, dents, sizeof dents);
    REQUIRE(n > 0);
    std::vector<std::string> names;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<shim::Dirent64*>(dents + off);
      names.emplace_back(e->name);
      off += e->reclen;
    }
    call(SYS_close, dir);
    CHECK(std::find(names.begin(), names.end(), std::to_string(fd)) != names.end());
    CHECK(std::find(names.begin(), names.end(), std::to_string(again)) != names.end());
    REQUIRE(call(SYS_unlink, path.c_str()) == 0);
    CHECK(readlink_(link) == path + " (deleted)");
    call(SYS_close, again);
    call(SYS_close, fd);
    CHECK(readlink_(link) == "errno " + std::to_string(ENOENT));
    // openat2 refuses to jump through a magic link with RESOLVE_NO_MAGICLINKS.
    const long fd2 = call(SYS_open, d.path.c_str(), O_RDONLY | O_DIRECTORY);
    struct {
      unsigned long long flags, mode, resolve;
    } how{O_RDONLY, 0, 0x02 /*RESOLVE_NO_MAGICLINKS*/};
    const std::string link2 = "/proc/self/fd/" + std::to_string(fd2);
    CHECK(call(SYS_openat2, AT_FDCWD, link2.c_str(), &how, sizeof how) == -ELOOP);
    how.resolve = 0;
    const long fd3 = call(SYS_openat2, AT_FDCWD, link2.c_str(), &how, sizeof how);
    CHECK(fd3 >= 0);
    call(SYS_close, fd3);
    call(SYS_close, fd2);
  });
}

TEST_CASE("proc self cwd and root are the process's directories") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    REQUIRE(call(SYS_open, (d / "f").c_str(), O_CREAT | O_WRONLY, 0644) >= 0);
    REQUIRE(call(SYS_chdir, d.path.c_str()) == 0);
    CHECK(readlink_("/proc/self/cwd") == d.path);
    CHECK(readlink_("/proc/self/root") == "/");
    struct stat st {};
    CHECK(call(SYS_stat, "/proc/self/cwd/f", &st) == 0);
    call(SYS_chdir, "/");
  });
}

TEST_CASE("proc mounts and mountinfo list the mounts") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    shim::ScratchDir d;
    const std::string m = d / "m";
    REQUIRE(call(SYS_mkdir, m.c_str(), 0755) == 0);
    REQUIRE(call(SYS_mount, "mysrc", m.c_str(), "tmpfs", MS_NOEXEC, "size=1m") == 0);
    const auto lines = lines_with(slurp("/proc/self/mounts"), " " + m + " ");
    REQUIRE(lines.size() == 1);
    const auto w = words(lines[0]);
    REQUIRE(w.size() == 6);
    CHECK(w[0] == "mysrc");
    CHECK(w[2] == "tmpfs");
    CHECK(w[3].rfind("rw,noexec,relatime", 0) == 0);
    CHECK(w[3].find("size=1024k") != std::string::npos);
    CHECK(w[4] == "0");
    CHECK(slurp("/proc/mounts") == slurp("/proc/self/mounts"));
    const auto info = lines_with(slurp("/proc/self/mountinfo"), " " + m + " ");
    REQUIRE(info.size() == 1);
    const auto iw = words(info[0]);
    REQUIRE(iw.size() >= 10);
    CHECK(iw[3] == "/");
    CHECK(iw[4] == m);
    CHECK(iw[5] == "rw,noexec,relatime");
    const auto dash = std::find(iw.begin(), iw.end(), "-");
    REQUIRE(dash != iw.end());
    CHECK(*(dash + 1) == "tmpfs");
    CHECK(*(dash + 2) == "mysrc");
    CHECK((dash + 3)->rfind("rw,size=1024k", 0) == 0);
    // The parent is /tmp's mount.
    const auto tmp = lines_with(slurp("/proc/self/mountinfo"), " /tmp ");
    REQUIRE(!tmp.empty());
    CHECK(iw[1] == words(tmp.back())[0]);
    struct stat st {};
    REQUIRE(call(SYS_stat, m.c_str(), &st) == 0);
    CHECK(iw[2] == std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)));
    REQUIRE(call(SYS_umount2, m.c_str(), 0) == 0);
    CHECK(lines_with(slurp("/proc/self/mounts"), " " + m + " ").empty());
  });
}

TEST_CASE("proc system files") {
  shim::fresh_task([] {
    CHECK(slurp("/proc/version").rfind("Linux version ", 0) == 0);
    const std::string fs = slurp("/proc/filesystems");
    CHECK(fs.find("nodev\ttmpfs\n") != std::string::npos);
    CHECK(fs.find("nodev\tproc\n") != std::string::npos);
    CHECK(fs.find("nodev\tdevtmpfs\n") != std::string::npos);
    CHECK(slurp("/proc/meminfo").rfind("MemTotal:", 0) == 0);
    const auto up = words(slurp("/proc/uptime"));
    REQUIRE(up.size() == 2);
    CHECK(std::stod(up[0]) >= 0.0);
    CHECK(words(slurp("/proc/loadavg")).size() == 5);
    struct utsname u {};
    REQUIRE(call(SYS_uname, &u) == 0);
    CHECK(slurp("/proc/sys/kernel/hostname") == std::string(u.nodename) + "\n");
    CHECK(slurp("/proc/sys/kernel/osrelease") == std::string(u.release) + "\n");
    CHECK(slurp("/proc/sys/kernel/ostype") == "Linux\n");
    CHECK(readlink_("/proc/mounts") == "self/mounts");
    const long fd = call(SYS_open, "/proc/version", O_RDONLY);
    CHECK(call(SYS_lseek, fd, 0, SEEK_END) == -EINVAL);
    CHECK(call(SYS_lseek, fd, 6, SEEK_SET) == 6);
    char buf[7] = {};
    CHECK(call(SYS_read, fd, buf, 6) == 6);
    CHECK(std::string(buf) == "versio");
    call(SYS_close, fd);
  });
}

TEST_CASE("another user's proc fd directory is not readable") {
  shim::fresh_task([] {
    shim::become_unprivileged();
    CHECK(call(SYS_open, "/proc/1/fd", O_RDONLY | O_DIRECTORY) == -EACCES);
    CHECK(readlink_("/proc/1/cwd") == "errno " + std::to_string(EACCES));
    CHECK(call(SYS_open, "/proc/self/fd", O_RDONLY | O_DIRECTORY) >= 0);
  });
}

TEST_CASE("writing proc sys kernel hostname sets the host name") {
  if (!shim::is_guest()) return test::skip("libuml only: on the host it would rename the machine");
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    const long fd = call(SYS_open, "/proc/sys/kernel/hostname", O_WRONLY);
    REQUIRE(fd >= 0);
    CHECK(call(SYS_write, fd, "renamed\n", 8) == 8);
    call(SYS_close, fd);
    struct utsname u {};
    call(SYS_uname, &u);
    CHECK(std::string(u.nodename) == "renamed");
    call(SYS_sethostname, "uml", 3);
  });
}

// seq_read_iter: a generated file is made again by a read from offset 0 (pread at 0, or
// lseek to 0 and read), so one open descriptor follows what it shows.
TEST_CASE("proc files are generated again by a read from offset 0") {
  shim::fresh_task([] {
    auto read_at0 = [](long fd, bool use_pread) {
      char buf[4096];
      long n;
      if (use_pread) {
        n = call(SYS_pread64, fd, buf, sizeof buf - 1, 0);
      } else {
        call(SYS_lseek, fd, 0, SEEK_SET);
        n = call(SYS_read, fd, buf, sizeof buf - 1);
      }
      return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
    };
    auto field = [](const std::string& text, const std::string& key) {
      const size_t at = text.find(key);
      return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
    };
    for (const bool use_pread : {true, false}) {
      // The calling thread's status follows its signal mask.
      const long st = call(SYS_openat, AT_FDCWD, "/proc/thread-self/status", O_RDONLY);
      REQUIRE(st >= 0);
      const unsigned long old = shim::set_mask(0);
      const std::string before = field(read_at0(st, use_pread), "SigBlk:");
      shim::set_mask(sigbit(SIGUSR2));
      const std::string after = field(read_at0(st, use_pread), "SigBlk:");
      shim::set_mask(old);
      CHECK(before == "SigBlk:\t0000000000000000");
      CHECK(after == "SigBlk:\t0000000000000800");
      call(SYS_close, st);
      // /proc/uptime goes on.
      const long up = call(SYS_openat, AT_FDCWD, "/proc/uptime", O_RDONLY);
      REQUIRE(up >= 0);
      const double t0 = atof(read_at0(up, use_pread).c_str());
      struct timespec ts {0, 60000000};
      call(SYS_nanosleep, &ts, nullptr);
      const double t1 = atof(read_at0(up, use_pread).c_str());
      CHECK(t1 > t0);
      call(SYS_close, up);
    }
  });
}

// task_current_syscall and get_wchan: /proc/[pid]/syscall shows the syscall a thread is
// blocked in with its arguments (the reader's own: this read), /proc/[pid]/wchan where it
// waits, "0" for one that runs.
TEST_CASE("proc syscall and wchan show where a thread is blocked") {
  shim::fresh_task([] {
    // The unprivileged run's tasks dropped their ids, which makes a Linux process
    // non-dumpable: its /proc files are root's then, and syscall (0400) is not readable.
    if (shim::unprivileged_mode()) return;
    auto words = [](const std::string& s) {
      std::vector<std::string> w;
      std::istringstream in(s);
      for (std::string x; in >> x;) w.push_back(x);
      return w;
    };
    auto hex = [](long v) {
      char b[32];
      snprintf(b, sizeof b, "0x%lx", v);
      return std::string(b);
    };
    // The reader's own: the read it is in.
    const long fd = call(SYS_openat, AT_FDCWD, "/proc/thread-self/syscall", O_RDONLY);
    REQUIRE(fd >= 0);
    char buf[512] = {};
    const long n = call(SYS_read, fd, buf, sizeof buf - 1);
    call(SYS_close, fd);
    REQUIRE(n > 0);
    std::vector<std::string> w = words(std::string(buf, static_cast<size_t>(n)));
    REQUIRE(w.size() == 9);
    CHECK(w[0] == "0");  // read
    CHECK(w[1] == hex(fd));
    CHECK(w[2] == hex(reinterpret_cast<long>(buf)));
    CHECK(w[3] == hex(sizeof buf - 1));
    CHECK(slurp("/proc/thread-self/wchan") == "0");
    // A thread blocked reading a pipe.
    int p[2];
    REQUIRE(call(SYS_pipe2, p, 0) == 0);
    std::atomic<long> tid{0};
    char c = 0;
    auto join = shim::start_thread([&] {
      tid = call(SYS_gettid);
      call(SYS_read, p[0], &c, 1);
    });
    while (tid.load() == 0) call(SYS_sched_yield);
    const std::string dir = "/proc/self/task/" + std::to_string(tid.load());
    std::string wchan = "0";
    for (int i = 0; i < 500 && wchan == "0"; ++i) {
      struct timespec ts {0, 2000000};
      call(SYS_nanosleep, &ts, nullptr);
      wchan = slurp(dir + "/wchan");
    }
    const std::vector<std::string> s = words(slurp(dir + "/syscall"));
    REQUIRE(s.size() == 9);
    CHECK(s[0] == "0");
    CHECK(s[1] == hex(p[0]));
    CHECK(s[2] == hex(reinterpret_cast<long>(&c)));
    CHECK(s[3] == "0x1");
    // Linux 6.1 names it pipe_read; 6.13 and later anon_pipe_read.
    CHECK((wchan == "pipe_read" || (!shim::is_guest() && wchan == "anon_pipe_read")));
    REQUIRE(call(SYS_write, p[1], "x", 1) == 1);
    join();
    call(SYS_close, p[0]);
    call(SYS_close, p[1]);
  });
}
