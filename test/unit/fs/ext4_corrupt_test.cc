// Every corrupted image of e2fsprogs' test suite (../shared/testdata/e2fs-corrupt, or
// $UML_E2FS_CORPUS) is mounted and walked in full: each entry stat'ed, each directory
// listed, each file read to its end, each symlink read, each xattr listed and read. A
// clean error or consistent reads are both fine; a crash, a hang or a sanitizer report
// is a failure. The summary counts what happened.

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

}  // namespace

TEST_CASE("ext4: every image of e2fsprogs' corrupted-image corpus is mounted and walked without a crash", "[ext4][corpus]") {
  const std::string dir = corpus_dir();
  std::ifstream index(dir + "/INDEX.tsv");
  if (!index) {
    WARN("no corpus at " + dir + " (set UML_E2FS_CORPUS): nothing to walk");
    return;
  }
  std::string line;
  std::getline(index, line);  // header
  test::TempDir tmp;
  auto k = test::boot("mem=256M");
  int images = 0, mounted = 0, refused = 0, clean_walks = 0;
  uint64_t entries = 0, errors = 0;
  while (std::getline(index, line)) {
    std::istringstream fields(line);
    std::string name, file;
    std::getline(fields, name, '\t');
    std::getline(fields, file, '\t');
    (void)file;  // INDEX names the upstream file; the image here is always image.gz
    const std::string img = tmp.path + "/img";
    const std::string cmd = "gzip -dc '" + dir + "/" + name + "/image.gz' > '" + img + "' 2>/dev/null";
    if (system(cmd.c_str()) != 0) continue;
    ++images;
    uml::DiskSpec d;
    d.index = 0;
    d.path = img;
    d.read_only = true;
    if (k->add_disk(d) != 0) {  // shorter than a sector: not even a disk
      ++refused;
      continue;
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
  }
  WARN("corrupted-image corpus: " << images << " images; " << mounted << " mounted and walked (" << clean_walks
       << " without an error, " << entries << " entries, " << errors << " clean errors), " << refused
       << " refused with a clear error; 0 crashes");
  CHECK(images >= 200);
  CHECK(mounted + refused == images);
}

namespace {
// Changes of every kind on a mounted image, each allowed to fail with an error: a new
// directory and file, appends and truncates of existing files, a rename, an unlink, a new
// name in an existing directory. Returns how many changes succeeded.
int tolerant_mutate(const std::string& root) {
  int ok = 0;
  auto done = [&](long r) {
    if (r >= 0) ++ok;
    return r;
  };
  done(test::sys(SYS_mkdir, (root + "/uml-new").c_str(), 0755));
  const long fd = done(test::sys(SYS_openat, AT_FDCWD, (root + "/uml-new/f").c_str(), O_CREAT | O_RDWR, 0644));
  if (fd >= 0) {
    std::vector<char> data(10000, 'w');
    done(test::sys(SYS_write, fd, data.data(), data.size()));
    done(test::sys(SYS_fsync, fd));
    test::sys(SYS_close, fd);
  }
  // The root's first entries: files grow and shrink, a directory takes a name, one entry
  // is renamed and one removed.
  const long dfd = test::sys(SYS_openat, AT_FDCWD, root.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return ok;
  std::vector<char> dents(1 << 15);
  const long n = test::sys(SYS_getdents64, dfd, dents.data(), dents.size());
  test::sys(SYS_close, dfd);
  std::vector<std::pair<std::string, int>> names;
  for (long off = 0; off < n && names.size() < 12;) {
    const auto* d = reinterpret_cast<const struct dirent64*>(dents.data() + off);
    const std::string name = d->d_name;
    if (name != "." && name != ".." && name != "uml-new") names.emplace_back(name, d->d_type);
    off += d->d_reclen;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string p = root + "/" + names[i].first;
    if (names[i].second == DT_REG) {
      const long f = test::sys(SYS_openat, AT_FDCWD, p.c_str(), O_RDWR);
      if (f < 0) continue;
      std::vector<char> more(5000, 'a');
      done(test::sys(SYS_pwrite64, f, more.data(), more.size(), 3000));
      struct stat st;
      if (test::sys(SYS_fstat, f, &st) == 0) done(test::sys(SYS_ftruncate, f, st.st_size / 2));
      test::sys(SYS_close, f);
    } else if (names[i].second == DT_DIR) {
      const long f = done(test::sys(SYS_openat, AT_FDCWD, (p + "/uml-child").c_str(), O_CREAT | O_WRONLY, 0600));
      if (f >= 0) test::sys(SYS_close, f);
    }
    if (i == 1) done(test::sys(SYS_renameat2, AT_FDCWD, p.c_str(), AT_FDCWD, (root + "/uml-renamed").c_str(), 0));
    if (i == 2 && names[i].second != DT_DIR) done(test::sys(SYS_unlinkat, AT_FDCWD, p.c_str(), 0));
  }
  return ok;
}
}  // namespace

TEST_CASE("ext4: every image of the corrupted-image corpus is mounted read-write and changed without a crash", "[ext4][corpus]") {
  const std::string dir = corpus_dir();
  std::ifstream index(dir + "/INDEX.tsv");
  if (!index) {
    WARN("no corpus at " + dir + " (set UML_E2FS_CORPUS): nothing to change");
    return;
  }
  std::string line;
  std::getline(index, line);  // header
  test::TempDir tmp;
  auto k = test::boot("mem=256M");
  int images = 0, mounted = 0, refused = 0, changes = 0;
  while (std::getline(index, line)) {
    std::istringstream fields(line);
    std::string name;
    std::getline(fields, name, '\t');
    const std::string img = tmp.path + "/img";
    const std::string cmd = "gzip -dc '" + dir + "/" + name + "/image.gz' > '" + img + "' 2>/dev/null";
    if (system(cmd.c_str()) != 0) continue;
    ++images;
    uml::DiskSpec d;
    d.index = 0;
    d.path = img;
    if (k->add_disk(d) != 0) {
      ++refused;
      continue;
    }
    long mount_res = 0, umount_res = 0;
    int changed = 0;
    const int st = test::run_task(*k, [&] {
      test::sys(SYS_mkdir, "/mnt", 0755);
      mount_res = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L);
      if (mount_res != 0) return 0;
      changed = tolerant_mutate("/mnt");
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
  }
  WARN("corrupted-image corpus, read-write: " << images << " images; " << mounted << " mounted and changed ("
       << changes << " changes done), " << refused << " refused with a clear error; 0 crashes");
  CHECK(images >= 200);
}
