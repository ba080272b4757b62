#pragma once
// The syscall shim: each test in test/syscalls is written once against it and built twice,
// against the host kernel (syscalls-host) and against libuml (syscalls-uml), so a test is
// proven right on Linux before it judges libuml (gVisor's test/syscalls idea).
//
// sys() returns the raw result or -errno in both builds. fresh_task() runs a test body in a
// context of its own: a new host thread (raw set*id syscalls change only the calling thread
// on Linux) or, for libuml, a new host thread attached to the instance as a new process.

#include <functional>
#include <string>

namespace shim {

long sys(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0);

template <typename... A>
long call(long nr, A... a) {
  return sys(nr, (long)(a)...);
}

bool is_guest();
// Before any test (and before any thread): the host build's private mount namespace.
void setup();
bool is_root();
// The suite's second run: every fresh_task body starts as uid/gid 1000 with no capabilities
// (host and libuml alike), and is_root() is false.
void set_unprivileged_mode(bool on);
bool unprivileged_mode();
void fresh_task(const std::function<void()>& body);
// Drops the calling context to uid/gid 1000 (all of real, effective, saved).
void become_unprivileged();

// A fresh, empty directory under /tmp (made and later removed through sys()), for tests of
// the file syscalls; ScratchDir removes it and everything in it when it goes.
struct ScratchDir {
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};
// A getdents64 record, as the guest ABI lays it out.
struct Dirent64 {
  unsigned long long ino;
  long long off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// Removes path and, for a directory, all it contains (through sys()).
void remove_tree(const std::string& path);

}  // namespace shim
