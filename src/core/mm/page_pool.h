#pragma once
// PagePool: 4 KiB pages for file data, carved from 2 MiB chunks (Linux's page allocator, in
// miniature). A chunk is one host mapping with transparent huge pages asked for: filling a
// large file costs one host page fault per 2 MiB instead of one per 4 KiB, and reading a
// page costs no page walk. A chunk whose pages are all free goes back to the host (one is
// kept).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/base/spinlock.h"

namespace uml::kern {

class PagePool {
 public:
  static constexpr size_t kPage = 4096;
  static constexpr size_t kChunk = 2u << 20;
  static constexpr size_t kPagesPerChunk = kChunk / kPage;

  // keep_chunks: chunks stay mapped until the pool goes (the page cache's: its chunks may
  // be registered with io_uring rings as fixed buffers).
  explicit PagePool(bool keep_chunks = false) : m_keep(keep_chunks) {}
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // A page (contents undefined), or null when the host has no memory.
  void* alloc();
  void free(void* page);
  size_t chunks() const;

 private:
  struct Chunk {
    char* base;
    uint32_t used = 0;
    std::vector<uint16_t> free;  // page indexes not in use
  };
  Chunk* chunk_of(const void* page) const;

  const bool m_keep = false;
  mutable SpinLock m_lock;
  std::unordered_map<uintptr_t, std::unique_ptr<Chunk>> m_chunks;  // by base address
  std::vector<Chunk*> m_with_free;  // chunks with free pages (may hold stale entries)
};

}  // namespace uml::kern
