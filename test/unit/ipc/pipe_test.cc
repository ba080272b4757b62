// Pipes between guest processes: blocking reads and writes wake each other, FIFO opens meet,
// and writes of PIPE_BUF bytes from several writers at once never interleave.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace {
long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) { return uml::syscall(nr, a, b, c, d); }
}  // namespace

TEST_CASE("a blocked reader wakes for data and a blocked writer for room") {
  auto k = test::boot("vcpus=2");
  std::atomic<long> got{-1}, wrote{-1};
  auto h = k->spawn([&] {
    int fds[2];
    if (sys(SYS_pipe2, reinterpret_cast<long>(fds)) != 0) return 1;
    // Fill the pipe, then a child writes more (it blocks) while we drain.
    std::vector<char> big(65536, 'a');
    sys(SYS_write, fds[1], reinterpret_cast<long>(big.data()), static_cast<long>(big.size()));
    auto writer = k->spawn([&] {
      wrote = sys(SYS_write, fds[1], reinterpret_cast<long>("tail"), 4);  // blocks: full
      return 0;
    });
    std::vector<char> buf(65536 + 4);
    long total = 0;
    while (total < 65536 + 4) {
      const long n = sys(SYS_read, fds[0], reinterpret_cast<long>(buf.data() + total), static_cast<long>(buf.size() - total));
      if (n <= 0) break;
      total += n;
    }
    got = total;
    writer.wait();
    return std::string(buf.data() + 65536, 4) == "tail" ? 0 : 2;
  });
  CHECK(h.wait() == 0);
  CHECK(got == 65536 + 4);
  CHECK(wrote == 4);
}

TEST_CASE("FIFO opens wait for the other side") {
  auto k = test::boot("vcpus=2");
  std::atomic<long> reader_fd{-1}, writer_fd{-1}, data{-1};
  auto h = k->spawn([&] {
    if (sys(SYS_mknod, reinterpret_cast<long>("/tmp/fifo"), S_IFIFO | 0666) != 0) return 1;
    auto reader = k->spawn([&] {
      reader_fd = sys(SYS_open, reinterpret_cast<long>("/tmp/fifo"), O_RDONLY);  // waits
      char c = 0;
      data = sys(SYS_read, reader_fd, reinterpret_cast<long>(&c), 1) == 1 ? c : -2;
      return 0;
    });
    writer_fd = sys(SYS_open, reinterpret_cast<long>("/tmp/fifo"), O_WRONLY);  // meets it
    sys(SYS_write, writer_fd, reinterpret_cast<long>("!"), 1);
    reader.wait();
    return 0;
  });
  CHECK(h.wait() == 0);
  CHECK(reader_fd >= 0);
  CHECK(writer_fd >= 0);
  CHECK(data == '!');
}

TEST_CASE("PIPE_BUF writes from several writers never interleave") {
  auto k = test::boot("vcpus=2");
  constexpr int kWriters = 4, kRecords = 200;
  std::atomic<int> bad{0}, records{0};
  auto h = k->spawn([&] {
    int fds[2];
    if (sys(SYS_pipe2, reinterpret_cast<long>(fds)) != 0) return 1;
    std::vector<uml::TaskHandle> writers;
    for (int w = 0; w < kWriters; ++w)
      writers.push_back(k->spawn([&, w] {
        std::vector<char> rec(4096, static_cast<char>('A' + w));
        for (int i = 0; i < kRecords; ++i) sys(SYS_write, fds[1], reinterpret_cast<long>(rec.data()), 4096);
        return 0;
      }));
    std::vector<char> rec(4096);
    for (int r = 0; r < kWriters * kRecords; ++r) {
      size_t have = 0;
      while (have < rec.size()) {
        const long n = sys(SYS_read, fds[0], reinterpret_cast<long>(rec.data() + have), static_cast<long>(rec.size() - have));
        if (n <= 0) return 3;
        have += static_cast<size_t>(n);
      }
      for (char c : rec)
        if (c != rec[0]) {
          ++bad;
          break;
        }
      ++records;
    }
    for (auto& w : writers) w.wait();
    return 0;
  });
  CHECK(h.wait() == 0);
  CHECK(records == kWriters * kRecords);
  CHECK(bad == 0);
}

TEST_CASE("an eventfd read waits for a write from another task") {
  auto k = test::boot("vcpus=2");
  std::atomic<long> value{-1};
  auto h = k->spawn([&] {
    const long fd = sys(SYS_eventfd2, 0, 0);
    auto reader = k->spawn([&, fd] {
      uint64_t v = 0;
      value = sys(SYS_read, fd, reinterpret_cast<long>(&v), 8) == 8 ? static_cast<long>(v) : -2;
      return 0;
    });
    uint64_t add = 42;
    sys(SYS_write, fd, reinterpret_cast<long>(&add), 8);
    reader.wait();
    return 0;
  });
  CHECK(h.wait() == 0);
  CHECK(value == 42);
}
