#include "core/fs/ext4/super.h"

#include <cstring>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {

struct Name {
  uint32_t bit;
  const char* name;
};
// dumpe2fs's names (lib/e2p/feature.c), in its order.
constexpr Name kCompat[] = {{feat::kCompatDirPrealloc, "dir_prealloc"}, {feat::kCompatHasJournal, "has_journal"},
                            {feat::kCompatImagicInodes, "imagic_inodes"}, {feat::kCompatExtAttr, "ext_attr"},
                            {feat::kCompatDirIndex, "dir_index"}, {feat::kCompatResizeInode, "resize_inode"},
                            {feat::kCompatSparseSuper2, "sparse_super2"}, {feat::kCompatFastCommit, "fast_commit"},
                            {feat::kCompatStableInodes, "stable_inodes"}, {feat::kCompatOrphanFile, "orphan_file"}};
constexpr Name kRo[] = {{feat::kRoSparseSuper, "sparse_super"}, {feat::kRoLargeFile, "large_file"},
                        {feat::kRoHugeFile, "huge_file"}, {feat::kRoGdtCsum, "uninit_bg"},
                        {feat::kRoDirNlink, "dir_nlink"}, {feat::kRoExtraIsize, "extra_isize"},
                        {feat::kRoQuota, "quota"}, {feat::kRoBigalloc, "bigalloc"},
                        {feat::kRoMetadataCsum, "metadata_csum"}, {feat::kRoReadonly, "read-only"},
                        {feat::kRoProject, "project"}, {feat::kRoOrphanPresent, "orphan_present"},
                        {feat::kRoVerity, "verity"}, {feat::kRoBtreeDir, "btree_dir"}};
constexpr Name kIncompat[] = {{feat::kInCompression, "compression"}, {feat::kInFiletype, "filetype"},
                              {feat::kInRecover, "needs_recovery"}, {feat::kInJournalDev, "journal_dev"},
                              {feat::kInExtents, "extent"}, {feat::kInMetaBg, "meta_bg"},
                              {feat::kIn64bit, "64bit"}, {feat::kInMmp, "mmp"}, {feat::kInFlexBg, "flex_bg"},
                              {feat::kInEaInode, "ea_inode"}, {feat::kInDirdata, "dirdata"},
                              {feat::kInCsumSeed, "metadata_csum_seed"}, {feat::kInLargedir, "large_dir"},
                              {feat::kInInlineData, "inline_data"}, {feat::kInEncrypt, "encrypt"},
                              {feat::kInCasefold, "casefold"}};

SuperCheck refuse(std::string why) {
  SuperCheck c;
  c.why = std::move(why);
  return c;
}
}  // namespace

std::string feature_names(char kind, uint32_t bits) {
  const Name* table = kind == 'c' ? kCompat : kind == 'r' ? kRo : kIncompat;
  const size_t n = kind == 'c' ? std::size(kCompat) : kind == 'r' ? std::size(kRo) : std::size(kIncompat);
  std::string out;
  uint32_t left = bits;
  for (size_t i = 0; i < n; ++i) {
    if (!(bits & table[i].bit)) continue;
    if (!out.empty()) out += ' ';
    out += table[i].name;
    left &= ~table[i].bit;
  }
  for (int b = 0; b < 32; ++b) {
    if (!(left & (1u << b))) continue;
    if (!out.empty()) out += ' ';
    out += std::string("FEATURE_") + (kind == 'c' ? "C" : kind == 'r' ? "R" : "I") + std::to_string(b);
  }
  return out;
}

SuperCheck parse_super(const uint8_t* b, uint64_t device_bytes, Super* out) {
  Super s;
  if (le16(b + 0x38) != kMagic) return refuse("no ext2/3/4 superblock (bad magic)");
  s.rev_level = le32(b + 0x4C);
  if (s.rev_level > 1) return refuse("unsupported revision level " + std::to_string(s.rev_level));
  const uint32_t log_bs = le32(b + 0x18);
  if (log_bs > 6) return refuse("absurd block size (log " + std::to_string(log_bs) + ")");
  s.block_size = 1024u << log_bs;
  s.compat = le32(b + 0x5C);
  s.incompat = le32(b + 0x60);
  s.ro_compat = le32(b + 0x64);
  if (s.rev_level == 0 && (s.compat || s.incompat || s.ro_compat))
    return refuse("features set on a revision 0 filesystem");

  SuperCheck c;
  c.ok = true;
  // Metadata checksums first: a damaged superblock should be reported as such, not as
  // whatever its garbage fields look like.
  if (s.ro_compat & feat::kRoMetadataCsum) {
    if (b[0x175] != 1) return refuse("unknown metadata checksum type " + std::to_string(b[0x175]));
    if (crc32c(~0u, b, 0x3FC) != le32(b + 0x3FC)) return refuse("superblock checksum mismatch");
  }
  if (const uint32_t unknown = s.incompat & ~feat::kInSupported)
    return refuse("unsupported incompatible features: " + feature_names('i', unknown));
  if (const uint32_t unknown = s.ro_compat & ~feat::kRoSupported) {
    c.read_only_only = true;
    c.why = "unknown read-only-compatible features (" + feature_names('r', unknown) + "): read-only only";
  }
  if (s.ro_compat & feat::kRoReadonly) {
    c.read_only_only = true;
    c.why = "the filesystem is marked read-only";
  }

  s.inodes_count = le32(b + 0x0);
  s.blocks_count = le32(b + 0x4);
  s.free_blocks = le32(b + 0xC);
  s.free_inodes = le32(b + 0x10);
  s.first_data_block = le32(b + 0x14);
  s.blocks_per_group = le32(b + 0x20);
  s.inodes_per_group = le32(b + 0x28);
  s.state = le16(b + 0x3A);
  if (s.incompat & feat::kIn64bit) {
    s.blocks_count |= uint64_t{le32(b + 0x150)} << 32;
    s.free_blocks |= uint64_t{le32(b + 0x158)} << 32;
    s.desc_size = le16(b + 0xFE);
    if (s.desc_size < 64 || s.desc_size > 1024 || (s.desc_size & (s.desc_size - 1)))
      return refuse("bad group descriptor size " + std::to_string(s.desc_size));
  }
  if (s.rev_level >= 1) {
    s.first_ino = le32(b + 0x54);
    s.inode_size = le16(b + 0x58);
    if (s.inode_size < 128 || s.inode_size > s.block_size || (s.inode_size & (s.inode_size - 1)))
      return refuse("bad inode size " + std::to_string(s.inode_size));
    if (s.first_ino < 11 || s.first_ino > s.inodes_count) return refuse("bad first inode " + std::to_string(s.first_ino));
  }
  // Group geometry (ext4_fill_super's checks).
  if (s.blocks_per_group == 0 || s.blocks_per_group > 8 * s.block_size)
    return refuse("bad blocks per group " + std::to_string(s.blocks_per_group));
  if (s.inodes_per_group == 0 || s.inodes_per_group > 8 * s.block_size)
    return refuse("bad inodes per group " + std::to_string(s.inodes_per_group));
  if (s.first_data_block >= s.blocks_count)
    return refuse("first data block " + std::to_string(s.first_data_block) + " is beyond the end");
  if (s.block_size == 1024 && s.first_data_block == 0 && !(s.ro_compat & feat::kRoBigalloc))
    return refuse("first data block is 0 with 1 KiB blocks");
  if (device_bytes / s.block_size < s.blocks_count)
    return refuse("the filesystem has " + std::to_string(s.blocks_count) + " blocks, the device only " +
                  std::to_string(device_bytes / s.block_size));
  const uint64_t groups = (s.blocks_count - s.first_data_block + s.blocks_per_group - 1) / s.blocks_per_group;
  if (groups > (uint64_t{1} << 32) - 1 || groups * s.inodes_per_group != s.inodes_count)
    return refuse("inode count " + std::to_string(s.inodes_count) + " does not match " + std::to_string(groups) +
                  " groups of " + std::to_string(s.inodes_per_group));
  s.groups = static_cast<uint32_t>(groups);
  if (s.free_inodes > s.inodes_count) return refuse("more free inodes than inodes");

  memcpy(s.uuid, b + 0x68, 16);
  memcpy(s.volume_name, b + 0x78, 16);
  s.volume_name[16] = 0;
  s.reserved_gdt_blocks = le16(b + 0xCE);
  s.journal_inum = le32(b + 0xE0);
  s.last_orphan = le32(b + 0xE8);
  for (int i = 0; i < 4; ++i) s.hash_seed[i] = le32(b + 0xEC + 4 * i);
  s.def_hash_version = b[0xFC];
  s.first_meta_bg = le32(b + 0x104);
  s.min_extra_isize = le16(b + 0x15C);
  s.want_extra_isize = le16(b + 0x15E);
  s.flags = le32(b + 0x160);
  s.log_groups_per_flex = b[0x174];
  if ((s.incompat & feat::kInFlexBg) && s.log_groups_per_flex > 31)
    return refuse("bad flex group size (log " + std::to_string(s.log_groups_per_flex) + ")");
  if ((s.compat & feat::kCompatHasJournal) && s.journal_inum > s.inodes_count)
    return refuse("bad journal inode " + std::to_string(s.journal_inum));
  if ((s.compat & feat::kCompatHasJournal) && s.journal_inum == 0)
    return refuse("the journal is on an external device, which is not supported");
  s.r_blocks_count = le32(b + 0x8);
  if (s.incompat & feat::kIn64bit) s.r_blocks_count |= uint64_t{le32(b + 0x154)} << 32;
  s.overhead_clusters = le32(b + 0x248);
  s.backup_bgs[0] = le32(b + 0x24C);
  s.backup_bgs[1] = le32(b + 0x250);
  if (uint64_t{s.itable_blocks()} >= s.blocks_per_group)
    return refuse("the inode table does not fit in a group");
  s.csum_seed = (s.incompat & feat::kInCsumSeed) ? le32(b + 0x270) : crc32c(~0u, s.uuid, 16);
  *out = s;
  return c;
}

}  // namespace uml::kern::ext4
