#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "shim.h"

namespace shim {

long sys(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long r = ::syscall(nr, a0, a1, a2, a3, a4, a5);
  return r == -1 ? -errno : r;
}

bool is_guest() { return false; }
bool is_root() { return ::geteuid() == 0; }

void fresh_task(const std::function<void()>& body) {
  std::thread t(body);
  t.join();
}

void become_unprivileged() {
  ::syscall(SYS_setgroups, 0, nullptr);
  ::syscall(SYS_setresgid, 1000, 1000, 1000);
  ::syscall(SYS_setresuid, 1000, 1000, 1000);
}

}  // namespace shim
