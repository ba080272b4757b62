#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Linux's crc32c_le: the raw
// update, with no inversion on the way in or out. The standard CRC-32C of a buffer is
// ~crc32c(~0u, buf, n); ext4's metadata checksums are crc32c(seed, ...) as stored.

#include <cstddef>
#include <cstdint>

namespace uml::kern {

// With the CPU's crc32 instruction where it has one (SSE 4.2), slicing-by-8 tables
// otherwise; both give the same answer.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);
// The table version alone (for tests that compare the two).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t len);
// crc32c over data with the bytes [hole, hole + hole_len) counted as zeros: a checksum
// computed over the structure that holds it (hole_len at most 8).
uint32_t crc32c_zeroed(uint32_t crc, const void* data, size_t len, size_t hole, size_t hole_len);

}  // namespace uml::kern
