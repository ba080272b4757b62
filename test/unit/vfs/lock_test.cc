// Blocking advisory locks between guest processes: flock and F_SETLKW wait for the holder,
// and F_SETLKW finds a deadlock between two processes (EDEADLK) instead of hanging.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <ctime>

#include "fixture.h"

namespace {
long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) { return uml::syscall(nr, a, b, c, d); }
void nap_ms(long ms) {
  struct timespec ts {0, ms * 1000000};
  sys(SYS_nanosleep, reinterpret_cast<long>(&ts), 0);
}
long lock_byte(long fd, int cmd, short type, long long at) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = at;
  l.l_len = 1;
  return sys(SYS_fcntl, fd, cmd, reinterpret_cast<long>(&l));
}
}  // namespace

TEST_CASE("flock waits for the holder to unlock") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> got{0};
  std::atomic<long> holder_result{-1}, waiter_result{-1};
  auto holder = k->spawn([&] {
    const long fd = sys(SYS_open, reinterpret_cast<long>("/tmp/flock"), O_CREAT | O_RDWR, 0644);
    holder_result = sys(SYS_flock, fd, LOCK_EX);
    auto waiter = k->spawn([&] {
      const long fd2 = sys(SYS_open, reinterpret_cast<long>("/tmp/flock"), O_RDONLY);
      waiter_result = sys(SYS_flock, fd2, LOCK_SH);  // blocks until the holder unlocks
      got = 1;
      return 0;
    });
    nap_ms(30);
    const int early = got.load();
    sys(SYS_flock, fd, LOCK_UN);
    waiter.wait();
    return early;  // 0: the waiter had not got the lock while we held it
  });
  CHECK(holder.wait() == 0);
  CHECK(holder_result == 0);
  CHECK(waiter_result == 0);
  CHECK(got == 1);
}

TEST_CASE("F_SETLKW between two processes: waits, and EDEADLK instead of a cycle") {
  auto k = test::boot("vcpus=2");
  std::atomic<int> b_locked{0};
  std::atomic<long> b_wait_result{-1}, a_deadlock{-1}, a_first{-1};
  auto a = k->spawn([&] {
    const long fd = sys(SYS_open, reinterpret_cast<long>("/tmp/posix"), O_CREAT | O_RDWR, 0644);
    a_first = lock_byte(fd, F_SETLKW, F_WRLCK, 0);
    auto b = k->spawn([&] {
      const long fd2 = sys(SYS_open, reinterpret_cast<long>("/tmp/posix"), O_RDWR);
      lock_byte(fd2, F_SETLKW, F_WRLCK, 1);
      b_locked = 1;
      b_wait_result = lock_byte(fd2, F_SETLKW, F_WRLCK, 0);  // waits for a
      return 0;
    });
    while (!b_locked) nap_ms(1);
    nap_ms(20);  // b is now waiting for byte 0
    a_deadlock = lock_byte(fd, F_SETLKW, F_WRLCK, 1);  // would wait for b: a cycle
    sys(SYS_close, fd);  // drops a's locks: b gets byte 0
    b.wait();
    return 0;
  });
  CHECK(a.wait() == 0);
  CHECK(a_first == 0);
  CHECK(a_deadlock == -EDEADLK);
  CHECK(b_wait_result == 0);
}
