// Credentials: the set*id families' rules for privileged and unprivileged callers, and
// how Linux drops and regains capabilities as the uids change (capabilities(7)).

#include <errno.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <vector>

#include "shim.h"

using shim::call;

namespace {
struct Ids {
  unsigned r, e, s;
  bool operator==(const Ids& o) const { return r == o.r && e == o.e && s == o.s; }
};
Ids resuid() {
  unsigned r = 9, e = 9, s = 9;
  REQUIRE(call(SYS_getresuid, &r, &e, &s) == 0);
  return {r, e, s};
}
Ids resgid() {
  unsigned r = 9, e = 9, s = 9;
  REQUIRE(call(SYS_getresgid, &r, &e, &s) == 0);
  return {r, e, s};
}
}  // namespace

TEST_CASE("root's setuid sets every uid and drops capabilities for good") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    CHECK(call(SYS_getuid) == 0);
    REQUIRE(call(SYS_setuid, 1000) == 0);
    CHECK(resuid() == Ids{1000, 1000, 1000});
    CHECK(call(SYS_geteuid) == 1000);
    CHECK(call(SYS_setuid, 0) == -EPERM);
    CHECK(call(SYS_setresuid, 0, 0, 0) == -EPERM);
    CHECK(call(SYS_setuid, 1000) == 0);  // to its own uid is always allowed
  });
}

TEST_CASE("setuid(-1) is EINVAL, for root and others") {
  shim::fresh_task([] {
    CHECK(call(SYS_setuid, -1) == -EINVAL);
    CHECK(call(SYS_setgid, -1) == -EINVAL);
    shim::become_unprivileged();
    CHECK(call(SYS_setuid, -1) == -EINVAL);
  });
}

TEST_CASE("an unprivileged setuid may only pick the real or saved uid, and sets the euid") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    REQUIRE(call(SYS_setresuid, 1000, 1001, 1002) == 0);
    CHECK(resuid() == Ids{1000, 1001, 1002});
    CHECK(call(SYS_setuid, 1003) == -EPERM);
    REQUIRE(call(SYS_setuid, 1002) == 0);
    CHECK(resuid() == Ids{1000, 1002, 1002});
    REQUIRE(call(SYS_setuid, 1000) == 0);
    CHECK(resuid() == Ids{1000, 1000, 1002});
  });
}

TEST_CASE("a saved uid of 0 lets a task regain root, and its capabilities") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    REQUIRE(call(SYS_setresuid, -1, 1000, -1) == 0);  // seteuid(1000)
    CHECK(resuid() == Ids{0, 1000, 0});
    CHECK(call(SYS_setgroups, 0, nullptr) == -EPERM);  // effective caps are gone
    REQUIRE(call(SYS_setresuid, -1, 0, -1) == 0);      // back to euid 0
    CHECK(call(SYS_setgroups, 0, nullptr) == 0);       // and the caps with it
  });
}

TEST_CASE("setreuid: which values an unprivileged caller may use, and when the saved uid moves") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    // euid changed to a value other than the real uid: saved uid follows.
    REQUIRE(call(SYS_setreuid, -1, 1000) == 0);
    CHECK(resuid() == Ids{0, 1000, 1000});
    // ruid 0 may still come back as euid.
    REQUIRE(call(SYS_setreuid, -1, 0) == 0);
    CHECK(resuid() == Ids{0, 0, 1000});
    // Setting the real uid moves the saved uid to the new euid.
    REQUIRE(call(SYS_setreuid, 2000, 3000) == 0);
    CHECK(resuid() == Ids{2000, 3000, 3000});
    CHECK(call(SYS_setreuid, 0, -1) == -EPERM);
    CHECK(call(SYS_setreuid, -1, 4000) == -EPERM);
    REQUIRE(call(SYS_setreuid, 3000, 2000) == 0);  // swap real and effective
    CHECK(resuid() == Ids{3000, 2000, 2000});
    REQUIRE(call(SYS_setreuid, -1, -1) == 0);
  });
}

TEST_CASE("setresuid: an unprivileged caller permutes its own uids only") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    REQUIRE(call(SYS_setresuid, 1000, 1001, 1002) == 0);
    REQUIRE(call(SYS_setresuid, 1002, 1000, 1001) == 0);
    CHECK(resuid() == Ids{1002, 1000, 1001});
    CHECK(call(SYS_setresuid, 1003, -1, -1) == -EPERM);
    CHECK(call(SYS_setresuid, -1, -1, 0) == -EPERM);
    REQUIRE(call(SYS_setresuid, -1, -1, -1) == 0);
    CHECK(resuid() == Ids{1002, 1000, 1001});
  });
}

TEST_CASE("the gid family follows the same rules under CAP_SETGID") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    REQUIRE(call(SYS_setresgid, 100, 101, 102) == 0);
    CHECK(resgid() == Ids{100, 101, 102});
    REQUIRE(call(SYS_setgid, 50) == 0);  // still root: sets all three
    CHECK(resgid() == Ids{50, 50, 50});
    REQUIRE(call(SYS_setregid, 60, 70) == 0);
    CHECK(resgid() == Ids{60, 70, 70});
    shim::become_unprivileged();  // uid and gid 1000 now
    CHECK(resgid() == Ids{1000, 1000, 1000});
    CHECK(call(SYS_setgid, 60) == -EPERM);
    CHECK(call(SYS_setregid, 5, -1) == -EPERM);
    CHECK(call(SYS_setresgid, -1, 7, -1) == -EPERM);
    CHECK(call(SYS_getgid) == 1000);
    CHECK(call(SYS_getegid) == 1000);
  });
}

TEST_CASE("setgroups needs CAP_SETGID and a sane size; getgroups returns them sorted") {
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    unsigned groups[] = {30, 10, 20};
    REQUIRE(call(SYS_setgroups, 3, groups) == 0);
    CHECK(call(SYS_getgroups, 0, nullptr) == 3);
    unsigned out[8] = {};
    REQUIRE(call(SYS_getgroups, 8, out) == 3);
    CHECK(std::vector<unsigned>(out, out + 3) == std::vector<unsigned>{10, 20, 30});
    CHECK(call(SYS_getgroups, 2, out) == -EINVAL);
    CHECK(call(SYS_getgroups, -1, out) == -EINVAL);
    CHECK(call(SYS_getgroups, 8, nullptr) == -EFAULT);
    CHECK(call(SYS_setgroups, 65537, groups) == -EINVAL);
    CHECK(call(SYS_setgroups, -1, groups) == -EINVAL);
    CHECK(call(SYS_setgroups, 2, nullptr) == -EFAULT);
    REQUIRE(call(SYS_setgroups, 0, nullptr) == 0);
    CHECK(call(SYS_getgroups, 0, nullptr) == 0);
    shim::become_unprivileged();
    CHECK(call(SYS_setgroups, 0, nullptr) == -EPERM);
    CHECK(call(SYS_setgroups, 65537, groups) == -EPERM);  // privilege is checked first
  });
}

TEST_CASE("getresuid and getresgid fault on bad pointers") {
  shim::fresh_task([] {
    unsigned a, b;
    CHECK(call(SYS_getresuid, &a, &b, nullptr) == -EFAULT);
    CHECK(call(SYS_getresgid, nullptr, &a, &b) == -EFAULT);
  });
}
