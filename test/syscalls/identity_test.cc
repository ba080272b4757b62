// Process identity and system names: getpid, gettid, getppid, uname, sethostname,
// setdomainname, prctl(PR_SET_NAME/PR_GET_NAME).

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "shim.h"

using shim::call;

TEST_CASE("getpid, gettid and getppid name the caller") {
  shim::fresh_task([] {
    CHECK(call(SYS_getpid) > 0);
    CHECK(call(SYS_gettid) > 0);
    CHECK(call(SYS_getppid) >= 0);
    CHECK(call(SYS_getpid) == call(SYS_getpid));
  });
}

TEST_CASE("uname describes an x86_64 Linux") {
  shim::fresh_task([] {
    struct utsname u;
    REQUIRE(call(SYS_uname, &u) == 0);
    CHECK(std::string(u.sysname) == "Linux");
    CHECK(std::string(u.machine) == "x86_64");
    CHECK(strlen(u.nodename) > 0);
    CHECK(call(SYS_uname, nullptr) == -EFAULT);
    CHECK(call(SYS_uname, 1) == -EFAULT);
  });
}

TEST_CASE("sethostname and setdomainname check privilege, length and pointer in that order") {
  shim::fresh_task([] {
    char name[80];
    memset(name, 'a', sizeof(name));
    if (shim::is_root()) {
      // Root passes the privilege check; these fail before anything is changed.
      CHECK(call(SYS_sethostname, name, 65) == -EINVAL);
      CHECK(call(SYS_sethostname, name, -1) == -EINVAL);
      CHECK(call(SYS_sethostname, nullptr, 5) == -EFAULT);
      CHECK(call(SYS_setdomainname, name, 65) == -EINVAL);
      CHECK(call(SYS_setdomainname, nullptr, 5) == -EFAULT);
    }
    shim::become_unprivileged();
    CHECK(call(SYS_sethostname, name, 65) == -EPERM);
    CHECK(call(SYS_sethostname, name, 4) == -EPERM);
    CHECK(call(SYS_setdomainname, name, 4) == -EPERM);
  });
}

TEST_CASE("sethostname changes what uname reports (libuml only: never the host's name)") {
  if (!shim::is_guest()) return test::skip("libuml only: on the host it would rename the machine");
  if (!shim::is_root()) return test::skip("needs root");
  shim::fresh_task([] {
    struct utsname before;
    REQUIRE(call(SYS_uname, &before) == 0);
    REQUIRE(call(SYS_sethostname, "guest-7", 7) == 0);
    REQUIRE(call(SYS_setdomainname, "example\0junk", 12) == 0);
    struct utsname u;
    REQUIRE(call(SYS_uname, &u) == 0);
    CHECK(std::string(u.nodename) == "guest-7");
    CHECK(std::string(u.domainname) == "example");
    char max[64];
    memset(max, 'x', sizeof(max));
    REQUIRE(call(SYS_sethostname, max, 64) == 0);
    REQUIRE(call(SYS_uname, &u) == 0);
    CHECK(std::string(u.nodename) == std::string(64, 'x'));
    REQUIRE(call(SYS_sethostname, before.nodename, strlen(before.nodename)) == 0);
  });
}

TEST_CASE("prctl PR_SET_NAME keeps 15 bytes and PR_GET_NAME returns them") {
  shim::fresh_task([] {
    REQUIRE(call(SYS_prctl, PR_SET_NAME, "a-very-long-task-name") == 0);
    char name[16];
    memset(name, 0x7f, sizeof(name));
    REQUIRE(call(SYS_prctl, PR_GET_NAME, name) == 0);
    CHECK(std::string(name) == "a-very-long-tas");
    REQUIRE(call(SYS_prctl, PR_SET_NAME, "short") == 0);
    REQUIRE(call(SYS_prctl, PR_GET_NAME, name) == 0);
    CHECK(std::string(name) == "short");
    CHECK(call(SYS_prctl, PR_SET_NAME, nullptr) == -EFAULT);
    CHECK(call(SYS_prctl, PR_GET_NAME, nullptr) == -EFAULT);
    CHECK(call(SYS_prctl, 0x7fff1234) == -EINVAL);
  });
}

// unshare: a UTS namespace of one's own (root only), a thread's own descriptor table and
// filesystem context, and flags that are not unshare's.
TEST_CASE("unshare: CLONE_NEWUTS, CLONE_FILES and CLONE_FS") {
  shim::fresh_task([] {
    CHECK(call(SYS_unshare, 0x1) == -EINVAL);  // CSIGNAL bits: not an unshare flag
    char outer_ns[64] = {};
    REQUIRE(call(SYS_readlink, "/proc/self/ns/uts", outer_ns, sizeof outer_ns - 1) > 0);
    CHECK(std::string(outer_ns).rfind("uts:[", 0) == 0);
    struct utsname before {};
    call(SYS_uname, &before);
    const int st = shim::run_child([&] {
      const long r = call(SYS_unshare, CLONE_NEWUTS);
      if (!shim::is_root()) return r == -EPERM ? 0 : 1;
      CHILD_CHECK(r == 0);
      CHILD_CHECK(call(SYS_sethostname, "inner", 5) == 0);
      struct utsname u {};
      CHILD_CHECK(call(SYS_uname, &u) == 0);
      CHILD_CHECK(std::string(u.nodename) == "inner");
      char inner_ns[64] = {};
      CHILD_CHECK(call(SYS_readlink, "/proc/self/ns/uts", inner_ns, sizeof inner_ns - 1) > 0);
      CHILD_CHECK(std::string(inner_ns) != outer_ns);
      return 0;
    });
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    struct utsname after {};
    call(SYS_uname, &after);
    CHECK(std::string(after.nodename) == before.nodename);  // the outer namespace kept its name
    // A thread's own descriptor table and working directory.
    shim::ScratchDir d;
    long thread_fd = -1, unshared = -1;
    auto join = shim::start_thread([&] {
      unshared = call(SYS_unshare, CLONE_FILES | CLONE_FS);
      thread_fd = call(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
      call(SYS_chdir, d.path.c_str());
    });
    join();
    CHECK(unshared == 0);
    REQUIRE(thread_fd >= 0);
    CHECK(call(SYS_fcntl, thread_fd, F_GETFD) == -EBADF);  // not in this thread's table
    char cwd[4096] = {};
    REQUIRE(call(SYS_getcwd, cwd, sizeof cwd) > 0);
    CHECK(std::string(cwd) != d.path);
  });
}
