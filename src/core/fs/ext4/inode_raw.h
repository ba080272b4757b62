#pragma once
// ext4 on-disk inodes (Documentation/filesystems/ext4/inodes.rst): where inode n lives, and
// its 128..inode_size bytes decoded and checked (extra size, checksum) before use.

#include <cstdint>
#include <string>

#include "core/fs/ext4/group.h"
#include "core/fs/ext4/super.h"

namespace uml::kern::ext4 {

struct RawInode {
  uint32_t ino = 0;
  uint16_t mode = 0;
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  uint16_t links = 0;
  uint64_t blocks = 0;  // 512-byte units (huge_file's block units converted)
  uint32_t flags = 0;
  uint32_t generation = 0;
  uint64_t file_acl = 0;
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0, crtime_ns = 0, dtime = 0;
  uint16_t extra_isize = 0;
  uint32_t checksum = 0;  // as stored (lo, and hi where it fits)
  uint8_t block[60] = {};  // i_block: extent tree root, block map, inline data or symlink
  uint32_t projid = 0;

  static constexpr uint32_t kExtentsFl = 0x80000, kInlineDataFl = 0x10000000, kHugeFileFl = 0x40000,
                            kIndexFl = 0x1000, kEaInodeFl = 0x200000;
  bool has_extents() const { return flags & kExtentsFl; }
};

// Where inode ino is: its group, and its byte offset from the start of that group's inode
// table. INVAL-like reasons for an inode number outside 1..inodes_count.
struct InodeSlot {
  uint32_t group = 0;
  uint64_t offset = 0;
};
std::string inode_slot(const Super& s, uint32_t ino, InodeSlot* out);

// ext4_inode_csum over raw (s.inode_size bytes) of inode ino.
uint32_t inode_checksum(const Super& s, uint32_t ino, const uint8_t* raw);
// What the VFS may change of an inode and ext4 keeps in it (the fields a write-back
// stores; everything else of the on-disk inode stays as it is).
struct InodeFields {
  uint32_t mode = 0, uid = 0, gid = 0, links = 0;
  uint64_t size = 0;
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;
  uint32_t flags = 0;
  uint32_t dtime = 0;      // deletion time, or the next orphan
  uint64_t file_acl = 0;   // the xattr block
  uint64_t blocks = 0;     // 512-byte units
  uint8_t block[60] = {};  // i_block
};
// ext4_do_update_inode for those fields: stores f into raw (s.inode_size bytes of inode
// ino, as read from the disk), times with nanoseconds and epoch bits where the inode's extra
// space holds them (whole seconds otherwise), and sets the checksum.
void encode_inode(const Super& s, uint32_t ino, const InodeFields& f, uint8_t* raw);
// Decodes and checks raw (s.inode_size bytes): "" or the reason it is bad.
std::string decode_inode(const Super& s, uint32_t ino, const uint8_t* raw, RawInode* out);

}  // namespace uml::kern::ext4
