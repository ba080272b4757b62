#include "core/mm/page_pool.h"

#include <algorithm>

#include "host/host.h"

namespace uml::kern {

PagePool::~PagePool() {
  for (auto& [base, c] : m_chunks) host::unmap_chunk(c->base, kChunk);
}

PagePool::Chunk* PagePool::chunk_of(const void* page) const {
  const uintptr_t base = reinterpret_cast<uintptr_t>(page) & ~(uintptr_t{kChunk} - 1);
  auto it = m_chunks.find(base);
  return it == m_chunks.end() ? nullptr : it->second.get();
}

void* PagePool::alloc() {
  SpinGuard g(m_lock);
  while (!m_with_free.empty()) {
    Chunk* c = m_with_free.back();
    if (c->free.empty()) {  // filled up since it was listed
      m_with_free.pop_back();
      continue;
    }
    const uint16_t idx = c->free.back();
    c->free.pop_back();
    ++c->used;
    return c->base + size_t{idx} * kPage;
  }
  // Huge pages: one TLB entry for the whole chunk. With 4 KiB mappings a small read pays a
  // page walk the host kernel's copy (from its huge-page direct map) does not, and
  // open_read_close went from ~215 to ~285 ns. The price: a filesystem holding any file
  // data maps at least 2 MiB.
  void* mem = host::map_chunk(kChunk, true);
  if (!mem) return nullptr;
  auto c = std::make_unique<Chunk>();
  c->base = static_cast<char*>(mem);
  // Hand pages out from the start of the chunk: sequential files stay sequential.
  c->free.reserve(kPagesPerChunk);
  for (size_t i = kPagesPerChunk; i-- > 1;) c->free.push_back(static_cast<uint16_t>(i));
  c->used = 1;
  Chunk* raw = c.get();
  m_chunks.emplace(reinterpret_cast<uintptr_t>(mem), std::move(c));
  m_with_free.push_back(raw);
  return mem;
}

void PagePool::free(void* page) {
  void* unmap = nullptr;
  {
    SpinGuard g(m_lock);
    Chunk* c = chunk_of(page);
    if (!c) return;
    const auto idx = static_cast<uint16_t>((static_cast<char*>(page) - c->base) / kPage);
    const bool was_full = c->free.empty();
    c->free.push_back(idx);
    if (--c->used == 0 && m_chunks.size() > 1 && !m_keep) {
      // All free: back to the host (keeping one chunk for the next file).
      m_with_free.erase(std::remove(m_with_free.begin(), m_with_free.end(), c), m_with_free.end());
      unmap = c->base;
      m_chunks.erase(reinterpret_cast<uintptr_t>(c->base));
    } else if (was_full) {
      m_with_free.push_back(c);
    }
  }
  if (unmap) host::unmap_chunk(unmap, kChunk);
}

size_t PagePool::chunks() const {
  SpinGuard g(m_lock);
  return m_chunks.size();
}

}  // namespace uml::kern
