// ext4 writable mounts: data written into files (their blocks allocated and freed as they
// grow and shrink), attributes stored in inodes, names made and removed, and the image
// afterwards as e2fsprogs reads it (e2fsck finds it clean, debugfs reads the data back).
// Changes not written yet (a full htree root, inline data) are refused with EOPNOTSUPP and
// a log line.

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "host_files.h"

using test::sys;

namespace {

test::Shell sh(const std::string& cmd) { return test::shell(cmd, true); }

// An image made by mke2fs -d from a tree with `data` (random bytes) and a small file.
std::vector<char> make_image(const test::TempDir& tmp, const std::string& img, const std::string& type,
                             const std::string& opts, size_t data_bytes) {
  const std::string src = tmp.path + "/src";
  mkdir(src.c_str(), 0755);
  std::vector<char> data = test::random_bytes(data_bytes, 3);
  test::write_file(src + "/data.bin", data);
  test::write_file(src + "/small.txt", "hello\n");
  unlink(img.c_str());
  const test::Shell r = sh("mke2fs -q -F -t " + type + " " + opts + " -d " + src + " " + img + " 32M");
  REQUIRE(r.status == 0);
  return data;
}

std::string debugfs(const std::string& img, const std::string& req) {
  return sh("debugfs -R '" + req + "' " + img).out;
}

// In a guest task: creates name(0), name(1)... (full paths) until one fails (its -errno in
// *err) or n exist; returns how many were made.
int create_names(int n, const std::function<std::string(int)>& name, long* err) {
  for (int i = 0; i < n; ++i) {
    const long fd = sys(SYS_openat, AT_FDCWD, name(i).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) {
      *err = fd;
      return i;
    }
    sys(SYS_close, fd);
  }
  return n;
}

// How many of name(0)..name(n-1) a stat finds.
int count_names(int n, const std::function<std::string(int)>& name) {
  int found = 0;
  struct stat st;
  for (int i = 0; i < n; ++i)
    if (sys(SYS_newfstatat, AT_FDCWD, name(i).c_str(), &st, 0) == 0) ++found;
  return found;
}

// The image kinds most write tests run over: block sizes, checksums and 64bit, ext2/3.
struct ImageKind {
  const char* name;
  const char* type;
  const char* opts;
};
constexpr ImageKind kKinds[] = {{"ext4", "ext4", ""},
                                {"ext4 1 KiB blocks", "ext4", "-b 1024"},
                                {"ext4 without metadata_csum", "ext4", "-O ^metadata_csum,^64bit"},
                                {"ext3", "ext3", ""},
                                {"ext2 128-byte inodes", "ext2", "-I 128"}};

long mount_rw(const char* fstype = "ext4") {
  sys(SYS_mkdir, "/mnt", 0755);
  return sys(SYS_mount, "/dev/ubda", "/mnt", fstype, 0L, 0L);
}

// A copy of base named NAME.img, as /dev/ubda of an instance booted with opts running body
// (which must return 0); the copy's path once the instance has shut down.
std::string run_on_copy(const test::TempDir& tmp, const std::string& base, const std::string& name,
                        const std::string& opts, const std::function<int()>& body) {
  const std::string img = tmp.path + "/" + name + ".img";
  REQUIRE(sh("cp " + base + " " + img).status == 0);
  auto k = test::boot(opts + " ubda=" + img);
  REQUIRE(test::run_task(*k, body) == 0);
  k->shutdown();
  return img;
}

}  // namespace

TEST_CASE("ext4: a writable mount changes file data and attributes, and e2fsck finds the image clean", "[ext4]") {
  for (const ImageKind v : kKinds) {
    SECTION(v.name) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      std::vector<char> data = make_image(tmp, img, v.type, v.opts, 300 * 1024 + 77);
      auto k = test::boot("ubda=" + img);
      long mnt = -1, over = -1, tail = -1, beyond = -1, creat = 0, unl = 0, trunc = 0, same_trunc = -1, chmod = -1,
           utim = -1, fs = -1, st_size = 0, xattr = 0;
      std::string back, dirty_state;
      const std::vector<char> patch = test::random_bytes(10000, 4);
      REQUIRE(test::run_task(*k, [&] {
                mnt = mount_rw(v.type);
                if (mnt != 0) return 1;
                const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
                // Across block and page boundaries, then the file's last bytes.
                over = sys(SYS_pwrite64, fd, patch.data(), patch.size(), 4000);
                tail = sys(SYS_pwrite64, fd, "END", 3, data.size() - 3);
                // Far past the end: new blocks, and a hole before them; then cut off again.
                std::vector<char> far(8192, 'x');
                beyond = sys(SYS_pwrite64, fd, far.data(), far.size(), 4 << 20);
                std::vector<char> buf(data.size());
                const long n = sys(SYS_pread64, fd, buf.data(), buf.size(), 0);
                if (n > 0) back.assign(buf.data(), static_cast<size_t>(n));
                trunc = sys(SYS_ftruncate, fd, data.size());
                same_trunc = sys(SYS_ftruncate, fd, data.size());
                fs = sys(SYS_fsync, fd);
                sys(SYS_close, fd);
                creat = sys(SYS_openat, AT_FDCWD, "/mnt/new", O_CREAT | O_WRONLY, 0644);
                sys(SYS_close, creat);
                unl = sys(SYS_unlinkat, AT_FDCWD, "/mnt/new", 0);
                xattr = sys(SYS_setxattr, "/mnt/small.txt", "user.a", "b", 1, 0);
                chmod = sys(SYS_fchmodat, AT_FDCWD, "/mnt/small.txt", 0600);
                const struct timespec ts[2] = {{1600000000, 5}, {2100000000, 123456789}};
                utim = sys(SYS_utimensat, AT_FDCWD, "/mnt/small.txt", ts, 0);
                struct stat st;
                sys(SYS_newfstatat, AT_FDCWD, "/mnt/data.bin", &st, 0);
                st_size = st.st_size;
                return 0;
              }) == 0);
      // While mounted read-write the image is not marked clean (no journal is written).
      dirty_state = sh("dumpe2fs -h " + img).out;
      CHECK(dirty_state.find("Filesystem state:         not clean") != std::string::npos);
      CHECK(test::run_task(*k, [] { return static_cast<int>(sys(SYS_umount2, "/mnt", 0)); }) == 0);
      INFO(k->dmesg());
      CHECK(mnt == 0);
      CHECK(over == static_cast<long>(patch.size()));
      CHECK(tail == 3);
      CHECK(beyond == 8192);
      CHECK(trunc == 0);
      CHECK(same_trunc == 0);
      CHECK(fs == 0);
      CHECK(creat >= 0);
      CHECK(unl == 0);
      CHECK(xattr == 0);
      CHECK(chmod == 0);
      CHECK(utim == 0);
      CHECK(st_size == static_cast<long>(data.size()));
      CHECK(k->dmesg().find("is not supported yet") == std::string::npos);
      memcpy(data.data() + 4000, patch.data(), patch.size());
      memcpy(data.data() + data.size() - 3, "END", 3);
      CHECK((back == std::string(data.begin(), data.end())));
      k->shutdown();
      // e2fsprogs' view of the image: consistent, clean, with the new bytes and attributes.
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      CHECK(sh("dumpe2fs -h " + img).out.find("Filesystem state:         clean") != std::string::npos);
      CHECK(debugfs(img, "cat /data.bin") == std::string(data.begin(), data.end()));
      const std::string stat = debugfs(img, "stat /small.txt");
      CHECK(stat.find("Mode:  0600") != std::string::npos);
      INFO(stat);
      CHECK(stat.find("mtime: 0x7d2b7500") != std::string::npos);  // 2100000000 (past 2038)
      CHECK(debugfs(img, "ea_get /small.txt user.a").find("user.a (1) = \"b\"") != std::string::npos);
    }
  }
}

namespace {
// debugfs's copy of one xattr value of path.
std::string ea_get(const test::TempDir& tmp, const std::string& img, const std::string& path, const std::string& name) {
  const std::string out = tmp.path + "/ea.out";
  unlink(out.c_str());
  sh("debugfs -R 'ea_get -f " + out + " " + path + " " + name + "' " + img);
  const std::vector<char> v = test::read_file(out);
  return std::string(v.begin(), v.end());
}
}  // namespace

TEST_CASE("ext4: xattrs are set, replaced and removed in the inode and its block, as e2fsprogs reads them", "[ext4]") {
  for (const ImageKind v : kKinds) {
    SECTION(v.name) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, v.type, v.opts, 5000);
      const size_t bs = std::string(v.opts).find("1024") != std::string::npos ? 1024 : 4096;
      // A value for the block (no inode area holds it), and one no block holds.
      const std::string big(600, 'B'), huge(bs, 'H'), medium(200, 'M');
      const std::string label("system_u:object_r:etc_t:s0\0", 27);
      long small = -1, excl = 0, repl = 0, rm_missing = 0, bigr = -1, trusted = -1, sec = -1, empty = -1, grow = -1,
           too_big = 0, rm = -1, bad_ns = 0, bare = 0, list_len = -1, got_empty = -1, got_gone = 0;
      std::string got_small, got_big, names;
      auto k = test::boot("ubda=" + img);
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw(v.type) != 0) return 1;
                const char* f = "/mnt/small.txt";
                small = sys(SYS_setxattr, f, "user.small", "v1", 2, 0);
                excl = sys(SYS_setxattr, f, "user.small", "v2", 2, XATTR_CREATE);
                repl = sys(SYS_setxattr, f, "user.none", "x", 1, XATTR_REPLACE);
                rm_missing = sys(SYS_removexattr, f, "user.none");
                bigr = sys(SYS_setxattr, f, "user.big", big.data(), big.size(), 0);
                trusted = sys(SYS_setxattr, f, "trusted.t", "x", 1, 0);
                sec = sys(SYS_setxattr, f, "security.selinux", label.data(), label.size(), 0);
                empty = sys(SYS_setxattr, f, "user.empty", "", 0, 0);
                // A value that outgrows the inode's area moves to the block.
                grow = sys(SYS_setxattr, f, "user.small", medium.data(), medium.size(), XATTR_REPLACE);
                too_big = sys(SYS_setxattr, f, "user.huge", huge.data(), huge.size(), 0);
                rm = sys(SYS_removexattr, f, "user.big");
                bad_ns = sys(SYS_setxattr, f, "system.other", "x", 1, 0);
                bare = sys(SYS_setxattr, f, "user.", "x", 1, 0);
                char buf[4096];
                long n = sys(SYS_getxattr, f, "user.small", buf, sizeof buf);
                if (n >= 0) got_small.assign(buf, static_cast<size_t>(n));
                got_empty = sys(SYS_getxattr, f, "user.empty", buf, sizeof buf);
                got_gone = sys(SYS_getxattr, f, "user.big", buf, sizeof buf);
                list_len = sys(SYS_listxattr, f, buf, sizeof buf);
                if (list_len > 0) names.assign(buf, static_cast<size_t>(list_len));
                // A file with only a block value, then none: the block goes back.
                sys(SYS_setxattr, "/mnt/data.bin", "user.big", big.data(), big.size(), 0);
                sys(SYS_removexattr, "/mnt/data.bin", "user.big");
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(small == 0);
      CHECK(excl == -EEXIST);
      CHECK(repl == -ENODATA);
      CHECK(rm_missing == -ENODATA);
      CHECK(bigr == 0);
      CHECK(trusted == 0);
      CHECK(sec == 0);
      CHECK(empty == 0);
      CHECK(grow == 0);
      CHECK(too_big == -ENOSPC);
      CHECK(rm == 0);
      CHECK(bad_ns == -EOPNOTSUPP);
      CHECK(bare == -EINVAL);
      CHECK(got_small == medium);
      CHECK(got_empty == 0);
      CHECK(got_gone == -ENODATA);
      for (const char* n : {"user.small", "trusted.t", "security.selinux", "user.empty"})
        CHECK(names.find(std::string(n) + '\0') != std::string::npos);
      CHECK(names.find("user.big") == std::string::npos);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      CHECK(ea_get(tmp, img, "/small.txt", "user.small") == medium);
      CHECK(ea_get(tmp, img, "/small.txt", "trusted.t") == "x");
      CHECK(ea_get(tmp, img, "/small.txt", "security.selinux") == label);
      const std::string list = debugfs(img, "ea_list /small.txt");
      CHECK(list.find("user.big") == std::string::npos);
      CHECK(list.find("user.empty (0)") != std::string::npos);
      CHECK(debugfs(img, "stat /data.bin").find("File ACL: 0") != std::string::npos);
      CHECK(sh("dumpe2fs -h " + img).out.find("ext_attr") != std::string::npos);
    }
  }
}

TEST_CASE("ext4: mount, remount and umount between read-only and read-write, as Linux allows them", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "", 8192);
  // The same file as a second, read-only disk: only its lock's override lets it share.
  auto k = test::boot("ubda=" + img + " ubdbr=" + img + " ubdb.lock=off");
  long ro_write = 0, rw = -1, w = -1, back_ro = -1, w_ro = 0, ro_disk = 0, busy = 0, shared = -1;
  REQUIRE(test::run_task(*k, [&] {
            sys(SYS_mkdir, "/mnt", 0755);
            sys(SYS_mkdir, "/b", 0755);
            // A read-only disk cannot be mounted for writing (mount(8) retries with -r).
            ro_disk = sys(SYS_mount, "/dev/ubdb", "/b", "ext4", 0L, 0L);
            if (sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
            long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            ro_write = fd;
            rw = sys(SYS_mount, "/dev/ubda", "/mnt", 0L, MS_REMOUNT, 0L);
            // A second mount of the disk shares it only with the same mode.
            busy = sys(SYS_mount, "/dev/ubda", "/b", "ext4", MS_RDONLY, 0L);
            shared = sys(SYS_mount, "/dev/ubda", "/b", "ext4", 0L, 0L);
            sys(SYS_umount2, "/b", 0);
            fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            w = sys(SYS_pwrite64, fd, "abc", 3, 0);
            sys(SYS_close, fd);
            back_ro = sys(SYS_mount, "/dev/ubda", "/mnt", 0L, MS_REMOUNT | MS_RDONLY, 0L);
            w_ro = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            return 0;
          }) == 0);
  INFO(k->dmesg());
  CHECK(ro_disk == -EACCES);
  // Features whose bookkeeping writing does not keep yet: read-only only, with the reason.
  for (const char* feature : {"quota", "ea_inode"}) {
    const std::string fimg = tmp.path + "/" + feature + ".img";
    REQUIRE(sh("mke2fs -q -F -t ext4 -O " + std::string(feature) + " " + fimg + " 16M").status == 0);
    auto kf = test::boot("ubda=" + fimg);
    long rw_res = 0, ro_res = -1;
    REQUIRE(test::run_task(*kf, [&] {
              sys(SYS_mkdir, "/mnt", 0755);
              rw_res = sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L);
              ro_res = sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L);
              return 0;
            }) == 0);
    INFO(feature);
    CHECK(rw_res == -EINVAL);
    CHECK(ro_res == 0);
    CHECK(kf->dmesg().find("not kept up to date when writing yet") != std::string::npos);
  }
  CHECK(ro_write == -EROFS);
  CHECK(rw == 0);
  CHECK(busy == -EBUSY);
  CHECK(shared == 0);
  CHECK(w == 3);
  CHECK(back_ro == 0);
  CHECK(w_ro == -EROFS);
  // Remounted read-only: written back and clean while still mounted.
  CHECK(sh("e2fsck -fn " + img).status == 0);
  CHECK(sh("dumpe2fs -h " + img).out.find("Filesystem state:         clean") != std::string::npos);
  CHECK(debugfs(img, "cat /data.bin").substr(0, 3) == "abc");
}

TEST_CASE("ext4: syncfs, the background flusher and shutdown write a file's pages to the image", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  const size_t size = 6 << 20;
  std::vector<char> data = make_image(tmp, img, "ext4", "-b 4096", size);
  const std::string before = debugfs(img, "bmap /data.bin 0");
  const uint64_t first_blk = std::stoull(before);  // the file's data is contiguous (mke2fs -d)
  auto on_disk = [&](size_t off, size_t n) {
    std::vector<char> all = test::read_file(img);
    return std::string(all.data() + first_blk * 4096 + off, n);
  };
  // mem=32M: 6 MiB of dirty pages is past the flusher's background threshold (10%).
  auto k = test::boot("mem=32M ubda=" + img);
  long synced = -1;
  const std::string a(4096, 'a');
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            sys(SYS_pwrite64, fd, a.data(), a.size(), 0);
            synced = sys(SYS_syncfs, fd);
            sys(SYS_close, fd);
            return 0;
          }) == 0);
  CHECK(synced == 0);
  CHECK(on_disk(0, 4096) == a);
  // No sync at all: the flusher writes a file dirty past the background threshold.
  std::vector<char> fresh = test::random_bytes(size, 11);
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            const long n = sys(SYS_pwrite64, fd, fresh.data(), fresh.size(), 0);
            sys(SYS_close, fd);
            return n == static_cast<long>(fresh.size()) ? 0 : 1;
          }) == 0);
  bool flushed = false;
  for (int i = 0; i < 100 && !flushed; ++i) {  // up to 10 s on a loaded machine
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    flushed = on_disk(0, size) == std::string(fresh.begin(), fresh.end());
  }
  CHECK(flushed);
  // Shutdown with the filesystem still mounted: written back and marked clean.
  const std::string last = "the last write";
  REQUIRE(test::run_task(*k, [&] {
            const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            const long n = sys(SYS_pwrite64, fd, last.data(), last.size(), 100);
            sys(SYS_close, fd);
            return n == static_cast<long>(last.size()) ? 0 : 1;
          }) == 0);
  k->shutdown();
  CHECK(on_disk(100, last.size()) == last);
  CHECK(sh("e2fsck -fn " + img).status == 0);
  CHECK(sh("dumpe2fs -h " + img).out.find("Filesystem state:         clean") != std::string::npos);
}

TEST_CASE("ext4: after a power cut, what fsync covered is on the image and what it did not is not", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "", 64 * 1024);
  auto k = test::boot("ubda=" + img + " ubda.cache=volatile");
  const std::string kept(8192, 'K'), lost(4096, 'L');
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
            if (sys(SYS_pwrite64, fd, kept.data(), kept.size(), 0) != static_cast<long>(kept.size())) return 2;
            if (sys(SYS_fdatasync, fd) != 0) return 3;
            if (sys(SYS_pwrite64, fd, lost.data(), lost.size(), 16384) != static_cast<long>(lost.size())) return 4;
            return 0;
          }) == 0);
  // The cut: nothing unflushed survives, and the disk is gone (the writeback at shutdown
  // fails, as a crashed machine's never happens).
  CHECK(k->disk_power_cut("ubda") >= 0);
  k->shutdown();
  k.reset();
  const std::string got = debugfs(img, "cat /data.bin");
  REQUIRE(got.size() == 64 * 1024);
  CHECK(got.substr(0, kept.size()) == kept);
  CHECK(got.substr(16384, lost.size()) != lost);
  // The cut left it marked not clean: e2fsck checks it in full, and finds it consistent.
  CHECK(sh("dumpe2fs -h " + img).out.find("not clean") != std::string::npos);
  CHECK(sh("e2fsck -fn " + img).status == 0);
}

TEST_CASE("ext4: files grow, fill holes and shrink; their blocks come from the bitmaps and go back", "[ext4]") {
  for (const char* opts : {"-b 4096", "-b 1024", "-b 4096 -O ^metadata_csum,^64bit", "-b 2048 -O ^flex_bg"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, "ext4", opts, 300 * 1024);
      auto k = test::boot("mem=64M ubda=" + img);
      // The file's expected bytes, kept alongside.
      std::string shadow;
      auto put = [&](uint64_t off, const std::string& d) {
        if (shadow.size() < off + d.size()) shadow.resize(off + d.size(), '\0');
        memcpy(shadow.data() + off, d.data(), d.size());
      };
      long bs = 0, enospc = 0, bfree_full = -1, bfree_after = -1, bfree_start = -1, small_len = -1;
      std::string back, back_cut, full;
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw() != 0) return 1;
                struct statfs sf;
                sys(SYS_statfs, "/mnt", &sf);
                bs = sf.f_bsize;
                bfree_start = static_cast<long>(sf.f_bfree);
                const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
                if (sys(SYS_ftruncate, fd, 0) != 0) return 2;
                shadow.clear();
                // 1 MiB in 64 KiB writes.
                for (int i = 0; i < 16; ++i) {
                  const std::string d(64 * 1024, static_cast<char>('a' + i));
                  if (sys(SYS_pwrite64, fd, d.data(), d.size(), i * 64 * 1024) != static_cast<long>(d.size())) return 3;
                  put(static_cast<uint64_t>(i) * 64 * 1024, d);
                }
                // Every other block of a region further on: many extents, a deeper tree.
                const uint64_t base = 2 << 20;
                for (int i = 0; i < 700; ++i) {
                  const std::string d(static_cast<size_t>(bs), static_cast<char>('A' + i % 26));
                  const uint64_t off = base + 2 * static_cast<uint64_t>(i) * static_cast<uint64_t>(bs);
                  if (sys(SYS_pwrite64, fd, d.data(), d.size(), off) != static_cast<long>(d.size())) return 4;
                  put(off, d);
                }
                // A hole in the middle filled, across extents.
                const std::string fill(3 * static_cast<size_t>(bs) + 100, '#');
                const uint64_t fill_at = base + 101 * static_cast<uint64_t>(bs) + 7;
                if (sys(SYS_pwrite64, fd, fill.data(), fill.size(), fill_at) != static_cast<long>(fill.size())) return 5;
                put(fill_at, fill);
                std::vector<char> buf(shadow.size() + 10);
                long n = sys(SYS_pread64, fd, buf.data(), buf.size(), 0);
                if (n > 0) back.assign(buf.data(), static_cast<size_t>(n));
                full = shadow;
                // Cut in the middle of the fragmented region.
                const uint64_t cut = base + 301 * static_cast<uint64_t>(bs) + 5;
                if (sys(SYS_ftruncate, fd, cut) != 0) return 6;
                shadow.resize(cut);
                n = sys(SYS_pread64, fd, buf.data(), buf.size(), 0);
                if (n > 0) back_cut.assign(buf.data(), static_cast<size_t>(n));
                // Grown again by a truncate: zeros after the cut, not what was there.
                if (sys(SYS_ftruncate, fd, cut + 3 * bs) != 0) return 7;
                shadow.resize(cut + 3 * static_cast<uint64_t>(bs), '\0');
                sys(SYS_close, fd);
                // O_TRUNC and a rewrite, as an editor saves.
                const long sfd = sys(SYS_openat, AT_FDCWD, "/mnt/small.txt", O_WRONLY | O_TRUNC);
                small_len = sys(SYS_write, sfd, "rewritten\n", 10);
                sys(SYS_close, sfd);
                // Fill the disk: ENOSPC, then everything back.
                const long big = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
                const std::string chunk(256 * 1024, 'z');
                uint64_t off = 64ull << 20;
                for (;;) {
                  const long w = sys(SYS_pwrite64, big, chunk.data(), chunk.size(), off);
                  if (w < 0) {
                    enospc = w;
                    break;
                  }
                  off += static_cast<uint64_t>(w);
                  if (off > (1ull << 30)) break;
                }
                sys(SYS_statfs, "/mnt", &sf);
                bfree_full = static_cast<long>(sf.f_bfree);
                if (sys(SYS_ftruncate, big, shadow.size()) != 0) return 8;
                sys(SYS_statfs, "/mnt", &sf);
                bfree_after = static_cast<long>(sf.f_bfree);
                sys(SYS_close, big);
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK((back == full));
      CHECK(back_cut.size() == shadow.size() - 3 * static_cast<size_t>(bs));
      CHECK((back_cut == shadow.substr(0, back_cut.size())));
      CHECK(small_len == 10);
      CHECK(enospc == -ENOSPC);
      CHECK(bfree_full < 8);
      CHECK(bfree_after > bfree_full + 1000);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      CHECK((debugfs(img, "cat /data.bin") == shadow));
      CHECK(debugfs(img, "cat /small.txt") == "rewritten\n");
      CHECK(bfree_start > bfree_full);
    }
  }
}

TEST_CASE("ext4: names are made, linked, renamed and removed as on Linux, and e2fsck agrees", "[ext4]") {
  struct Variant {
    const char* name;
    const char* type;
    const char* opts;
  };
  for (const Variant v : {Variant{"ext4", "ext4", "-b 4096"}, Variant{"ext4 1 KiB blocks", "ext4", "-b 1024"},
                          Variant{"ext4 without metadata_csum", "ext4", "-O ^metadata_csum,^64bit"},
                          Variant{"ext3", "ext3", ""}}) {
    SECTION(v.name) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      {
        // A file with an xattr too big for the inode: its external block goes with it.
        const std::string src = tmp.path + "/src";
        mkdir(src.c_str(), 0755);
        test::write_file(src + "/tagged", "tagged\n");
        const std::string big(600, 'v');
        REQUIRE(setxattr((src + "/tagged").c_str(), "user.big", big.data(), big.size(), 0) == 0);
      }
      make_image(tmp, img, v.type, v.opts, 200 * 1024);
      const bool extents = std::string(v.type) == "ext4";
      // ext3's block-mapped directories do not grow yet: fewer names there.
      const int nfiles = extents ? 300 : 12;
      auto k = test::boot("ubda=" + img);
      std::vector<std::string> errs;
      auto expect = [&](bool ok, const std::string& what) {
        if (!ok) errs.push_back(what);
      };
      long st_nlink_d = 0, st_nlink_sub2 = 0, notempty = 0, listed = -1;
      std::string slow_target(100, 't');
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw(v.type) != 0) return 1;
                expect(sys(SYS_mkdir, "/mnt/d", 0755) == 0, "mkdir d");
                expect(sys(SYS_mkdir, "/mnt/d/sub", 0700) == 0, "mkdir sub");
                expect(sys(SYS_mkdir, "/mnt/d", 0755) == -EEXIST, "mkdir d again");
                for (int i = 0; i < nfiles; ++i) {
                  const std::string p = "/mnt/d/f" + std::to_string(i);
                  const long fd = sys(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                  expect(fd >= 0, "create " + p);
                  if (extents) {
                    const std::string body = "file " + std::to_string(i) + "\n";
                    expect(sys(SYS_write, fd, body.data(), body.size()) == static_cast<long>(body.size()), "write " + p);
                  }
                  sys(SYS_close, fd);
                }
                expect(sys(SYS_symlinkat, "f1", AT_FDCWD, "/mnt/d/fast") == 0, "fast symlink");
                expect(sys(SYS_symlinkat, slow_target.c_str(), AT_FDCWD, "/mnt/d/slow") == 0, "slow symlink");
                expect(sys(SYS_mknodat, AT_FDCWD, "/mnt/d/fifo", S_IFIFO | 0600, 0) == 0, "mkfifo");
                expect(sys(SYS_mknodat, AT_FDCWD, "/mnt/d/null", S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod");
                expect(sys(SYS_linkat, AT_FDCWD, "/mnt/d/f1", AT_FDCWD, "/mnt/d/hard", 0) == 0, "link");
                expect(sys(SYS_renameat2, AT_FDCWD, "/mnt/d/f2", AT_FDCWD, "/mnt/d/sub/moved", 0) == 0, "rename across");
                expect(sys(SYS_renameat2, AT_FDCWD, "/mnt/d/f3", AT_FDCWD, "/mnt/d/f4", 0) == 0, "rename over");
                expect(sys(SYS_renameat2, AT_FDCWD, "/mnt/d/f5", AT_FDCWD, "/mnt/d/f6", RENAME_EXCHANGE) == 0, "exchange");
                expect(sys(SYS_renameat2, AT_FDCWD, "/mnt/d/sub", AT_FDCWD, "/mnt/sub2", 0) == 0, "rename dir");
                expect(sys(SYS_unlinkat, AT_FDCWD, "/mnt/d/f7", 0) == 0, "unlink");
                expect(sys(SYS_unlinkat, AT_FDCWD, "/mnt/tagged", 0) == 0, "unlink tagged");
                expect(sys(SYS_unlinkat, AT_FDCWD, "/mnt/data.bin", 0) == 0, "unlink data.bin");
                expect(sys(SYS_mkdir, "/mnt/empty", 0755) == 0, "mkdir empty");
                expect(sys(SYS_unlinkat, AT_FDCWD, "/mnt/empty", AT_REMOVEDIR) == 0, "rmdir");
                notempty = sys(SYS_unlinkat, AT_FDCWD, "/mnt/sub2", AT_REMOVEDIR);
                // Removed while open: usable until closed, then gone.
                const long open_fd = sys(SYS_openat, AT_FDCWD, "/mnt/d/f8", O_RDWR);
                expect(sys(SYS_unlinkat, AT_FDCWD, "/mnt/d/f8", 0) == 0, "unlink open");
                if (extents) expect(sys(SYS_pwrite64, open_fd, "still here", 10, 0) == 10, "write unlinked");
                char buf[16] = {};
                if (extents) expect(sys(SYS_pread64, open_fd, buf, 10, 0) == 10 && !memcmp(buf, "still here", 10), "read unlinked");
                sys(SYS_close, open_fd);
                // O_TMPFILE: a file with no name, gone at close.
                const long tmp_fd = sys(SYS_openat, AT_FDCWD, "/mnt/d", O_TMPFILE | O_RDWR, 0600);
                expect(tmp_fd >= 0, "O_TMPFILE");
                if (extents) expect(sys(SYS_write, tmp_fd, "tmp", 3) == 3, "write tmpfile");
                sys(SYS_close, tmp_fd);
                char target[200] = {};
                expect(sys(SYS_readlinkat, AT_FDCWD, "/mnt/d/slow", target, sizeof target) == 100 &&
                           std::string(target, 100) == slow_target, "readlink slow");
                expect(sys(SYS_readlinkat, AT_FDCWD, "/mnt/d/fast", target, sizeof target) == 2, "readlink fast");
                struct stat st;
                sys(SYS_newfstatat, AT_FDCWD, "/mnt/d", &st, 0);
                st_nlink_d = static_cast<long>(st.st_nlink);
                sys(SYS_newfstatat, AT_FDCWD, "/mnt/sub2", &st, 0);
                st_nlink_sub2 = static_cast<long>(st.st_nlink);
                // What a directory lists after all that.
                const long dfd = sys(SYS_openat, AT_FDCWD, "/mnt/d", O_RDONLY | O_DIRECTORY);
                char dents[65536];
                long n, count = 0;
                while ((n = sys(SYS_getdents64, dfd, dents, sizeof dents)) > 0)
                  for (long off = 0; off < n;) {
                    const uint16_t reclen = *reinterpret_cast<uint16_t*>(dents + off + 16);
                    ++count;
                    off += reclen;
                  }
                sys(SYS_close, dfd);
                listed = count;
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      for (const auto& e : errs) INFO(e);
      CHECK(errs.empty());
      for (const auto& e : errs) CHECK(e == "");
      CHECK(notempty == -ENOTEMPTY);
      CHECK(st_nlink_d == 2);     // sub moved away
      CHECK(st_nlink_sub2 == 2);
      // . .. f0..f(n-1) less f2 f3 f7 f8, plus fast slow fifo null hard
      CHECK(listed == 2 + nfiles - 4 + 5);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      if (extents) {
        CHECK(debugfs(img, "cat /d/f4") == "file 3\n");
        CHECK(debugfs(img, "cat /d/f5") == "file 6\n");
        CHECK(debugfs(img, "cat /d/hard") == "file 1\n");
        CHECK(debugfs(img, "cat /sub2/moved") == "file 2\n");
      }
      CHECK(debugfs(img, "stat /d/slow").find("Type: symlink") != std::string::npos);
      CHECK(debugfs(img, "ls /sub2").find("..") != std::string::npos);
    }
  }
}

TEST_CASE("ext4: deleted inodes keep an empty extent root, so e2fsck finds their table blocks sound", "[ext4]") {
  // With 1 KiB blocks and 256-byte inodes a table block holds four inodes: three deleted
  // ones with a bad header made e2fsck call the fourth garbage.
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "-b 1024", 1000);
  auto k = test::boot("ubda=" + img);
  long made = 0, gone = 0;
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            for (int i = 0; i < 40; ++i) {
              const std::string n = "/mnt/f" + std::to_string(i);
              const long fd = sys(SYS_openat, AT_FDCWD, n.c_str(), O_CREAT | O_WRONLY, 0644);
              if (fd < 0) continue;
              ++made;
              sys(SYS_write, fd, "data", 4);
              sys(SYS_close, fd);
            }
            // Every file but one in four goes, and a directory.
            for (int i = 0; i < 40; ++i)
              if (i % 4 != 3 && sys(SYS_unlinkat, AT_FDCWD, ("/mnt/f" + std::to_string(i)).c_str(), 0) == 0) ++gone;
            sys(SYS_mkdir, "/mnt/d", 0755);
            sys(SYS_unlinkat, AT_FDCWD, "/mnt/d", AT_REMOVEDIR);
            return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
          }) == 0);
  CHECK(made == 40);
  CHECK(gone == 30);
  k->shutdown();
  const test::Shell fsck = sh("e2fsck -fn " + img);
  INFO(fsck.out);
  CHECK(fsck.status == 0);
  const std::string st = debugfs(img, "stat <14>");  // f0, deleted
  INFO(st);
  CHECK(st.find("Links: 0") != std::string::npos);
}

TEST_CASE("ext4: an xattr block two inodes share is copied before one of them changes it", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "-b 4096 -O ^metadata_csum", 5000);
  const std::string old_value(600, 'o'), new_value(700, 'n');
  test::write_file(tmp.path + "/v", old_value);
  // debugfs makes the sharing as Linux's mbcache would: b points at a's block, which counts 2.
  sh("debugfs -w -R 'ea_set -f " + tmp.path + "/v /small.txt user.shared' " + img);
  const std::string st = debugfs(img, "stat /small.txt");
  const size_t at = st.find("File ACL: ");
  REQUIRE(at != std::string::npos);
  const uint64_t shared = std::stoull(st.substr(at + 10));
  REQUIRE(shared != 0);
  sh("debugfs -w -R 'sif /data.bin file_acl " + std::to_string(shared) + "' " + img);
  const std::string blocks = debugfs(img, "stat /data.bin");
  const size_t bc = blocks.find("Blockcount: ");
  REQUIRE(bc != std::string::npos);
  sh("debugfs -w -R 'sif /data.bin blocks " + std::to_string(std::stoull(blocks.substr(bc + 12)) + 8) + "' " + img);
  sh("debugfs -w -R 'zap_block -o 4 -l 1 -p 2 " + std::to_string(shared) + "' " + img);
  {
    const test::Shell before = sh("e2fsck -fn " + img);
    INFO(before.out);
    REQUIRE(before.status == 0);
  }
  auto k = test::boot("ubda=" + img);
  long set = -1;
  std::string seen_a, seen_b;
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            set = sys(SYS_setxattr, "/mnt/data.bin", "user.shared", new_value.data(), new_value.size(), XATTR_REPLACE);
            char buf[1024];
            long n = sys(SYS_getxattr, "/mnt/small.txt", "user.shared", buf, sizeof buf);
            if (n > 0) seen_a.assign(buf, static_cast<size_t>(n));
            n = sys(SYS_getxattr, "/mnt/data.bin", "user.shared", buf, sizeof buf);
            if (n > 0) seen_b.assign(buf, static_cast<size_t>(n));
            return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
          }) == 0);
  INFO(k->dmesg());
  CHECK(set == 0);
  CHECK(seen_a == old_value);
  CHECK(seen_b == new_value);
  k->shutdown();
  const test::Shell fsck = sh("e2fsck -fn " + img);
  INFO(fsck.out);
  CHECK(fsck.status == 0);
  CHECK(ea_get(tmp, img, "/small.txt", "user.shared") == old_value);
  CHECK(ea_get(tmp, img, "/data.bin", "user.shared") == new_value);
  CHECK(debugfs(img, "stat /small.txt").find("File ACL: " + std::to_string(shared)) != std::string::npos);
  CHECK(debugfs(img, "stat /data.bin").find("File ACL: " + std::to_string(shared)) == std::string::npos);
  // A new instance reads both back from the image, cold.
  auto k2 = test::boot("ubdar=" + img);
  std::string cold_a, cold_b;
  REQUIRE(test::run_task(*k2, [&] {
            sys(SYS_mkdir, "/mnt", 0755);
            if (sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
            char buf[1024];
            long n = sys(SYS_getxattr, "/mnt/small.txt", "user.shared", buf, sizeof buf);
            if (n > 0) cold_a.assign(buf, static_cast<size_t>(n));
            n = sys(SYS_getxattr, "/mnt/data.bin", "user.shared", buf, sizeof buf);
            if (n > 0) cold_b.assign(buf, static_cast<size_t>(n));
            return 0;
          }) == 0);
  CHECK(cold_a == old_value);
  CHECK(cold_b == new_value);
}

TEST_CASE("ext4: ext2/3 block maps grow through one, two and three levels, shrink and punch holes", "[ext4]") {
  for (const ImageKind v : {ImageKind{"ext2 1 KiB blocks", "ext2", "-b 1024"}, ImageKind{"ext2 4 KiB blocks", "ext2", "-b 4096"},
                            ImageKind{"ext3 1 KiB blocks", "ext3", "-b 1024"}}) {
    SECTION(v.name) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, v.type, v.opts, 5000);
      const uint64_t bs = std::string(v.opts) == "-b 1024" ? 1024 : 4096, per = bs / 4;
      // Past the direct blocks and one level into the second; a byte far into the third.
      const size_t grown = static_cast<size_t>((12 + per + 300) * bs + 100);
      const uint64_t far = (12 + per + per * per + 5) * bs + 7;
      std::vector<char> body = test::random_bytes(grown, 11);
      long wrote = 0, far_w = -1, shrink = -1, punch = -1, prealloc = 0, made = 0, big_trunc = 0;
      uint64_t free_start = 0;
      auto k = test::boot("ubda=" + img);
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw(v.type) != 0) return 1;
                struct statfs sf;
                sys(SYS_statfs, "/mnt", &sf);
                free_start = sf.f_bfree;
                for (const char* name : {"/mnt/grow", "/mnt/shrink"}) {
                  const long fd = sys(SYS_openat, AT_FDCWD, name, O_CREAT | O_WRONLY | O_APPEND, 0644);
                  for (size_t at = 0; at < body.size(); at += 10000) {
                    const long n = sys(SYS_write, fd, body.data() + at, std::min<size_t>(10000, body.size() - at));
                    if (n > 0 && std::string(name) == "/mnt/grow") wrote += n;
                  }
                  sys(SYS_close, fd);
                }
                shrink = sys(SYS_truncate, "/mnt/shrink", 20000);
                const long g = sys(SYS_openat, AT_FDCWD, "/mnt/grow", O_RDWR);
                punch = sys(SYS_fallocate, g, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100 * bs + 10, 50 * bs);
                prealloc = sys(SYS_fallocate, g, 0, 0, 1 << 20);
                sys(SYS_close, g);
                const long sp = sys(SYS_openat, AT_FDCWD, "/mnt/sparse", O_CREAT | O_WRONLY, 0644);
                far_w = sys(SYS_pwrite64, sp, "FAR", 3, far);
                big_trunc = sys(SYS_ftruncate, sp, uint64_t{1} << 50);
                sys(SYS_close, sp);
                sys(SYS_mkdir, "/mnt/d", 0755);
                for (int i = 0; i < 200; ++i) {
                  const std::string n = "/mnt/d/a-rather-long-name-for-a-directory-entry-" + std::to_string(i);
                  const long fd = sys(SYS_openat, AT_FDCWD, n.c_str(), O_CREAT | O_WRONLY, 0644);
                  if (fd >= 0) ++made;
                  sys(SYS_close, fd);
                }
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(wrote == static_cast<long>(grown));
      CHECK(shrink == 0);
      CHECK(punch == 0);
      CHECK(prealloc == -EOPNOTSUPP);  // preallocation needs extents, as on Linux
      CHECK(far_w == 3);
      CHECK(big_trunc == -EFBIG);
      CHECK(made == 200);
      CHECK(k->dmesg().find("is not supported yet") == std::string::npos);
      k->shutdown();
      {
        const test::Shell fsck = sh("e2fsck -fn " + img);
        INFO(fsck.out);
        CHECK(fsck.status == 0);
      }
      const std::string start(body.begin(), body.begin() + 20000);
      std::fill(body.begin() + 100 * bs + 10, body.begin() + 150 * bs + 10, '\0');
      CHECK(debugfs(img, "cat /grow") == std::string(body.begin(), body.end()));
      CHECK(debugfs(img, "cat /shrink") == start);
      // A new instance reads it all back cold, then removes it: every block comes back.
      auto k2 = test::boot("ubda=" + img);
      std::string far_back;
      long listed = 0;
      uint64_t free_end = 0;
      REQUIRE(test::run_task(*k2, [&] {
                if (mount_rw(v.type) != 0) return 1;
                const long sp = sys(SYS_openat, AT_FDCWD, "/mnt/sparse", O_RDONLY);
                char buf[3];
                if (sys(SYS_pread64, sp, buf, 3, far) == 3) far_back.assign(buf, 3);
                sys(SYS_close, sp);
                const long d = sys(SYS_openat, AT_FDCWD, "/mnt/d", O_RDONLY | O_DIRECTORY);
                std::vector<char> dents(1 << 16);
                for (long n; (n = sys(SYS_getdents64, d, dents.data(), dents.size())) > 0;)
                  for (long off = 0; off < n; off += reinterpret_cast<dirent64*>(dents.data() + off)->d_reclen) ++listed;
                sys(SYS_close, d);
                for (int i = 0; i < 200; ++i)
                  sys(SYS_unlinkat, AT_FDCWD, ("/mnt/d/a-rather-long-name-for-a-directory-entry-" + std::to_string(i)).c_str(), 0);
                sys(SYS_unlinkat, AT_FDCWD, "/mnt/d", AT_REMOVEDIR);
                for (const char* n : {"/mnt/grow", "/mnt/shrink", "/mnt/sparse"}) sys(SYS_unlinkat, AT_FDCWD, n, 0);
                struct statfs sf;
                sys(SYS_statfs, "/mnt", &sf);
                free_end = sf.f_bfree;
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k2->dmesg());
      CHECK(far_back == "FAR");
      CHECK(listed == 202);
      CHECK(free_end == free_start);
      k2->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
    }
  }
}

TEST_CASE("ext4: an indexed directory takes and loses names through its htree, splitting leaves and index blocks", "[ext4]") {
  for (const char* opts : {"-b 1024", "-b 4096", "-b 1024 -O ^metadata_csum,^64bit"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
      mkdir(src.c_str(), 0755);
      mkdir((src + "/big").c_str(), 0755);
      for (int i = 0; i < 600; ++i) test::write_file(src + "/big/entry-" + std::to_string(i), "x");
      REQUIRE(sh("mke2fs -q -F -t ext4 " + std::string(opts) + " -d " + src + " " + img + " 32M").status == 0);
      sh("e2fsck -fyD " + img);  // indexes the directory
      REQUIRE(debugfs(img, "stat /big").find("Flags: 0x81000") != std::string::npos);  // extents | index
      auto k = test::boot("ubda=" + img);
      long gone = 0, kept = -1, last_err = 0;
      int removed = 0, added = 0, found = 0;
      constexpr int kAdd = 6000;
      auto name = [](int i) { return "/mnt/big/n" + std::to_string(i) + std::string(i % 40, 'q'); };
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw() != 0) return 1;
                for (int i = 0; i < 600; i += 3)
                  if (sys(SYS_unlinkat, AT_FDCWD, ("/mnt/big/entry-" + std::to_string(i)).c_str(), 0) == 0) ++removed;
                // Names of every length: with 1 KiB blocks, past what the root indexes alone.
                added = create_names(kAdd, name, &last_err);
                found = count_names(added, name);
                struct stat st;
                gone = sys(SYS_newfstatat, AT_FDCWD, "/mnt/big/entry-300", &st, 0);
                kept = sys(SYS_newfstatat, AT_FDCWD, "/mnt/big/entry-301", &st, 0);
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(removed == 200);
      CHECK(added == kAdd);
      CHECK(last_err == 0);
      CHECK(found == added);
      CHECK(gone == -ENOENT);
      CHECK(kept == 0);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      // With 1 KiB blocks the root's entries filled up and moved a level down, and those
      // nodes split.
      if (std::string(opts).find("1024") != std::string::npos) {
        const std::string dump = debugfs(img, "htree_dump /big");
        CHECK(dump.find("Indirect levels: 1") != std::string::npos);
        const size_t count = dump.find("Number of entries (count): ");
        REQUIRE(count != std::string::npos);
        CHECK(std::stoi(dump.substr(count + 27)) >= 2);  // the root points to several nodes
      }
      // A new mount, cold, finds every name through the index.
      auto k2 = test::boot("ubdar=" + img);
      int found2 = 0;
      long gone2 = 0;
      REQUIRE(test::run_task(*k2, [&] {
                sys(SYS_mkdir, "/mnt", 0755);
                if (sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
                struct stat st;
                found2 = count_names(added, name);
                gone2 = sys(SYS_newfstatat, AT_FDCWD, "/mnt/big/entry-597", &st, 0);
                return 0;
              }) == 0);
      CHECK(found2 == added);
      CHECK(gone2 == -ENOENT);
      CHECK(k2->dmesg().find("htree is damaged") == std::string::npos);
    }
  }
}

// ext4_dx_add_entry: an index as deep as the directory may go (two levels without largedir),
// every block of it full, refuses the name that needs one more entry: ENOSPC, and the log
// line Linux prints. With 1 KiB blocks and names of 250 bytes (three to a leaf) that takes
// some 20,000 names: the root full, and then one of its nodes.
TEST_CASE("ext4: a full htree at its last level refuses a name with ENOSPC", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  mkdir((src + "/big").c_str(), 0755);
  for (int i = 0; i < 100; ++i) test::write_file(src + "/big/entry-" + std::to_string(i), "x");
  REQUIRE(sh("mke2fs -q -F -t ext4 -b 1024 -N 80000 -d " + src + " " + img + " 96M").status == 0);
  sh("e2fsck -fyD " + img);  // indexes the directory
  REQUIRE(debugfs(img, "stat /big").find("Flags: 0x81000") != std::string::npos);
  auto name = [](int i) {
    std::string n = "n" + std::to_string(i) + "-";
    return "/mnt/big/" + n + std::string(250 - n.size(), 'z');
  };
  auto k = test::boot("ubda=" + img);
  int added = 0, found = 0;
  long last_err = 0, after = -1;
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            added = create_names(100000, name, &last_err);
            found = count_names(added, name);
            // Elsewhere there is room still.
            after = sys(SYS_mkdir, "/mnt/other", 0755);
            return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
          }) == 0);
  INFO("names added: " << added);
  CHECK(last_err == -ENOSPC);
  CHECK(added > 10000);  // 123 root entries, each a node at least half full of leaves
  CHECK(found == added);
  CHECK(after == 0);
  CHECK(k->dmesg().find("index full, reach max htree level :2") != std::string::npos);
  k->shutdown();
  const test::Shell fsck = sh("e2fsck -fn " + img);
  INFO(fsck.out);
  CHECK(fsck.status == 0);
  CHECK(debugfs(img, "htree_dump /big").find("Indirect levels: 1") != std::string::npos);
}

TEST_CASE("ext4: tasks on two vCPUs make, grow, read, label and remove files side by side", "[ext4]") {
  for (const char* type : {"ext4", "ext3"}) {
    SECTION(type) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, type, "-b 1024", 4096);
      // A small memory limit: the flusher and reclaim write back while the tasks work.
      auto k = test::boot("vcpus=2 mem=24M ubda=" + img);
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw(type) != 0) return 1;
                return static_cast<int>(sys(SYS_mkdir, "/mnt/work", 0755));
              }) == 0);
      constexpr int kTasks = 4;
      std::atomic<int> failed{0};
      {
        std::vector<uml::TaskHandle> hs;
        for (int t = 0; t < kTasks; ++t)
          hs.push_back(k->spawn([&, t] {
            std::mt19937 rng(static_cast<uint32_t>(t) + 1);
            for (int round = 0; round < 40; ++round) {
              const std::string p = "/mnt/work/t" + std::to_string(t) + "-" + std::to_string(round);
              const long fd = sys(SYS_openat, AT_FDCWD, p.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
              if (fd < 0) return failed = 1, 1;
              // Random-sized writes at random places, then the whole file back.
              std::string shadow;
              for (int w = 0; w < 8; ++w) {
                const size_t off = rng() % (256 * 1024), len = 1 + rng() % 20000;
                std::string d(len, static_cast<char>('a' + (rng() % 26)));
                if (sys(SYS_pwrite64, fd, d.data(), len, off) != static_cast<long>(len)) return failed = 2, 2;
                if (shadow.size() < off + len) shadow.resize(off + len, '\0');
                memcpy(shadow.data() + off, d.data(), len);
              }
              std::string back(shadow.size(), '?');
              if (sys(SYS_pread64, fd, back.data(), back.size(), 0) != static_cast<long>(back.size())) return failed = 3, 3;
              if (back != shadow) return failed = 4, 4;
              if (round % 3 == 0 && sys(SYS_ftruncate, fd, shadow.size() / 2) != 0) return failed = 5, 5;
              // A label in the inode or its block, read back.
              const std::string label(round % 2 ? 10 : 400, static_cast<char>('A' + t));
              if (sys(SYS_fsetxattr, fd, "user.label", label.data(), label.size(), 0) != 0) return failed = 7, 7;
              char got[512];
              if (sys(SYS_fgetxattr, fd, "user.label", got, sizeof got) != static_cast<long>(label.size()) ||
                  std::string(got, label.size()) != label)
                return failed = 8, 8;
              sys(SYS_close, fd);
              // Every other older file goes.
              if (round >= 2 && round % 2 == 0) {
                const std::string old = "/mnt/work/t" + std::to_string(t) + "-" + std::to_string(round - 2);
                if (sys(SYS_unlinkat, AT_FDCWD, old.c_str(), 0) != 0) return failed = 6, 6;
              }
            }
            return 0;
          }));
        for (auto& h : hs) CHECK(h.wait() == 0);
      }
      INFO(k->dmesg());
      CHECK(failed == 0);
      REQUIRE(test::run_task(*k, [] { return static_cast<int>(sys(SYS_umount2, "/mnt", 0)); }) == 0);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
    }
  }
}

TEST_CASE("ext4: fallocate preallocates unwritten extents and punches holes, as Linux's", "[ext4]") {
  for (const char* opts : {"-b 4096", "-b 1024"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, "ext4", opts, 1000);
      auto k = test::boot("ubda=" + img);
      long r_keep = -1, r_grow = -1, r_punch = -1;
      uint64_t blocks0 = 0, blocks_keep = 0, size_keep = 0, size_grow = 0, blocks_punch = 0;
      long data_at = -1, hole_at = -1;
      std::string zeros_back, mid_back, edge_back;
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw() != 0) return 1;
                const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/f", O_CREAT | O_RDWR, 0644);
                const std::string a(256 * 1024, 'a');
                sys(SYS_pwrite64, fd, a.data(), a.size(), 0);
                struct stat st;
                sys(SYS_fstat, fd, &st);
                blocks0 = st.st_blocks;
                // Past the end, keeping the size: blocks, but no bytes.
                r_keep = sys(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 256 * 1024, 256 * 1024);
                sys(SYS_fstat, fd, &st);
                blocks_keep = st.st_blocks;
                size_keep = st.st_size;
                // Moving the size: the new part reads as zeros, and is a hole to SEEK_DATA.
                r_grow = sys(SYS_fallocate, fd, 0, 0, 768 * 1024);
                sys(SYS_fstat, fd, &st);
                size_grow = st.st_size;
                std::string buf(4096, 'x');
                sys(SYS_pread64, fd, buf.data(), buf.size(), 600 * 1024);
                zeros_back = buf;
                data_at = sys(SYS_lseek, fd, 300 * 1024, SEEK_DATA);
                hole_at = sys(SYS_lseek, fd, 0, SEEK_HOLE);
                // Written into: data from then on.
                sys(SYS_pwrite64, fd, "written", 7, 700 * 1024);
                // A hole punched in the middle of the data: zeros, fewer blocks, edges kept.
                r_punch = sys(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10000, 100000);
                sys(SYS_fstat, fd, &st);
                blocks_punch = st.st_blocks;
                std::string mid(100000, 'x');
                sys(SYS_pread64, fd, mid.data(), mid.size(), 10000);
                mid_back = mid;
                std::string edge(20, 'x');
                sys(SYS_pread64, fd, edge.data(), edge.size(), 10000 - 10);
                edge_back = edge;
                sys(SYS_close, fd);
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(r_keep == 0);
      CHECK(blocks_keep == blocks0 + 512);
      CHECK(size_keep == 256 * 1024);
      CHECK(r_grow == 0);
      CHECK(size_grow == 768 * 1024);
      CHECK(zeros_back == std::string(4096, '\0'));
      CHECK(data_at == -ENXIO);                // nothing but unwritten extents past 256 KiB
      CHECK(hole_at == 256 * 1024);
      CHECK(r_punch == 0);
      CHECK(blocks_punch < blocks_keep + 512);
      CHECK(mid_back == std::string(100000, '\0'));
      CHECK(edge_back == std::string(10, 'a') + std::string(10, '\0'));
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      const std::string back = debugfs(img, "cat /f");
      REQUIRE(back.size() == 768 * 1024);
      CHECK(back.substr(700 * 1024, 7) == "written");
      CHECK(back.substr(10000, 100000) == std::string(100000, '\0'));
      CHECK(back.substr(110000, 1000) == std::string(1000, 'a'));
    }
  }
}

TEST_CASE("ext4: fallocate zeroes, collapses and inserts ranges, as Linux's", "[ext4]") {
  for (const char* opts : {"-b 4096", "-b 1024"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string img = tmp.path + "/fs.img";
      make_image(tmp, img, "ext4", opts, 1000);
      const size_t bs = std::string(opts) == "-b 1024" ? 1024 : 4096;
      std::vector<char> model = test::random_bytes(64 * bs + 100, 21);
      long r_zero = -1, r_zero_past = -1, r_collapse = -1, r_insert = -1, bad_align = 0, past_end = 0, insert_end = 0,
           unshare = 0;
      std::string back;
      auto k = test::boot("ubda=" + img);
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw() != 0) return 1;
                const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/f", O_CREAT | O_RDWR, 0644);
                sys(SYS_pwrite64, fd, model.data(), model.size(), 0);
                // Unaligned zeroing inside, then across the end (the size follows).
                r_zero = sys(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, bs + 10, 5 * bs);
                r_zero_past = sys(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, model.size() - 50, 2 * bs);
                r_collapse = sys(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 8 * bs, 4 * bs);
                r_insert = sys(SYS_fallocate, fd, FALLOC_FL_INSERT_RANGE, 2 * bs, 3 * bs);
                bad_align = sys(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 100, bs);
                past_end = sys(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 0, 1000 * bs);
                insert_end = sys(SYS_fallocate, fd, FALLOC_FL_INSERT_RANGE, 1000 * bs, bs);
                unshare = sys(SYS_fallocate, fd, 0x40, 0, bs);  // FALLOC_FL_UNSHARE_RANGE
                struct stat st;
                sys(SYS_fstat, fd, &st);
                back.assign(static_cast<size_t>(st.st_size), '?');
                sys(SYS_pread64, fd, back.data(), back.size(), 0);
                sys(SYS_close, fd);
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(r_zero == 0);
      CHECK(r_zero_past == 0);
      CHECK(r_collapse == 0);
      CHECK(r_insert == 0);
      CHECK(bad_align == -EINVAL);
      CHECK(past_end == -EINVAL);
      CHECK(insert_end == -EINVAL);
      CHECK(unshare == -EOPNOTSUPP);
      // The same changes to the model.
      std::fill(model.begin() + bs + 10, model.begin() + 6 * bs + 10, '\0');
      const size_t past = model.size() - 50;
      model.resize(past + 2 * bs, '\0');
      std::fill(model.begin() + past, model.end(), '\0');
      model.erase(model.begin() + 8 * bs, model.begin() + 12 * bs);
      model.insert(model.begin() + 2 * bs, 3 * bs, '\0');
      CHECK((back == std::string(model.begin(), model.end())));
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      CHECK((debugfs(img, "cat /f") == std::string(model.begin(), model.end())));
    }
  }
  SECTION("ext3") {
    test::TempDir tmp;
    const std::string img = tmp.path + "/fs.img";
    make_image(tmp, img, "ext3", "", 10000);
    auto k = test::boot("ubda=" + img);
    long zero = 0, collapse = 0;
    REQUIRE(test::run_task(*k, [&] {
              if (mount_rw("ext3") != 0) return 1;
              const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
              zero = sys(SYS_fallocate, fd, FALLOC_FL_ZERO_RANGE, 0, 4096);
              collapse = sys(SYS_fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096);
              sys(SYS_close, fd);
              return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
            }) == 0);
    CHECK(zero == -EOPNOTSUPP);  // as Linux's: these need extents
    CHECK(collapse == -EOPNOTSUPP);
  }
}

TEST_CASE("ext4: inline files and directories move to a block when they change, as Linux converts them", "[ext4]") {
  for (const char* opts : {"-O inline_data", "-O inline_data,^metadata_csum -b 1024"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
      for (const char* d : {"", "/idir", "/idir2", "/idir2/sub", "/other"}) mkdir((src + d).c_str(), 0755);
      const std::string medium(100, 'm');  // i_block and system.data
      test::write_file(src + "/small", "tiny");
      test::write_file(src + "/medium", medium);
      test::write_file(src + "/grower", "grow me");
      test::write_file(src + "/cut", "abcdef");
      test::write_file(src + "/same", "unchanged");
      for (const char* f : {"/idir/one", "/idir/two", "/idir2/x"}) test::write_file(src + f, "");
      REQUIRE(sh("mke2fs -q -F -t ext4 " + std::string(opts) + " -d " + src + " " + img + " 16M").status == 0);
      REQUIRE(debugfs(img, "stat /idir").find("Flags: 0x10000000") != std::string::npos);
      REQUIRE(debugfs(img, "stat /medium").find("Size of inline data: 100") != std::string::npos);
      const std::string big(20000, 'B');
      long app = -1, grow = -1, cut = -1, create = -1, unl = -1, mv = -1, mvdir = -1;
      std::string small_back, medium_back;
      auto k = test::boot("ubda=" + img);
      REQUIRE(test::run_task(*k, [&] {
                if (mount_rw() != 0) return 1;
                const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/small", O_WRONLY | O_APPEND);
                app = sys(SYS_write, fd, big.data(), big.size());
                sys(SYS_close, fd);
                const long m = sys(SYS_openat, AT_FDCWD, "/mnt/medium", O_WRONLY);
                sys(SYS_pwrite64, m, "M", 1, 50);
                sys(SYS_close, m);
                grow = sys(SYS_truncate, "/mnt/grower", 9000);
                cut = sys(SYS_truncate, "/mnt/cut", 3);
                create = sys(SYS_openat, AT_FDCWD, "/mnt/idir/three", O_CREAT | O_WRONLY, 0644);
                sys(SYS_close, create);
                unl = sys(SYS_unlinkat, AT_FDCWD, "/mnt/idir/one", 0);
                mv = sys(SYS_renameat2, AT_FDCWD, "/mnt/idir2/x", AT_FDCWD, "/mnt/other/x", 0);
                mvdir = sys(SYS_renameat2, AT_FDCWD, "/mnt/idir2/sub", AT_FDCWD, "/mnt/other/sub", 0);  // its ".."
                std::string b(big.size() + 10, '?');
                const long r = sys(SYS_openat, AT_FDCWD, "/mnt/small", O_RDONLY);
                const long n = sys(SYS_pread64, r, b.data(), b.size(), 0);
                sys(SYS_close, r);
                if (n > 0) small_back.assign(b.data(), static_cast<size_t>(n));
                return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
              }) == 0);
      INFO(k->dmesg());
      CHECK(app == static_cast<long>(big.size()));
      CHECK(grow == 0);
      CHECK(cut == 0);
      CHECK(create >= 0);
      CHECK(unl == 0);
      CHECK(mv == 0);
      CHECK(mvdir == 0);
      CHECK(small_back == "tiny" + big);
      CHECK(k->dmesg().find("is not supported yet") == std::string::npos);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      std::string want_medium = medium;
      want_medium[50] = 'M';
      CHECK(debugfs(img, "cat /small") == "tiny" + big);
      CHECK(debugfs(img, "cat /medium") == want_medium);
      CHECK(debugfs(img, "cat /grower") == "grow me" + std::string(9000 - 7, '\0'));
      CHECK(debugfs(img, "cat /cut") == "abc");
      CHECK(debugfs(img, "cat /same").substr(0, 9) == "unchanged");  // debugfs prints all 60 inline bytes
      CHECK(debugfs(img, "stat /same").find("Flags: 0x10000000") != std::string::npos);  // untouched: still inline
      CHECK(debugfs(img, "stat /small").find("Flags: 0x80000") != std::string::npos);    // extents now
      const std::string ls = debugfs(img, "ls /idir");
      CHECK(ls.find("three") != std::string::npos);
      CHECK(ls.find("two") != std::string::npos);
      CHECK(ls.find("one") == std::string::npos);
      CHECK(debugfs(img, "ls /other/sub").find("..") != std::string::npos);
    }
  }
}

// A rename converts the inline directory it moves (its ".." changes) without that
// directory's own lock, so a task listing or looking up in it runs alongside.
TEST_CASE("ext4: a listing racing an inline directory's conversion sees every name", "[ext4]") {
  for (const char* opts : {"-O inline_data", "-O inline_data,^metadata_csum -b 1024"}) {
    SECTION(opts) {
      test::TempDir tmp;
      const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
      constexpr int kDirs = 150;
      for (const char* d : {"", "/p1", "/p2"}) mkdir((src + d).c_str(), 0755);
      for (int i = 0; i < kDirs; ++i) {
        const std::string d = src + "/p1/x" + std::to_string(i);
        mkdir(d.c_str(), 0755);
        for (const char* f : {"/a", "/b"}) test::write_file(d + f, "");
      }
      REQUIRE(sh("mke2fs -q -F -t ext4 " + std::string(opts) + " -d " + src + " " + img + " 16M").status == 0);
      REQUIRE(debugfs(img, "stat /p1/x7").find("Flags: 0x10000000") != std::string::npos);
      auto k = test::boot("vcpus=2 ubda=" + img);
      REQUIRE(test::run_task(*k, [] { return mount_rw(); }) == 0);
      // The mover announces a directory and waits until the lister has it open; then the
      // lister lists it (and looks a name up) over and over while the rename converts it.
      std::atomic<int> target{-1}, opened{-1}, moved{-1};
      std::atomic<int> short_lists{0}, lookups_missed{0}, lists{0}, failed{0};
      auto pin = [](int vcpu) {
        const uint64_t mask = uint64_t{1} << vcpu;
        sys(SYS_sched_setaffinity, 0, sizeof mask, &mask);
      };
      auto mover = k->spawn([&] {
        pin(0);
        for (int i = 0; i < kDirs; ++i) {
          target = i;
          while (opened.load() != i) sys(SYS_sched_yield);
          const std::string from = "/mnt/p1/x" + std::to_string(i), to = "/mnt/p2/x" + std::to_string(i);
          if (sys(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), 0) != 0) failed = 1;
          moved = i;
        }
        return 0;
      });
      auto lister = k->spawn([&] {
        pin(1);
        char dents[4096];
        for (int i = 0; i < kDirs; ++i) {
          while (target.load() != i) sys(SYS_sched_yield);
          const std::string d = "/mnt/p1/x" + std::to_string(i);
          const long fd = sys(SYS_openat, AT_FDCWD, d.c_str(), O_RDONLY | O_DIRECTORY);
          if (fd < 0) return failed = 2, 2;
          opened = i;
          bool looked = false;
          for (int round = 0; moved.load() != i || round < 2; ++round) {
            if (!looked) {  // the first lookup of b goes to the filesystem
              struct stat st;
              looked = true;
              if (sys(SYS_newfstatat, fd, "b", &st, 0) != 0) ++lookups_missed;
            }
            sys(SYS_lseek, fd, 0, SEEK_SET);
            int names = 0;
            for (long n; (n = sys(SYS_getdents64, fd, dents, sizeof dents)) > 0;)
              for (long off = 0; off < n;) {
                const auto* e = reinterpret_cast<const struct dirent64*>(dents + off);
                if (!strcmp(e->d_name, "a") || !strcmp(e->d_name, "b")) ++names;
                off += e->d_reclen;
              }
            ++lists;
            if (names != 2) ++short_lists;
          }
          sys(SYS_close, fd);
        }
        return 0;
      });
      CHECK(mover.wait() == 0);
      CHECK(lister.wait() == 0);
      INFO(k->dmesg());
      INFO("listings: " << lists.load());
      CHECK(failed == 0);
      CHECK(short_lists == 0);
      CHECK(lookups_missed == 0);
      REQUIRE(test::run_task(*k, [] { return static_cast<int>(sys(SYS_umount2, "/mnt", 0)); }) == 0);
      k->shutdown();
      const test::Shell fsck = sh("e2fsck -fn " + img);
      INFO(fsck.out);
      CHECK(fsck.status == 0);
      CHECK(debugfs(img, "ls /p2/x7").find("b") != std::string::npos);
    }
  }
}

TEST_CASE("ext4: a writable mount finishes the orphan list: unnamed inodes deleted, cut files truncated", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  test::write_file(src + "/gone", test::random_bytes(1 << 20, 1));
  test::write_file(src + "/cut", test::random_bytes(1 << 20, 2));
  REQUIRE(sh("mke2fs -q -F -t ext4 -b 4096 -d " + src + " " + img + " 32M").status == 0);
  const std::string gone = debugfs(img, "stat /gone"), cut = debugfs(img, "stat /cut");
  const std::string gone_ino = gone.substr(7, gone.find(' ', 7) - 7), cut_ino = cut.substr(7, cut.find(' ', 7) - 7);
  // What a crash leaves: /gone unlinked while open, /cut in the middle of a truncate, both
  // on the orphan list (gone -> cut).
  test::write_file(tmp.path + "/cmds", "unlink /gone\nsif <" + gone_ino + "> links_count 0\nsif <" + gone_ino +
                                           "> dtime " + cut_ino + "\nsif <" + cut_ino + "> size 4096\nssv last_orphan " +
                                           gone_ino + "\n");
  sh("debugfs -w -f " + tmp.path + "/cmds " + img);
  REQUIRE(sh("e2fsck -fn " + img).status != 0);  // the list is not finished yet
  auto free_blocks = [&] {
    const std::string h = sh("dumpe2fs -h " + img).out;
    const size_t at = h.find("Free blocks:");
    return at == std::string::npos ? -1L : std::stol(h.substr(at + 12));
  };
  const long free_before = free_blocks();
  // A read-only mount leaves the list alone.
  auto ro = test::boot("ubdar=" + img);
  REQUIRE(test::run_task(*ro, [] {
            sys(SYS_mkdir, "/mnt", 0755);
            return static_cast<int>(sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L));
          }) == 0);
  CHECK(ro->dmesg().find("2 orphan inodes left") != std::string::npos);
  ro->shutdown();
  auto k = test::boot("ubda=" + img);
  long size = -1;
  REQUIRE(test::run_task(*k, [&] {
            if (mount_rw() != 0) return 1;
            struct stat st;
            if (sys(SYS_newfstatat, AT_FDCWD, "/mnt/cut", &st, 0) == 0) size = st.st_size;
            return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
          }) == 0);
  INFO(k->dmesg());
  CHECK(k->dmesg().find("2 orphan inodes cleaned up") != std::string::npos);
  CHECK(size == 4096);
  k->shutdown();
  const test::Shell fsck = sh("e2fsck -fn " + img);
  INFO(fsck.out);
  CHECK(fsck.status == 0);
  CHECK(free_blocks() == free_before + 256 + 255);  // all of /gone, and /cut past its first block
  CHECK(sh("dumpe2fs -h " + img).out.find("First orphan inode") == std::string::npos);
}

// Issue 17.3: a directory block that fails its checksum is an error for every operation
// that needs its names (EBADMSG, Linux's EFSBADCRC), never an empty block a new name can
// be appended after. The same questions go to the host's kernel on a loop mount of a copy
// when this runs as root.
TEST_CASE("ext4: a directory block that fails its checksum is EBADMSG for lookups and creates, and is not written",
          "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img", src = tmp.path + "/src";
  mkdir(src.c_str(), 0755);
  mkdir((src + "/d").c_str(), 0755);
  test::write_file(src + "/d/a", "a\n");
  REQUIRE(sh("mke2fs -q -F -t ext4 -b 4096 -d " + src + " " + img + " 64M").status == 0);
  const std::string bmap = debugfs(img, "bmap d 0");
  const unsigned long blk = strtoul(bmap.c_str(), nullptr, 10);
  REQUIRE(blk > 0);
  REQUIRE(sh("dd if=/dev/urandom of=" + img + " bs=4096 seek=" + std::to_string(blk) +
             " count=1 conv=notrunc").status == 0);
  const std::vector<char> before = test::read_file(img);

  // The four questions, asked of whichever kernel `call` reaches.
  struct Answers {
    long stat_a, stat_zz, create_x, stat_x, unlink_a, rmdir_d;
  };
  auto ask = [](auto&& stat_of, auto&& create, auto&& unlink_of, auto&& rmdir_of) {
    Answers a{};
    a.stat_a = stat_of("d/a");
    a.stat_zz = stat_of("d/zz");
    a.create_x = create("d/x");
    a.stat_x = stat_of("d/x");
    a.unlink_a = unlink_of("d/a");
    a.rmdir_d = rmdir_of("d");
    return a;
  };

  Answers guest{};
  std::string log;
  {
    auto k = test::boot("ubda=" + img);
    REQUIRE(test::run_task(*k, [&] {
              if (mount_rw() != 0) return 1;
              struct stat st;
              auto at = [](const char* p) { return "/mnt/" + std::string(p); };
              guest = ask([&](const char* p) { return sys(SYS_newfstatat, AT_FDCWD, at(p).c_str(), &st, 0); },
                          [&](const char* p) {
                            const long fd = sys(SYS_openat, AT_FDCWD, at(p).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                            if (fd >= 0) sys(SYS_close, fd);
                            return fd < 0 ? fd : 0;
                          },
                          [&](const char* p) { return sys(SYS_unlinkat, AT_FDCWD, at(p).c_str(), 0); },
                          [&](const char* p) { return sys(SYS_unlinkat, AT_FDCWD, at(p).c_str(), AT_REMOVEDIR); });
              return sys(SYS_umount2, "/mnt", 0L) == 0 ? 0 : 2;
            }) == 0);
    log = k->dmesg();
  }
  INFO(log);
  CHECK(guest.stat_a == -EBADMSG);
  CHECK(guest.stat_zz == -EBADMSG);
  CHECK(guest.create_x == -EBADMSG);
  CHECK(guest.stat_x == -EBADMSG);
  CHECK(guest.unlink_a == -EBADMSG);
  CHECK(guest.rmdir_d == -ENOTEMPTY);
  CHECK(log.find("ext4_dirblock_csum_verify") != std::string::npos);
  // Nothing but the superblock's error record and mount state may have changed: no new
  // block, no directory entry, no inode.
  const std::vector<char> after = test::read_file(img);
  REQUIRE(after.size() == before.size());
  size_t first_diff = after.size();
  for (size_t i = 0; i < after.size(); ++i)
    if (after[i] != before[i] && (i < 1024 || i >= 2048)) {  // the primary superblock may change
      first_diff = i;
      break;
    }
  CHECK(first_diff == after.size());

  const std::string copy = tmp.path + "/copy.img";
  test::write_file(copy, before);
  Answers host{};
  {
    test::HostLoopMount mnt(copy, tmp.path + "/mnt");
    if (!mnt.ok()) return test::skip(mnt.why());
    struct stat st;
    auto hp = [&](const char* p) { return mnt / p; };
    auto err = [](int r) { return r < 0 ? -static_cast<long>(errno) : 0L; };
    host = ask([&](const char* p) { return err(stat(hp(p).c_str(), &st)); },
               [&](const char* p) {
                 const int fd = open(hp(p).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                 const long r = err(fd);
                 if (fd >= 0) close(fd);
                 return r;
               },
               [&](const char* p) { return err(unlink(hp(p).c_str())); },
               [&](const char* p) { return err(rmdir(hp(p).c_str())); });
  }
  CHECK(host.stat_a == guest.stat_a);
  CHECK(host.stat_zz == guest.stat_zz);
  CHECK(host.create_x == guest.create_x);
  CHECK(host.stat_x == guest.stat_x);
  CHECK(host.unlink_a == guest.unlink_a);
  CHECK(host.rmdir_d == guest.rmdir_d);
}

// chattr on ext4: the flags land in i_flags as e2fsprogs reads them, persist across
// mounts, and the sync flag makes a write durable when it returns.
TEST_CASE("ext4: FS_IOC_SETFLAGS stores chattr's flags in i_flags; +S writes reach the disk at once", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "", 8192);
  std::vector<long> r;
  {
    auto k = test::boot("ubda=" + img);
    REQUIRE(test::run_task(*k, [&] {
              if (mount_rw() != 0) return 1;
              const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/small.txt", O_RDWR);
              int f = 0;
              r.push_back(sys(SYS_ioctl, fd, FS_IOC_GETFLAGS, &f));
              r.push_back(f & 0x80000 ? 0 : -1);  // EXTENTS_FL, as lsattr shows 'e'
              int want = f | FS_APPEND_FL | FS_NOATIME_FL;
              r.push_back(sys(SYS_ioctl, fd, FS_IOC_SETFLAGS, &want));
              int bad = f | 0x4;  // FS_COMPR_FL: not something this ext4 does
              r.push_back(sys(SYS_ioctl, fd, FS_IOC_SETFLAGS, &bad) == -EOPNOTSUPP ? 0 : -1);
              sys(SYS_close, fd);
              // +S: a plain write is on the disk when it returns.
              const long s = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_RDWR);
              int sf = 0;
              sys(SYS_ioctl, s, FS_IOC_GETFLAGS, &sf);
              sf |= FS_SYNC_FL;
              r.push_back(sys(SYS_ioctl, s, FS_IOC_SETFLAGS, &sf));
              r.push_back(sys(SYS_pwrite64, s, "SYNCED!!", 8, 0) == 8 ? 0 : -1);
              // Read the image behind the instance's back: the bytes are there already.
              r.push_back(sh("debugfs -R 'cat /data.bin' " + img + " | head -c 8").out == "SYNCED!!" ? 0 : -1);
              sys(SYS_close, s);
              return sys(SYS_umount2, "/mnt", 0L) == 0 ? 0 : 2;
            }) == 0);
  }
  for (size_t i = 0; i < r.size(); ++i) {
    INFO("step " << i);
    CHECK(r[i] == 0);
  }
  const std::string st = debugfs(img, "stat /small.txt");
  INFO(st);
  CHECK(st.find("Flags: 0x800a0") != std::string::npos);  // extents | noatime | append
  CHECK(sh("e2fsck -fn " + img).status == 0);
  // A new mount enforces what the image says.
  auto k2 = test::boot("ubda=" + img);
  long w = 0;
  REQUIRE(test::run_task(*k2, [&] {
            if (mount_rw() != 0) return 1;
            w = sys(SYS_openat, AT_FDCWD, "/mnt/small.txt", O_WRONLY);
            return 0;
          }) == 0);
  CHECK(w == -EPERM);
}

// A new inode's i_generation is random, as on Linux, but from the instance's generator:
// seed= reproduces it, and instances in one process do not share a sequence.
TEST_CASE("ext4: new inodes' generations follow the instance's seed", "[ext4]") {
  test::TempDir tmp;
  const std::string base = tmp.path + "/base.img";
  make_image(tmp, base, "ext4", "", 4096);
  auto generations = [&](const std::string& opts, const std::string& name) {
    const std::string img = run_on_copy(tmp, base, name, opts, [] {
      if (mount_rw() != 0) return 1;
      long err = 0;
      if (create_names(3, [](int i) { return "/mnt/g" + std::to_string(i); }, &err) != 3) return 2;
      return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
    });
    std::string out;
    for (int i = 0; i < 3; ++i) {
      const std::string st = debugfs(img, "stat /g" + std::to_string(i));
      const size_t at = st.find("Generation: ");
      REQUIRE(at != std::string::npos);
      out += st.substr(at, st.find(' ', at + 12) - at) + ";";
    }
    return out;
  };
  const std::string a = generations("seed=7", "a"), b = generations("seed=7", "b"), c = generations("seed=8", "c");
  CHECK(a == b);
  CHECK(a != c);
  // Without a seed, two instances draw different numbers.
  CHECK(generations("", "d") != generations("", "e"));
}

// Issue 18.1: a filesystem reads the time through the instance it is mounted in, whoever
// acts: a task's write and the shutdown that marks the image clean (a host thread) both
// stamp the instance's clock, not the host's.
TEST_CASE("ext4: file times and the superblock's write time follow the instance's clock", "[ext4]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/fs.img";
  make_image(tmp, img, "ext4", "", 4096);
  constexpr int64_t kThen = 1893456000;  // 2030-01-01, far from the host's now
  {
    auto k = test::boot("ubda=" + img);
    REQUIRE(test::run_task(*k, [] {
              const struct timespec ts = {kThen, 0};
              if (sys(SYS_clock_settime, CLOCK_REALTIME, &ts) != 0) return 1;
              if (mount_rw() != 0) return 2;
              const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/new", O_CREAT | O_WRONLY, 0644);
              if (fd < 0) return 3;
              sys(SYS_close, fd);
              return 0;  // left mounted: shutdown writes the superblock back
            }) == 0);
  }
  const std::string st = debugfs(img, "stat /new");
  INFO(st);
  CHECK(st.find("2030") != std::string::npos);
  std::vector<char> raw = test::read_file(img);
  REQUIRE(raw.size() > 2048);
  uint32_t wtime = 0;
  memcpy(&wtime, raw.data() + 1024 + 0x30, 4);  // s_wtime
  CHECK(wtime >= kThen);
  CHECK(wtime < kThen + 3600);
}

// Issue 18.3: with seed= and the fake clock, nothing of the host reaches the image: the
// same workload twice writes the same bytes.
TEST_CASE("ext4: the same workload with seed= and clock=fake writes byte-identical images", "[ext4]") {
  test::TempDir tmp;
  const std::string base = tmp.path + "/base.img";
  make_image(tmp, base, "ext4", "", 64 * 1024);
  auto run = [&](const std::string& name, const std::string& opts) {
    return test::read_file(run_on_copy(tmp, base, name, opts, [] {
              if (mount_rw() != 0) return 1;
              long err = 0;
              if (create_names(20, [](int i) { return "/mnt/f" + std::to_string(i); }, &err) != 20) return 2;
              if (sys(SYS_mkdirat, AT_FDCWD, "/mnt/d", 0755) != 0) return 3;
              if (sys(SYS_symlinkat, "f1", AT_FDCWD, "/mnt/d/link") != 0) return 4;
              const long fd = sys(SYS_openat, AT_FDCWD, "/mnt/data.bin", O_WRONLY | O_APPEND);
              std::vector<char> more(50000, 'm');
              if (sys(SYS_write, fd, more.data(), more.size()) != static_cast<long>(more.size())) return 5;
              sys(SYS_close, fd);
              if (sys(SYS_setxattr, "/mnt/f3", "user.k", "v", 1, 0) != 0) return 6;
              if (sys(SYS_unlinkat, AT_FDCWD, "/mnt/f5", 0) != 0) return 7;
              return static_cast<int>(sys(SYS_umount2, "/mnt", 0));
            }));
  };
  const std::vector<char> a = run("a", "seed=7 clock=fake"), b = run("b", "seed=7 clock=fake");
  CHECK(a == b);
  CHECK(sh("e2fsck -fn " + tmp.path + "/a.img").status == 0);
  // The host's clock, or another seed, is seen in the image.
  CHECK(run("c", "seed=8 clock=fake") != a);
  CHECK(run("d", "seed=7") != a);
}
