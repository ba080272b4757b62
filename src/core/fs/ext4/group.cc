#include "core/fs/ext4/group.h"

#include <array>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {

// CRC-16 as Linux's lib/crc16.c (reflected 0x8005), for uninit_bg's descriptor checksums.
constexpr std::array<uint16_t, 256> make_crc16() {
  std::array<uint16_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint16_t c = static_cast<uint16_t>(i);
    for (int k = 0; k < 8; ++k) c = static_cast<uint16_t>((c >> 1) ^ (0xA001 & (0u - (c & 1))));
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc16 = make_crc16();
uint16_t crc16(uint16_t crc, const uint8_t* p, size_t n) {
  while (n--) crc = static_cast<uint16_t>((crc >> 8) ^ kCrc16[(crc ^ *p++) & 0xff]);
  return crc;
}

// a is a power of b.
bool test_root(uint32_t a, uint32_t b) {
  for (;;) {
    if (a < b) return a == 1;
    if (a % b) return false;
    a /= b;
  }
}
}  // namespace

bool group_has_super(const Super& s, uint32_t g) {
  if (g == 0) return true;
  if (s.has_compat(feat::kCompatSparseSuper2)) return g == s.backup_bgs[0] || g == s.backup_bgs[1];
  if (g <= 1 || !s.has_ro_compat(feat::kRoSparseSuper)) return true;
  if (!(g & 1)) return false;
  return test_root(g, 3) || test_root(g, 5) || test_root(g, 7);
}

uint64_t descriptor_block(const Super& s, uint32_t nr) {
  const uint64_t sb_block = s.block_size == 1024 ? 1 : 0;  // the block of byte 1024
  if (!s.has_incompat(feat::kInMetaBg) || nr < s.first_meta_bg) return sb_block + nr + 1;
  const uint32_t bg = s.descs_per_block() * nr;
  uint64_t has_super = group_has_super(s, bg) ? 1 : 0;
  if (s.block_size == 1024 && nr == 0 && s.first_data_block == 0) ++has_super;
  return has_super + s.group_first_block(bg);
}

uint32_t group_gdt_blocks(const Super& s, uint32_t g) {
  const uint32_t per = s.descs_per_block();
  const uint32_t meta = g / per;
  if (!s.has_incompat(feat::kInMetaBg) || meta < s.first_meta_bg) {
    if (!group_has_super(s, g)) return 0;
    return (s.groups + per - 1) / per;
  }
  const uint32_t first = meta * per;
  return (g == first || g == first + 1 || g == first + per - 1) ? 1 : 0;
}

uint32_t group_base_meta_blocks(const Super& s, uint32_t g) {
  const bool sup = group_has_super(s, g);
  uint32_t n = sup ? 1 : 0;
  const uint32_t meta = g / s.descs_per_block();
  if (!s.has_incompat(feat::kInMetaBg) || meta < s.first_meta_bg) {
    if (sup) n += group_gdt_blocks(s, g) + s.reserved_gdt_blocks;
  } else {
    n += group_gdt_blocks(s, g);
  }
  return n;
}

uint32_t bitmap_checksum(const Super& s, const uint8_t* bitmap, uint32_t bits) {
  return crc32c(s.csum_seed, bitmap, bits / 8);
}

void encode_desc(const Super& s, uint32_t g, const GroupDesc& d, uint8_t* raw) {
  const bool wide = s.has_incompat(feat::kIn64bit) && s.desc_size >= 64;
  auto put = [&](size_t lo, size_t hi, uint32_t v) {
    put_le16(raw + lo, static_cast<uint16_t>(v));
    if (wide) put_le16(raw + hi, static_cast<uint16_t>(v >> 16));
  };
  put(0xC, 0x2C, d.free_blocks);
  put(0xE, 0x2E, d.free_inodes);
  put(0x10, 0x30, d.used_dirs);
  put_le16(raw + 0x12, d.flags);
  put(0x1C, 0x32, d.itable_unused);
  if (s.metadata_csum()) {
    put(0x18, 0x38, d.block_bitmap_csum);
    put(0x1A, 0x3A, d.inode_bitmap_csum);
  }
  if (has_desc_checksum(s)) put_le16(raw + 0x1E, desc_checksum(s, g, raw));
}

bool has_desc_checksum(const Super& s) {
  return s.metadata_csum() || s.has_ro_compat(feat::kRoGdtCsum);
}

uint16_t desc_checksum(const Super& s, uint32_t g, const uint8_t* raw) {
  const Le32Bytes group(g);
  const uint8_t* le_group = group.b;
  constexpr size_t kCsumOff = 0x1E;
  if (s.metadata_csum()) {
    const uint32_t c = crc32c_zeroed(crc32c(s.csum_seed, le_group, 4), raw, s.desc_size, kCsumOff, 2);
    return static_cast<uint16_t>(c & 0xFFFF);
  }
  if (!s.has_ro_compat(feat::kRoGdtCsum)) return 0;
  uint16_t c = crc16(0xFFFF, s.uuid, 16);
  c = crc16(c, le_group, 4);
  c = crc16(c, raw, kCsumOff);
  if (s.has_incompat(feat::kIn64bit) && s.desc_size > kCsumOff + 2)
    c = crc16(c, raw + kCsumOff + 2, s.desc_size - kCsumOff - 2);
  return c;
}

// ext4_check_descriptors: each group's bitmaps and inode table inside the filesystem (or,
// without flex_bg, inside the group), past the superblock and descriptor blocks, and the
// checksum right.
std::string decode_desc(const Super& s, uint32_t g, const uint8_t* raw, GroupDesc* out) {
  GroupDesc d;
  const bool wide = s.has_incompat(feat::kIn64bit) && s.desc_size >= 64;
  d.block_bitmap = le32(raw + 0x0) | (wide ? uint64_t{le32(raw + 0x20)} << 32 : 0);
  d.inode_bitmap = le32(raw + 0x4) | (wide ? uint64_t{le32(raw + 0x24)} << 32 : 0);
  d.inode_table = le32(raw + 0x8) | (wide ? uint64_t{le32(raw + 0x28)} << 32 : 0);
  d.free_blocks = le16(raw + 0xC) | (wide ? uint32_t{le16(raw + 0x2C)} << 16 : 0);
  d.free_inodes = le16(raw + 0xE) | (wide ? uint32_t{le16(raw + 0x2E)} << 16 : 0);
  d.used_dirs = le16(raw + 0x10) | (wide ? uint32_t{le16(raw + 0x30)} << 16 : 0);
  d.flags = le16(raw + 0x12);
  d.block_bitmap_csum = le16(raw + 0x18) | (wide ? uint32_t{le16(raw + 0x38)} << 16 : 0);
  d.inode_bitmap_csum = le16(raw + 0x1A) | (wide ? uint32_t{le16(raw + 0x3A)} << 16 : 0);
  d.itable_unused = le16(raw + 0x1C) | (wide ? uint32_t{le16(raw + 0x32)} << 16 : 0);
  d.checksum = le16(raw + 0x1E);
  const std::string where = "group " + std::to_string(g) + ": ";
  if (has_desc_checksum(s) && desc_checksum(s, g, raw) != d.checksum) return where + "descriptor checksum mismatch";
  // The blocks a bitmap or table may use: the whole filesystem with flex_bg, else the group.
  const bool flex = s.has_incompat(feat::kInFlexBg);
  const uint64_t lo = flex ? s.first_data_block : s.group_first_block(g);
  const uint64_t hi = flex ? s.blocks_count - 1 : s.group_first_block(g) + s.blocks_in_group(g) - 1;
  // The primary superblock and descriptor blocks, which nothing else may use.
  const uint64_t sb_block = s.block_size == 1024 ? 1 : 0;
  const uint32_t dpb = s.descs_per_block();
  const uint64_t gdb = s.has_incompat(feat::kInMetaBg) ? s.first_meta_bg : (uint64_t{s.groups} + dpb - 1) / dpb;
  auto check = [&](uint64_t first, uint64_t count, const char* what) -> std::string {
    if (first < lo || first > hi || count - 1 > hi - first)
      return where + what + " at block " + std::to_string(first) + " is outside the group";
    if (first <= sb_block + gdb && first + count - 1 >= sb_block)
      return where + what + " at block " + std::to_string(first) + " overlaps the superblock or descriptors";
    return {};
  };
  if (auto e = check(d.block_bitmap, 1, "block bitmap"); !e.empty()) return e;
  if (auto e = check(d.inode_bitmap, 1, "inode bitmap"); !e.empty()) return e;
  if (auto e = check(d.inode_table, s.itable_blocks(), "inode table"); !e.empty()) return e;
  if (d.free_inodes > s.inodes_per_group || d.itable_unused > s.inodes_per_group)
    return where + "free inode count beyond the group's inodes";
  if (d.free_blocks > s.blocks_per_group) return where + "free block count beyond the group's blocks";
  *out = d;
  return {};
}

}  // namespace uml::kern::ext4
