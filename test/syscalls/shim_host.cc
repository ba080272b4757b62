#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <thread>

#include "shim.h"

namespace shim {

long sys(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long r = ::syscall(nr, a0, a1, a2, a3, a4, a5);
  return r == -1 ? -errno : r;
}

bool is_guest() { return false; }

// As root, the host suite runs in a mount namespace of its own with a fresh tmpfs on /tmp:
// its mounts vanish with it, and its files live on the filesystem the guest's /tmp is.
void setup() {
  // Test bodies start with SIGPIPE and SIGXFSZ ignored (in libuml too, see fresh_task), so
  // a broken pipe or RLIMIT_FSIZE is an error code; the signal tests set them back in
  // child processes.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);
  if (::geteuid() != 0) return;
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    perror("syscalls-host: private /tmp");
}
bool is_root() { return !unprivileged_mode() && ::geteuid() == 0; }

void fresh_task(const std::function<void()>& body) {
  // The test thread waits, so the body's assertions are reported in turn; a failed
  // REQUIRE is carried back and rethrown here, where Catch2 expects it.
  std::exception_ptr failure;
  std::thread t([&] {
    try {
      if (unprivileged_mode()) become_unprivileged();
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  t.join();
  if (failure) std::rethrow_exception(failure);
}

long start_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid < 0 ? -errno : pid;
}

std::function<void()> start_thread(const std::function<void()>& body) {
  auto t = std::make_shared<std::thread>(body);
  return [t] { t->join(); };
}

void become_unprivileged() {
  ::syscall(SYS_setgroups, 0, nullptr);
  ::syscall(SYS_setresgid, 1000, 1000, 1000);
  ::syscall(SYS_setresuid, 1000, 1000, 1000);
}

}  // namespace shim
