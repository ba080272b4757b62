#include "core/fs/ext4/xattr.h"

#include <algorithm>
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

// ---- writing ----

bool xattr_name_index(std::string_view name, uint8_t* index, std::string_view* suffix) {
  static constexpr std::pair<std::string_view, uint8_t> kPrefixes[] = {
      {"user.", 1}, {"trusted.", 4}, {"security.", 6}};
  for (auto [prefix, i] : kPrefixes)
    if (name.substr(0, prefix.size()) == prefix) {
      *index = i;
      *suffix = name.substr(prefix.size());
      return true;
    }
  return false;
}

namespace {
// Entries as stored, each with its value copied out; kept or rewritten whole.
std::string raw_items(const uint8_t* first, const uint8_t* end, const uint8_t* value_base, std::vector<XattrItem>* out) {
  std::vector<XattrEntry> checked;  // the checks, and that every value is in the area
  std::string bad = decode_entries(first, end, value_base, &checked);
  if (!bad.empty()) return bad;
  for (const uint8_t* e = first; le32(e) != 0; e += entry_len(e[0])) {
    if (le32(e + 4)) return "xattr value in an inode";
    XattrItem x;
    x.index = e[1];
    x.suffix.assign(reinterpret_cast<const char*>(e + kEntryHeader), e[0]);
    const uint32_t size = le32(e + 8);
    if (size) x.value.assign(reinterpret_cast<const char*>(value_base + le16(e + 2)), size);
    out->push_back(std::move(x));
  }
  return {};
}

size_t item_bytes(const XattrItem& x) { return entry_len(static_cast<uint8_t>(x.suffix.size())) + padded(x.value.size()); }

// Writes entries from `first` and values down from `end` (offsets from value_base); false
// when they do not fit before the 4 bytes that end the entries.
bool put_entries(const std::vector<XattrItem>& items, uint8_t* first, uint8_t* end, uint8_t* value_base,
                 std::vector<uint8_t*>* entries) {
  size_t need = 4;
  for (const XattrItem& x : items) {
    if (x.suffix.size() > 255 || x.value.size() > kXattrSizeMax) return false;
    need += item_bytes(x);
  }
  if (need > static_cast<size_t>(end - first)) return false;
  uint8_t* e = first;
  uint8_t* v = end;
  for (const XattrItem& x : items) {
    memset(e, 0, entry_len(static_cast<uint8_t>(x.suffix.size())));
    e[0] = static_cast<uint8_t>(x.suffix.size());
    e[1] = x.index;
    if (!x.value.empty()) {
      v -= padded(x.value.size());
      memset(v, 0, padded(x.value.size()));
      memcpy(v, x.value.data(), x.value.size());
      put_le16(e + 2, static_cast<uint16_t>(v - value_base));
    }
    put_le32(e + 8, static_cast<uint32_t>(x.value.size()));
    memcpy(e + kEntryHeader, x.suffix.data(), x.suffix.size());
    if (entries) entries->push_back(e);
    e += entry_len(e[0]);
  }
  memset(e, 0, static_cast<size_t>(v - e));  // the end of the list, and the free space
  return true;
}

// ext4_xattr_hash_entry: the name's bytes, then the value's 32-bit words (zero padded).
uint32_t entry_hash(const XattrItem& x) {
  uint32_t h = 0;
  for (unsigned char c : x.suffix) h = (h << 5) ^ (h >> 27) ^ c;
  std::string v = x.value;
  v.resize(padded(v.size()), '\0');
  for (size_t i = 0; i < v.size(); i += 4) h = (h << 16) ^ (h >> 16) ^ le32(reinterpret_cast<const uint8_t*>(v.data() + i));
  return h;
}
}  // namespace

std::string xattr_items_of_inode(const uint8_t* area, size_t len, std::vector<XattrItem>* out) {
  if (len < 4 || le32(area) != kXattrMagic) return {};
  return raw_items(area + 4, area + len, area + 4, out);
}

std::string xattr_items_of_block(const Super& s, uint64_t blk, const uint8_t* b, std::vector<XattrItem>* out) {
  std::vector<XattrEntry> checked;
  std::string bad = decode_block_xattrs(s, blk, b, &checked);
  if (!bad.empty()) return bad;
  return raw_items(b + 32, b + s.block_size, b, out);
}

bool encode_inode_xattrs(const std::vector<XattrItem>& items, uint8_t* area, size_t len) {
  if (items.empty()) {
    memset(area, 0, len);
    return true;
  }
  if (len < 8) return false;
  put_le32(area, kXattrMagic);
  return put_entries(items, area + 4, area + len, area + 4, nullptr);
}

bool encode_block_xattrs(const Super& s, uint64_t blk, uint32_t refcount, std::vector<XattrItem> items, uint8_t* b) {
  const uint32_t size = s.block_size;
  // ext4_xattr_find_entry's order for blocks: index, then name length, then the name.
  std::sort(items.begin(), items.end(), [](const XattrItem& a, const XattrItem& c) {
    if (a.index != c.index) return a.index < c.index;
    if (a.suffix.size() != c.suffix.size()) return a.suffix.size() < c.suffix.size();
    return a.suffix < c.suffix;
  });
  memset(b, 0, 32);
  std::vector<uint8_t*> entries;
  if (!put_entries(items, b + 32, b + size, b, &entries)) return false;
  put_le32(b, kXattrMagic);
  put_le32(b + 4, refcount);
  put_le32(b + 8, 1);  // h_blocks
  // ext4_xattr_rehash: the block's hash from its entries' (0 if any entry has none).
  uint32_t block_hash = 0;
  bool zero = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const uint32_t h = entry_hash(items[i]);
    put_le32(entries[i] + 12, h);
    zero |= h == 0;
    block_hash = (block_hash << 16) ^ (block_hash >> 16) ^ h;
  }
  if (zero) block_hash = 0;
  put_le32(b + 12, block_hash);
  if (s.metadata_csum()) put_le32(b + 16, xattr_block_csum(s, blk, b));
  return true;
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
