#pragma once
// ext4 directories (Documentation/filesystems/ext4/directory.rst): blocks of variable-length
// records, optionally with a checksum tail, and the hashed b-tree (htree) whose interior
// nodes hide in fake records of the first blocks. Everything here is a pure function of a
// block's bytes: records are checked as Linux's __ext4_check_dir_entry checks them before
// they are used, and an htree node as dx_probe checks it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs/ext4/super.h"

namespace uml::kern::ext4 {

// File types in a record (EXT4_FT_*), and their DT_* values.
uint8_t ft_to_dt(uint8_t ft);

struct DirRecord {
  uint32_t ino = 0;          // 0: an unused record
  uint16_t rec_len = 0;
  uint8_t name_len = 0;
  uint8_t file_type = 0;
  std::string_view name;     // points into the block
};

// The minimal record length for a name (EXT4_DIR_REC_LEN).
inline uint32_t dir_rec_len(uint32_t name_len) { return (name_len + 8 + 3) & ~3u; }

// Walks the records of one directory block (block_size bytes; the checksum tail, when the
// filesystem has metadata_csum and the block ends with one, is not reported). emit gets
// every record, used or not, with its offset, and returns false to stop. Returns "" or the
// reason the block is bad (the first bad record's offset in *bad_off).
template <typename F>
std::string walk_dir_block(const Super& s, const uint8_t* b, uint32_t size, F&& emit, uint32_t* bad_off);

// The checksum tail of a leaf block: present, and the checksum it holds.
bool dir_tail(const uint8_t* b, uint32_t size, uint32_t* csum);
// crc32c of a leaf block (up to its tail) seeded with the inode's seed.
uint32_t dir_block_csum(uint32_t inode_seed, const uint8_t* b, uint32_t size);
inline constexpr uint32_t kDirTailSize = 12;
// Writes an empty checksum tail at the end of a leaf block (ext4_initialize_dirent_tail).
void put_dir_tail(uint8_t* b, uint32_t size);
// Writes one record at b.
void put_dir_record(uint8_t* b, uint32_t ino, uint16_t rec_len, std::string_view name, uint8_t file_type);
// EXT4_FT_* of a mode's file type.
uint8_t ft_of_mode(uint32_t mode);

// ---- htree ----
inline constexpr uint8_t kHashLegacy = 0, kHashHalfMd4 = 1, kHashTea = 2, kHashLegacyUnsigned = 3,
                         kHashHalfMd4Unsigned = 4, kHashTeaUnsigned = 5, kHashSiphash = 6;
// ext4fs_dirhash: the major hash (low bit clear) and minor hash of name. seed: the
// superblock's s_hash_seed (all zero: the default). False for an unknown version.
bool dir_hash(uint8_t version, const uint32_t seed[4], std::string_view name, uint32_t* major, uint32_t* minor);
// The hash version a directory uses: the root's, made unsigned when the superblock says
// the creating system had unsigned chars (EXT2_FLAGS_UNSIGNED_HASH).
uint8_t effective_hash_version(const Super& s, uint8_t root_version);

struct DxEntry {
  uint32_t hash = 0;   // the first entry's is 0 (it covers everything below the second)
  uint32_t block = 0;  // logical block of the child
};
struct DxNode {
  uint8_t hash_version = 0;  // the root's
  uint8_t levels = 0;        // the root's indirect levels (0: children are leaves)
  std::vector<DxEntry> entries;
};
// Decodes the htree root (logical block 0 of an indexed directory). max_levels: 2, or 3
// with largedir. "" or the reason it is bad. csum_seed: the inode's (checked with
// metadata_csum).
std::string decode_dx_root(const Super& s, uint32_t csum_seed, const uint8_t* b, uint32_t size, DxNode* out);
// Decodes an interior node (a block whose first record is a fake empty one spanning it).
std::string decode_dx_node(const Super& s, uint32_t csum_seed, const uint8_t* b, uint32_t size, DxNode* out);
// dx_probe's choice among entries: the last whose hash is <= hash.
size_t dx_find(const DxNode& n, uint32_t hash);
// Where a dx block's entries start: 32 in the root, 8 in an interior node.
inline uint32_t dx_count_offset(bool root) { return root ? 32 : 8; }
// Inserts (hash, block) after entry `after` of the dx block b (its count below its limit)
// and sets its checksum with metadata_csum (ext4_dx_csum_set).
// ext4_dx_csum_set: the checksum of an index block (root or node) after its entries.
void dx_set_csum(const Super& s, uint32_t csum_seed, uint8_t* b, uint32_t count_offset);
// dx_node_limit: the entries an interior index block holds.
uint32_t dx_node_limit(const Super& s);
void dx_insert(const Super& s, uint32_t csum_seed, uint8_t* b, uint32_t count_offset, size_t after, uint32_t hash,
               uint32_t block);

// ---- template body ----
std::string check_dir_record(const Super& s, const uint8_t* b, uint32_t size, uint32_t off, DirRecord* out);

template <typename F>
std::string walk_dir_block(const Super& s, const uint8_t* b, uint32_t size, F&& emit, uint32_t* bad_off) {
  uint32_t csum;
  const bool tail = s.metadata_csum() && dir_tail(b, size, &csum);
  const uint32_t end = tail ? size - 12 : size;
  for (uint32_t off = 0; off < end;) {
    DirRecord r;
    std::string why = check_dir_record(s, b, end, off, &r);
    if (!why.empty()) {
      if (bad_off) *bad_off = off;
      return why;
    }
    if (!emit(off, r)) return {};
    off += r.rec_len;
  }
  return {};
}

}  // namespace uml::kern::ext4
