#pragma once
// Host-side files for tests that give an instance disks: a scratch directory on the host's
// disk (not a tmpfs, so O_DIRECT means what it says), and whole-file reads and writes.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "skip.h"

namespace test {

struct TempDir {
  std::string path;
  TempDir() {
    const char* base = getenv("UML_TEST_DIR");
    std::string tmpl = std::string(base ? base : "/var/tmp") + "/uml-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    if (system(cmd.c_str()) != 0) {
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline std::vector<char> random_bytes(size_t n, uint64_t seed) {
  std::vector<char> v(n);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t x = rng();
    memcpy(v.data() + i, &x, 8);
  }
  return v;
}

inline void write_file(const std::string& path, const std::vector<char>& data) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) throw std::runtime_error("cannot write " + path);
    done += static_cast<size_t>(n);
  }
  close(fd);
}

inline void write_file(const std::string& path, const std::string& data) {
  write_file(path, std::vector<char>(data.begin(), data.end()));
}

// A shell command's output and exit status. stderr goes with stdout, or (quiet) nowhere.
struct Shell {
  std::string out;
  int status = -1;
};
inline Shell shell(const std::string& cmd, bool quiet = false) {
  Shell r;
  if (FILE* p = popen((cmd + (quiet ? " 2>/dev/null" : " 2>&1")).c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  return r;
}

inline std::vector<char> read_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  struct stat st {};
  fstat(fd, &st);
  std::vector<char> v(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < v.size()) {
    const ssize_t n = pread(fd, v.data() + done, v.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  v.resize(done);
  return v;
}

// The host kernel's own mount of an image (a loop mount, root only), for tests that ask
// Linux the same questions as libuml; unmounted when it goes. When it cannot be had here,
// ok() is false and why() says so, for the test to report the comparison skipped
// (test::skip).
class HostLoopMount {
 public:
  HostLoopMount(const std::string& img, const std::string& dir, const std::string& opts = "") : m_dir(dir) {
    if (geteuid() != 0) {
      m_why = "not root: the host kernel's answers are not compared (skipped)";
      return;
    }
    mkdir(dir.c_str(), 0755);
    const Shell r = shell("mount -o loop" + (opts.empty() ? "" : "," + opts) + " " + img + " " + dir);
    m_ok = r.status == 0;
    if (!m_ok) m_why = "no loop mount here (" + r.out + "): the host kernel's answers are not compared (skipped)";
  }
  ~HostLoopMount() {
    if (m_ok) shell("umount " + m_dir + " || umount -l " + m_dir, true);
  }
  HostLoopMount(const HostLoopMount&) = delete;
  HostLoopMount& operator=(const HostLoopMount&) = delete;
  bool ok() const { return m_ok; }
  const std::string& why() const { return m_why; }
  std::string operator/(const std::string& name) const { return m_dir + "/" + name; }

 private:
  std::string m_dir, m_why;
  bool m_ok = false;
};

}  // namespace test
