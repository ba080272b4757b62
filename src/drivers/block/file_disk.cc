#include "drivers/block/file_disk.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/base/errno.h"
#include "core/sched/scheduler.h"
#include "host/fault.h"
#include "host/reactor.h"

namespace uml::drivers {

using kern::BlockOp;
using kern::BlockRequest;

struct FileDisk::Io final : host::Completion {
  FileDisk* disk;
  kern::BlockDevice* dev;
  BlockRequest* rq;
  std::vector<host::IoVec> iov;  // what is left to transfer
  uint64_t off = 0;              // where it goes
  uint64_t total = 0, done = 0;
  bool preflush = false;         // the fdatasync before the data is in flight
  void* bounce = nullptr;
  std::vector<host::IoVec> user;  // the request's own segments (when bounced)

  void complete(int32_t res) override;
};

int FileDisk::open(const std::string& path, const Options& o, std::unique_ptr<FileDisk>* out) {
  host::DiskFileInfo info;
  if (int r = host::open_disk_file(path, o.read_only, o.direct, &info); r != 0) return r;
  if (info.size < 512) {
    host::close_file(info.fd);
    return -to_int(kern::Errno::INVAL);
  }
  out->reset(new FileDisk(info));
  return 0;
}

FileDisk::~FileDisk() { shutdown(); }

void FileDisk::shutdown() {
  host::close_file(m_info.fd);
  m_info.fd = -1;
}

void FileDisk::start(kern::BlockDevice& dev, BlockRequest& rq) {
  auto* io = new Io;
  io->disk = this;
  io->dev = &dev;
  io->rq = &rq;
  io->off = rq.offset;
  if (rq.is_data()) {
    kern::BlockDevice::gather(rq, io->iov);
    for (const auto& v : io->iov) io->total += v.len;
    if (m_info.direct) {
      // The host's direct-I/O rules (statx's dio alignments); anything else is bounced.
      const uint64_t ma = m_info.dio_mem_align, oa = m_info.dio_offset_align;
      bool aligned = io->off % oa == 0 && io->total % oa == 0;
      for (const auto& v : io->iov)
        aligned = aligned && reinterpret_cast<uintptr_t>(v.base) % ma == 0 && v.len % oa == 0;
      if (!aligned) {
        io->bounce = host::alloc_aligned(std::max<uint64_t>(ma, 4096), io->total);
        if (!io->bounce) return finish(io, -to_int(kern::Errno::NOMEM));
        io->user = io->iov;
        if (rq.op == BlockOp::Write) {  // segments may be guest memory: guarded copies
          size_t at = 0;
          for (const auto& v : io->user) {
            if (!host::copy_guarded(static_cast<char*>(io->bounce) + at, v.base, v.len))
              return finish(io, -to_int(kern::Errno::FAULT));
            at += v.len;
          }
        }
        io->iov = {{io->bounce, io->total}};
      }
    }
    io->preflush = rq.op == BlockOp::Write && (rq.flags & BlockRequest::kPreflush);
  }
  issue(io);
}

void FileDisk::issue(Io* io) {
  const BlockRequest& rq = *io->rq;
  const int fd = m_info.fd;
  host::Reactor* r = kern::Scheduler::current_reactor();
  const bool flush = io->preflush || rq.op == BlockOp::Flush;
  const bool fua = rq.op == BlockOp::Write && (rq.flags & BlockRequest::kFua);
  const unsigned n = static_cast<unsigned>(io->iov.size());
  if (r) {
    bool ok = false;
    if (flush) ok = r->fsync(fd, true, io);
    else if (rq.op == BlockOp::Read) ok = r->readv(fd, io->iov.data(), n, io->off, io);
    else if (rq.op == BlockOp::Write) ok = r->writev(fd, io->iov.data(), n, io->off, fua, io);
    else
      ok = r->fallocate(fd, rq.op == BlockOp::Discard ? host::Fallocate::PunchHole : host::Fallocate::ZeroRange,
                        rq.offset, rq.len, io);
    if (ok) {
      r->submit();
      return;
    }
    // The ring is full even after a flush to the host: do this one synchronously.
  }
  int64_t res;
  if (flush) res = host::fsync_file(fd, true);
  else if (rq.op == BlockOp::Read) res = host::preadv_file(fd, io->iov.data(), static_cast<int>(n), io->off);
  else if (rq.op == BlockOp::Write) {
    res = host::pwritev_file(fd, io->iov.data(), static_cast<int>(n), io->off);
    if (res >= 0 && fua) {
      if (int f = host::fsync_file(fd, true); f < 0) res = f;
    }
  } else {
    res = host::fallocate_file(fd, rq.op == BlockOp::Discard ? host::Fallocate::PunchHole : host::Fallocate::ZeroRange,
                               rq.offset, rq.len);
  }
  io->complete(static_cast<int32_t>(std::clamp<int64_t>(res, INT32_MIN, INT32_MAX)));
}

void FileDisk::Io::complete(int32_t res) {
  if (res < 0) return disk->finish(this, res);
  if (preflush) {
    preflush = false;
    return disk->issue(this);
  }
  if (!rq->is_data()) return disk->finish(this, 0);
  if (res == 0) return disk->finish(this, -to_int(kern::Errno::IO));  // the host file shrank
  done += static_cast<uint64_t>(res);
  if (done >= total) return disk->finish(this, 0);
  // A short transfer: the rest, from where it stopped.
  off += static_cast<uint64_t>(res);
  size_t skip = static_cast<size_t>(res);
  size_t i = 0;
  while (i < iov.size() && skip >= iov[i].len) skip -= iov[i++].len;
  iov.erase(iov.begin(), iov.begin() + static_cast<long>(i));
  if (!iov.empty()) {
    iov[0].base = static_cast<char*>(iov[0].base) + skip;
    iov[0].len -= skip;
  }
  disk->issue(this);
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
