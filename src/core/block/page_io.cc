#include "core/block/page_io.h"

#include <cstring>

namespace uml::kern {

namespace {
constexpr uint64_t kMaxRequest = 1 << 20;
}

PageIoBatch::PageIoBatch(AddressSpace& m, bool write, CachePage* const* pages, size_t n)
    : m_space(m), m_write(write), m_pages(pages, pages + n), m_pending(new std::atomic<uint32_t>[n]),
      m_err(new std::atomic<int>[n]) {
  for (size_t i = 0; i < n; ++i) {
    m_pending[i].store(1, std::memory_order_relaxed);
    m_err[i].store(0, std::memory_order_relaxed);
  }
}

void PageIoBatch::fail(size_t i, int err) {
  int none = 0;
  m_err[i].compare_exchange_strong(none, err, std::memory_order_acq_rel);
}

void PageIoBatch::add(size_t i, uint64_t off, char* data, size_t len) {
  Request* cur = m_requests.empty() ? nullptr : m_requests.back().get();
  if (!cur || cur->rq.offset + cur->rq.len != off || cur->rq.len + len > kMaxRequest) {
    m_requests.push_back(std::make_unique<Request>());
    cur = m_requests.back().get();
    cur->batch = this;
    cur->rq.op = m_write ? BlockOp::Write : BlockOp::Read;
    cur->rq.flags = BlockRequest::kCacheMemory;
    cur->rq.offset = off;
  }
  auto& segs = cur->rq.segs;
  if (!segs.empty() && static_cast<char*>(segs.back().base) + segs.back().len == data) {
    segs.back().len += len;
    cur->rq.len += len;
  } else {
    cur->rq.add_seg(data, len);
  }
  if (cur->pages.empty() || cur->pages.back() != i) {
    cur->pages.push_back(static_cast<uint32_t>(i));
    m_pending[i].fetch_add(1, std::memory_order_relaxed);
  }
}

void PageIoBatch::page_done(size_t i) {
  if (m_pending[i].fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  CachePage* p = m_pages[i];
  const int e = m_err[i].load(std::memory_order_acquire);
  if (m_write) {
    m_space.end_write(p, e);
    return;
  }
  const uint64_t size = m_space.size(), start = p->index * AddressSpace::kPage;
  if (size <= start) memset(p->data, 0, AddressSpace::kPage);
  else if (size - start < AddressSpace::kPage) memset(p->data + (size - start), 0, AddressSpace::kPage - (size - start));
  m_space.end_read(p, e == 0);
}

void PageIoBatch::put() {
  if (m_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void PageIoBatch::submit(std::unique_ptr<PageIoBatch> owned, BlockDevice& dev) {
  PageIoBatch* b = owned.release();
  std::vector<std::unique_ptr<Request>> reqs = std::move(b->m_requests);
  b->m_refs.fetch_add(static_cast<uint32_t>(reqs.size()), std::memory_order_relaxed);
  {
    BlockPlug plug(dev);
    for (auto& r : reqs) {
      Request* req = r.release();
      req->rq.owner = req;
      req->rq.done = [](BlockRequest* rq, int res) {
        auto* req = static_cast<Request*>(rq->owner);
        PageIoBatch* batch = req->batch;
        for (uint32_t i : req->pages) {
          if (res < 0) batch->fail(i, res);
          batch->page_done(i);
        }
        delete req;
        batch->put();
      };
      plug.add(&req->rq);
    }
  }
  // The setup reference of every page: pages with no request complete here.
  for (size_t i = 0; i < b->m_pages.size(); ++i) b->page_done(i);
  b->put();
}

}  // namespace uml::kern
