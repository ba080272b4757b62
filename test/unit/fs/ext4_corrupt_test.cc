// Every corrupted image of e2fsprogs' test suite (../shared/testdata/e2fs-corrupt, or
// $UML_E2FS_CORPUS) is mounted and walked in full: each entry stat'ed, each directory
// listed, each file read to its end, each symlink read, each xattr listed and read; then
// mounted read-write and changed (test::tolerant_mutate). A clean error or consistent
// results are both fine; a crash, a hang or a sanitizer report is a failure. The summaries
// count what happened.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"
#include "tolerant_walk.h"

// Sanitizer builds bound each image's walk more tightly (never to nothing: every image is
// still mounted, listed and read).
#ifndef UML_TEST_SCALE
#define UML_TEST_SCALE 1
#endif

namespace {

constexpr test::WalkLimits kLimits{200000 / UML_TEST_SCALE, (64ull << 20) / UML_TEST_SCALE, 64};

std::string corpus_dir() {
  if (const char* e = getenv("UML_E2FS_CORPUS")) return e;
  return UML_E2FS_CORPUS;
}

// Each image of the corpus decompressed to a scratch file and handed to each(name, path).
// Returns how many there were, or -1 (warned) when there is no corpus here.
template <typename F>
int for_each_image(F&& each) {
  const std::string dir = corpus_dir();
  std::ifstream index(dir + "/INDEX.tsv");
  if (!index) {
    test::skip("no corpus at " + dir + " (set UML_E2FS_CORPUS)");
    return -1;
  }
  std::string line;
  std::getline(index, line);  // header
  test::TempDir tmp;
  int images = 0;
  while (std::getline(index, line)) {
    std::istringstream fields(line);
    std::string name;
    std::getline(fields, name, '\t');  // INDEX names the upstream file next; the image here is image.gz
    const std::string img = tmp.path + "/img";
    const std::string cmd = "gzip -dc '" + dir + "/" + name + "/image.gz' > '" + img + "' 2>/dev/null";
    if (system(cmd.c_str()) != 0) continue;
    ++images;
    each(name, img);
  }
  return images;
}

}  // namespace

TEST_CASE("ext4: every image of e2fsprogs' corrupted-image corpus is mounted and walked without a crash", "[ext4][corpus]") {
  auto k = test::boot("mem=256M");
  int mounted = 0, refused = 0, clean_walks = 0;
  uint64_t entries = 0, errors = 0;
  const int images = for_each_image([&](const std::string& name, const std::string& img) {
    uml::DiskSpec d;
    d.index = 0;
    d.path = img;
    d.read_only = true;
    if (k->add_disk(d) != 0) {  // shorter than a sector: not even a disk
      ++refused;
      return;
    }
    long mount_res = 0, umount_res = 0;
    test::WalkStats s;
    const int st = test::run_task(*k, [&] {
      test::sys(SYS_mkdir, "/mnt", 0755);
      mount_res = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L);
      if (mount_res != 0) return 0;
      std::set<uint64_t> seen;
      std::vector<char> buf(1 << 16);
      test::tolerant_walk("/mnt", kLimits, s, seen, buf);
      umount_res = test::sys(SYS_umount2, "/mnt", 0);
      return 0;
    });
    INFO(name);
    CHECK(st == 0);
    if (mount_res == 0) {
      ++mounted;
      CHECK(umount_res == 0);
      entries += s.entries;
      errors += s.errors;
      if (s.errors == 0) ++clean_walks;
    } else {
      ++refused;
      if (getenv("UML_CORPUS_VERBOSE")) {
        const std::string log = k->dmesg();
        const size_t at = log.rfind('\n', log.size() - 2);
        WARN(name << ": " << mount_res << " " << log.substr(at == std::string::npos ? 0 : at + 1));
      }
      CHECK((mount_res == -EINVAL || mount_res == -EUCLEAN || mount_res == -EIO));
    }
    CHECK(k->remove_disk("ubda") == 0);  // the mount let go of the disk
  });
  if (images < 0) return;
  WARN("corrupted-image corpus: " << images << " images; " << mounted << " mounted and walked (" << clean_walks
       << " without an error, " << entries << " entries, " << errors << " clean errors), " << refused
       << " refused with a clear error; 0 crashes");
  CHECK(images >= 200);
  CHECK(mounted + refused == images);
}

TEST_CASE("ext4: every image of the corrupted-image corpus is mounted read-write and changed without a crash", "[ext4][corpus]") {
  auto k = test::boot("mem=256M");
  int mounted = 0, refused = 0, changes = 0;
  const int images = for_each_image([&](const std::string& name, const std::string& img) {
    uml::DiskSpec d;
    d.index = 0;
    d.path = img;
    if (k->add_disk(d) != 0) {
      ++refused;
      return;
    }
    long mount_res = 0, umount_res = 0;
    int changed = 0;
    const int st = test::run_task(*k, [&] {
      test::sys(SYS_mkdir, "/mnt", 0755);
      mount_res = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L);
      if (mount_res != 0) return 0;
      changed = test::tolerant_mutate("/mnt");
      umount_res = test::sys(SYS_umount2, "/mnt", 0);
      return 0;
    });
    INFO(name);
    CHECK(st == 0);
    if (mount_res == 0) {
      ++mounted;
      changes += changed;
      CHECK(umount_res == 0);
    } else {
      ++refused;
      CHECK((mount_res == -EINVAL || mount_res == -EUCLEAN || mount_res == -EIO));
    }
    CHECK(k->remove_disk("ubda") == 0);
  });
  if (images < 0) return;
  WARN("corrupted-image corpus, read-write: " << images << " images; " << mounted << " mounted and changed ("
       << changes << " changes done), " << refused << " refused with a clear error; 0 crashes");
  CHECK(images >= 200);
}
