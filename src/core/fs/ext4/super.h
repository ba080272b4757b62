#pragma once
// The ext2/3/4 superblock (Documentation/filesystems/ext4/super.rst): the 1024 bytes at
// byte 1024 of the disk, decoded and checked before anything trusts them. Everything here
// is a pure function of bytes, so a corrupted or hostile image gives a reason, never a
// crash (a libFuzzer target drives it).
//
// Feature policy (Linux's ext4_feature_set_ok): an incompat feature this driver does not
// know refuses the mount; an unknown ro_compat feature allows read-only only.

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>

namespace uml::kern::ext4 {

inline constexpr uint64_t kSuperOffset = 1024;
inline constexpr size_t kSuperSize = 1024;
inline constexpr uint16_t kMagic = 0xEF53;

// Feature bits (fs/ext4/ext4.h).
namespace feat {
inline constexpr uint32_t kCompatDirPrealloc = 0x1, kCompatImagicInodes = 0x2, kCompatHasJournal = 0x4,
                          kCompatExtAttr = 0x8, kCompatResizeInode = 0x10, kCompatDirIndex = 0x20,
                          kCompatSparseSuper2 = 0x200, kCompatFastCommit = 0x400,
                          kCompatStableInodes = 0x800, kCompatOrphanFile = 0x1000;
inline constexpr uint32_t kRoSparseSuper = 0x1, kRoLargeFile = 0x2, kRoBtreeDir = 0x4, kRoHugeFile = 0x8,
                          kRoGdtCsum = 0x10, kRoDirNlink = 0x20, kRoExtraIsize = 0x40, kRoQuota = 0x100,
                          kRoBigalloc = 0x200, kRoMetadataCsum = 0x400, kRoReadonly = 0x1000,
                          kRoProject = 0x2000, kRoVerity = 0x8000, kRoOrphanPresent = 0x10000;
inline constexpr uint32_t kInCompression = 0x1, kInFiletype = 0x2, kInRecover = 0x4, kInJournalDev = 0x8,
                          kInMetaBg = 0x10, kInExtents = 0x40, kIn64bit = 0x80, kInMmp = 0x100,
                          kInFlexBg = 0x200, kInEaInode = 0x400, kInDirdata = 0x1000,
                          kInCsumSeed = 0x2000, kInLargedir = 0x4000, kInInlineData = 0x8000,
                          kInEncrypt = 0x10000, kInCasefold = 0x20000;
// What this driver reads.
inline constexpr uint32_t kInSupported = kInFiletype | kInRecover | kInMetaBg | kInExtents | kIn64bit |
                                         kInMmp | kInFlexBg | kInEaInode | kInCsumSeed | kInLargedir |
                                         kInInlineData;
inline constexpr uint32_t kRoSupported = kRoSparseSuper | kRoLargeFile | kRoBtreeDir | kRoHugeFile | kRoGdtCsum |
                                         kRoDirNlink | kRoExtraIsize | kRoQuota | kRoMetadataCsum |
                                         kRoProject | kRoOrphanPresent | kRoReadonly;
}  // namespace feat

struct Super {
  uint32_t inodes_count = 0;
  uint64_t blocks_count = 0;
  uint64_t free_blocks = 0;
  uint64_t r_blocks_count = 0;       // reserved for root
  uint32_t overhead_clusters = 0;    // s_overhead_clusters (0: not recorded)
  uint32_t free_inodes = 0;
  uint32_t first_data_block = 0;
  uint32_t block_size = 0;  // bytes
  uint32_t blocks_per_group = 0, inodes_per_group = 0;
  uint32_t groups = 0;
  uint32_t rev_level = 0;
  uint32_t first_ino = 11;
  uint16_t inode_size = 128;
  uint16_t desc_size = 32;   // group descriptor bytes
  uint16_t state = 0;        // 1: cleanly unmounted, 2: errors
  uint32_t compat = 0, incompat = 0, ro_compat = 0;
  uint8_t uuid[16] = {};
  char volume_name[17] = {};
  uint32_t journal_inum = 0;
  uint32_t last_orphan = 0;
  uint32_t hash_seed[4] = {};
  uint8_t def_hash_version = 0;
  uint32_t first_meta_bg = 0;
  uint16_t min_extra_isize = 0, want_extra_isize = 0;
  uint32_t flags = 0;                 // s_flags (signed/unsigned directory hash)
  uint8_t log_groups_per_flex = 0;
  uint32_t csum_seed = 0;             // crc32c seed of every metadata checksum
  uint16_t reserved_gdt_blocks = 0;
  uint32_t backup_bgs[2] = {};        // sparse_super2's backup groups

  uint32_t descs_per_block() const { return block_size / desc_size; }
  uint64_t group_first_block(uint32_t g) const { return first_data_block + uint64_t{g} * blocks_per_group; }
  // Blocks in group g (the last one may be short).
  uint32_t blocks_in_group(uint32_t g) const {
    const uint64_t first = group_first_block(g);
    return static_cast<uint32_t>(std::min<uint64_t>(blocks_per_group, blocks_count - first));
  }
  // Inode table blocks per group.
  uint32_t itable_blocks() const {
    return static_cast<uint32_t>((uint64_t{inodes_per_group} * inode_size + block_size - 1) / block_size);
  }

  bool has_compat(uint32_t f) const { return compat & f; }
  bool has_incompat(uint32_t f) const { return incompat & f; }
  bool has_ro_compat(uint32_t f) const { return ro_compat & f; }
  bool metadata_csum() const { return ro_compat & feat::kRoMetadataCsum; }
};

struct SuperCheck {
  bool ok = false;
  bool read_only_only = false;  // unknown ro_compat features: mountable read-only
  std::string why;              // the reason it is refused (or why read-only only)
};

// Decodes the superblock in buf (kSuperSize bytes read at kSuperOffset) of a device of
// device_bytes bytes.
SuperCheck parse_super(const uint8_t* buf, uint64_t device_bytes, Super* out);

// Names of the features set in `bits` of one kind ("compat", "ro_compat", "incompat"),
// space-separated, as dumpe2fs prints them; unknown bits as FEATURE_X12.
std::string feature_names(char kind, uint32_t bits);

}  // namespace uml::kern::ext4
