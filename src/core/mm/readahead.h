#pragma once
// Per open file: where sequential reading stands (Linux's file_ra_state). The page cache
// grows and moves the window; the file keeps it between reads.

#include <cstdint>

namespace uml::kern {

struct Readahead {
  uint64_t start = 0, size = 0;  // the current window, in pages
  uint64_t prev = ~uint64_t{0};  // the last page read
};

}  // namespace uml::kern
