#include "core/fs/ext4/extent.h"

#include <cstring>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {
constexpr size_t kEntry = 12;
}  // namespace

uint32_t inode_csum_seed(const Super& s, const RawInode& n) {
  const Le32Bytes ino(n.ino), gen(n.generation);
  return crc32c(crc32c(s.csum_seed, ino.b, 4), gen.b, 4);
}

std::string decode_extent_node(const Super& s, const RawInode& n, const uint8_t* buf, size_t len, bool root,
                               int expect_depth, uint32_t min_lblk, ExtentNode* out) {
  const std::string where = "inode " + std::to_string(n.ino) + ": extent " + (root ? "root" : "block") + ": ";
  if (len < kEntry) return where + "too small";
  if (le16(buf) != kExtentMagic) return where + "bad magic";
  const uint16_t entries = le16(buf + 2), max = le16(buf + 4), depth = le16(buf + 6);
  if (depth > kMaxExtentDepth) return where + "depth " + std::to_string(depth) + " is too deep";
  if (expect_depth >= 0 && depth != expect_depth)
    return where + "depth " + std::to_string(depth) + " where " + std::to_string(expect_depth) + " was expected";
  const size_t fit = (len - kEntry) / kEntry;
  if (max == 0 || max > fit) return where + "bad maximum entry count " + std::to_string(max);
  if (entries > max) return where + "more entries than room";
  if (entries == 0 && depth > 0) return where + "an empty index node";
  if (!root && s.metadata_csum()) {
    // The tail after eh_max entries: crc32c of the node up to it, seeded by the inode.
    const size_t tail = kEntry + size_t{max} * kEntry;
    if (tail + 4 > len) return where + "no room for the checksum";
    if (crc32c(inode_csum_seed(s, n), buf, tail) != le32(buf + tail)) return where + "checksum mismatch";
  }
  ExtentNode node;
  node.depth = depth;
  uint64_t next = min_lblk;  // entries must not start before this
  for (uint16_t i = 0; i < entries; ++i) {
    const uint8_t* e = buf + kEntry + size_t{i} * kEntry;
    const uint32_t lblk = le32(e);
    if (lblk < next) return where + "entries out of order at logical block " + std::to_string(lblk);
    if (depth == 0) {
      Extent x;
      x.lblk = lblk;
      const uint16_t raw_len = le16(e + 4);
      x.unwritten = raw_len > kMaxInitLen;
      x.len = x.unwritten ? raw_len - kMaxInitLen : raw_len;
      x.pblk = le32(e + 8) | uint64_t{le16(e + 6)} << 32;
      if (x.len == 0) return where + "an empty extent at logical block " + std::to_string(lblk);
      if (x.pblk < s.first_data_block || x.pblk >= s.blocks_count || x.len > s.blocks_count - x.pblk)
        return where + "extent at logical block " + std::to_string(lblk) + " points outside the filesystem";
      if (uint64_t{lblk} + x.len > (uint64_t{1} << 32)) return where + "extent past the last logical block";
      next = uint64_t{lblk} + x.len;
      node.extents.push_back(x);
    } else {
      ExtentIndex x;
      x.lblk = lblk;
      x.leaf = le32(e + 4) | uint64_t{le16(e + 8)} << 32;
      if (x.leaf < s.first_data_block || x.leaf >= s.blocks_count)
        return where + "index at logical block " + std::to_string(lblk) + " points outside the filesystem";
      next = uint64_t{lblk} + 1;
      node.index.push_back(x);
    }
  }
  *out = std::move(node);
  return {};
}

void put_header(uint8_t* b, uint16_t entries, uint16_t max, uint16_t depth) {
  put_le16(b, kExtentMagic);
  put_le16(b + 2, entries);
  put_le16(b + 4, max);
  put_le16(b + 6, depth);
  put_le32(b + 8, 0);  // eh_generation
}
void put_extent(uint8_t* b, const Extent& e) {
  put_le32(b, e.lblk);
  put_le16(b + 4, static_cast<uint16_t>(e.unwritten ? e.len + kMaxInitLen : e.len));
  put_le16(b + 6, static_cast<uint16_t>(e.pblk >> 32));
  put_le32(b + 8, static_cast<uint32_t>(e.pblk));
}
void put_index(uint8_t* b, uint32_t lblk, uint64_t child) {
  put_le32(b, lblk);
  put_le32(b + 4, static_cast<uint32_t>(child));
  put_le16(b + 8, static_cast<uint16_t>(child >> 32));
  put_le16(b + 10, 0);
}

void encode_extent_root(uint8_t* block, const Extent* ex, size_t n) {
  memset(block, 0, 60);
  put_header(block, static_cast<uint16_t>(n), 4, 0);
  for (size_t k = 0; k < n; ++k) put_extent(block + 12 + k * 12, ex[k]);
}

}  // namespace uml::kern::ext4
