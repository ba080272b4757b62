// libFuzzer target: mounts a mutated small ext2/3/4 image read-only in an instance and walks
// all of it (test/support/tolerant_walk.h: stat, list, read, readlink, xattrs), then mounts
// it read-write and changes it (tolerant_mutate: new files and directories, writes,
// truncates, renames, unlinks), through the same syscalls a user makes. A clean error or
// consistent results are both fine; a crash, a hang, a sanitizer report, a panic, a mount
// refused with an errno other than EINVAL, EUCLEAN or EIO, or a disk still busy after umount
// aborts.
//
// Input: an image with its trailing zeros cut (scripts/fuzz.sh makes seeds with
// fuzz/seeds/ext4_mount.sh); the disk is the input padded with zeros to the size its
// superblock claims, at most 8 MiB.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libuml/libuml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tolerant_walk.h"

namespace {

constexpr uint64_t kMaxDisk = 8ull << 20;
constexpr test::WalkLimits kLimits{4000, 1ull << 20, 32};

uml::Kernel* g_kernel;
std::string g_image;

uint64_t le32_at(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint64_t{p[3]} << 24; }

// The size the superblock claims (blocks_count_lo << (10 + log_block_size)), within bounds.
uint64_t disk_size(const uint8_t* data, size_t size) {
  uint64_t want = size;
  if (size >= 1024 + 28) {
    const uint64_t blocks = le32_at(data + 1024 + 4), log = le32_at(data + 1024 + 24);
    if (log <= 6 && blocks <= kMaxDisk) want = std::max<uint64_t>(want, blocks << (10 + log));
  }
  return std::min((want + 511) & ~uint64_t{511}, kMaxDisk);
}

void die(const char* what, long v) {
  fprintf(stderr, "ext4_mount-fuzz: %s (%ld)\n%s", what, v, g_kernel->dmesg().c_str());
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_kernel = uml::Kernel::boot("console=none vcpus=1 mem=128M").release();
  const char* dir = getenv("TMPDIR");
  g_image = std::string(dir ? dir : "/tmp") + "/uml-ext4-fuzz-" + std::to_string(getpid()) + ".img";
  atexit([] { unlink(g_image.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2048 || size > kMaxDisk) return -1;  // not an image: keep it out of the corpus
  const int fd = open(g_image.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size) ||
      ftruncate(fd, static_cast<off_t>(disk_size(data, size))) != 0)
    die("cannot write the image file", errno);
  close(fd);

  uml::DiskSpec d;
  d.index = 1;
  d.path = g_image;
  if (g_kernel->add_disk(d) != 0) return 0;  // not a raw disk (a copy-on-write header, say)
  for (const unsigned long flags : {static_cast<unsigned long>(MS_RDONLY), 0ul}) {
    long mount_res = 0, umount_res = 0;
    test::WalkStats stats;
    g_kernel->spawn([&] {
      uml::syscall(SYS_mkdir, reinterpret_cast<long>("/mnt"), 0755);
      mount_res = uml::syscall(SYS_mount, reinterpret_cast<long>("/dev/ubdb"), reinterpret_cast<long>("/mnt"),
                               reinterpret_cast<long>("ext4"), static_cast<long>(flags), 0);
      if (mount_res != 0) return 0;
      if (flags & MS_RDONLY) {
        std::set<uint64_t> seen;
        std::vector<char> buf(1 << 16);
        test::tolerant_walk("/mnt", kLimits, stats, seen, buf);
      } else {
        test::tolerant_mutate("/mnt");
      }
      umount_res = uml::syscall(SYS_umount2, reinterpret_cast<long>("/mnt"), 0);
      return 0;
    }).wait();
    if (g_kernel->panicked()) die("the instance panicked", 0);
    if (mount_res != 0 && mount_res != -EINVAL && mount_res != -EUCLEAN && mount_res != -EIO)
      die("mount failed with an unexpected errno", mount_res);
    if (umount_res != 0) die("umount failed", umount_res);
  }
  if (const int r = g_kernel->remove_disk("ubdb"); r != 0) die("the disk is still busy after umount", r);
  return 0;
}
