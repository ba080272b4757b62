#include "core/lib/chacha20.h"

#include <cstring>

namespace uml::kern {

namespace {
constexpr uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

inline void quarter_round(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d) {
  a += b; d ^= a; d = rotl(d, 16);
  c += d; b ^= c; b = rotl(b, 12);
  a += b; d ^= a; d = rotl(d, 8);
  c += d; b ^= c; b = rotl(b, 7);
}
}  // namespace

void ChaCha20::block(const Key& key, uint32_t counter, const Nonce& nonce, uint8_t out[64]) {
  uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};  // "expand 32-byte k"
  for (int i = 0; i < 8; ++i) s[4 + i] = key[i];
  s[12] = counter;
  s[13] = nonce[0];
  s[14] = nonce[1];
  s[15] = nonce[2];
  uint32_t x[16];
  memcpy(x, s, sizeof(x));
  for (int i = 0; i < 10; ++i) {
    quarter_round(x[0], x[4], x[8], x[12]);
    quarter_round(x[1], x[5], x[9], x[13]);
    quarter_round(x[2], x[6], x[10], x[14]);
    quarter_round(x[3], x[7], x[11], x[15]);
    quarter_round(x[0], x[5], x[10], x[15]);
    quarter_round(x[1], x[6], x[11], x[12]);
    quarter_round(x[2], x[7], x[8], x[13]);
    quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; ++i) {
    uint32_t v = x[i] + s[i];
    out[4 * i + 0] = static_cast<uint8_t>(v);
    out[4 * i + 1] = static_cast<uint8_t>(v >> 8);
    out[4 * i + 2] = static_cast<uint8_t>(v >> 16);
    out[4 * i + 3] = static_cast<uint8_t>(v >> 24);
  }
}

void ChaCha20::keystream(const Key& key, uint64_t counter, uint8_t* out, size_t len) {
  uint8_t buf[64];
  while (len > 0) {
    // The 64-bit block counter spreads over the 32-bit counter and the first nonce word.
    Nonce nonce{static_cast<uint32_t>(counter >> 32), 0, 0};
    block(key, static_cast<uint32_t>(counter), nonce, buf);
    size_t n = len < 64 ? len : 64;
    memcpy(out, buf, n);
    out += n;
    len -= n;
    ++counter;
  }
}

}  // namespace uml::kern
