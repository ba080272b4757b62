#include "core/lib/chacha20.h"

#include <catch2/catch.hpp>
#include <cstring>

using uml::kern::ChaCha20;

TEST_CASE("ChaCha20 block function matches RFC 8439 section 2.3.2") {
  ChaCha20::Key key;
  for (int i = 0; i < 8; ++i) {
    const uint8_t b = static_cast<uint8_t>(4 * i);
    key[i] = b | (b + 1) << 8 | (b + 2) << 16 | static_cast<uint32_t>(b + 3) << 24;
  }
  const ChaCha20::Nonce nonce{0x09000000, 0x4a000000, 0x00000000};
  uint8_t out[64];
  ChaCha20::block(key, 1, nonce, out);
  const uint8_t expected[64] = {
      0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
      0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
      0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
      0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};
  CHECK(memcmp(out, expected, 64) == 0);
}

TEST_CASE("ChaCha20 keystream is the concatenation of blocks, at any length") {
  ChaCha20::Key key{1, 2, 3, 4, 5, 6, 7, 8};
  uint8_t whole[200], parts[200];
  ChaCha20::keystream(key, 5, whole, sizeof(whole));
  ChaCha20::keystream(key, 5, parts, 64);
  ChaCha20::keystream(key, 6, parts + 64, 136);
  CHECK(memcmp(whole, parts, sizeof(whole)) == 0);
  uint8_t other[64];
  ChaCha20::keystream(key, 6, other, 64);
  CHECK(memcmp(whole, other, 64) != 0);
}

#include "core/lib/crc32c.h"

TEST_CASE("CRC-32C matches its check value and is incremental") {
  const char* s = "123456789";
  CHECK(~uml::kern::crc32c(~0u, s, 9) == 0xE3069283u);  // RFC 3720's check value
  const uint32_t part = uml::kern::crc32c(~0u, s, 4);
  CHECK(~uml::kern::crc32c(part, s + 4, 5) == 0xE3069283u);
  CHECK(uml::kern::crc32c(0x12345678u, s, 0) == 0x12345678u);
}
