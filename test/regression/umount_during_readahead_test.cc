// Bug: unmounting an ext4 filesystem while read-ahead it had started was still in flight
// hung the instance. The last reference to the file's inode went inside umount (on the
// vCPU's own thread), and the page cache waited for the reads with a host futex: the
// completions could only be reaped by that vCPU's loop, which the wait was blocking.
// Fixed by draining a file's pages as a task (a scheduler wait) before they go.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <string>

#include "fixture.h"
#include "host_files.h"

TEST_CASE("regression: umount with read-ahead in flight neither hangs nor frees pages under I/O") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  test::write_file(src + "/big", test::random_bytes(16 << 20, 11));
  REQUIRE(test::shell("mke2fs -q -F -t ext4 -b 4096 -d " + src + " " + img + " 64M").status == 0);
  // Slow reads (from the 3rd on: the superblock and metadata come at once), so the
  // read-ahead is surely still in flight at umount.
  auto k = test::boot("ubdar=" + img + " ubda.fault=read,nth=3,times=0,delay=20000");
  long umounts = 0;
  const int st = test::run_task(*k, [&] {
    test::sys(SYS_mkdir, "/mnt", 0755);
    for (int round = 0; round < 5; ++round) {
      if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
      const long fd = test::sys(SYS_openat, AT_FDCWD, "/mnt/big", O_RDONLY);
      char buf[4096];
      // A first read's window marks the page after the request: the second read reaches
      // it and starts the next window, which nobody waits for.
      for (int i = 0; i < 2; ++i)
        if (test::sys(SYS_read, fd, buf, sizeof buf) != static_cast<long>(sizeof buf)) return 2;
      test::sys(SYS_close, fd);
      if (test::sys(SYS_umount2, "/mnt", 0) == 0) ++umounts;
    }
    return 0;
  });
  CHECK(st == 0);
  CHECK(umounts == 5);
}
