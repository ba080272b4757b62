// The instance's realtime clock: clock_settime moves it for that instance only, file times
// follow it, and timerfds see it jump (absolute ones follow it; TFD_TIMER_CANCEL_ON_SET ones
// are cancelled). Not in the differential suite: the host's clock must not be set.

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>

#include "fixture.h"

namespace {

int64_t realtime(uml::Kernel& k) {
  int64_t ns = 0;
  auto me = k.attach();
  struct timespec ts {};
  uml::sys::clock_gettime(CLOCK_REALTIME, &ts);
  ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
  return ns;
}

int64_t host_realtime() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

constexpr int64_t kDay = 86400LL * 1000000000LL;

}  // namespace

TEST_CASE("clock_settime moves one instance's realtime clock, and its file times") {
  auto a = test::boot();
  auto b = test::boot();
  {
    auto me = a->attach();
    struct timespec ts {};
    uml::sys::clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10 * 86400;  // ten days ahead
    REQUIRE(uml::sys::clock_settime(CLOCK_REALTIME, &ts) == 0);
    const long fd = uml::sys::openat(AT_FDCWD, "/tmp/f", O_CREAT | O_WRONLY, 0600);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(uml::sys::fstat(fd, &st) == 0);
    CHECK(st.st_mtim.tv_sec >= ts.tv_sec);
    uml::sys::close(fd);
    struct timeval tv {};
    struct timezone tz {60, 0};
    REQUIRE(uml::sys::settimeofday(nullptr, &tz) == 0);
    struct timezone back {};
    REQUIRE(uml::sys::gettimeofday(&tv, &back) == 0);
    CHECK(back.tz_minuteswest == 60);
    CHECK(tv.tv_sec >= ts.tv_sec);
  }
  CHECK(realtime(*a) - host_realtime() > 9 * kDay);
  CHECK(std::llabs(realtime(*b) - host_realtime()) < kDay);  // the other instance: untouched
}

TEST_CASE("An absolute realtime timerfd follows the clock; CANCEL_ON_SET is cancelled") {
  auto k = test::boot();
  auto me = k->attach();
  struct timespec now {};
  uml::sys::clock_gettime(CLOCK_REALTIME, &now);
  const long follow = uml::sys::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  const long cancel = uml::sys::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  const long relative = uml::sys::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  REQUIRE(follow >= 0);
  struct itimerspec in_an_hour {{0, 0}, {now.tv_sec + 3600, 0}};
  REQUIRE(uml::sys::timerfd_settime(follow, TFD_TIMER_ABSTIME, &in_an_hour, nullptr) == 0);
  REQUIRE(uml::sys::timerfd_settime(cancel, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &in_an_hour, nullptr) == 0);
  struct itimerspec hour_rel {{0, 0}, {3600, 0}};
  REQUIRE(uml::sys::timerfd_settime(relative, 0, &hour_rel, nullptr) == 0);
  uint64_t n = 0;
  CHECK(uml::sys::read(follow, &n, 8) == -EAGAIN);
  CHECK(uml::sys::read(cancel, &n, 8) == -EAGAIN);
  // Two hours ahead: the absolute one is due at once, the cancellable one is cancelled,
  // the relative one does not care.
  struct timespec later = now;
  later.tv_sec += 7200;
  REQUIRE(uml::sys::clock_settime(CLOCK_REALTIME, &later) == 0);
  struct pollfd pf[2] = {{static_cast<int>(follow), POLLIN, 0}, {static_cast<int>(cancel), POLLIN, 0}};
  CHECK(uml::sys::poll(&pf[0], 1, 2000) == 1);  // due now: its callback runs soon
  CHECK(uml::sys::poll(pf, 2, 0) == 2);
  CHECK(uml::sys::read(follow, &n, 8) == 8);
  CHECK(n == 1);
  CHECK(uml::sys::read(cancel, &n, 8) == -ECANCELED);
  CHECK(uml::sys::read(cancel, &n, 8) == -EAGAIN);  // once; it stays disarmed
  struct itimerspec cur {};
  CHECK(uml::sys::timerfd_gettime(cancel, &cur) == 0);
  CHECK(cur.it_value.tv_sec == 0);
  CHECK(cur.it_value.tv_nsec == 0);
  CHECK(uml::sys::read(relative, &n, 8) == -EAGAIN);
  CHECK(uml::sys::timerfd_gettime(relative, &cur) == 0);
  CHECK(cur.it_value.tv_sec > 3000);
  // Back an hour and a half: a new absolute timer an hour ahead of the old time is not due.
  struct timespec back = now;
  REQUIRE(uml::sys::clock_settime(CLOCK_REALTIME, &back) == 0);
  REQUIRE(uml::sys::timerfd_settime(follow, TFD_TIMER_ABSTIME, &in_an_hour, nullptr) == 0);
  CHECK(uml::sys::read(follow, &n, 8) == -EAGAIN);
  uml::sys::close(follow);
  uml::sys::close(cancel);
  uml::sys::close(relative);
}
