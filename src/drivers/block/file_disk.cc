#include "drivers/block/file_disk.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/base/errno.h"
#include "core/mm/page_pool.h"
#include "core/sched/scheduler.h"
#include "host/fault.h"
#include "host/reactor.h"

namespace uml::drivers {

using kern::BlockOp;
using kern::BlockRequest;

struct FileDisk::Io {
  HostOp op;
  FileDisk* disk;
  kern::BlockDevice* dev;
  BlockRequest* rq;
  bool preflush = false;          // the fdatasync before the data is in flight
  void* bounce = nullptr;
  std::vector<host::IoVec> user;  // the request's own segments (when bounced)
};

int FileDisk::open(const std::string& path, const Options& o, std::unique_ptr<FileDisk>* out) {
  host::DiskFileInfo info;
  if (int r = host::open_disk_file(path, o.read_only, o.direct, &info,
                                           o.lock ? host::DiskLock::ForAccess : host::DiskLock::None); r != 0) return r;
  if (info.size < 512) {
    host::close_disk_file(info);
    return -to_int(kern::Errno::INVAL);
  }
  out->reset(new FileDisk(info));
  (*out)->m_fixed = std::make_unique<FixedFile>(o.sched, info.fd);
  return 0;
}

FileDisk::~FileDisk() { shutdown(); }

void FileDisk::shutdown() {
  m_fixed.reset();  // out of every ring first
  host::close_disk_file(m_info);
  m_info.fd = -1;
}

void FileDisk::start(kern::BlockDevice& dev, BlockRequest& rq) {
  auto* io = new Io;
  io->disk = this;
  io->dev = &dev;
  io->rq = &rq;
  HostOp& op = io->op;
  op.fd = m_info.fd;
  op.fixed = m_fixed.get();
  op.off = rq.offset;
  op.len = rq.len;
  op.ctx = io;
  switch (rq.op) {
    case BlockOp::Read: op.kind = HostOp::Kind::Read; break;
    case BlockOp::Write: op.kind = HostOp::Kind::Write; break;
    case BlockOp::Flush: op.kind = HostOp::Kind::Sync; break;
    case BlockOp::Discard: op.kind = HostOp::Kind::Punch; break;
    case BlockOp::WriteZeroes: op.kind = HostOp::Kind::Zero; break;
  }
  if (rq.is_data()) {
    kern::BlockDevice::gather(rq, op.iov);
    uint64_t total = 0;
    for (const auto& v : op.iov) total += v.len;
    if (m_info.direct) {
      // The host's direct-I/O rules (statx's dio alignments); anything else is bounced.
      const uint64_t ma = m_info.dio_mem_align, oa = m_info.dio_offset_align;
      bool aligned = op.off % oa == 0 && total % oa == 0;
      for (const auto& v : op.iov)
        aligned = aligned && reinterpret_cast<uintptr_t>(v.base) % ma == 0 && v.len % oa == 0;
      if (!aligned) {
        io->bounce = host::alloc_aligned(std::max<uint64_t>(ma, 4096), total);
        if (!io->bounce) return finish(io, -to_int(kern::Errno::NOMEM));
        io->user = op.iov;
        if (rq.op == BlockOp::Write) {  // segments may be guest memory: guarded copies
          size_t at = 0;
          for (const auto& v : io->user) {
            if (!host::copy_guarded(static_cast<char*>(io->bounce) + at, v.base, v.len))
              return finish(io, -to_int(kern::Errno::FAULT));
            at += v.len;
          }
        }
        op.iov = {{io->bounce, total}};
      }
    }
    op.dsync = rq.op == BlockOp::Write && (rq.flags & BlockRequest::kFua);
    // One contiguous run of cache pages inside one 2 MiB chunk: a registered buffer.
    constexpr uintptr_t kRegion = kern::PagePool::kChunk;
    if ((rq.flags & BlockRequest::kCacheMemory) && !io->bounce && op.iov.size() == 1) {
      const auto a = reinterpret_cast<uintptr_t>(op.iov[0].base);
      if ((a & ~(kRegion - 1)) == ((a + op.iov[0].len - 1) & ~(kRegion - 1))) {
        op.region = reinterpret_cast<void*>(a & ~(kRegion - 1));
        op.region_len = kRegion;
      }
    }
    io->preflush = rq.op == BlockOp::Write && (rq.flags & BlockRequest::kPreflush);
  }
  op.done = [](HostOp* op, int res) {
    auto* io = static_cast<Io*>(op->ctx);
    if (res == 0 && io->preflush) {  // the fdatasync went first; now the data
      io->preflush = false;
      op->kind = HostOp::Kind::Write;
      return op->start();
    }
    io->disk->finish(io, res);
  };
  if (io->preflush) {
    // fdatasync first: the data op's fields wait in op.iov until then.
    op.kind = HostOp::Kind::Sync;
  }
  op.start();
}

void FileDisk::finish(Io* io, int res) {
  if (io->bounce) {
    if (res == 0 && io->rq->op == BlockOp::Read) {
      size_t at = 0;
      for (const auto& v : io->user) {
        if (!host::copy_guarded(v.base, static_cast<char*>(io->bounce) + at, v.len)) {
          res = -to_int(kern::Errno::FAULT);
          break;
        }
        at += v.len;
      }
    }
    host::free_aligned(io->bounce);
  }
  kern::BlockDevice* dev = io->dev;
  BlockRequest* rq = io->rq;
  delete io;
  dev->complete(rq, res);
}

}  // namespace uml::drivers
