#pragma once
// The copy-on-write overlay file (UML's ubd COW idea; the layout is ours, docs/block.md):
//
//   0      header (4096 bytes, little-endian, checksummed)
//   4096   bitmap: one bit per 512-byte sector of the disk, set when the overlay holds it
//   data   at data_offset (the bitmap's end rounded up to 1 MiB): sector s at
//          data_offset + 512 * s, so the file is sparse and a contiguous run of sectors is
//          one contiguous transfer
//
// The base is never written. The header records the base's path, size and modification
// time: reopening on a base whose size or time differs is refused (it changed, or it is
// another file), since the overlay's sectors only make sense over the bytes they replaced.

#include <cstdint>
#include <string>
#include <vector>

#include "host/file.h"

namespace uml::drivers::cow {

inline constexpr char kMagic[8] = {'U', 'M', 'L', 'C', 'O', 'W', '0', '1'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderSize = 4096;
inline constexpr uint32_t kSector = 512;
inline constexpr size_t kMaxBasePath = 2048;

struct Header {
  uint64_t disk_size = 0;      // bytes (the base's size, rounded down to sectors)
  uint64_t base_size = 0;      // the base file's size when the overlay was made
  int64_t base_mtime_ns = 0;   // ... and its modification time
  uint64_t bitmap_offset = kHeaderSize;
  uint64_t bitmap_bytes = 0;
  uint64_t data_offset = 0;
  std::string base_path;       // absolute, as given at creation
};

// The header for a new overlay on a base of this identity.
Header make_header(const std::string& base_path, const host::DiskFileInfo& base);
// Encodes h into kHeaderSize bytes.
std::vector<char> encode(const Header& h);
// Decodes and validates: false with *error set for anything malformed (bad magic, version,
// checksum, offsets outside what the sizes imply).
bool decode(const char* buf, size_t len, uint64_t file_size, Header* h, std::string* error);
// Whether base is the file h was made on: empty, or why not.
std::string check_base(const Header& h, const host::DiskFileInfo& base);

// Whether the file at path starts with an overlay's magic.
bool is_overlay(const std::string& path);
// Creates an overlay file for base (fails if path exists). 0 or -errno; *error explains.
int create(const std::string& path, const std::string& base_path, std::string* error);

}  // namespace uml::drivers::cow
