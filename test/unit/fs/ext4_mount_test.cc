// ext2/3/4 images made by mke2fs -d from generated trees, mounted in an instance and
// compared completely with their source: every entry's type, mode, owner, size, link
// count, mtime, content, symlink target, xattrs (ACLs included) and hard links.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"
#include "host_files.h"
#include "tree_walk.h"

namespace {

std::string sh(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

void put(const std::string& path, const std::string& data) {
  test::write_file(path, std::vector<char>(data.begin(), data.end()));
}

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
  put(d + "/empty.txt", "");
  put(d + "/small.txt", "hello, ext4\n");
  put(d + "/dir/page.bin", std::string(4096, 'p'));
  put(d + "/dir/page_plus.bin", std::string(4097, 'q'));
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
  put(d + "/" + std::string(255, 'n'), "long name");
  std::string deep = d;
  for (int i = 0; i < 40; ++i) {
    deep += "/d" + std::to_string(i);
    mkdir(deep.c_str(), 0755);
  }
  put(deep + "/bottom", "deep");
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
    for (int i = 0; i < 3; ++i) put(d + "/inl/f" + std::to_string(i), std::string(10 + i * 20, 'i'));
    put(d + "/inl/edge", std::string(60, 'e'));
    put(d + "/inl/over", std::string(150, 'o'));  // i_block plus system.data
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
