#pragma once
// ext4 extended attributes (Documentation/filesystems/ext4/attributes.rst): entries in the
// space after an inode's extra fields, and in one external block (shared between inodes,
// with a header and a checksum). Entries are checked as ext4_xattr_check_entries checks
// them before a value is read: names and values inside their area, sizes bounded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs/ext4/super.h"

namespace uml::kern::ext4 {

inline constexpr uint32_t kXattrMagic = 0xEA020000;
inline constexpr uint32_t kXattrSizeMax = 1u << 24;

struct XattrEntry {
  std::string name;          // with its prefix ("user.", "trusted.", ...)
  uint8_t index = 0;         // the on-disk name index
  std::string_view value;    // in the block or inode (empty when value_inum is set)
  uint32_t value_inum = 0;   // ea_inode: the inode holding the value
  uint32_t value_size = 0;
};

// The prefix of name index i ("" for one this driver does not know: such entries are
// skipped, as Linux skips them).
std::string_view xattr_prefix(uint8_t index);

// The entries of an in-inode area (raw inode bytes from 128 + extra_isize to inode_size).
// An area without the magic has none. "" or the reason it is bad.
std::string decode_inode_xattrs(const uint8_t* area, size_t len, std::vector<XattrEntry>* out);
// The entries of an external block (block_size bytes of block blk): header, checksum (with
// metadata_csum), entries. "" or the reason it is bad.
std::string decode_block_xattrs(const Super& s, uint64_t blk, const uint8_t* b, std::vector<XattrEntry>* out);

// The checksum an external block blk carries (ext4_xattr_block_csum).
uint32_t xattr_block_csum(const Super& s, uint64_t blk, const uint8_t* b);

// ---- writing (ext4_xattr_set) ----

// One attribute as stored: its name index, the name after the index's prefix, the value.
struct XattrItem {
  uint8_t index = 0;
  std::string suffix;
  std::string value;
  bool operator==(const XattrItem&) const = default;
};

// The index and stored suffix of a user-visible name (user., trusted., security.): false
// for a name ext4 does not take that way.
bool xattr_name_index(std::string_view name, uint8_t* index, std::string_view* suffix);

// Every entry of an area or block as stored, unknown indexes included (what a rewrite must
// keep). "" or the reason they cannot be kept (a bad area, or a value in an ea_inode).
std::string xattr_items_of_inode(const uint8_t* area, size_t len, std::vector<XattrItem>* out);
std::string xattr_items_of_block(const Super& s, uint64_t blk, const uint8_t* b, std::vector<XattrItem>* out);

// The in-inode area (len bytes) holding items, in their order, values packed from its end
// (ext4_xattr_ibody_set; no entry hashes, as Linux stores none there): false when they do
// not fit. No items: an area without the magic.
bool encode_inode_xattrs(const std::vector<XattrItem>& items, uint8_t* area, size_t len);
// An external block blk (block_size bytes) holding items sorted as ext4 keeps them (index,
// name length, name), with entry hashes, the block hash, refcount and the checksum: false
// when they do not fit.
bool encode_block_xattrs(const Super& s, uint64_t blk, uint32_t refcount, std::vector<XattrItem> items, uint8_t* b);

// ext4 stores POSIX ACLs compactly (ext4_acl_*); the VFS's system.posix_acl_* value is the
// generic format (posix_acl_xattr_header). Converts one to the other: "" or the reason.
std::string acl_to_xattr(std::string_view disk, std::string* out);

}  // namespace uml::kern::ext4
