// libFuzzer target: the ext4 superblock decoder (core/fs/ext4/super). Any 1024 bytes and
// device size must decode to a consistent superblock or a one-line reason; never a crash,
// a hang or a sanitizer report.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/fs/ext4/super.h"

namespace ext4 = uml::kern::ext4;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t device = 0;
  if (size >= 8) {
    memcpy(&device, data, 8);
    data += 8;
    size -= 8;
  }
  uint8_t sb[ext4::kSuperSize] = {};
  memcpy(sb, data, size < sizeof sb ? size : sizeof sb);
  ext4::Super s;
  const auto c = ext4::parse_super(sb, device, &s);
  if (!c.ok) {
    if (c.why.empty() || c.why.find('\n') != std::string::npos) abort();
    return 0;
  }
  // What a decoded superblock promises its users.
  if (s.block_size < 1024 || s.block_size > 65536 || s.groups == 0 || s.inode_size < 128 ||
      s.inode_size > s.block_size || s.blocks_count > device / s.block_size ||
      uint64_t{s.groups} * s.inodes_per_group != s.inodes_count)
    abort();
  return 0;
}
