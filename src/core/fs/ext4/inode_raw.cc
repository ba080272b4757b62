#include "core/fs/ext4/inode_raw.h"

#include <cstdint>
#include <cstring>

#include "core/base/byteorder.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {
constexpr size_t kGoodOld = 128;
constexpr size_t kChecksumLo = 0x7C, kChecksumHi = 0x82;

// Whether a field at off of size n is inside the inode's extra space.
bool fits(size_t extra_isize, size_t off, size_t n) { return kGoodOld + extra_isize >= off + n; }

// ext4_decode_extra_time: 32 signed bits of seconds, two epoch bits and 30 of nanoseconds.
// The kernel's times are nanoseconds in an int64 (until the year 2262); later ones (epoch
// bits reach the year 2446) saturate.
int64_t decode_time(uint32_t lo, bool has_extra, uint32_t extra) {
  int64_t sec = static_cast<int32_t>(lo);
  int64_t nsec = 0;
  if (has_extra) {
    sec += static_cast<int64_t>(extra & 3) << 32;
    nsec = extra >> 2;
    if (nsec > 999'999'999) nsec = 999'999'999;
  }
  constexpr int64_t kMaxSec = INT64_MAX / 1'000'000'000 - 1;
  if (sec > kMaxSec) return INT64_MAX;
  return sec * 1'000'000'000 + nsec;
}
// ext4_encode_extra_time: the seconds' low 32 bits go in the base field; the extra field
// holds two epoch bits and the nanoseconds. A time the fields cannot hold (before 1901, or
// after 2446 with the extra field and 2038 without) is clamped, as Linux clamps to
// s_time_min/s_time_max.
void encode_time(int64_t ns, bool has_extra, uint32_t* lo, uint32_t* extra) {
  int64_t sec = ns / 1'000'000'000, nsec = ns % 1'000'000'000;
  if (nsec < 0) {
    nsec += 1'000'000'000;
    --sec;
  }
  const int64_t max = has_extra ? int64_t{INT32_MIN} + (int64_t{1} << 34) - 1 : INT32_MAX;
  if (sec < INT32_MIN) sec = INT32_MIN, nsec = 0;
  if (sec > max) sec = max, nsec = 999'999'999;
  *lo = static_cast<uint32_t>(sec);
  *extra = static_cast<uint32_t>(((sec - static_cast<int32_t>(*lo)) >> 32) & 3) | static_cast<uint32_t>(nsec) << 2;
}
}  // namespace

void encode_inode(const Super& s, uint32_t ino, const InodeFields& f, uint8_t* raw) {
  const size_t extra = s.inode_size > kGoodOld ? le16(raw + 0x80) : 0;
  const bool ex = s.inode_size > kGoodOld;
  put_le16(raw + 0x0, static_cast<uint16_t>(f.mode));
  put_le16(raw + 0x2, static_cast<uint16_t>(f.uid));
  put_le16(raw + 0x78, static_cast<uint16_t>(f.uid >> 16));
  put_le16(raw + 0x18, static_cast<uint16_t>(f.gid));
  put_le16(raw + 0x7A, static_cast<uint16_t>(f.gid >> 16));
  put_le32(raw + 0x4, static_cast<uint32_t>(f.size));
  put_le32(raw + 0x6C, static_cast<uint32_t>(f.size >> 32));
  put_le16(raw + 0x1A, static_cast<uint16_t>(f.links));
  put_le32(raw + 0x20, f.flags);
  put_le32(raw + 0x14, f.dtime);
  put_le32(raw + 0x68, static_cast<uint32_t>(f.file_acl));
  put_le16(raw + 0x76, static_cast<uint16_t>(f.file_acl >> 32));
  memcpy(raw + 0x28, f.block, 60);
  // i_blocks: 512-byte units, or with huge_file and EXT4_HUGE_FILE_FL filesystem blocks
  // (ext4_inode_blocks_set).
  uint64_t blocks = f.blocks;
  if (s.has_ro_compat(feat::kRoHugeFile) && (f.flags & RawInode::kHugeFileFl)) blocks /= s.block_size / 512;
  put_le32(raw + 0x1C, static_cast<uint32_t>(blocks));
  if (s.has_ro_compat(feat::kRoHugeFile)) put_le16(raw + 0x74, static_cast<uint16_t>(blocks >> 32));
  const struct {
    int64_t ns;
    size_t base, ext;
  } times[] = {{f.ctime_ns, 0xC, 0x84}, {f.mtime_ns, 0x10, 0x88}, {f.atime_ns, 0x8, 0x8C}};
  for (const auto& t : times) {
    const bool has_extra = ex && fits(extra, t.ext, 4);
    uint32_t lo, hi;
    encode_time(t.ns, has_extra, &lo, &hi);
    put_le32(raw + t.base, lo);
    if (has_extra) put_le32(raw + t.ext, hi);
  }
  if (s.metadata_csum()) {
    const uint32_t c = inode_checksum(s, ino, raw);
    put_le16(raw + kChecksumLo, static_cast<uint16_t>(c));
    if (ex && fits(extra, kChecksumHi, 2)) put_le16(raw + kChecksumHi, static_cast<uint16_t>(c >> 16));
  }
}

std::string inode_slot(const Super& s, uint32_t ino, InodeSlot* out) {
  if (ino == 0 || ino > s.inodes_count) return "inode " + std::to_string(ino) + " is out of range";
  out->group = (ino - 1) / s.inodes_per_group;
  out->offset = uint64_t{(ino - 1) % s.inodes_per_group} * s.inode_size;
  return {};
}

uint32_t inode_checksum(const Super& s, uint32_t ino, const uint8_t* raw) {
  const Le32Bytes le_ino(ino);
  const uint8_t* gen = raw + 0x64;
  uint32_t c = crc32c(s.csum_seed, le_ino.b, 4);
  c = crc32c(c, gen, 4);
  c = crc32c_zeroed(c, raw, kGoodOld, kChecksumLo, 2);
  if (s.inode_size > kGoodOld) {
    // The high half of the checksum, where the extra fields reach it.
    const size_t extra = le16(raw + 0x80);
    const size_t n = s.inode_size - kGoodOld;
    c = fits(extra, kChecksumHi, 2) ? crc32c_zeroed(c, raw + kGoodOld, n, kChecksumHi - kGoodOld, 2)
                                    : crc32c(c, raw + kGoodOld, n);
  }
  return c;
}

std::string decode_inode(const Super& s, uint32_t ino, const uint8_t* raw, RawInode* out) {
  RawInode n;
  n.ino = ino;
  const std::string where = "inode " + std::to_string(ino) + ": ";
  if (s.inode_size > kGoodOld) {
    n.extra_isize = le16(raw + 0x80);
    if (kGoodOld + n.extra_isize > s.inode_size || (n.extra_isize & 3))
      return where + "bad extra inode size " + std::to_string(n.extra_isize);
  }
  const bool hi = s.inode_size > kGoodOld && fits(n.extra_isize, kChecksumHi, 2);
  n.checksum = le16(raw + kChecksumLo) | (hi ? uint32_t{le16(raw + kChecksumHi)} << 16 : 0);
  if (s.metadata_csum()) {
    const uint32_t want = inode_checksum(s, ino, raw);
    // An inode never written (all zeros, as mke2fs leaves lazily zeroed tables) has no
    // checksum to match, as e2fsprogs' ext2fs_inode_csum_verify allows.
    bool zero = true;
    for (size_t i = 0; i < s.inode_size && zero; ++i) zero = raw[i] == 0;
    if ((hi ? want : want & 0xFFFF) != n.checksum && !zero) return where + "checksum mismatch";
  }
  n.mode = le16(raw + 0x0);
  n.uid = le16(raw + 0x2) | uint32_t{le16(raw + 0x78)} << 16;
  n.gid = le16(raw + 0x18) | uint32_t{le16(raw + 0x7A)} << 16;
  n.size = le32(raw + 0x4) | uint64_t{le32(raw + 0x6C)} << 32;
  n.links = le16(raw + 0x1A);
  n.flags = le32(raw + 0x20);
  n.generation = le32(raw + 0x64);
  n.file_acl = le32(raw + 0x68) | uint64_t{le16(raw + 0x76)} << 32;
  n.dtime = le32(raw + 0x14);
  const uint64_t blocks = le32(raw + 0x1C) |
                          (s.has_ro_compat(feat::kRoHugeFile) ? uint64_t{le16(raw + 0x74)} << 32 : 0);
  // huge_file with EXT4_HUGE_FILE_FL: the count is in filesystem blocks, not sectors.
  n.blocks = (s.has_ro_compat(feat::kRoHugeFile) && (n.flags & RawInode::kHugeFileFl)) ? blocks * (s.block_size / 512)
                                                                                         : blocks;
  const bool ex = s.inode_size > kGoodOld;
  n.ctime_ns = decode_time(le32(raw + 0xC), ex && fits(n.extra_isize, 0x84, 4), ex ? le32(raw + 0x84) : 0);
  n.mtime_ns = decode_time(le32(raw + 0x10), ex && fits(n.extra_isize, 0x88, 4), ex ? le32(raw + 0x88) : 0);
  n.atime_ns = decode_time(le32(raw + 0x8), ex && fits(n.extra_isize, 0x8C, 4), ex ? le32(raw + 0x8C) : 0);
  if (ex && fits(n.extra_isize, 0x90, 4))
    n.crtime_ns = decode_time(le32(raw + 0x90), fits(n.extra_isize, 0x94, 4), le32(raw + 0x94));
  if (ex && fits(n.extra_isize, 0x9C, 4)) n.projid = le32(raw + 0x9C);
  memcpy(n.block, raw + 0x28, 60);
  if (n.file_acl && (n.file_acl < s.first_data_block || n.file_acl >= s.blocks_count))
    return where + "extended attribute block " + std::to_string(n.file_acl) + " is out of range";
  *out = n;
  return {};
}

}  // namespace uml::kern::ext4
