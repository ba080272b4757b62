// Concurrent create, rename, link, unlink, readdir and stat in shared directories, from
// guest tasks on two vCPUs and from attached host threads at once (run under TSan too).
//
// Each worker owns its own names (w<N>_<k>) but shares the directories, so every directory
// lock, dcache chain and rename path is contended while each worker's own view stays
// deterministic: its model says exactly which of its names exist where, with which link
// counts and contents, and every readdir and the final tree must agree with the union of
// the models. One shared name ("hot") is renamed by everyone at once: it must end up in
// exactly one place.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace {

#if defined(UML_TEST_SCALE)
constexpr int kOps = 1500;  // still thousands of racing operations under the sanitizers
#else
constexpr int kOps = 5000;
#endif
constexpr int kDirs = 3;
constexpr int kNames = 8;  // per worker
constexpr int kWorkers = 4;  // two fibers, two attached threads

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  return uml::syscall(nr, a, b, c, d, e);
}
long sys_s(long nr, const std::string& p, long b = 0, long c = 0) {
  return sys(nr, reinterpret_cast<long>(p.c_str()), b, c);
}
std::string dir(int d) { return "/tmp/stress/d" + std::to_string(d); }

// One worker's files: name -> (directory, inode identity, content tag).
struct Model {
  struct Entry {
    int dir;
    int file;  // which of the worker's files (hard links share one)
  };
  std::map<std::string, Entry> names;
  std::map<int, std::string> content;  // file -> tag
  int links(int file) const {
    int n = 0;
    for (const auto& [name, e] : names) n += e.file == file;
    return n;
  }
};

// Lists a directory with getdents64: name -> inode number. A name listed twice is an error
// if it starts with strict_prefix (names others may remove and re-create while the listing
// runs can legitimately come twice: POSIX leaves it unspecified).
std::map<std::string, uint64_t> list_dir(const std::string& path, std::string* err,
                                         const std::string& strict_prefix = "") {
  std::map<std::string, uint64_t> out;
  const long fd = sys_s(SYS_open, path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    *err = "open " + path + ": " + std::to_string(fd);
    return out;
  }
  alignas(8) char buf[2048];  // small: listings take several calls while others change it
  for (;;) {
    const long n = sys(SYS_getdents64, fd, reinterpret_cast<long>(buf), sizeof buf);
    if (n < 0) *err = "getdents64: " + std::to_string(n);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const uint64_t ino = *reinterpret_cast<uint64_t*>(buf + off);
      const uint16_t reclen = *reinterpret_cast<uint16_t*>(buf + off + 16);
      const std::string name(buf + off + 19);
      if (name != "." && name != "..") {
        if (out.count(name) && name.rfind(strict_prefix, 0) == 0)
          *err = "duplicate name " + name + " in one pass over " + path;
        out[name] = ino;
      }
      off += reclen;
    }
  }
  sys(SYS_close, fd);
  return out;
}

std::string read_all(const std::string& path) {
  const long fd = sys_s(SYS_open, path, O_RDONLY);
  if (fd < 0) return "<open " + std::to_string(fd) + ">";
  char buf[64];
  const long n = sys(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf);
  sys(SYS_close, fd);
  return n < 0 ? "<read>" : std::string(buf, static_cast<size_t>(n));
}

// Runs kOps random operations on worker w's names; returns "" or what went wrong.
std::string work(int w, uint64_t seed, Model* model, std::atomic<int>* hot_moves) {
  std::mt19937_64 rng(seed);
  Model& m = *model;
  int next_file = 0;
  auto name_of = [&](int k) { return "w" + std::to_string(w) + "_" + std::to_string(k); };
  auto path_of = [&](int d, const std::string& n) { return dir(d) + "/" + n; };
  for (int op = 0; op < kOps; ++op) {
    const std::string name = name_of(static_cast<int>(rng() % kNames));
    const int d = static_cast<int>(rng() % kDirs);
    const auto it = m.names.find(name);
    const bool exists = it != m.names.end();
    switch (rng() % 7) {
      case 0: {  // create, exclusively, with a tag
        const std::string p = path_of(d, name);
        const long fd = sys_s(SYS_open, p, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (exists && it->second.dir == d) {
          if (fd != -EEXIST) return "create of existing " + p + " gave " + std::to_string(fd);
          break;
        }
        if (fd < 0) return "create " + p + ": " + std::to_string(fd);
        const std::string tag = "w" + std::to_string(w) + "f" + std::to_string(next_file);
        sys(SYS_write, fd, reinterpret_cast<long>(tag.data()), static_cast<long>(tag.size()));
        sys(SYS_close, fd);
        if (exists) {
          // Two entries for one name in different directories: the model keys by name,
          // so keep names unique by removing the new one again.
          if (sys_s(SYS_unlink, p) != 0) return "unlink of duplicate " + p;
          break;
        }
        m.names[name] = {d, next_file};
        m.content[next_file++] = tag;
        break;
      }
      case 1: {  // unlink
        if (!exists) {
          const long r = sys_s(SYS_unlink, path_of(d, name));
          if (r != -ENOENT) return "unlink of missing " + path_of(d, name) + " gave " + std::to_string(r);
          break;
        }
        const long r = sys_s(SYS_unlink, path_of(it->second.dir, name));
        if (r != 0) return "unlink " + path_of(it->second.dir, name) + ": " + std::to_string(r);
        m.names.erase(it);
        break;
      }
      case 2: {  // rename to another of our names, maybe in another directory
        if (!exists) break;
        const std::string to = name_of(static_cast<int>(rng() % kNames));
        const auto t = m.names.find(to);
        const int td = t != m.names.end() ? t->second.dir : d;
        const long r = sys(SYS_rename, reinterpret_cast<long>(path_of(it->second.dir, name).c_str()),
                           reinterpret_cast<long>(path_of(td, to).c_str()));
        if (r != 0) return "rename " + name + " -> " + to + ": " + std::to_string(r);
        const Model::Entry moved = it->second;
        // Onto itself, or onto another name of the same file: nothing happens (POSIX).
        if (to == name || (t != m.names.end() && t->second.file == moved.file)) break;
        m.names.erase(name);
        m.names[to] = {td, moved.file};
        break;
      }
      case 3: {  // link under a free name of ours
        if (!exists) break;
        const std::string to = name_of(static_cast<int>(rng() % kNames));
        if (m.names.count(to)) break;
        const long r = sys(SYS_link, reinterpret_cast<long>(path_of(it->second.dir, name).c_str()),
                           reinterpret_cast<long>(path_of(d, to).c_str()));
        if (r != 0) return "link " + name + " -> " + to + ": " + std::to_string(r);
        m.names[to] = {d, it->second.file};
        break;
      }
      case 4: {  // readdir: our names there are exactly the model's
        std::string err;
        const std::string prefix = "w" + std::to_string(w) + "_";
        const auto listing = list_dir(dir(d), &err, prefix);
        if (!err.empty()) return err;
        for (const auto& [n, ino] : listing)
          if (n.rfind(prefix, 0) == 0 && (!m.names.count(n) || m.names.at(n).dir != d))
            return "readdir of " + dir(d) + " shows " + n + " the model does not have";
        for (const auto& [n, e] : m.names)
          if (e.dir == d && !listing.count(n)) return "readdir of " + dir(d) + " misses " + n;
        break;
      }
      case 5: {  // stat and content
        if (!exists) break;
        struct stat st {};
        const std::string p = path_of(it->second.dir, name);
        if (sys_s(SYS_stat, p, reinterpret_cast<long>(&st)) != 0) return "stat " + p;
        if (static_cast<int>(st.st_nlink) != m.links(it->second.file))
          return "nlink of " + p + " is " + std::to_string(st.st_nlink) + ", model " +
                 std::to_string(m.links(it->second.file));
        if (read_all(p) != m.content[it->second.file]) return "content of " + p + " is " + read_all(p);
        break;
      }
      case 6: {  // the shared name: everyone moves it around
        const int from = static_cast<int>(rng() % kDirs), to = static_cast<int>(rng() % kDirs);
        const long r = sys(SYS_rename, reinterpret_cast<long>((dir(from) + "/hot").c_str()),
                           reinterpret_cast<long>((dir(to) + "/hot").c_str()));
        if (r == 0) hot_moves->fetch_add(1, std::memory_order_relaxed);
        else if (r != -ENOENT) return "rename of hot: " + std::to_string(r);
        break;
      }
    }
  }
  return {};
}

}  // namespace

TEST_CASE("concurrent create rename link unlink and readdir agree with each worker's model") {
  auto k = test::boot("vcpus=2");
  {
    auto me = k->attach();
    REQUIRE(sys_s(SYS_mkdir, "/tmp/stress", 0755) == 0);
    for (int d = 0; d < kDirs; ++d) REQUIRE(sys_s(SYS_mkdir, dir(d), 0755) == 0);
    const long fd = sys_s(SYS_open, dir(0) + "/hot", O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    sys(SYS_close, fd);
  }
  std::vector<Model> models(kWorkers);
  std::vector<std::string> errors(kWorkers);
  std::atomic<int> hot_moves{0};
  std::vector<uml::TaskHandle> fibers;
  for (int w = 0; w < 2; ++w)
    fibers.push_back(k->spawn([&, w] {
      errors[w] = work(w, 1000 + w, &models[w], &hot_moves);
      return 0;
    }));
  std::vector<std::thread> threads;
  for (int w = 2; w < kWorkers; ++w)
    threads.emplace_back([&, w] {
      auto me = k->attach();
      errors[w] = work(w, 1000 + w, &models[w], &hot_moves);
    });
  for (auto& f : fibers) f.wait();
  for (auto& t : threads) t.join();
  for (int w = 0; w < kWorkers; ++w) CHECK(errors[w] == "");

  // The final tree is the union of the models, plus "hot" in exactly one place.
  auto me = k->attach();
  std::map<std::string, std::pair<int, uint64_t>> seen;  // name -> (dir, ino)
  int hot = 0;
  for (int d = 0; d < kDirs; ++d) {
    std::string err;
    const auto listing = list_dir(dir(d), &err);
    CHECK(err == "");
    for (const auto& [n, ino] : listing) {
      if (n == "hot") {
        ++hot;
        continue;
      }
      CHECK(seen.count(n) == 0);
      seen[n] = {d, ino};
    }
    struct stat st {};
    REQUIRE(sys_s(SYS_stat, dir(d), reinterpret_cast<long>(&st)) == 0);
    CHECK(st.st_nlink == 2);                                          // no subdirectories
    CHECK(static_cast<size_t>(st.st_size) == 20 * (listing.size() + 2));  // tmpfs's sizes
  }
  CHECK(hot == 1);
  CHECK(hot_moves.load() > 0);
  size_t expected = 0;
  for (int w = 0; w < kWorkers; ++w) {
    const Model& m = models[w];
    expected += m.names.size();
    std::map<int, uint64_t> ino_of_file;
    for (const auto& [n, e] : m.names) {
      INFO("worker " << w << " name " << n);
      REQUIRE(seen.count(n) == 1);
      CHECK(seen[n].first == e.dir);
      // Hard links of one file share one inode; different files have different ones.
      if (ino_of_file.count(e.file)) CHECK(ino_of_file[e.file] == seen[n].second);
      ino_of_file[e.file] = seen[n].second;
      const std::string p = dir(e.dir) + "/" + n;
      struct stat st {};
      REQUIRE(sys_s(SYS_stat, p, reinterpret_cast<long>(&st)) == 0);
      CHECK(static_cast<int>(st.st_nlink) == m.links(e.file));
      CHECK(read_all(p) == m.content.at(e.file));
    }
    std::set<uint64_t> distinct;
    for (const auto& [f, ino] : ino_of_file) distinct.insert(ino);
    CHECK(distinct.size() == ino_of_file.size());
  }
  CHECK(seen.size() == expected);
}
