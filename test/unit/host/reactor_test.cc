// host::Reactor on its own: completions as objects, timeouts through the ring, wake-ups
// from other threads.

#include "host/reactor.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "host/host.h"

using uml::host::Completion;
using uml::host::Reactor;
using uml::host::ReactorKind;

namespace {
struct Record final : Completion {
  int32_t res = 12345;
  int calls = 0;
  void complete(int32_t r) override {
    res = r;
    ++calls;
  }
};
}  // namespace

TEST_CASE("Reactor: a nop completes through its Completion object") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);  // both kinds, one contract
  INFO(uml::host::reactor_kind_name(kind));
  int err = 0;
  auto r = Reactor::create(8, &err, kind);
  REQUIRE(r);
  Record c;
  REQUIRE(r->nop(&c));
  CHECK(r->in_flight() == 1);
  while (c.calls == 0) r->wait(uml::host::monotonic_ns() + 1'000'000'000);
  CHECK(c.res == 0);
  CHECK(c.calls == 1);
  CHECK(r->in_flight() == 0);
}

TEST_CASE("Reactor: read and write a host file") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);  // both kinds, one contract
  INFO(uml::host::reactor_kind_name(kind));
  auto r = Reactor::create(8, nullptr, kind);
  REQUIRE(r);
  char path[] = "/tmp/uml-reactor-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  Record w, rd;
  const char msg[] = "ring";
  REQUIRE(r->write(fd, msg, 4, 100, &w));
  while (w.calls == 0) r->wait(-1);
  CHECK(w.res == 4);
  char buf[8] = {};
  REQUIRE(r->read(fd, buf, 8, 100, &rd));
  while (rd.calls == 0) r->wait(-1);
  CHECK(rd.res == 4);
  CHECK(std::string(buf, 4) == "ring");
  Record bad;
  REQUIRE(r->read(-1, buf, 8, 0, &bad));
  while (bad.calls == 0) r->wait(-1);
  CHECK(bad.res == -EBADF);
  close(fd);
}

TEST_CASE("Reactor: a timeout fires at its deadline, not before") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);  // both kinds, one contract
  INFO(uml::host::reactor_kind_name(kind));
  auto r = Reactor::create(8, nullptr, kind);
  REQUIRE(r);
  Record t;
  const int64_t deadline = uml::host::monotonic_ns() + 3'000'000;
  REQUIRE(r->timeout(deadline, &t));
  while (t.calls == 0) r->wait(-1);
  CHECK(t.res == -ETIME);
  CHECK(uml::host::monotonic_ns() >= deadline);
}

TEST_CASE("Reactor: a cancelled timeout completes with ECANCELED") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);  // both kinds, one contract
  INFO(uml::host::reactor_kind_name(kind));
  auto r = Reactor::create(8, nullptr, kind);
  REQUIRE(r);
  Record t;
  REQUIRE(r->timeout(uml::host::monotonic_ns() + 60'000'000'000, &t));  // a minute away
  REQUIRE(r->cancel(&t));
  const int64_t t0 = uml::host::monotonic_ns();
  while (t.calls == 0) r->wait(t0 + 5'000'000'000);
  CHECK(t.res == -ECANCELED);
  CHECK(r->in_flight() == 0);
}

TEST_CASE("Reactor: wait honours its deadline and wake() from another thread") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);  // both kinds, one contract
  INFO(uml::host::reactor_kind_name(kind));
  auto r = Reactor::create(8, nullptr, kind);
  REQUIRE(r);
  int64_t t0 = uml::host::monotonic_ns();
  CHECK(r->wait(t0 + 2'000'000) == 0);
  CHECK(uml::host::monotonic_ns() - t0 >= 2'000'000);
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    r->wake();
  });
  t0 = uml::host::monotonic_ns();
  r->wait(t0 + 10'000'000'000);  // would sleep 10 s without the wake-up
  CHECK(uml::host::monotonic_ns() - t0 < 5'000'000'000);
  waker.join();
}

TEST_CASE("Reactor: vectored transfers, fsync and fallocate, on both kinds") {
  const ReactorKind kind = GENERATE(ReactorKind::Uring, ReactorKind::Poll);
  INFO(uml::host::reactor_kind_name(kind));
  int err = 0;
  auto r = Reactor::create(8, &err, kind);
  REQUIRE(r);
  CHECK(r->kind() == kind);
  char path[] = "/tmp/uml-reactor-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  auto run = [&](Record& c) {
    while (c.calls == 0) r->wait(-1);
    return c.res;
  };
  char a[4096], b[4096];
  memset(a, 'a', sizeof a);
  memset(b, 'b', sizeof b);
  const uml::host::IoVec out[2] = {{a, sizeof a}, {b, sizeof b}};
  Record w, s, z, rd;
  REQUIRE(r->writev(fd, out, 2, 0, /*dsync=*/true, &w));
  CHECK(run(w) == 8192);
  REQUIRE(r->fsync(fd, /*datasync=*/false, &s));
  CHECK(run(s) == 0);
  // Zero the second block, then read both back in one vectored read.
  REQUIRE(r->fallocate(fd, uml::host::Fallocate::ZeroRange, 4096, 4096, &z));
  const int32_t zr = run(z);
  char x[4096], y[4096];
  const uml::host::IoVec in[2] = {{x, sizeof x}, {y, sizeof y}};
  REQUIRE(r->readv(fd, in, 2, 0, &rd));
  CHECK(run(rd) == 8192);
  CHECK(memcmp(x, a, sizeof x) == 0);
  if (zr == 0) CHECK(y[0] == 0);  // a filesystem without ZERO_RANGE says EOPNOTSUPP
  else CHECK(zr == -EOPNOTSUPP);
  CHECK(r->in_flight() == 0);
  close(fd);
}

TEST_CASE("Guard-paged stacks map and unmap; 100,000 of them stay under the map limit") {
#if defined(UML_TEST_SCALE)
  const int n = 100'000 / UML_TEST_SCALE;  // TSan cannot map 100,000 (its own allocator)
#else
  const int n = 100'000;
#endif
  std::vector<uml::host::Stack> stacks;
  for (int i = 0; i < n; ++i) {
    stacks.push_back(uml::host::map_stack(64 * 1024));
    REQUIRE(stacks.back().base != nullptr);
  }
  static_cast<char*>(stacks.back().base)[0] = 1;  // the lowest usable byte is writable
  for (auto& s : stacks) uml::host::unmap_stack(s);
}

TEST_CASE("Reactor: a registered file is read through its slot until it is unregistered") {
  int err = 0;
  auto r = Reactor::create(8, &err);
  REQUIRE(r);
  char path[] = "/var/tmp/uml-reactor-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  REQUIRE(write(fd, "registered", 10) == 10);
  const int slot = r->register_file(fd);
  REQUIRE(slot >= 0);
  close(fd);  // the ring keeps its own reference
  char buf[16] = {};
  Record c;
  REQUIRE(r->read(Reactor::fixed_file(slot), buf, 10, 0, &c));
  while (c.calls == 0) r->wait(uml::host::monotonic_ns() + 1'000'000'000);
  CHECK(c.res == 10);
  CHECK(std::string(buf, 10) == "registered");
  r->unregister_file(slot);
  Record d;
  REQUIRE(r->read(Reactor::fixed_file(slot), buf, 10, 0, &d));
  while (d.calls == 0) r->wait(uml::host::monotonic_ns() + 1'000'000'000);
  CHECK(d.res == -EBADF);
  // The table fills up: ENOSPC, never a crash.
  int last = 0;
  const int one = open("/dev/null", O_RDONLY);
  for (int i = 0; i <= Reactor::kFileSlots && last >= 0; ++i) last = r->register_file(one);
  CHECK(last == -ENOSPC);
  close(one);
}

TEST_CASE("Reactor: a registered buffer region carries fixed reads and writes") {
  int err = 0;
  auto r = Reactor::create(8, &err);
  REQUIRE(r);
  char path[] = "/var/tmp/uml-reactor-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  REQUIRE(write(fd, "0123456789", 10) == 10);
  void* region = uml::host::map_chunk(2 << 20, false);
  REQUIRE(region);
  const int slot = r->buffer_slot(region, 2 << 20);
  REQUIRE(slot >= 0);
  CHECK(r->buffer_slot(region, 2 << 20) == slot);  // registered once
  char* buf = static_cast<char*>(region) + 4096;
  Record c;
  REQUIRE(r->read_fixed(fd, buf, 10, 0, slot, &c));
  while (c.calls == 0) r->wait(uml::host::monotonic_ns() + 1'000'000'000);
  CHECK(c.res == 10);
  CHECK(std::string(buf, 10) == "0123456789");
  memcpy(buf, "abc", 3);
  Record d;
  REQUIRE(r->write_fixed(fd, buf, 3, 20, slot, &d));
  while (d.calls == 0) r->wait(uml::host::monotonic_ns() + 1'000'000'000);
  CHECK(d.res == 3);
  char back[3];
  REQUIRE(pread(fd, back, 3, 20) == 3);
  CHECK(std::string(back, 3) == "abc");
  r.reset();  // the ring lets go of the region before it is unmapped
  uml::host::unmap_chunk(region, 2 << 20);
  close(fd);
}
