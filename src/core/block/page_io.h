#pragma once
// PageIoBatch: the block requests that read or write a set of page-cache pages, for the
// owners of address spaces (a disk's own cache, a filesystem's files). The owner says which
// bytes of each page go where on the disk; runs that follow each other on the disk and in
// memory become one request (up to 1 MiB); each page completes (AddressSpace::end_read or
// end_write) when the last request that serves it has, with the first error any of them
// had. A read's bytes past the space's size are zeros.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/block/block_device.h"
#include "core/mm/page_cache.h"

namespace uml::kern {

class PageIoBatch {
 public:
  PageIoBatch(AddressSpace& m, bool write, CachePage* const* pages, size_t n);
  // len bytes of page i, at data, go to (or come from) byte off of the disk.
  void add(size_t i, uint64_t off, char* data, size_t len);
  // Page i fails with err (negative errno) whatever its requests do.
  void fail(size_t i, int err);
  // Submits every request to dev (plugged together); the batch frees itself once every
  // page has completed. Pages no request serves complete now.
  static void submit(std::unique_ptr<PageIoBatch> b, BlockDevice& dev);

 private:
  struct Request {
    BlockRequest rq;
    PageIoBatch* batch;
    std::vector<uint32_t> pages;  // pages this request serves (in order, no repeats)
  };
  void page_done(size_t i);
  void put();

  AddressSpace& m_space;
  const bool m_write;
  std::vector<CachePage*> m_pages;
  std::unique_ptr<std::atomic<uint32_t>[]> m_pending;  // per page: requests left, plus one
  std::unique_ptr<std::atomic<int>[]> m_err;            // per page: the first error
  std::vector<std::unique_ptr<Request>> m_requests;    // until submitted
  std::atomic<uint32_t> m_refs{1};
};

}  // namespace uml::kern
