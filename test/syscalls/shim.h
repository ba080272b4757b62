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

#include "skip.h"

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
// rt_sigaction's own struct (not glibc's).
struct KSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};
// A raw rt_sigaction with x86-64's SA_RESTORER and sigreturn trampoline, which the host
// kernel needs to return from a handler (libuml calls handlers as functions and only keeps
// the flag). handler may also be SIG_DFL or SIG_IGN cast to void*. 0 or -errno.
long set_action(int sig, void* handler, unsigned long flags, unsigned long mask = 0, KSigaction* old = nullptr);
inline unsigned long sigbit(int sig) { return 1ul << (sig - 1); }
// The calling context's signal mask (rt_sigprocmask SIG_SETMASK); the old mask.
unsigned long set_mask(unsigned long mask);

// A child process running body (fork on the host, whose child may only make raw syscalls;
// a spawned guest task, a child of the calling task, in libuml). body's return value is the
// exit code: 0 for success, else the line that failed (see CHILD_CHECK). Returns the pid.
long start_child(const std::function<int()>& body);
// A new thread of the calling process running body (a host thread; a guest thread of the
// calling task's process in libuml); the returned function joins it.
std::function<void()> start_thread(const std::function<void()>& body);
// start_child, then wait4 for it: its wait status.
int run_child(const std::function<int()>& body);

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

// In a child's body: fail with the line number (mod 256) as the exit code.
#define CHILD_CHECK(cond)              \
  do {                                 \
    if (!(cond)) return (__LINE__ % 256) ? (__LINE__ % 256) : 1; \
  } while (0)
