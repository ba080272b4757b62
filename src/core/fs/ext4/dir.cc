#include "core/fs/ext4/dir.h"

#include <cstring>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {
constexpr uint8_t kDirTailType = 0xDE;
constexpr uint32_t kTailSize = 12;
constexpr uint32_t kFlagsUnsignedHash = 0x2;  // EXT2_FLAGS_UNSIGNED_HASH
constexpr uint32_t kHtreeEof32 = 0x7fffffff;

uint32_t rol32(uint32_t v, int s) { return (v << s) | (v >> (32 - s)); }

// The name's bytes packed into num words, padded with the length (str2hashbuf).
void pack_name(const char* msg, int len, uint32_t* buf, int num, bool is_unsigned) {
  uint32_t pad = static_cast<uint32_t>(len) | static_cast<uint32_t>(len) << 8;
  pad |= pad << 16;
  uint32_t val = pad;
  if (len > num * 4) len = num * 4;
  for (int i = 0; i < len; ++i) {
    const int c = is_unsigned ? static_cast<int>(static_cast<unsigned char>(msg[i]))
                              : static_cast<int>(static_cast<signed char>(msg[i]));
    val = static_cast<uint32_t>(c) + (val << 8);
    if (i % 4 == 3) {
      *buf++ = val;
      val = pad;
      --num;
    }
  }
  if (--num >= 0) *buf++ = val;
  while (--num >= 0) *buf++ = pad;
}

void tea_transform(uint32_t buf[4], const uint32_t in[4]) {
  uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
  const uint32_t a = in[0], b = in[1], c = in[2], d = in[3];
  for (int n = 0; n < 16; ++n) {
    sum += 0x9E3779B9;
    b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b);
    b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d);
  }
  buf[0] += b0;
  buf[1] += b1;
}

// MD4's three rounds with half the input (8 words), as ext4 uses it for names.
void half_md4(uint32_t buf[4], const uint32_t in[8]) {
  uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];
  auto F = [](uint32_t x, uint32_t y, uint32_t z) { return z ^ (x & (y ^ z)); };
  auto G = [](uint32_t x, uint32_t y, uint32_t z) { return (x & y) + ((x ^ y) & z); };
  auto H = [](uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; };
  constexpr uint32_t k2 = 013240474631u, k3 = 015666365641u;
  // Each round: four steps over a, d, c, b with the word order and shifts of its table.
  static constexpr int kOrder[3][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {1, 3, 5, 7, 0, 2, 4, 6}, {3, 7, 2, 6, 1, 5, 0, 4}};
  static constexpr int kShift[3][4] = {{3, 7, 11, 19}, {3, 5, 9, 13}, {3, 9, 11, 15}};
  for (int r = 0; r < 3; ++r) {
    const uint32_t k = r == 0 ? 0 : r == 1 ? k2 : k3;
    for (int i = 0; i < 8; ++i) {
      uint32_t* v[4] = {&a, &d, &c, &b};
      uint32_t& t = *v[i % 4];
      // The other three, in the rotation MD4 uses: (b, c, d) for a, (a, b, c) for d...
      uint32_t x, y, z;
      switch (i % 4) {
        case 0: x = b, y = c, z = d; break;
        case 1: x = a, y = b, z = c; break;
        case 2: x = d, y = a, z = b; break;
        default: x = c, y = d, z = a; break;
      }
      const uint32_t f = r == 0 ? F(x, y, z) : r == 1 ? G(x, y, z) : H(x, y, z);
      t = rol32(t + f + in[kOrder[r][i]] + k, kShift[r][i % 4]);
    }
  }
  buf[0] += a;
  buf[1] += b;
  buf[2] += c;
  buf[3] += d;
}

uint32_t legacy_hash(std::string_view name, bool is_unsigned) {
  uint32_t h0 = 0x12a3fe2d, h1 = 0x37abe8f9;
  for (char ch : name) {
    const int c = is_unsigned ? static_cast<int>(static_cast<unsigned char>(ch))
                              : static_cast<int>(static_cast<signed char>(ch));
    uint32_t h = h1 + (h0 ^ static_cast<uint32_t>(c * 7152373));
    if (h & 0x80000000) h -= 0x7fffffff;
    h1 = h0;
    h0 = h;
  }
  return h0 << 1;
}
}  // namespace

uint8_t ft_to_dt(uint8_t ft) {
  // EXT4_FT_REG_FILE.. EXT4_FT_SYMLINK -> DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK.
  static constexpr uint8_t kMap[8] = {0, 8, 4, 2, 6, 1, 12, 10};
  return ft < 8 ? kMap[ft] : 0;
}

bool dir_tail(const uint8_t* b, uint32_t size, uint32_t* csum) {
  if (size < kTailSize) return false;
  const uint8_t* t = b + size - kTailSize;
  if (le32(t) != 0 || le16(t + 4) != kTailSize || t[6] != 0 || t[7] != kDirTailType) return false;
  *csum = le32(t + 8);
  return true;
}

uint32_t dir_block_csum(uint32_t inode_seed, const uint8_t* b, uint32_t size) {
  return crc32c(inode_seed, b, size - kTailSize);
}

void put_dir_tail(uint8_t* b, uint32_t size) {
  uint8_t* t = b + size - kTailSize;
  memset(t, 0, kTailSize);
  put_le16(t + 4, kTailSize);
  t[7] = kDirTailType;
}

void put_dir_record(uint8_t* b, uint32_t ino, uint16_t rec_len, std::string_view name, uint8_t file_type) {
  put_le32(b, ino);
  put_le16(b + 4, rec_len);
  b[6] = static_cast<uint8_t>(name.size());
  b[7] = file_type;
  memcpy(b + 8, name.data(), name.size());
}

uint8_t ft_of_mode(uint32_t mode) {
  switch (mode & 0170000) {
    case 0100000: return 1;  // EXT4_FT_REG_FILE
    case 0040000: return 2;  // EXT4_FT_DIR
    case 0020000: return 3;  // EXT4_FT_CHRDEV
    case 0060000: return 4;  // EXT4_FT_BLKDEV
    case 0010000: return 5;  // EXT4_FT_FIFO
    case 0140000: return 6;  // EXT4_FT_SOCK
    case 0120000: return 7;  // EXT4_FT_SYMLINK
    default: return 0;
  }
}

std::string check_dir_record(const Super& s, const uint8_t* b, uint32_t size, uint32_t off, DirRecord* out) {
  if (size - off < 8) return "directory entry overrun";
  DirRecord r;
  r.ino = le32(b + off);
  r.rec_len = le16(b + off + 4);
  r.name_len = b[off + 6];
  r.file_type = s.has_incompat(feat::kInFiletype) ? b[off + 7] : 0;
  const uint32_t next = off + r.rec_len;
  if (r.rec_len < dir_rec_len(1)) return "rec_len is smaller than minimal";
  if (r.rec_len % 4) return "rec_len % 4 != 0";
  if (r.rec_len < dir_rec_len(r.name_len)) return "rec_len is too small for name_len";
  if (next > size) return "directory entry overrun";
  if (next > size - dir_rec_len(1) && next != size) return "directory entry too close to block end";
  if (r.ino > s.inodes_count) return "inode out of bounds";
  r.name = std::string_view(reinterpret_cast<const char*>(b + off + 8), r.name_len);
  if (next == size && r.name == ".") return "'.' directory cannot be the last in data block";
  *out = r;
  return {};
}

bool dir_hash(uint8_t version, const uint32_t seed[4], std::string_view name, uint32_t* major, uint32_t* minor) {
  uint32_t buf[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  if (seed && (seed[0] | seed[1] | seed[2] | seed[3]))
    for (int i = 0; i < 4; ++i) buf[i] = seed[i];
  uint32_t hash = 0, mhash = 0;
  const int len = static_cast<int>(name.size());
  switch (version) {
    case kHashLegacy:
    case kHashLegacyUnsigned:
      hash = legacy_hash(name, version == kHashLegacyUnsigned);
      break;
    case kHashHalfMd4:
    case kHashHalfMd4Unsigned: {
      uint32_t in[8];
      for (int off = 0; off < len; off += 32) {
        pack_name(name.data() + off, len - off, in, 8, version == kHashHalfMd4Unsigned);
        half_md4(buf, in);
      }
      hash = buf[1];
      mhash = buf[2];
      break;
    }
    case kHashTea:
    case kHashTeaUnsigned: {
      uint32_t in[4];
      for (int off = 0; off < len; off += 16) {
        pack_name(name.data() + off, len - off, in, 4, version == kHashTeaUnsigned);
        tea_transform(buf, in);
      }
      hash = buf[0];
      mhash = buf[1];
      break;
    }
    default:
      return false;  // siphash needs casefolding and encryption keys: not supported
  }
  hash &= ~1u;
  if (hash == (kHtreeEof32 << 1)) hash = (kHtreeEof32 - 1) << 1;
  *major = hash;
  *minor = mhash;
  return true;
}

uint8_t effective_hash_version(const Super& s, uint8_t root_version) {
  if (root_version <= kHashTea && (s.flags & kFlagsUnsignedHash)) return root_version + 3;
  return root_version;
}

namespace {
// The entries at count_offset: limit, count, then (hash, block) pairs; the first pair's
// hash field holds limit and count.
std::string decode_entries(const Super& s, uint32_t csum_seed, const uint8_t* b, uint32_t size,
                           uint32_t count_offset, uint32_t want_limit, DxNode* out) {
  const uint32_t limit = le16(b + count_offset), count = le16(b + count_offset + 2);
  if (limit != want_limit) return "dx entry: limit " + std::to_string(limit) + " != " + std::to_string(want_limit);
  if (count == 0 || count > limit) return "dx entry: count " + std::to_string(count) + " beyond limit";
  if (count_offset + uint64_t{limit} * 8 > size) return "dx entries overrun the block";
  if (s.metadata_csum()) {
    const uint32_t tail = count_offset + limit * 8;
    if (tail + 8 > size) return "no space for the dx tail";
    // Over the entries in use, then the tail with its checksum field as zero.
    const uint32_t c = crc32c_zeroed(crc32c(csum_seed, b, count_offset + count * 8), b + tail, 8, 4, 4);
    if (c != le32(b + tail + 4)) return "dx block checksum mismatch";
  }
  out->entries.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = b + count_offset + i * 8;
    out->entries[i].hash = i ? le32(e) : 0;
    out->entries[i].block = le32(e + 4) & 0x0fffffff;  // dx_get_block: the top bits are free
    if (i > 1 && out->entries[i].hash < out->entries[i - 1].hash) return "dx entries out of hash order";
  }
  return {};
}
}  // namespace

std::string decode_dx_root(const Super& s, uint32_t csum_seed, const uint8_t* b, uint32_t size, DxNode* out) {
  if (size < 40) return "dx root too small";
  // "." (rec_len 12) and ".." spanning the rest, then dx_root_info at 24.
  if (le16(b + 4) != 12 || le16(b + 12 + 4) != size - 12) return "dx root: bad fake entries";
  const uint8_t* info = b + 24;
  if (le32(info) != 0) return "dx root: reserved field set";
  const uint8_t version = info[4], info_len = info[5], levels = info[6], flags = info[7];
  if (version != kHashLegacy && version != kHashHalfMd4 && version != kHashTea)
    return "unrecognised hash code " + std::to_string(version);
  if (info_len != 8) return "dx root: info length " + std::to_string(info_len);
  if (flags & 1) return "unimplemented hash flags";
  const uint32_t max_levels = s.has_incompat(feat::kInLargedir) ? 3 : 2;
  if (levels >= max_levels) return "htree depth " + std::to_string(levels) + " exceeds the supported value";
  uint32_t space = size - dir_rec_len(1) - dir_rec_len(2) - info_len;
  if (s.metadata_csum()) space -= 8;
  out->hash_version = version;
  out->levels = levels;
  return decode_entries(s, csum_seed, b, size, 32, space / 8, out);
}

std::string decode_dx_node(const Super& s, uint32_t csum_seed, const uint8_t* b, uint32_t size, DxNode* out) {
  if (size < 16) return "dx node too small";
  if (le16(b + 4) != size) return "dx node: bad fake entry";
  uint32_t space = size - dir_rec_len(0);
  if (s.metadata_csum()) space -= 8;
  return decode_entries(s, csum_seed, b, size, 8, space / 8, out);
}

void dx_set_csum(const Super& s, uint32_t csum_seed, uint8_t* b, uint32_t count_offset) {
  if (!s.metadata_csum()) return;
  const uint32_t limit = le16(b + count_offset), count = le16(b + count_offset + 2);
  const uint32_t tail = count_offset + limit * 8;
  put_le32(b + tail + 4, crc32c_zeroed(crc32c(csum_seed, b, count_offset + count * 8), b + tail, 8, 4, 4));
}

void dx_insert(const Super& s, uint32_t csum_seed, uint8_t* b, uint32_t count_offset, size_t after, uint32_t hash,
               uint32_t block) {
  const uint32_t count = le16(b + count_offset + 2);
  uint8_t* at = b + count_offset + (after + 1) * 8;
  memmove(at + 8, at, (count - after - 1) * 8);
  put_le32(at, hash);
  put_le32(at + 4, block);
  put_le16(b + count_offset + 2, static_cast<uint16_t>(count + 1));
  dx_set_csum(s, csum_seed, b, count_offset);
}

uint32_t dx_node_limit(const Super& s) { return (s.block_size - 8 - (s.metadata_csum() ? 8 : 0)) / 8; }

size_t dx_find(const DxNode& n, uint32_t hash) {
  size_t lo = 1, hi = n.entries.size();  // the first entry covers everything below the second
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (n.entries[mid].hash > hash) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

}  // namespace uml::kern::ext4
