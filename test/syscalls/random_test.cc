// getrandom: flags, lengths and faults.

#include <errno.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "shim.h"

using shim::call;

TEST_CASE("getrandom fills the buffer and returns its length") {
  shim::fresh_task([] {
    std::vector<unsigned char> a(4096, 0), b(4096, 0);
    REQUIRE(call(SYS_getrandom, a.data(), a.size(), 0) == 4096);
    REQUIRE(call(SYS_getrandom, b.data(), b.size(), GRND_NONBLOCK) == 4096);
    CHECK(a != b);
    int zeros = 0;
    for (unsigned char c : a) zeros += c == 0;
    CHECK(zeros < 64);  // ~16 expected
    CHECK(call(SYS_getrandom, a.data(), 0, 0) == 0);
    CHECK(call(SYS_getrandom, a.data(), 7, GRND_RANDOM) == 7);
    CHECK(call(SYS_getrandom, a.data(), 7, GRND_INSECURE) == 7);
    std::vector<unsigned char> big(100'000);
    CHECK(call(SYS_getrandom, big.data(), big.size(), 0) == 100'000);
  });
}

TEST_CASE("getrandom rejects unknown and contradictory flags, and bad buffers") {
  shim::fresh_task([] {
    unsigned char buf[16];
    CHECK(call(SYS_getrandom, buf, sizeof(buf), 0x8) == -EINVAL);
    CHECK(call(SYS_getrandom, buf, sizeof(buf), GRND_RANDOM | GRND_INSECURE) == -EINVAL);
    CHECK(call(SYS_getrandom, nullptr, 16, 0) == -EFAULT);
  });
}
