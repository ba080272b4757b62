// Logical to physical block mapping of an inode (ext4_map_blocks without allocation):
// extent trees (ext4_ext_map_blocks) and ext2/3 block maps (ext4_ind_map_blocks). Every
// node and map block is checked before it is followed; the answer is a run, so sequential
// reads map once per extent, not once per block.

#include <algorithm>
#include <cstring>

#include "core/base/byteorder.h"
#include "core/fs/ext4/inode.h"

namespace uml::kern::ext4 {

namespace {
constexpr uint32_t kDirectBlocks = 12;
constexpr uint32_t kMaxLblk = 0xFFFFFFFF;
}  // namespace

Result<BlockRun> Ext4Inode::map(SchedEntity& self, uint32_t lblk) {
  {
    SpinGuard g(m_map_lock);
    if (m_ext_loaded) return map_loaded(lblk);
    if (m_cached_valid && lblk >= m_cached_lblk && lblk - m_cached_lblk < m_cached_len) {
      const uint32_t skip = lblk - m_cached_lblk;
      return BlockRun{m_cached_pblk ? m_cached_pblk + skip : 0, m_cached_len - skip, m_cached_unwritten};
    }
  }
  const uint32_t flags = raw_flags();
  BlockRun r = (flags & RawInode::kInlineDataFl) ? BlockRun{0, 1, false}
               : (flags & RawInode::kExtentsFl)  ? TRY(map_extents(self, lblk))
                                                 : TRY(map_indirect(self, lblk));
  if (r.len) {
    SpinGuard g(m_map_lock);
    m_cached_lblk = lblk;
    m_cached_len = r.len;
    m_cached_pblk = r.pblk;
    m_cached_unwritten = r.unwritten;
    m_cached_valid = true;
  }
  return r;
}

Result<BlockRun> Ext4Inode::map_extents(SchedEntity& self, uint32_t lblk) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  ExtentNode node;
  uint8_t root[sizeof(m_raw.block)];
  {
    SpinGuard g(m_map_lock);  // a writer may be changing it
    memcpy(root, m_raw.block, sizeof root);
  }
  std::string bad = decode_extent_node(s, m_raw, root, sizeof root, true, -1, 0, &node);
  if (!bad.empty()) {
    fs.error("ext4_ext_map_blocks", ino, 0, "%s", bad.c_str());
    return kCorrupted;
  }
  // The first logical block after the subtree being walked: where a hole at its end stops.
  uint64_t limit = uint64_t{kMaxLblk} + 1;
  int depth = node.depth;
  uint64_t node_blk = 0;
  while (depth > 0) {
    // The last index entry starting at or before lblk.
    const auto& idx = node.index;
    auto it = std::upper_bound(idx.begin(), idx.end(), lblk,
                               [](uint32_t v, const ExtentIndex& e) { return v < e.lblk; });
    if (it == idx.begin()) {
      // Before the first entry: a hole up to it.
      return BlockRun{0, static_cast<uint32_t>(std::min<uint64_t>(idx.front().lblk, limit) - lblk), false};
    }
    const ExtentIndex& e = *(it - 1);
    if (it != idx.end()) limit = std::min<uint64_t>(limit, it->lblk);
    if (!fs.valid_blocks(e.leaf, 1)) {
      fs.error("ext4_ext_map_blocks", ino, e.leaf, "extent index points outside the filesystem");
      return kCorrupted;
    }
    if (e.leaf == node_blk) {
      fs.error("ext4_ext_map_blocks", ino, e.leaf, "extent tree loop");
      return kCorrupted;
    }
    node_blk = e.leaf;
    MetaBlock b = TRY(fs.read_block(self, e.leaf));
    ExtentNode child;
    bad = decode_extent_node(s, m_raw, b.data(), s.block_size, false, depth - 1, e.lblk, &child);
    if (!bad.empty()) {
      fs.error("ext4_ext_map_blocks", ino, e.leaf, "%s", bad.c_str());
      return kCorrupted;
    }
    node = std::move(child);
    --depth;
  }
  const auto& ex = node.extents;
  auto it = std::upper_bound(ex.begin(), ex.end(), lblk, [](uint32_t v, const Extent& e) { return v < e.lblk; });
  if (it != ex.begin()) {
    const Extent& e = *(it - 1);
    if (lblk - e.lblk < e.len) {
      if (!fs.valid_blocks(e.pblk, e.len)) {
        fs.error("ext4_ext_map_blocks", ino, e.pblk, "extent (%u, %u) points outside the filesystem", e.lblk, e.len);
        return kCorrupted;
      }
      return BlockRun{e.pblk + (lblk - e.lblk), e.len - (lblk - e.lblk), e.unwritten};
    }
  }
  const uint64_t hole_end = it != ex.end() ? std::min<uint64_t>(it->lblk, limit) : limit;
  return BlockRun{0, static_cast<uint32_t>(std::min<uint64_t>(hole_end - lblk, kMaxLblk)), false};
}

Result<BlockRun> Ext4Inode::map_indirect(SchedEntity& self, uint32_t lblk) {
  Ext4Fs& fs = this->fs();
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  const uint32_t per = fs.block_size() / 4;  // block numbers per map block
  // The path: direct, then one, two or three levels of map blocks (ext4_block_to_path).
  uint32_t offsets[4];
  int n;
  uint32_t span;  // blocks the last level's entries cover: the run cannot pass its end
  uint64_t rel = lblk;
  if (rel < kDirectBlocks) {
    offsets[0] = static_cast<uint32_t>(rel);
    n = 1;
    span = kDirectBlocks;
  } else if ((rel -= kDirectBlocks) < per) {
    offsets[0] = 12, offsets[1] = static_cast<uint32_t>(rel);
    n = 2;
    span = per;
  } else if ((rel -= per) < uint64_t{per} * per) {
    offsets[0] = 13, offsets[1] = static_cast<uint32_t>(rel / per), offsets[2] = static_cast<uint32_t>(rel % per);
    n = 3;
    span = per;
  } else if ((rel -= uint64_t{per} * per) < uint64_t{per} * per * per) {
    offsets[0] = 14, offsets[1] = static_cast<uint32_t>(rel / (uint64_t{per} * per));
    offsets[2] = static_cast<uint32_t>(rel / per % per), offsets[3] = static_cast<uint32_t>(rel % per);
    n = 4;
    span = per;
  } else {
    return BlockRun{0, 1, false};  // beyond what a block map addresses
  }
  uint64_t blk = le32(m_raw.block + 4 * offsets[0]);
  MetaBlock held;
  const uint8_t* entries = m_raw.block;  // the level holding the last entry
  for (int level = 1; level < n; ++level) {
    if (blk == 0) {
      // A missing map block: everything under it is a hole.
      uint64_t under = 1;
      for (int k = level; k < n; ++k) under *= per;
      const uint64_t done = [&] {
        uint64_t d = 0;
        for (int k = level; k < n; ++k) {
          uint64_t w = 1;
          for (int j = k + 1; j < n; ++j) w *= per;
          d += offsets[k] * w;
        }
        return d;
      }();
      return BlockRun{0, static_cast<uint32_t>(std::min<uint64_t>(under - done, kMaxLblk)), false};
    }
    if (!fs.valid_blocks(blk, 1)) {
      fs.error("ext4_ind_map_blocks", ino, blk, "block map points outside the filesystem");
      return kCorrupted;
    }
    held = TRY(fs.read_block(self, blk));
    entries = held.data();
    blk = le32(entries + 4 * offsets[level]);
  }
  // The run: following entries of the same level that continue blk (or the hole).
  const uint32_t first = offsets[n - 1];
  const uint32_t last = n == 1 ? kDirectBlocks : span;
  uint32_t len = 1;
  while (first + len < last) {
    const uint32_t next = le32(entries + 4 * (first + len));
    if (blk == 0 ? next != 0 : next != blk + len) break;
    ++len;
  }
  if (blk && !fs.valid_blocks(blk, len)) {
    fs.error("ext4_ind_map_blocks", ino, blk, "block map entry points outside the filesystem");
    return kCorrupted;
  }
  return BlockRun{blk, len, false};
}

}  // namespace uml::kern::ext4
