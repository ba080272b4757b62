// The guest ABI's values and layouts against the host's own headers: libuml's structures
// are written without libc, so this is where they are checked against Linux as libc sees it.

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstddef>

#include "core/abi/fs.h"
#include "core/abi/process.h"
#include "core/abi/time.h"

namespace abi = uml::abi;

TEST_CASE("open flags and file modes match the host's") {
  CHECK(abi::O_CREAT_ == O_CREAT);
  CHECK(abi::O_EXCL_ == O_EXCL);
  CHECK(abi::O_TRUNC_ == O_TRUNC);
  CHECK(abi::O_APPEND_ == O_APPEND);
  CHECK(abi::O_NONBLOCK_ == O_NONBLOCK);
  CHECK(abi::O_DIRECTORY_ == O_DIRECTORY);
  CHECK(abi::O_NOFOLLOW_ == O_NOFOLLOW);
  CHECK(abi::O_CLOEXEC_ == O_CLOEXEC);
  CHECK(abi::O_PATH_ == O_PATH);
  CHECK(abi::O_TMPFILE_ == O_TMPFILE);
  CHECK(abi::O_SYNC_ == O_SYNC);
  CHECK(abi::O_DIRECT_ == O_DIRECT);
  CHECK(abi::O_NOATIME_ == O_NOATIME);
  CHECK(abi::S_IFMT_ == S_IFMT);
  CHECK(abi::S_IFLNK_ == S_IFLNK);
  CHECK(abi::S_IFSOCK_ == S_IFSOCK);
  CHECK(abi::dtype_of(S_IFDIR) == DT_DIR);
  CHECK(abi::dtype_of(S_IFLNK) == DT_LNK);
  CHECK(abi::dtype_of(S_IFREG) == DT_REG);
  CHECK(abi::AT_FDCWD_ == AT_FDCWD);
  CHECK(abi::AT_EMPTY_PATH_ == AT_EMPTY_PATH);
  CHECK(abi::AT_REMOVEDIR_ == AT_REMOVEDIR);
  CHECK(abi::RESOLVE_IN_ROOT_ == RESOLVE_IN_ROOT);
  CHECK(abi::RESOLVE_BENEATH_ == RESOLVE_BENEATH);
}

TEST_CASE("struct stat, statx, statfs, dirent64 and utsname are laid out as the host's") {
  CHECK(sizeof(abi::stat) == sizeof(struct stat));
  CHECK(offsetof(abi::stat, st_mode) == offsetof(struct stat, st_mode));
  CHECK(offsetof(abi::stat, st_size) == offsetof(struct stat, st_size));
  CHECK(offsetof(abi::stat, st_mtime_sec) == offsetof(struct stat, st_mtim));
  CHECK(sizeof(abi::statx) == sizeof(struct statx));
  CHECK(offsetof(abi::statx, stx_mtime) == offsetof(struct statx, stx_mtime));
  CHECK(offsetof(abi::statx, stx_mnt_id) == offsetof(struct statx, stx_mnt_id));
  CHECK(sizeof(abi::statfs) == sizeof(struct statfs));
  CHECK(offsetof(abi::statfs, f_namelen) == offsetof(struct statfs, f_namelen));
  CHECK(sizeof(abi::open_how) == sizeof(struct open_how));
  CHECK(sizeof(abi::new_utsname) == sizeof(struct utsname));
  CHECK(sizeof(abi::rusage) == sizeof(struct rusage));
  CHECK(sizeof(abi::timespec) == sizeof(struct timespec));
}

TEST_CASE("wait status encodings agree with the host's macros") {
  CHECK(WIFEXITED(abi::wstatus_exited(3)));
  CHECK(WEXITSTATUS(abi::wstatus_exited(300)) == 300 % 256);
  CHECK(WIFSIGNALED(abi::wstatus_signaled(9, false)));
  CHECK(WTERMSIG(abi::wstatus_signaled(9, false)) == 9);
  CHECK(WCOREDUMP(abi::wstatus_signaled(11, true)));
}
