#include "drivers/block/cow_format.h"

#include <cstring>

#include "core/base/errno.h"
#include "core/base/byteorder.h"

namespace uml::drivers::cow {

namespace {
// Field offsets in the header block.
constexpr size_t kOffMagic = 0, kOffVersion = 8, kOffHeaderSize = 12, kOffSector = 16, kOffDiskSize = 24,
                 kOffBaseSize = 32, kOffBaseMtime = 40, kOffBitmapOff = 48, kOffBitmapBytes = 56,
                 kOffDataOff = 64, kOffPathLen = 72, kOffChecksum = 80, kOffPath = 128;
static_assert(kOffPath + kMaxBasePath <= kHeaderSize);

// The header is chars; the field helpers take bytes.
void put64(char* p, uint64_t v) { kern::put_le64(reinterpret_cast<uint8_t*>(p), v); }
void put32(char* p, uint32_t v) { kern::put_le32(reinterpret_cast<uint8_t*>(p), v); }
uint64_t get64(const char* p) { return kern::le64(reinterpret_cast<const uint8_t*>(p)); }
uint32_t get32(const char* p) { return kern::le32(reinterpret_cast<const uint8_t*>(p)); }
// FNV-1a over the header with the checksum field taken as zero.
uint64_t checksum(const char* buf) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < kHeaderSize; ++i) {
    const uint8_t b = i >= kOffChecksum && i < kOffChecksum + 8 ? 0 : static_cast<uint8_t>(buf[i]);
    h = (h ^ b) * 1099511628211ull;
  }
  return h;
}
constexpr uint64_t kDataAlign = 1 << 20;
}  // namespace

Header make_header(const std::string& base_path, const host::DiskFileInfo& base) {
  Header h;
  h.disk_size = base.size & ~uint64_t{kSector - 1};
  h.base_size = base.size;
  h.base_mtime_ns = base.mtime_ns;
  const uint64_t sectors = h.disk_size / kSector;
  h.bitmap_bytes = (sectors + 7) / 8;
  h.data_offset = (h.bitmap_offset + h.bitmap_bytes + kDataAlign - 1) / kDataAlign * kDataAlign;
  h.base_path = base_path;
  return h;
}

std::vector<char> encode(const Header& h) {
  std::vector<char> b(kHeaderSize, 0);
  memcpy(b.data() + kOffMagic, kMagic, 8);
  put32(b.data() + kOffVersion, kVersion);
  put32(b.data() + kOffHeaderSize, kHeaderSize);
  put32(b.data() + kOffSector, kSector);
  put64(b.data() + kOffDiskSize, h.disk_size);
  put64(b.data() + kOffBaseSize, h.base_size);
  put64(b.data() + kOffBaseMtime, static_cast<uint64_t>(h.base_mtime_ns));
  put64(b.data() + kOffBitmapOff, h.bitmap_offset);
  put64(b.data() + kOffBitmapBytes, h.bitmap_bytes);
  put64(b.data() + kOffDataOff, h.data_offset);
  const size_t n = std::min(h.base_path.size(), kMaxBasePath - 1);
  put32(b.data() + kOffPathLen, static_cast<uint32_t>(n));
  memcpy(b.data() + kOffPath, h.base_path.data(), n);
  put64(b.data() + kOffChecksum, checksum(b.data()));
  return b;
}

bool decode(const char* buf, size_t len, uint64_t file_size, Header* h, std::string* error) {
  auto fail = [&](const char* why) {
    *error = why;
    return false;
  };
  if (len < kHeaderSize || file_size < kHeaderSize) return fail("too short for a copy-on-write header");
  if (memcmp(buf + kOffMagic, kMagic, 8) != 0) return fail("not a libuml copy-on-write overlay (bad magic)");
  if (get32(buf + kOffVersion) != kVersion) return fail("unsupported copy-on-write format version");
  if (get64(buf + kOffChecksum) != checksum(buf)) return fail("copy-on-write header checksum mismatch");
  if (get32(buf + kOffHeaderSize) != kHeaderSize || get32(buf + kOffSector) != kSector)
    return fail("unsupported header or sector size");
  Header x;
  x.disk_size = get64(buf + kOffDiskSize);
  x.base_size = get64(buf + kOffBaseSize);
  x.base_mtime_ns = static_cast<int64_t>(get64(buf + kOffBaseMtime));
  x.bitmap_offset = get64(buf + kOffBitmapOff);
  x.bitmap_bytes = get64(buf + kOffBitmapBytes);
  x.data_offset = get64(buf + kOffDataOff);
  const uint32_t plen = get32(buf + kOffPathLen);
  if (x.disk_size == 0 || x.disk_size % kSector || x.disk_size > x.base_size)
    return fail("bad disk size in the header");
  if (x.disk_size > (uint64_t{1} << 50)) return fail("disk size in the header is absurd");
  if (x.bitmap_offset != kHeaderSize || x.bitmap_bytes != (x.disk_size / kSector + 7) / 8)
    return fail("bitmap does not match the disk size");
  if (x.data_offset < x.bitmap_offset + x.bitmap_bytes || x.data_offset % kSector)
    return fail("data offset overlaps the bitmap");
  if (plen >= kMaxBasePath) return fail("base path too long");
  x.base_path.assign(buf + kOffPath, plen);
  *h = std::move(x);
  return true;
}

std::string check_base(const Header& h, const host::DiskFileInfo& base) {
  if (base.size != h.base_size)
    return "the base's size is " + std::to_string(base.size) + " bytes, the overlay was made on " +
           std::to_string(h.base_size) + ": a different or changed base";
  if (base.mtime_ns != h.base_mtime_ns) return "the base was modified after the overlay was made (its mtime differs)";
  return {};
}

bool is_overlay(const std::string& path) {
  host::DiskFileInfo f;
  if (host::open_disk_file(path, true, false, &f, host::DiskLock::None) < 0) return false;
  char magic[8] = {};
  const bool yes = host::pread_full(f.fd, magic, 8, 0) == 8 && memcmp(magic, kMagic, 8) == 0;
  host::close_disk_file(f);
  return yes;
}

int create(const std::string& path, const std::string& base_path, std::string* error) {
  host::DiskFileInfo base;
  if (int r = host::open_disk_file(base_path, true, false, &base, host::DiskLock::None); r < 0) {
    *error = "cannot open the base " + base_path + ": " + strerror(-r);
    return r;
  }
  host::close_disk_file(base);
  if (base.size < kSector) {
    *error = "the base is smaller than a sector";
    return -to_int(kern::Errno::INVAL);
  }
  const Header h = make_header(base_path, base);
  const int fd = host::create_new_file(path, 0644);
  if (fd < 0) {
    *error = "cannot create " + path + ": " + strerror(-fd);
    return fd;
  }
  const std::vector<char> hdr = encode(h);
  int r = host::truncate_file(fd, h.data_offset + h.disk_size);
  if (r == 0 && host::pwrite_full(fd, hdr.data(), hdr.size(), 0) != static_cast<int64_t>(hdr.size())) r = -to_int(kern::Errno::IO);
  if (r == 0) r = host::fsync_file(fd, false);
  host::close_file(fd);
  if (r < 0) *error = "cannot write " + path + ": " + strerror(-r);
  return r;
}

}  // namespace uml::drivers::cow
