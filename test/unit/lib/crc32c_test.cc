// CRC-32C: the standard check value, and the instruction-based path against the tables
// on every length and alignment up to a few blocks.

#include "core/lib/crc32c.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

using uml::kern::crc32c;
using uml::kern::crc32c_portable;

TEST_CASE("crc32c gives the standard check value, and the same answer either way") {
  const char* check = "123456789";
  CHECK((~crc32c(~0u, check, 9)) == 0xE3069283u);
  CHECK((~crc32c_portable(~0u, check, 9)) == 0xE3069283u);
  std::mt19937 rng(3);
  std::vector<uint8_t> buf(5000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t off = 0; off < 8; ++off)
    for (size_t len = 0; len + off <= buf.size(); len += 1 + len / 7) {
      const uint32_t seed = static_cast<uint32_t>(rng());
      INFO("off " << off << " len " << len);
      REQUIRE(crc32c(seed, buf.data() + off, len) == crc32c_portable(seed, buf.data() + off, len));
    }
}
