#pragma once
// ext4 block group descriptors (Documentation/filesystems/ext4/group_descr.rst): where each
// group's bitmaps and inode table are, decoded and checked (bounds, overlap with the
// superblock and descriptor blocks, the crc16 or crc32c checksum) before use.

#include <cstdint>
#include <string>

#include "core/fs/ext4/super.h"

namespace uml::kern::ext4 {

struct GroupDesc {
  uint64_t block_bitmap = 0, inode_bitmap = 0, inode_table = 0;
  uint32_t free_blocks = 0, free_inodes = 0, used_dirs = 0, itable_unused = 0;
  uint16_t flags = 0;     // kInodeUninit, kBlockUninit, kItableZeroed
  uint16_t checksum = 0;
  uint32_t block_bitmap_csum = 0, inode_bitmap_csum = 0;
  static constexpr uint16_t kInodeUninit = 1, kBlockUninit = 2, kItableZeroed = 4;
};

// Whether group g holds a copy of the superblock (ext4_bg_has_super).
bool group_has_super(const Super& s, uint32_t g);
// The block holding descriptor block nr (descriptor_loc): after the superblock, or with
// meta_bg at the start of its meta group.
uint64_t descriptor_block(const Super& s, uint32_t nr);
// The checksum group g's descriptor (raw, s.desc_size bytes) should carry: crc32c with
// metadata_csum, crc16 with uninit_bg (gdt_csum), none (0) otherwise.
uint16_t desc_checksum(const Super& s, uint32_t g, const uint8_t* raw);
bool has_desc_checksum(const Super& s);
// Decodes and checks group g's descriptor: "" or the reason it is bad.
std::string decode_desc(const Super& s, uint32_t g, const uint8_t* raw, GroupDesc* out);
// Stores d's counts, flags and bitmap checksums into group g's descriptor (raw, s.desc_size
// bytes as read) and sets its checksum (ext4_group_desc_csum_set).
void encode_desc(const Super& s, uint32_t g, const GroupDesc& d, uint8_t* raw);
// Descriptor blocks group g holds (ext4_bg_num_gdb).
uint32_t group_gdt_blocks(const Super& s, uint32_t g);
// The blocks at the start of group g that the superblock copy, the descriptors and the
// reserved descriptor blocks take (ext4_num_base_meta_clusters).
uint32_t group_base_meta_blocks(const Super& s, uint32_t g);
// The checksum of a block bitmap (ngroup bits: blocks_per_group) or an inode bitmap
// (inodes_per_group bits) with metadata_csum (ext4_block_bitmap_csum_set).
uint32_t bitmap_checksum(const Super& s, const uint8_t* bitmap, uint32_t bits);

}  // namespace uml::kern::ext4
