// libFuzzer target: the copy-on-write overlay header parser (drivers/block/cow_format).
// An overlay file is untrusted input: any bytes must decode to a header whose offsets and
// sizes are consistent, or to a one-line error; never a crash or a sanitizer report. A
// decoded header must encode back to bytes that decode to the same header.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "drivers/block/cow_format.h"

namespace cow = uml::drivers::cow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first 8 bytes (if any) choose the file size the header is checked against.
  uint64_t file_size = 0;
  if (size >= 8) {
    memcpy(&file_size, data, 8);
    data += 8;
    size -= 8;
  }
  std::vector<char> buf(cow::kHeaderSize, 0);
  memcpy(buf.data(), data, size < buf.size() ? size : buf.size());
  cow::Header h;
  std::string err;
  if (!cow::decode(buf.data(), buf.size(), file_size, &h, &err)) {
    if (err.empty() || err.find('\n') != std::string::npos) abort();
    return 0;
  }
  if (h.bitmap_bytes != (h.disk_size / cow::kSector + 7) / 8 || h.data_offset < h.bitmap_offset + h.bitmap_bytes)
    abort();
  const std::vector<char> again = cow::encode(h);
  cow::Header h2;
  if (!cow::decode(again.data(), again.size(), file_size, &h2, &err)) abort();
  if (h2.disk_size != h.disk_size || h2.data_offset != h.data_offset || h2.base_path != h.base_path) abort();
  return 0;
}
