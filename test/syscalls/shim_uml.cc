#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include <libuml/libuml.h>

#include <memory>
#include <exception>
#include <thread>

#include "shim.h"

namespace shim {

namespace {
uml::Kernel& instance() {
  // One instance for the whole run: tests also check that state does not leak between
  // the processes they run in.
  static std::unique_ptr<uml::Kernel> k = uml::Kernel::boot("vcpus=2 console=none hostname=uml");
  return *k;
}
}  // namespace

long sys(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  return uml::syscall(nr, a0, a1, a2, a3, a4, a5);
}

bool is_guest() { return true; }
void setup() {}
bool is_root() { return !unprivileged_mode(); }  // guest tasks start as uid 0

void fresh_task(const std::function<void()>& body) {
  uml::Kernel& k = instance();
  std::exception_ptr failure;  // a failed REQUIRE, rethrown on the test thread
  std::thread t([&] {
    auto me = k.attach();
    set_action(SIGPIPE, reinterpret_cast<void*>(SIG_IGN), 0);  // as the host run's process (see shim_host.cc)
    set_action(SIGXFSZ, reinterpret_cast<void*>(SIG_IGN), 0);
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
  try {
    uml::TaskHandle h = instance().spawn([body] { return body(); });
    return h.pid();
  } catch (const uml::Error&) {
    return -EAGAIN;
  }
}

std::function<void()> start_thread(const std::function<void()>& body) {
  uml::SpawnOptions o;
  o.thread = true;
  uml::TaskHandle h = instance().spawn([body] {
    body();
    return 0;
  }, o);
  return [h] { h.wait(); };
}

void become_unprivileged() {
  sys(SYS_setgroups, 0, 0);
  sys(SYS_setresgid, 1000, 1000, 1000);
  sys(SYS_setresuid, 1000, 1000, 1000);
}

}  // namespace shim
