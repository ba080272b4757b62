#include "core/fs/ext4/xattr.h"

#include <cstring>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {
constexpr size_t kEntryHeader = 16;
size_t entry_len(uint8_t name_len) { return (name_len + kEntryHeader + 3) & ~size_t{3}; }
size_t padded(uint32_t size) { return (size_t{size} + 3) & ~size_t{3}; }

// ext4_xattr_check_entries over the entries at `first`, in [first, end); value offsets
// count from value_base.
std::string decode_entries(const uint8_t* first, const uint8_t* end, const uint8_t* value_base,
                           std::vector<XattrEntry>* out) {
  const uint8_t* e = first;
  // The names: each entry inside the area, up to the 4 zero bytes that end the list.
  for (;;) {
    if (end - e < 4) return "xattr entries overrun their area";
    if (le32(e) == 0) break;
    const uint8_t* next = e + entry_len(e[0]);
    if (next >= end) return "xattr entry overruns its area";
    if (memchr(e + kEntryHeader, 0, e[0])) return "xattr name holds a NUL";
    e = next;
  }
  const uint8_t* names_end = e + 4;
  for (e = first; le32(e) != 0; e += entry_len(e[0])) {
    XattrEntry x;
    x.index = e[1];
    const uint16_t offs = le16(e + 2);
    x.value_inum = le32(e + 4);
    x.value_size = le32(e + 8);
    if (x.value_size > kXattrSizeMax) return "xattr value size too large";
    if (x.value_size && !x.value_inum) {
      if (offs > end - value_base) return "xattr value offset out of its area";
      const uint8_t* v = value_base + offs;
      if (v < names_end || x.value_size > static_cast<size_t>(end - v) ||
          padded(x.value_size) > static_cast<size_t>(end - v))
        return "xattr value out of its area";
      x.value = std::string_view(reinterpret_cast<const char*>(v), x.value_size);
    }
    const std::string_view prefix = xattr_prefix(x.index);
    if (prefix.empty()) continue;
    x.name.assign(prefix);
    // The ACL names are the whole name: their suffix is empty.
    x.name.append(reinterpret_cast<const char*>(e + kEntryHeader), e[0]);
    out->push_back(std::move(x));
  }
  return {};
}
}  // namespace

std::string_view xattr_prefix(uint8_t index) {
  switch (index) {
    case 1: return "user.";
    case 2: return "system.posix_acl_access";
    case 3: return "system.posix_acl_default";
    case 4: return "trusted.";
    case 6: return "security.";
    case 7: return "system.";
    case 8: return "system.richacl";
    default: return {};
  }
}

std::string decode_inode_xattrs(const uint8_t* area, size_t len, std::vector<XattrEntry>* out) {
  if (len < 4 || le32(area) != kXattrMagic) return {};
  return decode_entries(area + 4, area + len, area + 4, out);
}

uint32_t xattr_block_csum(const Super& s, uint64_t blk, const uint8_t* b) {
  uint8_t nr[8];
  put_le64(nr, blk);
  return crc32c_zeroed(crc32c(s.csum_seed, nr, 8), b, s.block_size, 16, 4);
}

std::string decode_block_xattrs(const Super& s, uint64_t blk, const uint8_t* b, std::vector<XattrEntry>* out) {
  const uint32_t size = s.block_size;
  if (le32(b) != kXattrMagic || le32(b + 8) != 1) return "bad xattr block header";
  if (s.metadata_csum() && xattr_block_csum(s, blk, b) != le32(b + 16)) return "xattr block checksum mismatch";
  return decode_entries(b + 32, b + size, b, out);
}

std::string acl_to_xattr(std::string_view disk, std::string* out) {
  constexpr uint16_t kUserObj = 1, kUser = 2, kGroupObj = 4, kGroup = 8, kMask = 0x10, kOther = 0x20;
  const auto* p = reinterpret_cast<const uint8_t*>(disk.data());
  const uint8_t* end = p + disk.size();
  if (disk.size() < 4 || le32(p) != 1) return "bad ACL version";
  p += 4;
  std::string x(4, '\0');
  put_le32(reinterpret_cast<uint8_t*>(x.data()), 2);  // POSIX_ACL_XATTR_VERSION
  while (p < end) {
    if (end - p < 4) return "ACL entry overruns the value";
    const uint16_t tag = le16(p), perm = le16(p + 2);
    uint32_t id = 0xffffffff;  // ACL_UNDEFINED_ID
    if (tag == kUser || tag == kGroup) {
      if (end - p < 8) return "ACL entry overruns the value";
      id = le32(p + 4);
      p += 8;
    } else if (tag == kUserObj || tag == kGroupObj || tag == kMask || tag == kOther) {
      p += 4;
    } else {
      return "bad ACL tag";
    }
    uint8_t e[8];
    e[0] = static_cast<uint8_t>(tag), e[1] = static_cast<uint8_t>(tag >> 8);
    e[2] = static_cast<uint8_t>(perm), e[3] = static_cast<uint8_t>(perm >> 8);
    put_le32(e + 4, id);
    x.append(reinterpret_cast<const char*>(e), 8);
  }
  *out = std::move(x);
  return {};
}

}  // namespace uml::kern::ext4
