#pragma once
// ChaCha20 block function (RFC 8439 section 2.3) and a keystream generator built on it, for
// the instance's random number generator (getrandom). Deterministic given the key, which
// is what makes a seeded instance replayable.

#include <array>
#include <cstddef>
#include <cstdint>

namespace uml::kern {

class ChaCha20 {
 public:
  using Key = std::array<uint32_t, 8>;
  using Nonce = std::array<uint32_t, 3>;

  // One 64-byte block for (key, counter, nonce), RFC 8439 2.3.
  static void block(const Key& key, uint32_t counter, const Nonce& nonce, uint8_t out[64]);
  // Fills len bytes of keystream starting at block `counter`.
  static void keystream(const Key& key, uint64_t counter, uint8_t* out, size_t len);
};

}  // namespace uml::kern
