// libFuzzer target: the ext4 superblock, group descriptor, inode and extent node decoders
// (core/fs/ext4). Any
// bytes and device size must decode to a consistent superblock and descriptors, or to a
// one-line reason; never a crash, a hang or a sanitizer report. Input: 8 bytes of device
// size, 1024 of superblock, then descriptors.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/fs/ext4/extent.h"
#include "core/fs/ext4/group.h"
#include "core/fs/ext4/inode_raw.h"
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
  const size_t sb_len = size < sizeof sb ? size : sizeof sb;
  memcpy(sb, data, sb_len);
  data += sb_len;
  size -= sb_len;
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
  for (uint32_t g = 0; g < s.groups && (g + 1) * size_t{s.desc_size} <= size; ++g) {
    ext4::GroupDesc d;
    const std::string why = ext4::decode_desc(s, g, data + g * size_t{s.desc_size}, &d);
    if (!why.empty()) {
      if (why.find('\n') != std::string::npos) abort();
      continue;
    }
    if (d.inode_table + s.itable_blocks() > s.blocks_count || d.block_bitmap >= s.blocks_count ||
        d.inode_bitmap >= s.blocks_count)
      abort();
  }
  // The same bytes as inodes.
  for (uint32_t i = 0; (i + 1) * size_t{s.inode_size} <= size && i < 64; ++i) {
    ext4::RawInode n;
    const std::string why = ext4::decode_inode(s, i + 1, data + i * size_t{s.inode_size}, &n);
    if (why.find('\n') != std::string::npos) abort();
    if (why.empty() && n.file_acl && (n.file_acl < s.first_data_block || n.file_acl >= s.blocks_count)) abort();
    // Its i_block as an extent root.
    ext4::ExtentNode root;
    if (why.empty() && ext4::decode_extent_node(s, n, n.block, 60, true, -1, 0, &root).empty()) {
      uint64_t next = 0;
      for (const auto& e : root.extents) {
        if (e.len == 0 || e.lblk < next || e.pblk + e.len > s.blocks_count) abort();
        next = uint64_t{e.lblk} + e.len;
      }
    }
  }
  // And the whole rest as one extent block.
  if (size >= s.block_size) {
    ext4::RawInode n;
    ext4::ExtentNode node;
    const std::string why = ext4::decode_extent_node(s, n, data, s.block_size, false, -1, 0, &node);
    if (why.empty() && node.depth == 0)
      for (const auto& e : node.extents)
        if (e.pblk + e.len > s.blocks_count) abort();
  }
  return 0;
}
