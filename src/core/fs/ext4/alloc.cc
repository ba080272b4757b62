// Block and inode allocation of a writable ext4 (Linux's mballoc and ialloc, reduced to
// first fit): each group's bitmaps and descriptor counts, changed under one lock, stored
// through the disk's cache with their checksums; the superblock's free counts are their
// sums (write_super).

#include <cstring>

#include "core/base/byteorder.h"
#include "core/fs/ext4/fs.h"
#include "core/sched/scheduler.h"

namespace uml::kern::ext4 {

namespace {
bool bit(const std::vector<uint8_t>& b, uint32_t i) { return b[i / 8] & (1u << (i % 8)); }
// The first clear bit at or after i, below n (n if none): whole bytes of used bits skipped.
uint32_t next_clear(const std::vector<uint8_t>& b, uint32_t i, uint32_t n) {
  while (i < n) {
    if (i % 8 == 0) {
      while (i + 8 <= n && b[i / 8] == 0xFF) i += 8;
      if (i >= n) break;
    }
    if (!bit(b, i)) return i;
    ++i;
  }
  return n;
}
// Bits from `from` to the end of the block set (a bitmap's bits past the group's end).
void set_tail(std::vector<uint8_t>& b, uint32_t from) {
  for (; from % 8 && from / 8 < b.size(); ++from) b[from / 8] = static_cast<uint8_t>(b[from / 8] | (1u << (from % 8)));
  if (from / 8 < b.size()) memset(b.data() + from / 8, 0xFF, b.size() - from / 8);
}
void set_bit(std::vector<uint8_t>& b, uint32_t i, bool on) {
  if (on) b[i / 8] = static_cast<uint8_t>(b[i / 8] | (1u << (i % 8)));
  else b[i / 8] = static_cast<uint8_t>(b[i / 8] & ~(1u << (i % 8)));
}
}  // namespace

Result<std::vector<uint8_t>> Ext4Fs::block_bitmap(SchedEntity& self, uint32_t g) {
  const Super& s = m_super;
  const GroupDesc& gd = m_groups[g];
  std::vector<uint8_t> b(s.block_size, 0);
  const uint64_t first = s.group_first_block(g);
  const uint32_t n = s.blocks_in_group(g);
  if (gd.flags & GroupDesc::kBlockUninit) {
    // ext4_init_block_bitmap: the group's base metadata, and its own bitmaps and inode
    // table where they lie inside it.
    for (uint32_t i = 0; i < group_base_meta_blocks(s, g) && i < n; ++i) set_bit(b, i, true);
    auto mark = [&](uint64_t blk, uint64_t count) {
      for (uint64_t x = blk; x < blk + count; ++x)
        if (x >= first && x - first < n) set_bit(b, static_cast<uint32_t>(x - first), true);
    };
    mark(gd.block_bitmap, 1);
    mark(gd.inode_bitmap, 1);
    mark(gd.inode_table, s.itable_blocks());
  } else {
    MetaBlock m = TRY(read_block(self, gd.block_bitmap));
    memcpy(b.data(), m.data(), s.block_size);
  }
  // ext4_mark_bitmap_end: bits past the group's last block count as used.
  set_tail(b, n);
  return b;
}

Result<void> Ext4Fs::write_group(SchedEntity& self, uint32_t g, const std::vector<uint8_t>& bitmap) {
  const Super& s = m_super;
  GroupDesc d;
  {
    SpinGuard l(m_groups_lock);
    GroupDesc& gd = m_groups[g];
    gd.flags &= static_cast<uint16_t>(~GroupDesc::kBlockUninit);
    if (s.metadata_csum()) gd.block_bitmap_csum = bitmap_checksum(s, bitmap.data(), s.blocks_per_group);
    d = gd;
  }
  TRY(write_meta(self, d.block_bitmap * s.block_size, bitmap.data(), s.block_size));
  return write_desc(self, g, d);
}

Result<void> Ext4Fs::write_desc(SchedEntity& self, uint32_t g, const GroupDesc& d) {
  const Super& s = m_super;
  const uint32_t per = s.descs_per_block();
  const uint64_t blk = descriptor_block(s, g / per);
  const size_t off = size_t{g % per} * s.desc_size;
  std::vector<uint8_t> raw(s.desc_size);
  {
    MetaBlock m = TRY(read_block(self, blk));
    memcpy(raw.data(), m.data() + off, s.desc_size);
  }
  encode_desc(s, g, d, raw.data());
  return write_meta(self, blk * s.block_size + off, raw.data(), raw.size());
}

Result<uint64_t> Ext4Fs::alloc_blocks(SchedEntity& self, uint64_t goal, uint32_t want, uint32_t* got) {
  const Super& s = m_super;
  MutexGuard lock(m_alloc_lock, self);
  if (goal < s.first_data_block || goal >= s.blocks_count) goal = s.first_data_block;
  const uint32_t g0 = static_cast<uint32_t>((goal - s.first_data_block) / s.blocks_per_group);
  // Every group once from the goal's, then the goal's group again from its start.
  for (uint32_t k = 0; k <= s.groups; ++k) {
    const uint32_t g = (g0 + k) % s.groups;
    uint32_t free;
    {
      SpinGuard l(m_groups_lock);
      free = m_groups[g].free_blocks;
    }
    if (free == 0) continue;
    std::vector<uint8_t> b = TRY(block_bitmap(self, g));
    const uint64_t first = s.group_first_block(g);
    const uint32_t n = s.blocks_in_group(g);
    const uint32_t i = next_clear(b, k == 0 ? static_cast<uint32_t>(goal - first) : 0, n);
    if (i >= n) continue;
    uint32_t len = 0;
    while (i + len < n && len < want && !bit(b, i + len)) {
      set_bit(b, i + len, true);
      ++len;
    }
    if (len > free) {  // the bitmap has more free bits than the count says
      error("ext4_mb_new_blocks", 0, first + i, "group %u: bitmap and free count disagree", g);
      return kCorrupted;
    }
    {
      SpinGuard l(m_groups_lock);
      m_groups[g].free_blocks -= len;
    }
    TRY(write_group(self, g, b));
    *got = len;
    return first + i;
  }
  return Errno::NOSPC;
}

Result<void> Ext4Fs::free_blocks(SchedEntity& self, uint64_t blk, uint64_t n) {
  const Super& s = m_super;
  if (!valid_blocks(blk, n)) {
    error("ext4_free_blocks", 0, blk, "freeing blocks outside the filesystem");
    return kCorrupted;
  }
  MutexGuard lock(m_alloc_lock, self);
  while (n) {
    const uint32_t g = static_cast<uint32_t>((blk - s.first_data_block) / s.blocks_per_group);
    const uint64_t first = s.group_first_block(g);
    const uint32_t i = static_cast<uint32_t>(blk - first);
    const uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(n, s.blocks_in_group(g) - i));
    std::vector<uint8_t> b = TRY(block_bitmap(self, g));
    for (uint32_t j = i; j < i + k; ++j) {
      if (!bit(b, j)) {
        error("ext4_free_blocks", 0, first + j, "bit already cleared for block");
        return kCorrupted;
      }
      set_bit(b, j, false);
    }
    {
      SpinGuard l(m_groups_lock);
      m_groups[g].free_blocks += k;
    }
    TRY(write_group(self, g, b));
    blk += k;
    n -= k;
  }
  return {};
}

Result<uint32_t> Ext4Fs::alloc_inode(SchedEntity& self, uint32_t goal_group, bool dir) {
  const Super& s = m_super;
  const uint32_t ipg = s.inodes_per_group;
  MutexGuard lock(m_alloc_lock, self);
  for (uint32_t k = 0; k < s.groups; ++k) {
    const uint32_t g = (goal_group + k) % s.groups;
    GroupDesc d;
    {
      SpinGuard l(m_groups_lock);
      d = m_groups[g];
    }
    if (d.free_inodes == 0) continue;
    // The bitmap (zeros for a group never used: INODE_UNINIT), bits past the group's
    // inodes set (ext4_init_inode_bitmap).
    std::vector<uint8_t> b(s.block_size, 0);
    if (!(d.flags & GroupDesc::kInodeUninit)) {
      MetaBlock m = TRY(read_block(self, d.inode_bitmap));
      memcpy(b.data(), m.data(), s.block_size);
    }
    set_tail(b, ipg);
    // Inodes below s_first_ino are reserved (group 0 only holds them).
    const uint32_t i = next_clear(b, g == 0 ? s.first_ino - 1 : 0, ipg);
    if (i >= ipg) {
      error("__ext4_new_inode", 0, d.inode_bitmap, "group %u: free inodes count wrong, no free bit", g);
      continue;
    }
    set_bit(b, i, true);
    {
      SpinGuard l(m_groups_lock);
      GroupDesc& gd = m_groups[g];
      --gd.free_inodes;
      if (dir) ++gd.used_dirs;
      gd.flags &= static_cast<uint16_t>(~GroupDesc::kInodeUninit);
      // The table's used part reaches this inode now (itable_unused counts from the end).
      if (has_desc_checksum(s) && ipg - gd.itable_unused <= i) gd.itable_unused = ipg - i - 1;
      if (s.metadata_csum()) gd.inode_bitmap_csum = bitmap_checksum(s, b.data(), ipg);
      d = gd;
    }
    TRY(write_meta(self, d.inode_bitmap * s.block_size, b.data(), s.block_size));
    TRY(write_desc(self, g, d));
    return g * ipg + i + 1;
  }
  return Errno::NOSPC;
}

Result<void> Ext4Fs::free_inode(SchedEntity& self, uint32_t ino, bool dir) {
  const Super& s = m_super;
  const uint32_t ipg = s.inodes_per_group;
  if (ino < s.first_ino || ino > s.inodes_count) {
    error("ext4_free_inode", ino, 0, "reserved or nonexistent inode");
    return kCorrupted;
  }
  MutexGuard lock(m_alloc_lock, self);
  const uint32_t g = (ino - 1) / ipg, i = (ino - 1) % ipg;
  GroupDesc d;
  {
    SpinGuard l(m_groups_lock);
    d = m_groups[g];
  }
  std::vector<uint8_t> b(s.block_size);
  {
    MetaBlock m = TRY(read_block(self, d.inode_bitmap));
    memcpy(b.data(), m.data(), s.block_size);
  }
  if (!bit(b, i)) {
    error("ext4_free_inode", ino, 0, "bit already cleared for inode");
    return kCorrupted;
  }
  set_bit(b, i, false);
  {
    SpinGuard l(m_groups_lock);
    GroupDesc& gd = m_groups[g];
    ++gd.free_inodes;
    if (dir && gd.used_dirs) --gd.used_dirs;
    if (s.metadata_csum()) gd.inode_bitmap_csum = bitmap_checksum(s, b.data(), ipg);
    d = gd;
  }
  TRY(write_meta(self, d.inode_bitmap * s.block_size, b.data(), s.block_size));
  return write_desc(self, g, d);
}

}  // namespace uml::kern::ext4
