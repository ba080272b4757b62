// ext2/3/4 images made by mke2fs -d from generated trees, mounted in an instance and
// compared completely with their source: every entry's type, mode, owner, size, link
// count, mtime, content, symlink target, xattrs (ACLs included) and hard links.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"
#include "tree_walk.h"

#ifndef UML_TEST_SCALE
#define UML_TEST_SCALE 1
#endif

namespace {

std::string sh(const std::string& cmd, bool quiet = false) { return test::shell(cmd, quiet).out; }

void set_mtime(const std::string& path, int64_t sec, long nsec) {
  const timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

// The POSIX ACL xattr format (posix_acl_xattr_header + entries).
std::string acl_value() {
  struct E {
    uint16_t tag, perm;
    uint32_t id;
  };
  const E es[] = {{1, 6, ~0u}, {2, 4, 1000}, {4, 4, ~0u}, {0x10, 4, ~0u}, {0x20, 4, ~0u}};
  std::string v(4, '\0');
  const uint32_t ver = 2;
  memcpy(v.data(), &ver, 4);
  v.append(reinterpret_cast<const char*>(es), sizeof es);
  return v;
}

struct TreeOpts {
  bool inline_small = false;  // files and dirs small enough to be inline
  uint64_t sparse_bytes = 64ull << 20;
  bool xattrs = true;
  // mke2fs 1.47.0 -d with inline_data drops a trailing hole from the size: data ends it.
  bool trailing_hole = true;
};

// The source tree: every kind of file ext4 stores, in the shapes that exercise its paths.
void make_tree(const std::string& d, const TreeOpts& o) {
  const bool root = geteuid() == 0;
  mkdir((d + "/dir").c_str(), 0755);
  mkdir((d + "/dir/sub").c_str(), 0700);
  mkdir((d + "/empty").c_str(), 0755);
  test::write_file(d + "/empty.txt", "");
  test::write_file(d + "/small.txt", "hello, ext4\n");
  test::write_file(d + "/dir/page.bin", std::string(4096, 'p'));
  test::write_file(d + "/dir/page_plus.bin", std::string(4097, 'q'));
  {
    auto v = test::random_bytes(3 * 1024 * 1024 + 123, 7);  // indirect and extent runs
    test::write_file(d + "/dir/sub/random.bin", v);
  }
  {
    // Sparse: data every 1 MiB (many extents: a deeper tree), a hole at the end.
    const int fd = open((d + "/sparse.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0640);
    auto blk = test::random_bytes(4096, 9);
    for (uint64_t off = 0; off + 4096 < o.sparse_bytes; off += 1 << 20)
      if (pwrite(fd, blk.data(), 4096, static_cast<off_t>(off)) != 4096) break;
    if (!o.trailing_hole && pwrite(fd, blk.data(), 4096, static_cast<off_t>(o.sparse_bytes - 4096)) != 4096) {
    }
    if (ftruncate(fd, static_cast<off_t>(o.sparse_bytes)) != 0) {
    }
    close(fd);
  }
  symlink("small.txt", (d + "/fast_link").c_str());
  symlink(std::string(200, 'x').c_str(), (d + "/slow_link").c_str());
  symlink("/nowhere/at/all", (d + "/dir/dangling").c_str());
  link((d + "/small.txt").c_str(), (d + "/dir/hardlink.txt").c_str());
  link((d + "/small.txt").c_str(), (d + "/hardlink2.txt").c_str());
  mkfifo((d + "/fifo").c_str(), 0644);
  {
    const int s = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = d + "/sock";
    if (p.size() < sizeof a.sun_path) {
      memcpy(a.sun_path, p.c_str(), p.size());
      if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      }
    }
    close(s);
  }
  if (root) {
    mknod((d + "/chr").c_str(), S_IFCHR | 0600, makedev(1, 3));
    mknod((d + "/blk").c_str(), S_IFBLK | 0660, makedev(259, 70000 & 0xfffff));
    chown((d + "/dir/page.bin").c_str(), 1000, 1000);
    lchown((d + "/fast_link").c_str(), 1234, 5678);
    chown((d + "/dir/sub").c_str(), 70000, 70001);  // 32-bit ids
  }
  chmod((d + "/dir/page_plus.bin").c_str(), 04755);
  // A long name and a deep path.
  test::write_file(d + "/" + std::string(255, 'n'), "long name");
  std::string deep = d;
  for (int i = 0; i < 40; ++i) {
    deep += "/d" + std::to_string(i);
    mkdir(deep.c_str(), 0755);
  }
  test::write_file(deep + "/bottom", "deep");
  if (o.xattrs) {
    setxattr((d + "/small.txt").c_str(), "user.color", "blue", 4, 0);
    setxattr((d + "/small.txt").c_str(), "user.empty", "", 0, 0);
    const std::string big(700, 'v');  // too big for the inode: the external block
    setxattr((d + "/dir/page.bin").c_str(), "user.big", big.data(), big.size(), 0);
    setxattr((d + "/dir").c_str(), "user.dir", "d", 1, 0);
    if (root) {
      setxattr((d + "/empty.txt").c_str(), "trusted.t", "tv", 2, 0);
      const std::string acl = acl_value();
      setxattr((d + "/dir/page_plus.bin").c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0);
    }
  }
  if (o.inline_small) {
    mkdir((d + "/inl").c_str(), 0755);
    for (int i = 0; i < 3; ++i) test::write_file(d + "/inl/f" + std::to_string(i), std::string(10 + i * 20, 'i'));
    test::write_file(d + "/inl/edge", std::string(60, 'e'));
    test::write_file(d + "/inl/over", std::string(150, 'o'));  // i_block plus system.data
  }
  // Times with nanoseconds, last (the walk above changed directories' times).
  set_mtime(d + "/small.txt", 1700000000, 123456789);
  set_mtime(d + "/dir/page.bin", 2000000000, 1);  // past 2038 needs the extra epoch bits
  set_mtime(d + "/fast_link", 1000000000, 0);
  set_mtime(d + "/dir", 1600000000, 999999999);
}

std::string mkfs(const std::string& img, const std::string& type, const std::string& opts, const std::string& size,
                 const std::string& src) {
  unlink(img.c_str());
  const std::string cmd = "mke2fs -q -F -t " + type + " " + opts + " -d " + src + " " + img + " " + size;
  return sh(cmd);
}

// The mounted tree as an instance sees it, snapshotted by a guest task.
test::Tree guest_tree(uml::Kernel& k, const std::string& fstype, std::string* err, bool xattrs = true) {
  test::Tree t;
  const int st = test::run_task(k, [&] {
    test::sys(SYS_mkdir, "/mnt", 0755);
    const long r = test::sys(SYS_mount, "/dev/ubda", "/mnt", fstype.c_str(), MS_RDONLY, 0L);
    if (r != 0) {
      *err = "mount: " + std::string(strerror(static_cast<int>(-r)));
      return 1;
    }
    t = test::snapshot([](long nr, long a, long b, long c, long d, long e) { return uml::syscall(nr, a, b, c, d, e); },
                       "/mnt", err, xattrs);
    return 0;
  });
  if (st != 0 && err->empty()) *err = "guest task failed";
  return t;
}

struct Variant {
  const char* name;
  const char* type;
  const char* opts;
  bool inline_small;
  bool ns_times;  // 256-byte inodes keep nanoseconds
};

}  // namespace

TEST_CASE("ext2/3/4 images made by mke2fs -d read back exactly as their source trees", "[ext4]") {
  const Variant variants[] = {
      {"ext2, 1 KiB blocks, 128-byte inodes", "ext2", "-b 1024 -I 128", false, false},
      {"ext3, 1 KiB blocks (triple-level block maps)", "ext3", "-b 1024 -I 256", false, true},
      {"ext3, 4 KiB blocks", "ext3", "-b 4096", false, true},
      {"ext4 without extents", "ext4", "-O ^extent,^64bit,^metadata_csum -b 4096", false, true},
      {"ext4 default (extents, 64bit, metadata_csum, flex_bg)", "ext4", "-b 4096", false, true},
      {"ext4 with uninit_bg (crc16 descriptors), no 64bit", "ext4", "-O ^metadata_csum,^64bit,uninit_bg", false, true},
      {"ext4 2 KiB blocks, meta_bg", "ext4", "-b 2048 -O meta_bg,^resize_inode", false, true},
      {"ext4 inline_data", "ext4", "-O inline_data -b 4096", true, true},
  };
  for (const Variant& v : variants) {
    SECTION(v.name) {
      test::TempDir tmp;
      const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
      mkdir(src.c_str(), 0755);
      TreeOpts o;
      o.inline_small = v.inline_small;
      o.trailing_hole = !v.inline_small;
      make_tree(src, o);
      INFO(mkfs(img, v.type, v.opts, "96M", src));
      std::string err;
      test::Tree want = test::snapshot(test::host_syscall, src, &err);
      REQUIRE(err.empty());
      // mke2fs -d copies whole seconds; nanoseconds and the epoch bits past 2038 are set
      // with debugfs where the inodes have room for them (256 bytes).
      for (auto& [p, e] : want) e.mtime_ns -= e.mtime_ns % 1'000'000'000;
      if (v.ns_times) {
        INFO(sh("debugfs -w -R 'sif /small.txt mtime_extra " + std::to_string(123456789u << 2) + "' " + img));
        INFO(sh("debugfs -w -R 'sif /dir/page.bin mtime 0x80000000' " + img));
        INFO(sh("debugfs -w -R 'sif /dir/page.bin mtime_extra 1' " + img));
        const std::string group = want["/small.txt"].link_group;  // its hard links too
        for (auto& [p, e] : want)
          if (e.link_group == group) e.mtime_ns += 123456789;
        want["/dir/page.bin"].mtime_ns = 2147483648ll * 1'000'000'000;  // -2^31 + 2^32 s
      }
      auto k = test::boot("mem=256M ubdar=" + img);
      test::Tree got = guest_tree(*k, v.type, &err);
      INFO(err);
      REQUIRE(err.empty());
      CHECK(got.size() == want.size());
      CHECK(test::tree_diff(want, got) == "");
      k->shutdown();
    }
  }
}

TEST_CASE("ext4: an indexed directory of 50,000 entries is listed and looked up through its htree", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img", mnt = tmp.path + "/mnt";
  mkdir(src.c_str(), 0755);
  mkdir((src + "/big").c_str(), 0755);
  // mke2fs -d inserts names one by one into linear directories (quadratic: minutes for
  // 50,000), so the host kernel fills the directory through a loop mount where it can, and
  // e2fsck -D indexes it; without root, a smaller directory from mke2fs -d.
  int files = 50000 / UML_TEST_SCALE;  // sanitizer builds: fewer, still a multi-block htree
  INFO(mkfs(img, "ext4", "-b 4096 -N 60000", "128M", src));
  mkdir(mnt.c_str(), 0755);
  const bool loop = geteuid() == 0 && sh("mount -o loop " + img + " " + mnt + " && echo mounted").find("mounted") != std::string::npos;
  auto name = [](int i) { return "file-with-a-longer-name-" + std::to_string(i * 7919 % 1000003); };
  bool filled = false;
  if (loop) {
    for (int i = 0; i < files; ++i) close(open((mnt + "/big/" + name(i)).c_str(), O_WRONLY | O_CREAT, 0644));
    // The host's unmount must succeed and leave a clean image (no journal to recover);
    // a mount it could not end is detached lazily, never left behind.
    const test::Shell um = test::shell("umount " + mnt);
    if (um.status != 0) {
      WARN("host umount failed: " + um.out);
      test::shell("umount -l " + mnt);
    }
    filled = um.status == 0 && sh("dumpe2fs -h " + img).find("needs_recovery") == std::string::npos;
  }
  if (!filled) {
    WARN("no clean loop mount: a directory of 3,000 entries instead");
    files = 3000;
    for (int i = 0; i < files; ++i) close(open((src + "/big/" + name(i)).c_str(), O_WRONLY | O_CREAT, 0644));
    INFO(mkfs(img, "ext4", "-b 4096 -N 60000", "128M", src));
  }
  INFO(sh("e2fsck -fyD " + img));
  REQUIRE(sh("debugfs -R 'stat /big' " + img).find("Flags: 0x81000") != std::string::npos);  // INDEX | EXTENTS
  const int kFiles = files;
  auto k = test::boot("mem=256M ubdar=" + img);
  int listed = 0, found = 0, missing_ok = 0;
  test::run_task(*k, [&] {
    test::sys(SYS_mkdir, "/mnt", 0755);
    if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
    const long fd = test::sys(SYS_openat, AT_FDCWD, "/mnt/big", O_RDONLY | O_DIRECTORY);
    std::vector<char> buf(1 << 16);
    for (long n; (n = test::sys(SYS_getdents64, fd, buf.data(), buf.size())) > 0;)
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<dirent64*>(buf.data() + off);
        if (d->d_name[0] != '.') ++listed;
        off += d->d_reclen;
      }
    test::sys(SYS_close, fd);
    struct stat st {};
    for (int i = 0; i < kFiles; ++i) {
      const std::string p = "/mnt/big/" + name(i);
      if (test::sys(SYS_newfstatat, AT_FDCWD, p.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode)) ++found;
    }
    for (const char* absent : {"/mnt/big/nope", "/mnt/big/file-with-a-longer-name-", "/mnt/big/file-with-a-longer-name-1000004"})
      if (test::sys(SYS_newfstatat, AT_FDCWD, absent, &st, 0) == -ENOENT) ++missing_ok;
    return 0;
  });
  CHECK(listed == kFiles);
  CHECK(found == kFiles);
  CHECK(missing_ok == 3);
  // The lookups went through the index: no fallback to a linear scan was needed.
  CHECK(k->dmesg().find("falling back to linear search") == std::string::npos);
}

TEST_CASE("ext4: root=/dev/ubda boots on the image, read-only", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  for (const char* d : {"/dev", "/proc", "/tmp", "/etc"}) mkdir((src + d).c_str(), 0755);
  test::write_file(src + "/etc/hostname", "from-the-image\n");
  INFO(mkfs(img, "ext4", "", "32M", src));
  auto k = test::boot("ubdar=" + img + " root=/dev/ubda ro");
  std::string hostname;
  long write_err = 0, mkdir_err = 0, proc_ok = -1;
  test::run_task(*k, [&] {
    char buf[64] = {};
    const long fd = test::sys(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    const long n = test::sys(SYS_read, fd, buf, sizeof buf);
    if (n > 0) hostname.assign(buf, static_cast<size_t>(n));
    test::sys(SYS_close, fd);
    write_err = test::sys(SYS_openat, AT_FDCWD, "/etc/hostname", O_WRONLY);
    mkdir_err = test::sys(SYS_mkdir, "/newdir", 0755);
    proc_ok = test::sys(SYS_access, "/proc/self/status", R_OK);  // /proc is mounted on the image's /proc
    return 0;
  });
  CHECK(hostname == "from-the-image\n");
  CHECK(write_err == -EROFS);
  CHECK(mkdir_err == -EROFS);
  CHECK(proc_ok == 0);
  const std::string log = k->dmesg();
  CHECK(log.find("VFS: Mounted root (ext4 filesystem) readonly") != std::string::npos);
}

TEST_CASE("ext4: mount errors, a busy disk, statfs as the host's ext4 reports it", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img", junk = tmp.path + "/junk.img";
  mkdir(src.c_str(), 0755);
  test::write_file(src + "/a", std::string(100000, 'a'));
  INFO(mkfs(img, "ext4", "-b 4096", "64M", src));
  test::write_file(junk, test::random_bytes(8 << 20, 3));
  auto k = test::boot("ubdar=" + img + " ubdbr=" + junk);
  long not_blk = 0, bad_fs = 0, bad_opt = 0, as_ext2 = 0, ok = -1, busy = 0, remount_rw = 0, chmod_after = 0;
  long bad_ra = 0, no_ra = -1, no_ra_read = -1;
  struct statfs sf {};
  test::run_task(*k, [&] {
    test::sys(SYS_mkdir, "/mnt", 0755);
    not_blk = test::sys(SYS_mount, "/proc/self/status", "/mnt", "ext4", MS_RDONLY, 0L);
    bad_fs = test::sys(SYS_mount, "/dev/ubdb", "/mnt", "ext4", MS_RDONLY, 0L);
    bad_opt = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, "data=bogus");
    test::sys(SYS_mkdir, "/c", 0755);
    as_ext2 = test::sys(SYS_mount, "/dev/ubda", "/c", "ext2", MS_RDONLY, 0L);  // extents: not ext2
    bad_ra = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, "inode_readahead_blks=3");
    no_ra = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, "inode_readahead_blks=0");
    char c = 0;
    const long fd = test::sys(SYS_openat, AT_FDCWD, "/mnt/a", O_RDONLY);
    no_ra_read = test::sys(SYS_pread64, fd, &c, 1, 99999) == 1 && c == 'a' ? 0 : -1;
    test::sys(SYS_close, fd);
    test::sys(SYS_umount2, "/mnt", 0);
    ok = test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L);
    test::sys(SYS_statfs, "/mnt", &sf);
    // The disk is read-only: a read-write remount is refused (reconfigure_super's EACCES),
    // and the mount stays read-only.
    remount_rw = test::sys(SYS_mount, "/dev/ubda", "/mnt", 0L, MS_REMOUNT, 0L);
    chmod_after = test::sys(SYS_fchmodat, AT_FDCWD, "/mnt/a", 0600);
    return 0;
  });
  CHECK(not_blk == -ENOTBLK);
  CHECK(bad_fs == -EINVAL);
  CHECK(bad_opt == -EINVAL);
  CHECK(as_ext2 == -EINVAL);
  CHECK(bad_ra == -EINVAL);  // not a power of two
  CHECK(no_ra == 0);
  CHECK(no_ra_read == 0);
  REQUIRE(ok == 0);
  CHECK(remount_rw == -EACCES);
  CHECK(chmod_after == -EROFS);
  busy = k->remove_disk("ubda");
  CHECK(busy == -EBUSY);
  CHECK(k->dmesg().find("VFS: Can't find ext4 filesystem") == std::string::npos);
  // The host kernel's numbers for the same image (a loop mount needs root).
  {
    test::HostLoopMount mnt(img, tmp.path + "/mnt", "ro,noload");
    if (mnt.ok()) {
      struct statfs host {};
      ::statfs((mnt / ".").c_str(), &host);
      CHECK(sf.f_type == host.f_type);
      CHECK(sf.f_bsize == host.f_bsize);
      CHECK(sf.f_blocks == host.f_blocks);
      CHECK(sf.f_bfree == host.f_bfree);
      CHECK(sf.f_bavail == host.f_bavail);
      CHECK(sf.f_files == host.f_files);
      CHECK(sf.f_ffree == host.f_ffree);
      CHECK(sf.f_namelen == host.f_namelen);
      CHECK(memcmp(&sf.f_fsid, &host.f_fsid, sizeof sf.f_fsid) == 0);
    } else {
      test::skip(mnt.why());
    }
  }
}

TEST_CASE("ext4: a second mount of a disk shares the first's superblock, as Linux's sget", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  test::write_file(src + "/f", "shared");
  INFO(mkfs(img, "ext4", "", "8M", src));
  auto k = test::boot("ubdar=" + img);
  long a = -1, b = -1, as_ext2 = 0, lock_a = -1, lock_b = 0, um_b = -1, um_a = -1;
  struct stat sa {}, sb {};
  int busy_with_one = 0;
  test::run_task(*k, [&] {
    test::sys(SYS_mkdir, "/a", 0755);
    test::sys(SYS_mkdir, "/b", 0755);
    a = test::sys(SYS_mount, "/dev/ubda", "/a", "ext4", MS_RDONLY, 0L);
    b = test::sys(SYS_mount, "/dev/ubda", "/b", "ext4", MS_RDONLY, 0L);
    test::sys(SYS_mkdir, "/c", 0755);
    as_ext2 = test::sys(SYS_mount, "/dev/ubda", "/c", "ext2", MS_RDONLY, 0L);
    test::sys(SYS_newfstatat, AT_FDCWD, "/a/f", &sa, 0);
    test::sys(SYS_newfstatat, AT_FDCWD, "/b/f", &sb, 0);
    // One inode behind both paths: a lock taken through one conflicts through the other.
    const long fa = test::sys(SYS_openat, AT_FDCWD, "/a/f", O_RDONLY);
    const long fb = test::sys(SYS_openat, AT_FDCWD, "/b/f", O_RDONLY);
    lock_a = test::sys(SYS_flock, fa, LOCK_EX);
    lock_b = test::sys(SYS_flock, fb, LOCK_EX | LOCK_NB);
    test::sys(SYS_close, fa);
    test::sys(SYS_close, fb);
    um_b = test::sys(SYS_umount2, "/b", 0);
    return 0;
  });
  busy_with_one = k->remove_disk("ubda");  // /a still holds it
  test::run_task(*k, [&] {
    um_a = test::sys(SYS_umount2, "/a", 0);
    return 0;
  });
  CHECK(a == 0);
  CHECK(b == 0);
  CHECK(as_ext2 == -EBUSY);
  CHECK(sa.st_dev == sb.st_dev);
  CHECK(sa.st_ino == sb.st_ino);
  CHECK(lock_a == 0);
  CHECK(lock_b == -EWOULDBLOCK);
  CHECK(um_b == 0);
  CHECK(busy_with_one == -EBUSY);
  CHECK(um_a == 0);
  CHECK(k->remove_disk("ubda") == 0);
}

TEST_CASE("ext4: a dirty journal is replayed as e2fsck replays it: in memory when read-only, to the disk when writable", "[ext4]") {
  for (const char* open_cmd : {"jo", "jo -c"}) {  // without and with journal checksums (v3)
    SECTION(open_cmd) {
      test::TempDir tmp;
      const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
      mkdir(src.c_str(), 0755);
      test::write_file(src + "/victim", std::string(8192, 'A'));
      INFO(mkfs(img, "ext4", "-b 4096", "32M", src));
      const std::string b0 = sh("debugfs -R 'bmap /victim 0' " + img, true);
      const std::string b1 = sh("debugfs -R 'bmap /victim 1' " + img, true);
      test::write_file(tmp.path + "/b", std::string(4096, 'B'));
      test::write_file(tmp.path + "/c", std::string(4096, 'C'));
      test::write_file(tmp.path + "/d", std::string(4096, 'D'));
      // Three transactions: block 0 becomes B; block 1 becomes C and is then revoked (it
      // keeps A); a last one, never committed, would make block 0 D.
      test::write_file(tmp.path + "/cmds", std::string(open_cmd) + "\njw -b " + b0.substr(0, b0.find('\n')) + " " + tmp.path +
                                  "/b\njw -b " + b1.substr(0, b1.find('\n')) + " " + tmp.path + "/c\njw -r " +
                                  b1.substr(0, b1.find('\n')) + " /dev/null\njw -b " + b0.substr(0, b0.find('\n')) +
                                  " -c " + tmp.path + "/d\njc\n");
      INFO(sh("debugfs -w -f " + tmp.path + "/cmds " + img));
      REQUIRE(sh("dumpe2fs -h " + img).find("needs_recovery") != std::string::npos);
      const std::vector<char> before = test::read_file(img);
      // What e2fsck makes of it, on a copy.
      test::write_file(tmp.path + "/copy.img", before);
      sh("e2fsck -fy " + tmp.path + "/copy.img");
      const std::string fsck_view = sh("debugfs -R 'cat /victim' " + tmp.path + "/copy.img", true);
      INFO("fsck view: " << fsck_view.size() << " bytes, B at " << fsck_view.find('B') << ", A at " << fsck_view.find('A'));
      REQUIRE(fsck_view.substr(0, 8192) == std::string(4096, 'B') + std::string(4096, 'A'));

      auto k = test::boot("ubdar=" + img);
      std::string got;
      test::run_task(*k, [&] {
        test::sys(SYS_mkdir, "/mnt", 0755);
        if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
        char buf[8192];
        const long fd = test::sys(SYS_openat, AT_FDCWD, "/mnt/victim", O_RDONLY);
        const long n = test::sys(SYS_pread64, fd, buf, sizeof buf, 0);
        if (n > 0) got.assign(buf, static_cast<size_t>(n));
        return 0;
      });
      CHECK(got == fsck_view.substr(0, 8192));
      CHECK(k->dmesg().find("recovery complete: 3 transactions") != std::string::npos);
      k->shutdown();
      CHECK(test::read_file(img) == before);  // replayed in memory only

      // A writable mount writes the replay to the disk and empties the log: e2fsck then
      // finds nothing to recover, and the file as its own replay made it.
      auto rw = test::boot("ubda=" + img);
      CHECK(test::run_task(*rw, [&] {
              test::sys(SYS_mkdir, "/mnt", 0755);
              if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L) != 0) return 1;
              return static_cast<int>(test::sys(SYS_umount2, "/mnt", 0));
            }) == 0);
      INFO(rw->dmesg());
      CHECK(rw->dmesg().find("the replayed journal was written to the disk") != std::string::npos);
      rw->shutdown();
      CHECK(sh("dumpe2fs -h " + img).find("needs_recovery") == std::string::npos);
      CHECK(test::shell("e2fsck -fn " + img, true).status == 0);
      CHECK(sh("debugfs -R 'cat /victim' " + img, true).substr(0, 8192) == fsck_view.substr(0, 8192));
    }
  }
}

namespace {

struct AclEntry {
  uint16_t tag, perm;
  uint32_t id;
};

std::string acl_of(std::initializer_list<AclEntry> es) {
  std::string v(4, '\0');
  const uint32_t ver = 2;
  memcpy(v.data(), &ver, 4);
  for (const AclEntry& e : es) v.append(reinterpret_cast<const char*>(&e), sizeof e);
  return v;
}

// Who asks, and what: a path, and R_OK/W_OK/X_OK (or 0: a stat of it).
struct Probe {
  uint32_t uid, gid;
  std::vector<uint32_t> groups;
  const char* path;
  int mode;
};

// The answer of access(2) (0 or -errno), as a process with the probe's ids.
template <typename Sys>
long probe_as(Sys sys, const Probe& p, const std::string& root) {
  std::vector<gid_t> g(p.groups.begin(), p.groups.end());
  if (sys(SYS_setgroups, g.size(), g.data()) != 0 || sys(SYS_setresgid, p.gid, p.gid, p.gid) != 0 ||
      sys(SYS_setresuid, p.uid, p.uid, p.uid) != 0)
    return -9999;
  const std::string path = root + "/" + p.path;
  if (p.mode == 0) {
    struct stat st;
    return sys(SYS_newfstatat, AT_FDCWD, path.c_str(), &st, 0);
  }
  return sys(SYS_faccessat, AT_FDCWD, path.c_str(), p.mode);
}

}  // namespace

// The host kernel is the reference: the same tree with the same ACLs, the same questions
// asked as the same users, on the host's filesystem and on the ext4 image of it.
TEST_CASE("ext4: POSIX access ACLs decide access as the host's kernel decides it", "[ext4]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  chmod(tmp.path.c_str(), 0755);  // the probing users pass through it on the host
  mkdir(src.c_str(), 0755);
  constexpr uint16_t UO = 1, U = 2, GO = 4, G = 8, M = 0x10, O = 0x20;
  constexpr uint32_t X = ~0u;
  // A file: named user rw, owning group r only (the mode's group bits are the mask, rw),
  // named group rwx under that mask, others nothing.
  test::write_file(src + "/f", "data");
  chown((src + "/f").c_str(), 1000, 1000);
  chmod((src + "/f").c_str(), 0660);
  const std::string fa = acl_of({{UO, 6, X}, {U, 6, 2000}, {GO, 4, X}, {G, 7, 3000}, {M, 6, X}, {O, 0, X}});
  // A directory others may not search, but a named user may; and one without a mask.
  mkdir((src + "/d").c_str(), 0750);
  test::write_file(src + "/d/inner", "x");
  chmod((src + "/d/inner").c_str(), 0644);
  chown((src + "/d").c_str(), 1000, 1000);
  const std::string da = acl_of({{UO, 7, X}, {U, 1, 2000}, {U, 0, 2005}, {GO, 5, X}, {M, 5, X}, {O, 0, X}});
  test::write_file(src + "/plain", "p");
  chown((src + "/plain").c_str(), 1000, 1000);
  chmod((src + "/plain").c_str(), 0604);
  const std::string pa = acl_of({{UO, 6, X}, {GO, 0, X}, {O, 4, X}});
  const bool host_acls = setxattr((src + "/f").c_str(), "system.posix_acl_access", fa.data(), fa.size(), 0) == 0 &&
                         setxattr((src + "/d").c_str(), "system.posix_acl_access", da.data(), da.size(), 0) == 0 &&
                         setxattr((src + "/plain").c_str(), "system.posix_acl_access", pa.data(), pa.size(), 0) == 0;
  if (!host_acls || geteuid() != 0) {
    return test::skip("the host's temporary filesystem takes no ACLs here (or not root)");
  }
  INFO(mkfs(img, "ext4", "", "16M", src));
  REQUIRE(sh("debugfs -R 'ea_list /f' " + img).find("posix_acl_access") != std::string::npos);

  const std::vector<Probe> probes = {
      {1000, 1000, {}, "f", R_OK | W_OK},      // the owner
      {2000, 2000, {}, "f", R_OK | W_OK},      // the named user
      {2000, 2000, {}, "f", X_OK},             // the mask has no x
      {2001, 1000, {}, "f", R_OK},             // the owning group: r
      {2001, 1000, {}, "f", W_OK},             // ... not w, though the mode's group bits say rw
      {2002, 3000, {}, "f", W_OK},             // the named group, masked to rw
      {2002, 3000, {}, "f", X_OK},
      {2004, 2004, {1000, 3000}, "f", W_OK},   // a group that matches and grants
      {2004, 2004, {1000}, "f", W_OK},         // a group that matches and does not
      {2003, 2003, {}, "f", R_OK},             // others
      {2000, 2000, {}, "d/inner", 0},          // search through the named user's x
      {2000, 2000, {}, "d", R_OK},
      {2005, 2005, {}, "d/inner", 0},          // a named user with nothing
      {2006, 1000, {}, "d/inner", R_OK},       // the owning group, r-x
      {2003, 2003, {}, "d/inner", 0},          // others: no search
      {2001, 1000, {}, "plain", R_OK},         // no mask: the owning group's entry is the mode's
      {2003, 2003, {}, "plain", R_OK},
  };
  // The host: a child process per probe, its answer in its exit status.
  std::vector<long> host;
  for (const Probe& p : probes) {
    const pid_t pid = fork();
    if (pid == 0) {
      const long r = probe_as([](auto... a) { return syscall(a...) == 0 ? 0L : -static_cast<long>(errno); }, p, src);
      _exit(static_cast<int>(-r) & 0xff);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    host.push_back(-static_cast<long>(WEXITSTATUS(st)));
  }
  auto k = test::boot("ubda=" + img);  // writable: access(W_OK) on a read-only mount is EROFS
  REQUIRE(test::run_task(*k, [] {
            test::sys(SYS_mkdir, "/mnt", 0755);
            return static_cast<int>(test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", 0L, 0L));
          }) == 0);
  for (size_t i = 0; i < probes.size(); ++i) {
    long guest = 0;
    test::run_task(*k, [&] {
      guest = probe_as([](auto... a) { return test::sys(a...); }, probes[i], "/mnt");
      return 0;
    });
    INFO("probe " << i << ": uid " << probes[i].uid << " gid " << probes[i].gid << " " << probes[i].path << " mode "
                  << probes[i].mode);
    CHECK(guest == host[i]);
  }
  // Some answers are refusals, some grants: the probes tell the two apart.
  CHECK(std::count(host.begin(), host.end(), 0) >= 5);
  CHECK(std::count(host.begin(), host.end(), -EACCES) >= 5);
  k->shutdown();

  // A stored ACL out of order (ext4's form: others before the owner) is corrupted: EUCLEAN for
  // whoever it would judge, and a log line.
  const std::string bad = tmp.path + "/bad.acl";
  test::write_file(bad, std::string("\x01\0\0\0\x20\0\x04\0\x01\0\x06\0", 12));
  sh("debugfs -w -R 'ea_set -f " + bad + " -r /f system.posix_acl_access' " + img, true);
  auto k2 = test::boot("ubdar=" + img);
  long corrupted = 0;
  REQUIRE(test::run_task(*k2, [&] {
            test::sys(SYS_mkdir, "/mnt", 0755);
            if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
            corrupted = probe_as([](auto... a) { return test::sys(a...); }, Probe{2003, 2003, {}, "f", R_OK}, "/mnt");
            return 0;
          }) == 0);
  INFO(k2->dmesg());
  CHECK(corrupted == -EUCLEAN);  // EFSCORRUPTED
  CHECK(k2->dmesg().find("ext4_get_acl") != std::string::npos);
}

// generic_fillattr: st_blksize is the filesystem's block size (i_blocksize), which tools
// align their I/O to; procfs says 1024, the memory filesystems the page size.
TEST_CASE("ext4: st_blksize is the filesystem's block size, as Linux reports it", "[ext4]") {
  for (const uint32_t bs : {1024u, 2048u, 4096u}) {
    test::TempDir tmp;
    const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
    mkdir(src.c_str(), 0755);
    test::write_file(src + "/a", "a\n");
    INFO(mkfs(img, "ext4", "-b " + std::to_string(bs), "16M", src));
    auto k = test::boot("ubdar=" + img);
    long file = -1, dir = -1, proc = -1, tmpfs = -1;
    REQUIRE(test::run_task(*k, [&] {
              test::sys(SYS_mkdir, "/mnt", 0755);
              if (test::sys(SYS_mount, "/dev/ubda", "/mnt", "ext4", MS_RDONLY, 0L) != 0) return 1;
              struct stat st {};
              if (test::sys(SYS_newfstatat, AT_FDCWD, "/mnt/a", &st, 0) == 0) file = st.st_blksize;
              if (test::sys(SYS_newfstatat, AT_FDCWD, "/mnt", &st, 0) == 0) dir = st.st_blksize;
              if (test::sys(SYS_newfstatat, AT_FDCWD, "/proc/self/status", &st, 0) == 0) proc = st.st_blksize;
              if (test::sys(SYS_newfstatat, AT_FDCWD, "/tmp", &st, 0) == 0) tmpfs = st.st_blksize;
              return 0;
            }) == 0);
    CHECK(file == bs);
    CHECK(dir == bs);
    CHECK(proc == 1024);
    CHECK(tmpfs == 4096);
    // The host's answer for the same image.
    struct stat host {};
    {
      test::HostLoopMount mnt(img, tmp.path + "/mnt", "ro,noload");
      if (!mnt.ok()) {
        test::skip(mnt.why());
        continue;
      }
      ::stat((mnt / "a").c_str(), &host);
    }
    CHECK(file == host.st_blksize);
  }
}
