// Bug: guarded guest copies stopped working once something else installed a SIGSEGV handler
// after libuml's (Catch2 does, at every test case): an unmapped guest pointer then crashed
// the host instead of giving EFAULT. Fixed by reinstalling (and chaining) at boot and at
// attach.

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>

#include "fixture.h"

namespace {
void other_handler(int) {}

long unmapped_address() {
  void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p, 4096);
  return reinterpret_cast<long>(p);
}
}  // namespace

TEST_CASE("regression: EFAULT still works after the application replaced the SIGSEGV handler") {
  auto k = test::boot();
  struct sigaction sa {}, old {};
  sa.sa_handler = other_handler;
  sigaction(SIGSEGV, &sa, &old);  // the application, after boot
  {
    auto me = k->attach();  // attach puts libuml's handler back, chaining to the new one
    CHECK(k->syscall(SYS_uname, unmapped_address()) == -EFAULT);
  }
  struct sigaction now {};
  sigaction(SIGSEGV, nullptr, &now);
  CHECK(now.sa_handler != other_handler);  // libuml's is in front
  sigaction(SIGSEGV, &old, nullptr);
}
