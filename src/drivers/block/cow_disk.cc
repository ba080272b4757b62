#include "drivers/block/cow_disk.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/base/errno.h"

namespace uml::drivers {

using kern::BlockOp;
using kern::BlockRequest;

namespace {
constexpr uint64_t kChunk = 4096;  // bitmap bytes written at once

// The bytes [from, from+len) of a segment list.
std::vector<host::IoVec> slice(const std::vector<host::IoVec>& all, uint64_t from, uint64_t len) {
  std::vector<host::IoVec> out;
  uint64_t at = 0;
  for (const auto& v : all) {
    const uint64_t a = std::max(from, at), b = std::min(from + len, at + v.len);
    if (a < b) out.push_back({static_cast<char*>(v.base) + (a - at), static_cast<size_t>(b - a)});
    at += v.len;
    if (at >= from + len) break;
  }
  return out;
}
}  // namespace

// One request: its host operations in flight (pending counts them, plus one for the
// issuer until it has started them all), and what comes next.
struct CowDisk::Io {
  enum class Phase : uint8_t { Data, Bitmap, Sync };
  CowDisk* disk;
  kern::BlockDevice* dev;
  BlockRequest* rq;
  Phase phase = Phase::Data;
  bool flush_after = false;  // a FUA write: the bitmap and a sync after the data
  std::atomic<int> pending{0};
  std::atomic<int> err{0};
  std::vector<std::unique_ptr<HostOp>> ops;
  std::vector<std::vector<char>> bufs;  // bitmap chunks being written
  std::vector<uint64_t> chunks;         // their indexes (re-marked dirty on failure)

  HostOp* add_op(HostOp::Kind k, bool overlay, uint64_t off) {
    ops.push_back(std::make_unique<HostOp>());
    HostOp* op = ops.back().get();
    op->kind = k;
    op->fd = overlay ? disk->m_over.fd : disk->m_base.fd;
    op->fixed = overlay ? disk->m_over_fixed.get() : disk->m_base_fixed.get();
    op->off = off;
    op->ctx = this;
    op->done = [](HostOp* o, int res) {
      auto* io = static_cast<Io*>(o->ctx);
      io->disk->sub_done(io, res);
    };
    pending.fetch_add(1, std::memory_order_acq_rel);
    return op;
  }
  void run_ops(size_t from) {
    // Issued with one extra count held, so a synchronous completion cannot end the phase
    // before every op is out.
    pending.fetch_add(1, std::memory_order_acq_rel);
    for (size_t i = from; i < ops.size(); ++i) ops[i]->start();
    disk->sub_done(this, 0);
  }
};

int CowDisk::open(const std::string& overlay, const std::string& base, bool read_only, bool lock,
                  kern::Scheduler* sched, std::unique_ptr<CowDisk>* out, std::string* error) {
  std::unique_ptr<CowDisk> d(new CowDisk);
  // The overlay is locked for its access, the base shared: many overlays may share a base,
  // none while something writes the base itself.
  const host::DiskLock how = lock ? host::DiskLock::ForAccess : host::DiskLock::None;
  int r = host::open_disk_file(overlay, read_only, false, &d->m_over, how);
  if (r == -to_int(kern::Errno::NOENT) && !base.empty() && !read_only) {
    if ((r = cow::create(overlay, base, error)) < 0) return r;
    r = host::open_disk_file(overlay, false, false, &d->m_over, how);
  }
  if (r < 0) {
    if (error->empty()) *error = "cannot open the overlay " + overlay + ": " + strerror(-r);
    return r;
  }
  std::vector<char> hdr(cow::kHeaderSize);
  if (host::pread_full(d->m_over.fd, hdr.data(), hdr.size(), 0) != static_cast<int64_t>(hdr.size()) ||
      !cow::decode(hdr.data(), hdr.size(), d->m_over.size, &d->m_h, error)) {
    if (error->empty()) *error = "the overlay is too short";
    *error = overlay + ": " + *error;
    return -to_int(kern::Errno::INVAL);
  }
  const std::string base_path = base.empty() ? d->m_h.base_path : base;
  if ((r = host::open_disk_file(base_path, true, false, &d->m_base, how)) < 0) {
    *error = "cannot open the base " + base_path + ": " + strerror(-r);
    return r;
  }
  if (std::string why = cow::check_base(d->m_h, d->m_base); !why.empty()) {
    *error = overlay + " refuses " + base_path + ": " + why;
    return -to_int(kern::Errno::INVAL);
  }
  d->m_bits.resize(d->m_h.bitmap_bytes);
  if (host::pread_full(d->m_over.fd, d->m_bits.data(), d->m_bits.size(), d->m_h.bitmap_offset) !=
      static_cast<int64_t>(d->m_bits.size())) {
    *error = overlay + ": cannot read its bitmap";
    return -to_int(kern::Errno::IO);
  }
  d->m_dirty_chunks.assign((d->m_bits.size() + kChunk - 1) / kChunk, false);
  d->m_base_fixed = std::make_unique<FixedFile>(sched, d->m_base.fd);
  d->m_over_fixed = std::make_unique<FixedFile>(sched, d->m_over.fd);
  *out = std::move(d);
  return 0;
}

CowDisk::~CowDisk() { shutdown(); }

void CowDisk::shutdown() {
  m_base_fixed.reset();  // out of every ring first
  m_over_fixed.reset();
  host::close_disk_file(m_base);
  host::close_disk_file(m_over);
  m_base.fd = m_over.fd = -1;
}

uint64_t CowDisk::sectors_held() const {
  kern::SpinGuard g(m_lock);
  uint64_t n = 0;
  for (uint8_t b : m_bits) n += static_cast<uint64_t>(__builtin_popcount(b));
  return n;
}

void CowDisk::mark(uint64_t first, uint64_t count) {
  kern::SpinGuard g(m_lock);
  for (uint64_t s = first; s < first + count; ++s) {
    m_bits[s >> 3] = static_cast<uint8_t>(m_bits[s >> 3] | (1u << (s & 7)));
    m_dirty_chunks[(s >> 3) / kChunk] = true;
  }
}

void CowDisk::start(kern::BlockDevice& dev, BlockRequest& rq) {
  auto* io = new Io;
  io->disk = this;
  io->dev = &dev;
  io->rq = &rq;
  switch (rq.op) {
    case BlockOp::Read:
      return start_read(io);
    case BlockOp::Write: {
      std::vector<host::IoVec> all;
      kern::BlockDevice::gather(rq, all);
      HostOp* op = io->add_op(HostOp::Kind::Write, true, m_h.data_offset + rq.offset);
      op->iov = std::move(all);
      io->flush_after = rq.flags & (BlockRequest::kFua | BlockRequest::kPreflush);
      return io->run_ops(0);
    }
    case BlockOp::Flush:
      return start_flush(io);
    case BlockOp::Discard:
    case BlockOp::WriteZeroes: {
      // A hole in the overlay reads as zeros; its sectors are the overlay's from now on.
      HostOp* op = io->add_op(HostOp::Kind::Punch, true, m_h.data_offset + rq.offset);
      op->len = rq.len;
      return io->run_ops(0);
    }
  }
}

// Runs of sectors from one source each: the overlay where its bits are set, else the base.
void CowDisk::start_read(Io* io) {
  const BlockRequest& rq = *io->rq;
  std::vector<host::IoVec> all;
  kern::BlockDevice::gather(rq, all);
  const uint64_t first = rq.offset / cow::kSector, count = kern::BlockDevice::chain_len(rq) / cow::kSector;
  struct Run {
    bool over;
    uint64_t first, count;
  };
  std::vector<Run> runs;
  {
    kern::SpinGuard g(m_lock);
    for (uint64_t s = first; s < first + count; ++s) {
      const bool over = held_locked(s);
      if (runs.empty() || runs.back().over != over) runs.push_back({over, s, 0});
      ++runs.back().count;
    }
  }
  for (const Run& r : runs) {
    const uint64_t off = r.first * cow::kSector, len = r.count * cow::kSector;
    HostOp* op = io->add_op(HostOp::Kind::Read, r.over, (r.over ? m_h.data_offset : 0) + off);
    op->iov = slice(all, off - rq.offset, len);
  }
  io->run_ops(0);
}

// A flush: the bitmap's dirty chunks are written (from copies), then the overlay synced.
void CowDisk::start_flush(Io* io) {
  io->phase = Io::Phase::Bitmap;
  const size_t from = io->ops.size();
  {
    kern::SpinGuard g(m_lock);
    for (size_t c = 0; c < m_dirty_chunks.size(); ++c) {
      if (!m_dirty_chunks[c]) continue;
      m_dirty_chunks[c] = false;
      const size_t at = c * kChunk, n = std::min<size_t>(kChunk, m_bits.size() - at);
      io->bufs.emplace_back(m_bits.begin() + static_cast<long>(at), m_bits.begin() + static_cast<long>(at + n));
      io->chunks.push_back(c);
    }
  }
  for (size_t i = 0; i < io->bufs.size(); ++i) {
    HostOp* op = io->add_op(HostOp::Kind::Write, true, m_h.bitmap_offset + io->chunks[i] * kChunk);
    op->iov = {{io->bufs[i].data(), io->bufs[i].size()}};
  }
  io->run_ops(from);
}

void CowDisk::sub_done(Io* io, int res) {
  if (res < 0) {
    int none = 0;
    io->err.compare_exchange_strong(none, res);
  }
  if (io->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  const int err = io->err.load();
  switch (io->phase) {
    case Io::Phase::Data:
      if (err) return finish(io, err);
      if (io->rq->op == BlockOp::Write || io->rq->op == BlockOp::Discard || io->rq->op == BlockOp::WriteZeroes) {
        const uint64_t len = io->rq->op == BlockOp::Write ? kern::BlockDevice::chain_len(*io->rq) : io->rq->len;
        mark(io->rq->offset / cow::kSector, len / cow::kSector);
        if (io->flush_after) return start_flush(io);
      }
      return finish(io, 0);
    case Io::Phase::Bitmap: {
      if (err) {  // those chunks are still to be written
        kern::SpinGuard g(m_lock);
        for (uint64_t c : io->chunks) m_dirty_chunks[c] = true;
        return finish(io, err);
      }
      io->phase = Io::Phase::Sync;
      const size_t from = io->ops.size();
      io->add_op(HostOp::Kind::Sync, true, 0);
      return io->run_ops(from);
    }
    case Io::Phase::Sync:
      return finish(io, err);
  }
}

void CowDisk::finish(Io* io, int res) {
  kern::BlockDevice* dev = io->dev;
  BlockRequest* rq = io->rq;
  delete io;
  dev->complete(rq, res);
}

}  // namespace uml::drivers
