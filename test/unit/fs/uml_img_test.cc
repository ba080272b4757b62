// uml-img, the command-line reader of images: its commands' output and exit codes, and
// get -r, whose copy must equal the image's source tree (content, modes, times, symlinks,
// hard links, xattrs, holes).

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "host_files.h"
#include "tree_walk.h"

namespace {

test::Shell run(const std::string& args) { return test::shell(std::string(UML_IMG_TOOL) + " " + args, true); }

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
