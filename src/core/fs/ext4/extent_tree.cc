// Changes of a file's block mapping on a writable ext4: the whole mapping is held in memory
// as a sorted list of extents (Linux keeps a cache of it too: the extent status tree), each
// change is made to the list, and the on-disk extent tree is rewritten from it, packed as
// densely as it fits (e2fsck's preferred shape: as shallow and narrow as possible). Only the
// tree blocks whose bytes changed are written; new tree blocks are written before the root
// that points to them, and blocks leave the file only after the tree stops pointing to them.

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/base/byteorder.h"
#include "core/block/block_device.h"
#include "core/fs/ext4/inode.h"
#include "core/lib/crc32c.h"
#include "core/sched/scheduler.h"

namespace uml::kern::ext4 {

namespace {
constexpr size_t kEntry = 12;
constexpr uint32_t kRootEntries = 4;  // i_block's 60 bytes: a header and four entries

// The run at lblk in a sorted extent list: the extent's rest, or the hole up to the next.
// For a reader, a fresh extent reads as zeros (unwritten).
BlockRun run_at(const std::vector<Extent>& ex, uint32_t lblk, bool reader = false) {
  auto it = std::upper_bound(ex.begin(), ex.end(), lblk, [](uint32_t v, const Extent& e) { return v < e.lblk; });
  if (it != ex.begin()) {
    const Extent& e = *(it - 1);
    if (lblk - e.lblk < e.len)
      return BlockRun{e.pblk + (lblk - e.lblk), e.len - (lblk - e.lblk), e.unwritten || (reader && e.fresh)};
  }
  const uint64_t next = it != ex.end() ? it->lblk : uint64_t{1} << 32;
  return BlockRun{0, static_cast<uint32_t>(std::min<uint64_t>(next - lblk, 0xFFFFFFFFu)), false};
}

// The first extent starting after lblk.
std::vector<Extent>::iterator first_after(std::vector<Extent>& ex, uint32_t lblk) {
  return std::upper_bound(ex.begin(), ex.end(), lblk, [](uint32_t v, const Extent& e) { return v < e.lblk; });
}

// Joins neighbours that continue each other on the disk (ext4_ext_try_to_merge).
void merge(std::vector<Extent>& ex) {
  std::vector<Extent> out;
  for (const Extent& e : ex) {
    if (!out.empty()) {
      Extent& p = out.back();
      if (p.unwritten == e.unwritten && p.fresh == e.fresh && uint64_t{p.lblk} + p.len == e.lblk && p.pblk + p.len == e.pblk &&
          p.len + e.len <= (e.unwritten ? kMaxInitLen - 1 : kMaxInitLen)) {
        p.len += e.len;
        continue;
      }
    }
    out.push_back(e);
  }
  ex = std::move(out);
}

}  // namespace

Result<void> Ext4Inode::load_extents(SchedEntity& self) {
  if (m_ext_loaded) return {};
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  std::vector<Extent> ex;
  std::vector<uint64_t> blocks;
  std::vector<std::vector<uint8_t>> images;
  if (m_raw.has_extents()) {
    // Depth first, so extents come out sorted and tree blocks in the order a rewrite
    // reuses them.
    struct Frame {
      ExtentNode node;
      size_t next = 0;
    };
    std::vector<Frame> stack(1);
    std::string bad = decode_extent_node(s, m_raw, m_raw.block, sizeof(m_raw.block), true, -1, 0, &stack[0].node);
    while (bad.empty() && !stack.empty()) {
      Frame& f = stack.back();
      if (f.node.depth == 0) {
        ex.insert(ex.end(), f.node.extents.begin(), f.node.extents.end());
        stack.pop_back();
        continue;
      }
      if (f.next == f.node.index.size()) {
        stack.pop_back();
        continue;
      }
      const ExtentIndex ix = f.node.index[f.next++];
      if (!fs.valid_blocks(ix.leaf, 1) || blocks.size() > (uint64_t{1} << 20)) {
        bad = "extent index points outside the filesystem";
        break;
      }
      MetaBlock b = TRY(fs.read_block(self, ix.leaf));
      Frame child;
      bad = decode_extent_node(s, m_raw, b.data(), s.block_size, false, f.node.depth - 1, ix.lblk, &child.node);
      blocks.push_back(ix.leaf);
      images.emplace_back(b.data(), b.data() + s.block_size);
      stack.push_back(std::move(child));
    }
    for (size_t i = 1; bad.empty() && i < ex.size(); ++i)
      if (uint64_t{ex[i - 1].lblk} + ex[i - 1].len > ex[i].lblk) bad = "extents overlap";
    if (!bad.empty()) {
      fs.error("ext4_ext_load", ino32(), 0, "%s", bad.c_str());
      return kCorrupted;
    }
  } else if (!has_inline()) {
    // A block-mapped file: its map blocks depth first (the order a rewrite reuses them),
    // and its data blocks as runs.
    TRY(load_block_map(self, &ex, &blocks, &images));
  }
  m_tree_blocks = std::move(blocks);
  m_tree_images = std::move(images);
  SpinGuard g(m_map_lock);
  m_ext = std::move(ex);
  m_ext_loaded = true;
  return {};
}

BlockRun Ext4Inode::map_loaded(uint32_t lblk) const { return run_at(m_ext, lblk, /*reader=*/true); }

void Ext4Inode::settle_fresh(uint32_t first, uint64_t end) {
  SpinGuard g(m_map_lock);
  auto it = std::upper_bound(m_ext.begin(), m_ext.end(), first, [](uint32_t v, const Extent& e) { return v < e.lblk; });
  if (it != m_ext.begin()) --it;
  for (; it != m_ext.end() && it->lblk < end; ++it) it->fresh = false;
  m_cached_valid = false;
}

Result<BlockRun> Ext4Inode::map_for_writeback(uint32_t lblk) {
  SpinGuard g(m_map_lock);
  if (!m_ext_loaded) {
    // Nothing dirties a page before the cache is loaded (write loads it first).
    fs().error("ext4_writepages", ino32(), 0, "writeback before the block mapping was loaded");
    return Errno::IO;
  }
  return run_at(m_ext, lblk);
}

Result<void> Ext4Inode::forget_cached_blocks(SchedEntity& self, uint64_t pblk, uint64_t n) {
  // A freed metadata block may still be dirty in the disk's cache: it goes to the disk now,
  // before the file's data, so that it cannot land over that data later.
  const uint64_t off = pblk * fs().block_size(), len = n * fs().block_size();
  return fs().bdev().mapping().write_and_wait(self, off, off + len, nullptr);
}

Result<void> Ext4Inode::zero_blocks(SchedEntity& self, uint64_t pblk, uint64_t n) {
  Ext4Fs& fs = this->fs();
  const uint64_t off = pblk * fs.block_size(), len = n * fs.block_size();
  TRY(forget_cached_blocks(self, pblk, n));
  BlockRequest rq;
  rq.op = BlockOp::WriteZeroes;
  rq.offset = off;
  rq.len = len;
  const int r = submit_and_wait(self, fs.bdev().dev(), rq);
  if (r < 0) return static_cast<Errno>(-r);
  return {};
}

uint64_t Ext4Inode::alloc_goal(const std::vector<Extent>& ex, std::vector<Extent>::iterator next, uint32_t lblk) const {
  // After the previous extent on the disk, or the start of the inode's group.
  if (next != ex.begin()) return (next - 1)->pblk + (lblk - (next - 1)->lblk);
  const Super& s = fs().super();
  return s.group_first_block(static_cast<uint32_t>((ino() - 1) / s.inodes_per_group));
}

Result<void> Ext4Inode::store_new_blocks(SchedEntity& self, std::vector<Extent> ex, uint64_t new_blocks,
                                         const std::vector<std::pair<uint64_t, uint32_t>>& fresh) {
  const uint64_t units = new_blocks * (fs().block_size() / 512);
  merge(ex);
  {
    SpinGuard g(m_map_lock);
    m_raw.blocks += units;
  }
  auto st = store_extents(self, std::move(ex));
  if (st) return {};
  {
    SpinGuard g(m_map_lock);
    m_raw.blocks -= units;
  }
  for (auto [b, n] : fresh) (void)fs().free_blocks(self, b, n);  // best effort: logged if it fails
  return st.error();
}

Result<uint64_t> Ext4Inode::allocate(SchedEntity& self, uint64_t off, uint64_t end_byte,
                                     std::vector<Extent>* unzeroed) {
  Ext4Fs& fs = this->fs();
  const uint32_t bs = fs.block_size();
  const uint32_t first = static_cast<uint32_t>(off / bs);
  const uint64_t end = (end_byte + bs - 1) / bs;
  std::vector<Extent> ex;
  {
    SpinGuard g(m_map_lock);
    // The common case, an overwrite: nothing to do, and no copy of the list.
    uint64_t p = first;
    while (p < end) {
      const BlockRun r = run_at(m_ext, static_cast<uint32_t>(p));
      if (!r.pblk || r.unwritten) break;
      p += r.len;
    }
    if (p >= end) return end;
    ex = m_ext;
  }
  // New blocks need no zeroing on the disk: they are fresh until the write's data is in, so
  // a page the write fills only in part is read as zeros, not from the disk, and the whole
  // block is written back from that page. Only a copy cut short leaves blocks that nothing
  // fills: they go to *unzeroed, for the writer to zero.
  auto prepare = [&](uint32_t lblk, uint64_t pblk, uint64_t n) -> Result<void> {
    TRY(forget_cached_blocks(self, pblk, n));
    unzeroed->push_back(Extent{lblk, static_cast<uint32_t>(n), false, pblk});
    return {};
  };
  uint64_t pos = first, new_blocks = 0;
  bool changed = false;
  std::vector<std::pair<uint64_t, uint32_t>> fresh;  // freed again should the tree not take them
  Result<void> failed;
  while (pos < end) {
    const uint32_t lblk = static_cast<uint32_t>(pos);
    const BlockRun r = run_at(ex, lblk);
    const uint64_t want = std::min<uint64_t>(r.len, end - pos);
    if (r.pblk && !r.unwritten) {
      pos += want;
      continue;
    }
    if (r.pblk) {
      // Unwritten: zeroed on the disk where the write does not cover it, then written (the
      // extent split around the range).
      if (auto z = prepare(lblk, r.pblk, want); !z) {
        failed = z;
        break;
      }
      auto it = first_after(ex, lblk) - 1;
      const Extent e = *it;
      std::vector<Extent> parts;
      if (e.lblk < lblk) parts.push_back(Extent{e.lblk, lblk - e.lblk, true, e.pblk});
      parts.push_back(Extent{lblk, static_cast<uint32_t>(want), false, r.pblk, true});
      if (uint64_t{lblk} + want < uint64_t{e.lblk} + e.len)
        parts.push_back(Extent{static_cast<uint32_t>(lblk + want), static_cast<uint32_t>(e.lblk + e.len - lblk - want), true,
                               r.pblk + want});
      it = ex.erase(it);
      ex.insert(it, parts.begin(), parts.end());
      changed = true;
      pos += want;
      continue;
    }
    // A hole: new blocks, after the previous extent's on the disk where they are free.
    auto it = first_after(ex, lblk);
    const uint64_t goal = alloc_goal(ex, it, lblk);
    uint32_t got = 0;
    auto a = fs.alloc_blocks(self, goal, static_cast<uint32_t>(std::min<uint64_t>(want, kMaxInitLen)), &got);
    if (!a) {
      failed = a.error();
      break;
    }
    if (auto z = prepare(lblk, a.value(), got); !z) {
      (void)fs.free_blocks(self, a.value(), got);
      failed = z;
      break;
    }
    ex.insert(it, Extent{lblk, got, false, a.value(), true});
    fresh.emplace_back(a.value(), got);
    changed = true;
    new_blocks += got;
    pos += got;
  }
  if (changed) TRY(store_new_blocks(self, std::move(ex), new_blocks, fresh));
  if (pos == first && !failed) return pos;
  if (pos == first) return failed.error();
  return pos;
}

Result<void> Ext4Inode::free_from(SchedEntity& self, uint32_t lblk) {
  return free_range(self, lblk, uint64_t{1} << 32);
}

Result<void> Ext4Inode::free_range(SchedEntity& self, uint32_t first, uint64_t end) {
  Ext4Fs& fs = this->fs();
  std::vector<Extent> ex;
  {
    SpinGuard g(m_map_lock);
    ex = m_ext;
  }
  std::vector<std::pair<uint64_t, uint64_t>> freed;
  uint64_t nfreed = 0;
  std::vector<Extent> kept;
  for (const Extent& e : ex) {
    const uint64_t lo = e.lblk, hi = uint64_t{e.lblk} + e.len;
    if (hi <= first || lo >= end) {
      kept.push_back(e);
      continue;
    }
    const uint64_t cut_lo = std::max<uint64_t>(lo, first), cut_hi = std::min(hi, end);
    if (cut_lo > lo) kept.push_back(Extent{e.lblk, static_cast<uint32_t>(cut_lo - lo), e.unwritten, e.pblk});
    freed.emplace_back(e.pblk + (cut_lo - lo), cut_hi - cut_lo);
    nfreed += cut_hi - cut_lo;
    if (cut_hi < hi)
      kept.push_back(Extent{static_cast<uint32_t>(cut_hi), static_cast<uint32_t>(hi - cut_hi), e.unwritten,
                            e.pblk + (cut_hi - lo)});
  }
  if (freed.empty()) return {};
  {
    SpinGuard g(m_map_lock);
    m_raw.blocks -= std::min<uint64_t>(m_raw.blocks, nfreed * (fs.block_size() / 512));
  }
  TRY(store_extents(self, std::move(kept)));
  for (auto [b, n] : freed) TRY(fs.free_blocks(self, b, n));
  return {};
}

Result<uint64_t> Ext4Inode::preallocate(SchedEntity& self, uint32_t first, uint64_t end) {
  Ext4Fs& fs = this->fs();
  std::vector<Extent> ex;
  {
    SpinGuard g(m_map_lock);
    ex = m_ext;
  }
  uint64_t pos = first, new_blocks = 0;
  std::vector<std::pair<uint64_t, uint32_t>> fresh;
  Result<void> failed;
  while (pos < end) {
    const uint32_t lblk = static_cast<uint32_t>(pos);
    const BlockRun r = run_at(ex, lblk);
    const uint64_t want = std::min<uint64_t>(r.len, end - pos);
    if (r.pblk) {
      pos += want;
      continue;
    }
    auto it = first_after(ex, lblk);
    const uint64_t goal = alloc_goal(ex, it, lblk);
    uint32_t got = 0;
    auto a = fs.alloc_blocks(self, goal, static_cast<uint32_t>(std::min<uint64_t>(want, kMaxInitLen - 1)), &got);
    if (!a) {
      failed = a.error();
      break;
    }
    if (auto f = forget_cached_blocks(self, a.value(), got); !f) {
      (void)fs.free_blocks(self, a.value(), got);
      failed = f;
      break;
    }
    ex.insert(it, Extent{lblk, got, true, a.value()});
    fresh.emplace_back(a.value(), got);
    new_blocks += got;
    pos += got;
  }
  if (new_blocks) TRY(store_new_blocks(self, std::move(ex), new_blocks, fresh));
  if (pos == first && !failed) return pos;
  if (pos == first) return failed.error();
  return pos;
}

Result<void> Ext4Inode::store_extents(SchedEntity& self, std::vector<Extent> ex) {
  Ext4Fs& fs = this->fs();
  if (!m_raw.has_extents()) return store_block_map(self, std::move(ex));
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  const uint32_t cap = (bs - kEntry) / kEntry;
  // Bottom up: leaves of `cap` extents, index nodes of `cap` entries, until a level fits
  // in the root's four.
  struct Node {
    uint16_t depth;
    uint32_t first_lblk;
    std::vector<uint8_t> bytes;  // entries only
    size_t entries;
  };
  std::vector<std::vector<Node>> levels;
  std::vector<Node> level;
  for (size_t i = 0; i < ex.size(); i += cap) {
    Node n{0, ex[i].lblk, {}, std::min<size_t>(cap, ex.size() - i)};
    n.bytes.resize(n.entries * kEntry);
    for (size_t k = 0; k < n.entries; ++k) put_extent(n.bytes.data() + k * kEntry, ex[i + k]);
    level.push_back(std::move(n));
  }
  // Fits in the root without a block: the root is the leaf.
  const bool root_leaf = ex.size() <= kRootEntries;
  size_t needed = 0;
  if (!root_leaf) {
    while (level.size() > kRootEntries) {
      needed += level.size();
      levels.push_back(level);
      std::vector<Node> up;
      for (size_t i = 0; i < level.size(); i += cap) {
        Node n{static_cast<uint16_t>(level[0].depth + 1), level[i].first_lblk, {}, std::min<size_t>(cap, level.size() - i)};
        n.bytes.resize(n.entries * kEntry);
        up.push_back(std::move(n));
      }
      level = std::move(up);
    }
    needed += level.size();
    levels.push_back(level);
    if (levels.size() > kMaxExtentDepth) return fs.unsupported("ext4_ext_insert_extent", ino32(), "so deep an extent tree");
  }
  // The blocks: the tree's own first, then new ones near them.
  std::vector<uint64_t> blocks(m_tree_blocks.begin(), m_tree_blocks.begin() + std::min(needed, m_tree_blocks.size()));
  while (blocks.size() < needed) {
    uint32_t got = 0;
    const uint64_t goal = !blocks.empty() ? blocks.back() + 1 : !ex.empty() ? ex.front().pblk : 0;
    const uint64_t b = TRY(fs.alloc_blocks(self, goal, 1, &got));
    TRY(zero_blocks(self, b, 1));  // no stale dirty copy of it stays in the disk's cache
    blocks.push_back(b);
  }
  // Assign blocks level by level (leaves first), fill index entries, write what changed.
  std::vector<std::vector<uint8_t>> images(needed);
  size_t bi = 0;
  std::vector<uint64_t> below;  // the blocks of the level just written
  for (auto& lv : levels) {
    std::vector<uint64_t> here;
    for (size_t i = 0; i < lv.size(); ++i) {
      Node& n = lv[i];
      if (n.depth > 0)
        for (size_t k = 0; k < n.entries; ++k) {
          const size_t child = i * cap + k;
          put_index(n.bytes.data() + k * kEntry, levels[n.depth - 1][child].first_lblk, below[child]);
        }
      std::vector<uint8_t> img(bs, 0);
      put_header(img.data(), static_cast<uint16_t>(n.entries), static_cast<uint16_t>(cap), n.depth);
      memcpy(img.data() + kEntry, n.bytes.data(), n.bytes.size());
      if (s.metadata_csum()) {
        const size_t tail = kEntry + size_t{cap} * kEntry;
        put_le32(img.data() + tail, crc32c(m_csum_seed, img.data(), tail));
      }
      const uint64_t blk = blocks[bi];
      const bool same = bi < m_tree_blocks.size() && m_tree_blocks[bi] == blk && m_tree_images[bi] == img;
      if (!same) TRY(fs.write_meta(self, blk * bs, img.data(), bs));
      images[bi] = std::move(img);
      here.push_back(blk);
      ++bi;
    }
    below = std::move(here);
  }
  // The root.
  uint8_t root[60] = {};
  if (root_leaf) {
    encode_extent_root(root, ex.data(), ex.size());
  } else {
    const auto& top = levels.back();
    put_header(root, static_cast<uint16_t>(top.size()), kRootEntries, static_cast<uint16_t>(top[0].depth + 1));
    for (size_t k = 0; k < top.size(); ++k) put_index(root + kEntry + k * kEntry, top[k].first_lblk, below[k]);
  }
  return commit_mapping(self, root, std::move(ex), std::move(blocks), std::move(images));
}

Result<void> Ext4Inode::commit_mapping(SchedEntity& self, const uint8_t (&root)[60], std::vector<Extent> ex,
                                       std::vector<uint64_t> blocks, std::vector<std::vector<uint8_t>> images) {
  Ext4Fs& fs = this->fs();
  // Mapping blocks no longer needed leave after the inode stops pointing to them.
  std::vector<uint64_t> spare(m_tree_blocks.begin() + std::min(blocks.size(), m_tree_blocks.size()), m_tree_blocks.end());
  const int64_t delta = static_cast<int64_t>(blocks.size()) - static_cast<int64_t>(m_tree_blocks.size());
  {
    SpinGuard g(m_map_lock);
    memcpy(m_raw.block, root, sizeof root);
    m_raw.blocks = static_cast<uint64_t>(static_cast<int64_t>(m_raw.blocks) + delta * static_cast<int64_t>(fs.block_size() / 512));
    m_ext = std::move(ex);
    m_cached_valid = false;
  }
  m_tree_blocks = std::move(blocks);
  m_tree_images = std::move(images);
  TRY(write_inode(self));
  for (uint64_t b : spare) TRY(fs.free_blocks(self, b, 1));
  return {};
}

// ---- ext2/3 block maps (Linux's fs/ext4/indirect.c) ----
//
// i_block[0..11] map the first 12 blocks; i_block[12], [13] and [14] point to map blocks
// of one, two and three levels, each holding block_size / 4 block numbers. The in-memory
// extent list is the truth, as for extent trees: a change rewrites the map from it.

namespace {
constexpr uint64_t kDirect = 12;
// The blocks a map block of `level` covers (level 0: one data block).
uint64_t level_span(uint64_t per, int level) {
  uint64_t span = 1;
  for (int i = 0; i < level; ++i) span *= per;
  return span;
}
}  // namespace

Result<void> Ext4Inode::load_block_map(SchedEntity& self, std::vector<Extent>* ex, std::vector<uint64_t>* blocks,
                                       std::vector<std::vector<uint8_t>>* images) {
  Ext4Fs& fs = this->fs();
  const uint32_t bs = fs.block_size();
  const uint64_t per = bs / 4;
  std::string bad;
  auto data = [&](uint64_t lblk, uint64_t pblk) {
    if (!fs.valid_blocks(pblk, 1)) {
      bad = "block map points outside the filesystem";
      return;
    }
    if (!ex->empty()) {
      Extent& last = ex->back();
      if (uint64_t{last.lblk} + last.len == lblk && last.pblk + last.len == pblk && last.len < kMaxInitLen) {
        ++last.len;
        return;
      }
    }
    ex->push_back(Extent{static_cast<uint32_t>(lblk), 1, false, pblk});
  };
  std::unordered_set<uint64_t> seen;
  // Depth first: a map block, then what it points to.
  auto walk = [&](auto& walk_fn, uint64_t blk, int level, uint64_t base) -> Result<void> {
    if (!fs.valid_blocks(blk, 1) || !seen.insert(blk).second) {
      bad = "block map points outside the filesystem or twice at one block";
      return {};
    }
    MetaBlock b = TRY(fs.read_block(self, blk));
    blocks->push_back(blk);
    const std::vector<uint8_t> img(b.data(), b.data() + bs);  // images grows below
    images->push_back(img);
    const uint64_t span = level_span(per, level - 1);
    for (uint64_t i = 0; i < per && bad.empty(); ++i) {
      const uint32_t e = le32(img.data() + 4 * i);
      if (!e) continue;
      if (level == 1) data(base + i, e);
      else TRY(walk_fn(walk_fn, e, level - 1, base + i * span));
    }
    return {};
  };
  uint32_t root[15];
  {
    SpinGuard g(m_map_lock);
    for (int i = 0; i < 15; ++i) root[i] = le32(m_raw.block + 4 * i);
  }
  for (uint64_t i = 0; i < kDirect && bad.empty(); ++i)
    if (root[i]) data(i, root[i]);
  uint64_t base = kDirect;
  for (int level = 1; level <= 3 && bad.empty(); ++level) {
    if (root[kDirect + level - 1]) TRY(walk(walk, root[kDirect + level - 1], level, base));
    base += level_span(per, level);
  }
  if (!bad.empty()) {
    fs.error("ext4_ind_load", ino32(), 0, "%s", bad.c_str());
    return kCorrupted;
  }
  return {};
}

Result<void> Ext4Inode::store_block_map(SchedEntity& self, std::vector<Extent> ex) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  const uint64_t per = bs / 4;
  const uint64_t limit = kDirect + per + per * per + per * per * per;
  for (const Extent& e : ex) {
    if (e.unwritten) return fs.unsupported("ext4_ind_map_blocks", ino32(), "an unwritten extent in a block map");
    if (e.pblk + e.len > (uint64_t{1} << 32)) return fs.unsupported("ext4_ind_map_blocks", ino32(), "a block past 2^32 in a block map");
    if (uint64_t{e.lblk} + e.len > limit) return Errno::FBIG;
  }
  // Whether any block of [lo, hi) is mapped.
  auto any = [&](uint64_t lo, uint64_t hi) {
    auto it = std::upper_bound(ex.begin(), ex.end(), lo, [](uint64_t v, const Extent& e) { return v < e.lblk; });
    if (it != ex.begin() && uint64_t{(it - 1)->lblk} + (it - 1)->len > lo) return true;
    return it != ex.end() && it->lblk < hi;
  };
  // The data block at lblk, or 0.
  auto data_at = [&](uint64_t lblk) -> uint32_t {
    auto it = std::upper_bound(ex.begin(), ex.end(), lblk, [](uint64_t v, const Extent& e) { return v < e.lblk; });
    if (it == ex.begin()) return 0;
    --it;
    return lblk < uint64_t{it->lblk} + it->len ? static_cast<uint32_t>(it->pblk + (lblk - it->lblk)) : 0;
  };
  // The map blocks the list needs, depth first; the old ones are reused in the same order,
  // new ones come near the data they map.
  std::vector<std::vector<uint8_t>> images;
  std::vector<uint64_t> blocks;
  size_t reused = 0;
  auto take = [&](uint64_t base) -> Result<uint64_t> {
    if (reused < m_tree_blocks.size()) return m_tree_blocks[reused++];
    uint32_t got = 0;
    const uint64_t goal = data_at(base) ? data_at(base) : !blocks.empty() ? blocks.back() + 1 : 0;
    const uint64_t b = TRY(fs.alloc_blocks(self, goal, 1, &got));
    if (b >= (uint64_t{1} << 32)) {
      (void)fs.free_blocks(self, b, 1);
      return fs.unsupported("ext4_ind_map_blocks", ino32(), "a map block past 2^32");
    }
    TRY(zero_blocks(self, b, 1));  // no stale dirty copy of it stays in the disk's cache
    return b;
  };
  auto build = [&](auto& build_fn, int level, uint64_t base) -> Result<uint64_t> {
    const size_t k = blocks.size();
    blocks.push_back(TRY(take(base)));
    images.emplace_back(bs, 0);
    const uint64_t span = level_span(per, level - 1);
    for (uint64_t i = 0; i < per; ++i) {
      const uint64_t lo = base + i * span;
      uint64_t ptr = 0;
      if (level == 1) ptr = data_at(lo);
      else if (any(lo, lo + span)) ptr = TRY(build_fn(build_fn, level - 1, lo));
      if (ptr) put_le32(images[k].data() + 4 * i, static_cast<uint32_t>(ptr));
    }
    return blocks[k];
  };
  uint8_t root[60] = {};
  for (uint64_t i = 0; i < kDirect; ++i) put_le32(root + 4 * i, data_at(i));
  uint64_t base = kDirect;
  std::vector<uint64_t> fresh;
  auto built = [&]() -> Result<void> {
    for (int level = 1; level <= 3; ++level) {
      const uint64_t span = level_span(per, level);
      if (any(base, base + span)) put_le32(root + 4 * (kDirect + level - 1), static_cast<uint32_t>(TRY(build(build, level, base))));
      base += span;
    }
    return {};
  }();
  for (size_t k = reused; k < blocks.size(); ++k) fresh.push_back(blocks[k]);
  if (!built) {  // new map blocks go back; the old map stays as it was
    for (uint64_t b : fresh) (void)fs.free_blocks(self, b, 1);
    return built.error();
  }
  for (size_t k = 0; k < blocks.size(); ++k) {
    const bool same = k < m_tree_blocks.size() && m_tree_blocks[k] == blocks[k] && m_tree_images[k] == images[k];
    if (!same) TRY(fs.write_meta(self, blocks[k] * bs, images[k].data(), bs));
  }
  return commit_mapping(self, root, std::move(ex), std::move(blocks), std::move(images));
}

}  // namespace uml::kern::ext4
