// uml-img, the command-line reader and writer of images: its commands' output and exit
// codes; get -r, whose copy must equal the image's source tree (content, modes, times,
// symlinks, hard links, xattrs, holes); put -r, after which the image holds the source tree
// as a guest sees it; and the other writing commands, after which e2fsck finds it clean.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "fixture.h"
#include "host_files.h"
#include "tree_walk.h"

namespace {

test::Shell run(const std::string& args) { return test::shell(std::string(UML_IMG_TOOL) + " " + args, true); }
test::Shell run_all(const std::string& args) {  // stdout and stderr together
  return test::shell("timeout 60 " + std::string(UML_IMG_TOOL) + " " + args);
}

}  // namespace

TEST_CASE("uml-img: ls, cat, stat, tree, df and get on an image, without root", "[ext4][uml-img]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img", out = tmp.path + "/out";
  mkdir(src.c_str(), 0755);
  mkdir((src + "/etc").c_str(), 0755);
  test::write_file(src + "/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  test::write_file(src + "/etc/group", "root:x:0:\nstaff:x:1000:\n");
  test::write_file(src + "/hello.txt", "hello, image\n");
  test::write_file(src + "/big.bin", test::random_bytes(3 << 20, 5));
  if (truncate((src + "/holes").c_str(), 0) != 0) {
  }
  {
    const int fd = open((src + "/holes").c_str(), O_WRONLY | O_CREAT, 0600);
    if (pwrite(fd, "x", 1, 10 << 20) != 1) {
    }
    close(fd);
  }
  chown((src + "/hello.txt").c_str(), 1000, 1000);
  symlink("hello.txt", (src + "/link").c_str());
  link((src + "/hello.txt").c_str(), (src + "/etc/hello-again").c_str());
  setxattr((src + "/hello.txt").c_str(), "user.k", "v", 1, 0);
  const timespec ts[2] = {{1500000000, 0}, {1500000000, 0}};
  utimensat(AT_FDCWD, (src + "/hello.txt").c_str(), ts, 0);
  const std::string mk = "mke2fs -q -F -t ext4 -d " + src + " " + img + " 32M >/dev/null 2>&1";
  REQUIRE(system(mk.c_str()) == 0);

  test::Shell ls = run(img + " ls /");
  CHECK(ls.status == 0);
  CHECK(ls.out == "big.bin\netc\nhello.txt\nholes\nlink\nlost+found\n");
  test::Shell lsl = run(img + " ls -l /hello.txt");
  CHECK(lsl.out.find("-rw-r--r-- 2 alice staff") == 0);  // names from the image's /etc
  CHECK(run(img + " ls -la /etc").out.find(".\n") != std::string::npos);
  CHECK(run(img + " ls -R /").out.find("/etc:\n") != std::string::npos);
  test::Shell cat = run(img + " cat /hello.txt /link");
  CHECK(cat.out == "hello, image\nhello, image\n");
  CHECK(cat.status == 0);
  test::Shell st = run(img + " stat /link");
  CHECK(st.out.find("File: /link -> hello.txt") != std::string::npos);
  CHECK(st.out.find("symbolic link") != std::string::npos);
  test::Shell tree = run(img + " tree /");
  CHECK(tree.out.find("\u2514\u2500\u2500 lost+found") != std::string::npos);
  CHECK(tree.out.find("2 directories, 7 files") != std::string::npos);
  test::Shell df = run(img + " df");
  CHECK(df.out.find("1K-blocks") != std::string::npos);
  CHECK(df.status == 0);
  // Errors as coreutils gives them.
  CHECK(run(img + " ls /missing").status == 2);
  CHECK(run(img + " cat /missing").status == 1);
  CHECK(run(tmp.path + "/no-such-image ls /").status == 1);
  CHECK(run(src + "/hello.txt ls /").status == 1);  // not an ext filesystem
  CHECK(run(img + " frobnicate").status == 2);

  test::Shell get = run(img + " get -r / " + out);
  CHECK(get.status == 0);
  std::string err;
  test::Tree want = test::snapshot(test::host_syscall, src, &err);
  REQUIRE(err.empty());
  test::Tree got = test::snapshot(test::host_syscall, out, &err);
  REQUIRE(err.empty());
  if (geteuid() != 0)  // owners come back only for root
    for (auto& [p, e] : want) e.uid = e.gid = 0;
  for (auto& [p, e] : want) e.mtime_ns -= e.mtime_ns % 1'000'000'000;  // mke2fs -d keeps seconds
  // Directories' times: mke2fs sets them, the copy keeps them; the source's changed since.
  for (auto& [p, e] : got)
    if (S_ISDIR(e.mode)) e.mtime_ns = want[p].mtime_ns;
  CHECK(test::tree_diff(want, got) == "");
  struct stat hs {};
  stat((out + "/holes").c_str(), &hs);
  CHECK(hs.st_size == (10 << 20) + 1);
  CHECK(hs.st_blocks <= 64);  // the hole stayed a hole
}

TEST_CASE("uml-img: put, mkdir, rm, mv, chmod, chown, ln and setfattr change an image e2fsck finds clean",
          "[ext4][uml-img]") {
  test::TempDir tmp;
  const std::string src = tmp.path + "/src", img = tmp.path + "/fs.img";
  mkdir(src.c_str(), 0755);
  mkdir((src + "/etc").c_str(), 0755);
  mkdir((src + "/deep").c_str(), 0750);
  mkdir((src + "/deep/er").c_str(), 0755);
  test::write_file(src + "/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  test::write_file(src + "/etc/group", "root:x:0:\nstaff:x:1000:\n");
  test::write_file(src + "/hello.txt", "hello, image\n");
  test::write_file(src + "/deep/er/big.bin", test::random_bytes(3 << 20, 6));
  {
    const int fd = open((src + "/holes").c_str(), O_WRONLY | O_CREAT, 0600);
    if (pwrite(fd, "x", 1, 10 << 20) != 1 || pwrite(fd, "y", 1, 5 << 20) != 1) {
    }
    close(fd);
  }
  chown((src + "/hello.txt").c_str(), 1000, 1000);
  symlink("hello.txt", (src + "/link").c_str());
  link((src + "/hello.txt").c_str(), (src + "/deep/hello-again").c_str());
  mkfifo((src + "/fifo").c_str(), 0640);
  setxattr((src + "/hello.txt").c_str(), "user.k", "v", 1, 0);
  setxattr((src + "/deep").c_str(), "user.big", std::string(700, 'b').data(), 700, 0);
  const timespec ts[2] = {{1500000000, 123456789}, {1500000000, 987654321}};
  utimensat(AT_FDCWD, (src + "/hello.txt").c_str(), ts, 0);
  utimensat(AT_FDCWD, (src + "/deep/er").c_str(), ts, 0);
  REQUIRE(system(("mke2fs -q -F -t ext4 " + img + " 64M >/dev/null 2>&1").c_str()) == 0);

  // Copy in: a tree as a new directory, then /etc for the names chown takes.
  CHECK(run(img + " put -r " + src + " /tree").status == 0);
  CHECK(run(img + " put -r " + src + "/etc /").status == 0);  // into /: /etc
  CHECK(run(img + " put " + src + "/deep /x").status == 1);   // a directory without -r
  // What the image holds equals the source, as a guest sees it (owners, ns times, xattrs,
  // hard links, holes, the FIFO).
  {
    auto k = test::boot("ubdar=" + img);
    test::Tree got;
    std::string err;
    REQUIRE(test::run_task(*k, [&] {
              uml::syscall(SYS_mkdir, reinterpret_cast<long>("/m"), 0755);
              if (uml::syscall(SYS_mount, reinterpret_cast<long>("/dev/ubda"), reinterpret_cast<long>("/m"),
                               reinterpret_cast<long>("ext4"), MS_RDONLY, 0) != 0)
                return 1;
              got = test::snapshot([](long nr, long a, long b, long c, long d, long e) { return uml::syscall(nr, a, b, c, d, e); },
                                   "/m/tree", &err);
              struct stat st {};
              uml::syscall(SYS_stat, reinterpret_cast<long>("/m/tree/holes"), reinterpret_cast<long>(&st));
              return st.st_blocks <= 64 ? 0 : 2;  // the holes stayed holes
            }) == 0);
    REQUIRE(err.empty());
    const test::Tree want = test::snapshot(test::host_syscall, src, &err);
    REQUIRE(err.empty());
    CHECK(test::tree_diff(want, got) == "");
  }

  CHECK(run(img + " mkdir -p /a/b/c").status == 0);
  CHECK(run(img + " mkdir /a").status == 1);  // exists
  CHECK(run(img + " ln -s ../tree/hello.txt /a/sym").status == 0);
  CHECK(run(img + " ln /tree/hello.txt /a/hard").status == 0);
  CHECK(run(img + " mv /a/b /a/moved").status == 0);
  CHECK(run(img + " mv /tree/link /a").status == 0);  // into the directory
  CHECK(run(img + " chmod 0700 /a/moved").status == 0);
  CHECK(run(img + " chmod u+x /a/moved").status == 2);  // octal only
  CHECK(run(img + " chown alice:staff /a/moved").status == 0);
  CHECK(run(img + " chown 42 /a/hard").status == 0);
  CHECK(run(img + " chown nobody /a/hard").status == 1);  // no such user in the image
  CHECK(run(img + " setfattr -n user.x -v value /a/moved").status == 0);
  CHECK(run(img + " setfattr -x user.k /tree/hello.txt").status == 0);
  CHECK(run(img + " setfattr -x user.none /a").status == 1);
  CHECK(run(img + " rm -r /tree/deep").status == 0);
  CHECK(run(img + " rm /a").status == 1);  // a directory
  CHECK(run(img + " rm /missing").status == 1);
  CHECK(run(img + " rm -f /missing").status == 0);
  CHECK(run(img + " rm -rf /").status == 1);  // refused
  CHECK(run(img + " frobnicate /").status == 2);

  const std::string ls = run(img + " ls -l /a /a/moved").out;
  INFO(ls);
  CHECK(ls.find("drwx------ 3 alice staff") != std::string::npos);         // /a/moved
  CHECK(ls.find("lrwxrwxrwx 1 root root") != std::string::npos);           // the symlinks
  CHECK(ls.find("sym -> ../tree/hello.txt") != std::string::npos);
  CHECK(ls.find("-rw-r--r-- 2 42 staff") != std::string::npos);  // hello.txt's links, deep's gone
  CHECK(run(img + " cat /a/sym").out == "hello, image\n");
  CHECK(run(img + " ls /tree").out == "etc\nfifo\nhello.txt\nholes\n");
  const test::Shell fsck = test::shell("e2fsck -fn " + img, true);
  INFO(fsck.out);
  CHECK(fsck.status == 0);
  CHECK(test::shell("debugfs -R 'ea_list /a/moved' " + img, true).out.find("user.x (5) = \"value\"") != std::string::npos);

  // A file larger than the image: ENOSPC, and the image stays consistent.
  test::write_file(tmp.path + "/huge", test::random_bytes(80 << 20, 7));
  const test::Shell full = test::shell(std::string(UML_IMG_TOOL) + " " + img + " put " + tmp.path + "/huge /huge");
  INFO(full.out);
  CHECK(full.status == 1);
  CHECK(full.out.find("No space left on device") != std::string::npos);
  CHECK(test::shell("e2fsck -fn " + img, true).status == 0);
}


// Issue 17.1: an image has one writer at a time. A disk locks its file (exclusive to write,
// shared to read), so a second writer, in another process or another instance of this
// one, fails at once with EBUSY, and two concurrent puts never both write the image.
TEST_CASE("uml-img: an image in use by a writer is refused, and two concurrent puts leave it consistent",
          "[ext4][uml-img]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/a.img";
  REQUIRE(test::shell("mke2fs -q -F -t ext4 " + img + " 64M", true).status == 0);

  SECTION("another instance holds it for writing") {
    auto holder = test::boot("ubda=" + img);
    const test::Shell put = run_all(img + " mkdir /x");
    INFO(put.out);
    CHECK(put.status == 1);
    CHECK(put.out.find("in use") != std::string::npos);
    CHECK(run_all(img + " ls /").status == 1);  // a reader too: the writer may change anything
    // A second instance of this process is refused as well, with the reason.
    std::string why;
    try {
      test::boot("ubdar=" + img);
    } catch (const std::exception& e) {
      why = e.what();
    }
    CHECK(why.find("in use") != std::string::npos);
    uml::DiskSpec d;
    d.index = 1;
    d.path = img;
    CHECK(holder->add_disk(d) == -EBUSY);
    d.lock = false;  // the explicit override
    CHECK(holder->add_disk(d) == 0);
  }
  SECTION("readers share it, a writer waits for none of them but is refused") {
    auto reader = test::boot("ubdar=" + img);
    CHECK(run_all(img + " ls /").status == 0);
    const test::Shell w = run_all(img + " mkdir /x");
    CHECK(w.status == 1);
    CHECK(w.out.find("--no-lock") != std::string::npos);
    CHECK(run_all("--no-lock " + img + " mkdir /x").status == 0);
  }
  SECTION("two puts at once: one writes, the other is refused or comes after; e2fsck finds it clean") {
    for (const char* d : {"/d1", "/d2"}) {
      const std::string dir = tmp.path + d;
      mkdir(dir.c_str(), 0755);
      for (int i = 0; i < 150; ++i) test::write_file(dir + "/f" + std::to_string(i), test::random_bytes(20000, i));
    }
    const test::Shell both = test::shell("(" + std::string(UML_IMG_TOOL) + " " + img + " put -r " + tmp.path + "/d1 /one; echo one=$?) & (" +
                                         UML_IMG_TOOL + " " + img + " put -r " + tmp.path + "/d2 /two; echo two=$?); wait");
    INFO(both.out);
    CHECK((both.out.find("one=0") != std::string::npos || both.out.find("two=0") != std::string::npos));
    const test::Shell fsck = test::shell("e2fsck -fn " + img);
    INFO(fsck.out);
    CHECK(fsck.status == 0);
    // Whatever reported success is on the image in full.
    for (const char* which : {"one", "two"})
      if (both.out.find(std::string(which) + "=0") != std::string::npos)
        CHECK(run_all(img + " ls /" + which + " | wc -l").out == "150\n");
  }
}

// Issue 17.2 and 17.5: what the kernel logs at warning level and above reaches the user on
// stderr, and an error it logged fails the command; a put that fails leaves no partial
// file; a FIFO, a socket or a device of the image is never opened for reading.
TEST_CASE("uml-img: kernel errors reach stderr and the exit status; no partial files; no reads of FIFOs",
          "[ext4][uml-img]") {
  test::TempDir tmp;
  const std::string img = tmp.path + "/c.img", src = tmp.path + "/src";
  mkdir(src.c_str(), 0755);
  test::write_file(src + "/hello", "hello\n");
  REQUIRE(mkfifo((src + "/fifo").c_str(), 0644) == 0);
  REQUIRE(test::shell("mke2fs -q -F -t ext4 -b 1024 -d " + src + " " + img + " 16M", true).status == 0);

  SECTION("a FIFO is not read") {
    const test::Shell cat = run_all(img + " cat /fifo");
    INFO(cat.out);
    CHECK(cat.status == 1);
    CHECK(cat.out.find("not a regular file") != std::string::npos);
  }
  SECTION("a put that runs out of space removes its partial file") {
    test::write_file(tmp.path + "/huge", test::random_bytes(20 << 20, 7));
    const test::Shell full = run_all(img + " put " + tmp.path + "/huge /huge");
    INFO(full.out);
    CHECK(full.status == 1);
    CHECK(full.out.find("partial copy was removed") != std::string::npos);
    CHECK(run_all(img + " ls /huge").status == 2);
    CHECK(test::shell("e2fsck -fn " + img, true).status == 0);
  }
  SECTION("an unclean image is named so on the next write") {
    REQUIRE(test::shell("debugfs -w -R 'ssv state 0' " + img, true).status == 0);
    const test::Shell w = run_all(img + " mkdir /x");
    INFO(w.out);
    CHECK(w.status == 0);  // a warning, not an error
    CHECK(w.out.find("mounting unchecked fs") != std::string::npos);
  }
  SECTION("a root directory whose block fails its checksum") {
    const unsigned long blk = strtoul(test::shell("debugfs -R 'bmap <2> 0' " + img, true).out.c_str(), nullptr, 10);
    REQUIRE(blk > 0);
    REQUIRE(test::shell("dd if=/dev/urandom of=" + img + " bs=1024 seek=" + std::to_string(blk) + " count=1 conv=notrunc", true).status == 0);
    for (const std::string& cmd : std::vector<std::string>{"ls /", "tree /", "get -r / " + tmp.path + "/out", "mkdir /x", "cat /hello"}) {
      const test::Shell r = run_all(img + " " + cmd);
      INFO(cmd + ": " + r.out);
      CHECK(r.status != 0);
      CHECK(r.out.find("ext4_dirblock_csum_verify") != std::string::npos);
    }
  }
  SECTION("an overlay whose base changed says why") {
    const std::string ov = tmp.path + "/ov";
    REQUIRE(test::shell(std::string(UML_COW_TOOL) + " create " + ov + " " + img, true).status == 0);
    REQUIRE(test::shell("touch -d 2020-01-01 " + img, true).status == 0);
    const test::Shell r = run_all(ov + " ls /");
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK(r.out.find("the base was modified after the overlay was made") != std::string::npos);
  }
  SECTION("--help, --version and bad options, as Unix tools answer them") {
    const test::Shell help = test::shell(std::string(UML_IMG_TOOL) + " --help 2>/dev/null");
    CHECK(help.status == 0);
    CHECK(help.out.find("Usage: uml-img") != std::string::npos);
    const test::Shell ver = test::shell(std::string(UML_IMG_TOOL) + " --version 2>/dev/null");
    CHECK(ver.status == 0);
    CHECK(ver.out.find("uml-img (libuml) ") == 0);
    const test::Shell bad = test::shell("(" + std::string(UML_IMG_TOOL) + " --frobnicate " + img + " ls >/dev/null)");
    CHECK(bad.status == 2);
    CHECK(bad.out.find("unrecognized option") != std::string::npos);
  }
}
