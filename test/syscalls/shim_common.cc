// Shim helpers built on sys(): the same code on the host and in libuml.

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "shim.h"

// x86-64's sigreturn trampoline (glibc's __restore_rt): the host kernel returns from a
// handler through it.
extern "C" void shim_restore_rt();
asm(".text\n.globl shim_restore_rt\n.type shim_restore_rt,@function\nshim_restore_rt:\n"
    "  mov $15, %rax\n  syscall\n  hlt\n");

namespace shim {

long set_action(int sig, void* handler, unsigned long flags, unsigned long mask, KSigaction* old) {
  constexpr unsigned long kRestorer = 0x04000000;
  KSigaction act{reinterpret_cast<void (*)(int)>(handler), flags | kRestorer, &shim_restore_rt, mask};
  return call(SYS_rt_sigaction, sig, &act, old, 8);
}

unsigned long set_mask(unsigned long mask) {
  unsigned long old = 0;
  call(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, &old, 8);
  return old;
}

int run_child(const std::function<int()>& body) {
  const long pid = start_child(body);
  if (pid < 0) return -1;
  int status = 0;
  if (call(SYS_wait4, pid, &status, 0, nullptr) != pid) return -1;
  return status;
}

namespace {
std::atomic<unsigned> g_counter{0};
bool g_unprivileged = false;
}  // namespace

void set_unprivileged_mode(bool on) { g_unprivileged = on; }
bool unprivileged_mode() { return g_unprivileged; }

ScratchDir::ScratchDir() {
  for (;;) {
    path = "/tmp/uml-test-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
    const long old_umask = sys(SYS_umask, 0);  // a 0777 directory, whatever the umask
    long r = sys(SYS_mkdir, reinterpret_cast<long>(path.c_str()), 0777);
    sys(SYS_umask, old_umask);
    if (r == 0) break;
    if (r != -EEXIST) abort();
  }
}

ScratchDir::~ScratchDir() { remove_tree(path); }

void remove_tree(const std::string& p) {
  if (sys(SYS_unlink, reinterpret_cast<long>(p.c_str())) != -EISDIR) return;
  long fd = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(p.c_str()), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  std::vector<std::string> names;
  std::vector<char> buf(8192);
  for (;;) {
    long n = sys(SYS_getdents64, fd, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()));
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(buf.data() + off);
      std::string name(d->name);
      if (name != "." && name != "..") names.push_back(name);
      off += d->reclen;
    }
  }
  sys(SYS_close, fd);
  for (auto& n : names) remove_tree(p + "/" + n);
  sys(SYS_rmdir, reinterpret_cast<long>(p.c_str()));
}

}  // namespace shim
