#pragma once
// ext4 extent tree nodes (Documentation/filesystems/ext4/ifork.rst): the root in an inode's
// i_block, deeper nodes in blocks with a checksum tail. A node is decoded and checked as
// Linux's __ext4_ext_check does before a walk trusts it: magic, depth, entry counts within
// what fits, entries in increasing logical order inside their parent's range, physical
// blocks inside the filesystem, and the block's checksum.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/fs/ext4/inode_raw.h"
#include "core/fs/ext4/super.h"

namespace uml::kern::ext4 {

inline constexpr uint16_t kExtentMagic = 0xF30A;
inline constexpr uint16_t kMaxExtentDepth = 5;
inline constexpr uint32_t kMaxInitLen = 32768;  // longer ee_len: an unwritten extent

struct Extent {
  uint32_t lblk = 0;   // first logical block
  uint32_t len = 0;    // blocks
  bool unwritten = false;
  uint64_t pblk = 0;   // first physical block
  // In memory only: given to a write that is still copying its data in. Reads see zeros
  // (as they would have before), so none sees what the disk held there.
  bool fresh = false;
};

struct ExtentIndex {
  uint32_t lblk = 0;   // the first logical block its subtree covers
  uint64_t leaf = 0;   // the block of the child node
};

struct ExtentNode {
  uint16_t depth = 0;             // 0: a leaf
  std::vector<Extent> extents;    // depth 0
  std::vector<ExtentIndex> index; // depth > 0
};

// The seed of the inode's metadata checksums (ext4's ei->i_csum_seed).
uint32_t inode_csum_seed(const Super& s, const RawInode& n);

// Decodes the node in buf (len bytes: 60 for the root in i_block, a block otherwise).
// expect_depth: the depth its parent implies (-1 for the root); min_lblk: the first logical
// block its parent's entry covers. "" or the reason it is bad (naming the inode).
std::string decode_extent_node(const Super& s, const RawInode& n, const uint8_t* buf, size_t len, bool root,
                               int expect_depth, uint32_t min_lblk, ExtentNode* out);

// Encoders for the tree's bytes: a node header (eh_generation 0), an extent, an index
// entry; and i_block as a depth-0 root holding n (at most four) extents, none being the
// empty root ext4_ext_truncate leaves.
void put_header(uint8_t* b, uint16_t entries, uint16_t max, uint16_t depth);
void put_extent(uint8_t* b, const Extent& e);
void put_index(uint8_t* b, uint32_t lblk, uint64_t child);
void encode_extent_root(uint8_t* block, const Extent* ex, size_t n);

}  // namespace uml::kern::ext4
