// openat2: open_how validation and the RESOLVE_* walk controls.

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "shim.h"

using shim::call;

namespace {
long open2(long dirfd, const std::string& path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return call(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
}
}  // namespace

TEST_CASE("openat2 validates its open_how strictly") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    struct open_how how {};
    CHECK(call(SYS_openat2, AT_FDCWD, d.path.c_str(), &how, 8) == -EINVAL);  // too small
    CHECK(call(SYS_openat2, AT_FDCWD, d.path.c_str(), &how, 8192) == -E2BIG);
    char big[64] = {};
    CHECK(call(SYS_openat2, AT_FDCWD, d.path.c_str(), big, sizeof(big)) >= 0);  // zero tail: fine
    big[40] = 1;
    CHECK(call(SYS_openat2, AT_FDCWD, d.path.c_str(), big, sizeof(big)) == -E2BIG);
    CHECK(open2(AT_FDCWD, d.path, 1ull << 40, 0, 0) == -EINVAL);                 // unknown flag
    CHECK(open2(AT_FDCWD, d / "f", O_RDONLY, 0644, 0) == -EINVAL);              // mode without O_CREAT
    CHECK(open2(AT_FDCWD, d / "f", O_CREAT | O_WRONLY, 010000, 0) == -EINVAL);  // mode past 07777
    CHECK(open2(AT_FDCWD, d.path, O_RDONLY, 0, 1ull << 20) == -EINVAL);        // unknown resolve
    CHECK(open2(AT_FDCWD, d.path, O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT) == -EINVAL);
    CHECK(open2(AT_FDCWD, d.path, O_PATH | O_RDWR, 0, 0) == -EINVAL);
    const long fd = open2(AT_FDCWD, d / "f", O_CREAT | O_RDWR, 0600, 0);
    CHECK(fd >= 0);
    struct stat st;
    call(SYS_fstat, fd, &st);
    CHECK((st.st_mode & 0777) == 0600);
    call(SYS_close, fd);
  });
}

TEST_CASE("openat2: RESOLVE_BENEATH, RESOLVE_IN_ROOT and RESOLVE_NO_SYMLINKS") {
  shim::fresh_task([] {
    shim::ScratchDir d;
    call(SYS_mkdir, (d / "root").c_str(), 0755);
    call(SYS_mkdir, (d / "root/sub").c_str(), 0755);
    call(SYS_close, call(SYS_openat, AT_FDCWD, (d / "root/sub/file").c_str(), O_CREAT | O_WRONLY, 0644));
    call(SYS_close, call(SYS_openat, AT_FDCWD, (d / "outside").c_str(), O_CREAT | O_WRONLY, 0644));
    call(SYS_symlink, "sub/file", (d / "root/rel").c_str());
    call(SYS_symlink, "/sub/file", (d / "root/abs").c_str());
    call(SYS_symlink, "../outside", (d / "root/up").c_str());
    const long root = call(SYS_openat, AT_FDCWD, (d / "root").c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(root >= 0);
    auto ok = [](long fd) {
      if (fd >= 0) call(SYS_close, fd);
      return fd >= 0;
    };
    // BENEATH: nothing may leave the anchor, by "..", an absolute path, or a symlink.
    CHECK(ok(open2(root, "sub/file", O_RDONLY, 0, RESOLVE_BENEATH)));
    CHECK(ok(open2(root, "sub/../sub/file", O_RDONLY, 0, RESOLVE_BENEATH)));
    CHECK(ok(open2(root, "rel", O_RDONLY, 0, RESOLVE_BENEATH)));
    CHECK(open2(root, "../outside", O_RDONLY, 0, RESOLVE_BENEATH) == -EXDEV);
    CHECK(open2(root, "up", O_RDONLY, 0, RESOLVE_BENEATH) == -EXDEV);
    CHECK(open2(root, "abs", O_RDONLY, 0, RESOLVE_BENEATH) == -EXDEV);
    CHECK(open2(root, (d / "outside"), O_RDONLY, 0, RESOLVE_BENEATH) == -EXDEV);
    // IN_ROOT: the anchor is "/", for ".." and absolute paths and symlinks alike.
    CHECK(ok(open2(root, "/sub/file", O_RDONLY, 0, RESOLVE_IN_ROOT)));
    CHECK(ok(open2(root, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT)));
    CHECK(ok(open2(root, "../../sub/file", O_RDONLY, 0, RESOLVE_IN_ROOT)));
    CHECK(open2(root, "up", O_RDONLY, 0, RESOLVE_IN_ROOT) == -ENOENT);  // "/outside" in the anchor
    CHECK(ok(open2(root, "/new", O_CREAT | O_WRONLY, 0644, RESOLVE_IN_ROOT)));
    struct stat st;
    CHECK(call(SYS_newfstatat, AT_FDCWD, (d / "root/new").c_str(), &st, 0) == 0);
    // NO_SYMLINKS: any symlink on the way, the last one included.
    CHECK(open2(root, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS) == -ELOOP);
    CHECK(ok(open2(root, "sub/file", O_RDONLY, 0, RESOLVE_NO_SYMLINKS)));
    CHECK(ok(open2(root, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS)));
    // CACHED cannot create.
    CHECK(open2(root, "x", O_CREAT | O_WRONLY, 0644, RESOLVE_CACHED) == -EAGAIN);
    call(SYS_close, root);
  });
}

// nd_jump_link: a magic link jumps only within the mount it is on under RESOLVE_NO_XDEV,
// never under RESOLVE_NO_MAGICLINKS, and never in a scoped walk; in the middle of a path or
// as its last component alike.
TEST_CASE("openat2: magic links under RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS and scoped walks") {
  shim::fresh_task([] {
    const long proc = call(SYS_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY);
    REQUIRE(proc >= 0);
    auto try_open = [&](const char* path, uint64_t resolve) {
      const long fd = open2(proc, path, O_PATH, 0, resolve);
      if (fd >= 0) call(SYS_close, fd);
      return fd >= 0 ? 0 : fd;
    };
    for (const char* p : {"self/root", "self/cwd", "self/root/tmp"}) {
      INFO(p);
      CHECK(try_open(p, 0) == 0);
      CHECK(try_open(p, RESOLVE_NO_XDEV) == -EXDEV);
      CHECK(try_open(p, RESOLVE_NO_MAGICLINKS) == -ELOOP);
      CHECK(try_open(p, RESOLVE_BENEATH) == -EXDEV);
      CHECK(try_open(p, RESOLVE_IN_ROOT) == -EXDEV);
    }
    // A jump that stays on the mount of /proc: the working directory inside /proc.
    const long old_cwd = call(SYS_openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY);
    REQUIRE(call(SYS_chdir, "/proc") == 0);
    CHECK(try_open("self/cwd", RESOLVE_NO_XDEV) == 0);
    call(SYS_fchdir, old_cwd);
    call(SYS_close, old_cwd);
    call(SYS_close, proc);
  });
}
