#include "core/block/bdev.h"

#include <algorithm>
#include <cstring>

#include "core/abi/fs.h"
#include "core/block/page_io.h"
#include "core/cred/actor.h"
#include "core/vfs/file.h"

namespace uml::kern {

namespace {
// Linux's <linux/fs.h> block ioctls.
constexpr unsigned kBLKROSET = 0x125d, kBLKROGET = 0x125e, kBLKGETSIZE = 0x1260, kBLKFLSBUF = 0x1261,
                   kBLKRASET = 0x1262, kBLKRAGET = 0x1263, kBLKSECTGET = 0x1267, kBLKSSZGET = 0x1268,
                   kBLKDISCARD = 0x1277, kBLKIOMIN = 0x1278, kBLKIOOPT = 0x1279, kBLKALIGNOFF = 0x127a,
                   kBLKPBSZGET = 0x127b, kBLKDISCARDZEROES = 0x127c, kBLKZEROOUT = 0x127f,
                   kBLKROTATIONAL = 0x127e;
constexpr unsigned kBLKBSZGET = 0x80081270, kBLKGETSIZE64 = 0x80081272;

}  // namespace

Bdev::Bdev(PageCache& cache, std::unique_ptr<BlockDevice> dev)
    : m_dev(std::move(dev)), m_mapping(cache, *this, m_dev->size()) {}

Bdev::~Bdev() = default;

// One request per run of pages that follow each other (the plug merges neighbours). A
// write carries only the sectors written since the page was clean (in the device's logical
// blocks): a metadata page of a filesystem with small blocks may hold other blocks, stale
// copies of file data, that must not reach the disk.
void Bdev::page_io(bool write, CachePage* const* pages, size_t n) {
  const uint64_t size = m_dev->size();
  const size_t unit = std::max<size_t>(512, m_dev->logical_block());
  auto b = std::make_unique<PageIoBatch>(m_mapping, write, pages, n);
  for (size_t i = 0; i < n; ++i) {
    CachePage* p = pages[i];
    const uint64_t at = p->index * PageCache::kPage;
    const size_t bytes = static_cast<size_t>(std::min<uint64_t>(PageCache::kPage, size - at));
    const uint8_t mask = write && p->wb_sectors ? p->wb_sectors : 0xFF;
    for (size_t s = 0; s < 8;) {
      if (!(mask & (1u << s))) {
        ++s;
        continue;
      }
      size_t e = s;
      while (e < 8 && (mask & (1u << e))) ++e;
      const size_t from = s * 512 / unit * unit, to = std::min((e * 512 + unit - 1) / unit * unit, bytes);
      if (from < to) b->add(i, at + from, p->data + from, to - from);
      s = std::max(e, to / 512);
    }
  }
  PageIoBatch::submit(std::move(b), *m_dev);
}

void Bdev::read_pages(SchedEntity&, AddressSpace&, CachePage* const* pages, size_t n) { page_io(false, pages, n); }
void Bdev::write_pages(AddressSpace&, CachePage* const* pages, size_t n) { page_io(true, pages, n); }

Result<size_t> Bdev::direct_io(SchedEntity& self, bool write, uint64_t off, const IoBuffer& buf) {
  const uint64_t mask = m_dev->logical_block() - 1;
  if ((off & mask) || (buf.size() & mask) || (reinterpret_cast<uintptr_t>(buf.raw()) & mask))
    return Errno::INVAL;
  const uint64_t size = m_dev->size();
  if (off >= size) return size_t{0};
  const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
  if (len == 0) return size_t{0};
  // Coherence with the cache: dirty pages reach the disk before a direct read sees it, and
  // a direct write leaves no stale page behind.
  TRY(m_mapping.write_and_wait(self, off, off + len, nullptr));
  if (write) m_mapping.invalidate(&self, off, off + len, false);
  // The guest's own memory is the buffer (no copy); requests of at most 1 MiB, in flight
  // together.
  constexpr size_t kChunk = 1 << 20;
  const size_t nreq = (len + kChunk - 1) / kChunk;
  std::vector<BlockRequest> rqs(nreq);
  struct Shared {
    SchedEntity* self;
    std::atomic<size_t> left;
    std::atomic<int> err{0};
  } sh{&self, {nreq}};
  for (size_t i = 0; i < nreq; ++i) {
    BlockRequest& rq = rqs[i];
    rq.op = write ? BlockOp::Write : BlockOp::Read;
    rq.offset = off + i * kChunk;
    rq.add_seg(buf.raw() + i * kChunk, std::min(kChunk, len - i * kChunk));
    rq.owner = &sh;
    rq.done = [](BlockRequest* r, int res) {
      auto* s = static_cast<Shared*>(r->owner);
      if (res < 0) {
        int expected = 0;
        s->err.compare_exchange_strong(expected, res);
      }
      SchedEntity* who = s->self;
      if (s->left.fetch_sub(1, std::memory_order_acq_rel) == 1) Scheduler::unpark(*who);
    };
  }
  {
    BlockPlug plug(*m_dev);
    for (BlockRequest& rq : rqs) plug.add(&rq);
  }
  while (sh.left.load(std::memory_order_acquire) != 0) Scheduler::park(self);
  if (write) m_mapping.invalidate(&self, off, off + len, false);  // pages read meanwhile
  if (int e = sh.err.load(); e < 0) return static_cast<Errno>(-e);
  return len;
}

Result<void> Bdev::flush(SchedEntity& self) {
  BlockRequest rq;
  rq.op = BlockOp::Flush;
  const int r = submit_and_wait(self, *m_dev, rq);
  if (r < 0 && r != -to_int(Errno::OPNOTSUPP)) return static_cast<Errno>(-r);
  return {};
}

Result<void> Bdev::discard_or_zero(SchedEntity& self, uint64_t off, uint64_t len, bool zero) {
  m_mapping.invalidate(&self, off, off + len, true);
  BlockRequest rq;
  rq.op = zero ? BlockOp::WriteZeroes : BlockOp::Discard;
  rq.offset = off;
  rq.len = len;
  const int r = submit_and_wait(self, *m_dev, rq);
  if (r < 0) return static_cast<Errno>(-r);
  return {};
}

// ---- BdevFile ---------------------------------------------------------------------------------

BdevFile::BdevFile(std::shared_ptr<Bdev> bdev)
    : m_bdev(std::move(bdev)), m_wb_seen(m_bdev->mapping().error_seq()) {
  m_bdev->get();
}

BdevFile::~BdevFile() {
  // The last close of a disk starts writing back what it left dirty (blkdev_put syncs; a
  // close here has no task to wait with, so removal and shutdown wait instead).
  if (m_bdev->users() == 1) m_bdev->mapping().start_writeback(~size_t{0}, -1);
  m_bdev->put();
}

Result<size_t> BdevFile::read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) {
  if (f.flags() & abi::O_DIRECT_) {
    const size_t n = TRY(m_bdev->direct_io(self, false, *pos, buf));
    *pos += n;
    return n;
  }
  auto r = m_bdev->mapping().read(self, *pos, buf, m_ra);
  if (r.has_value()) *pos += r.value();
  return r;
}

// blkdev_write_iter: EPERM on a read-only disk, ENOSPC at or past the end, a short write
// up to it.
Result<size_t> BdevFile::write(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) {
  if (m_bdev->dev().read_only()) return Errno::PERM;
  if (buf.size() == 0) return size_t{0};
  if (*pos >= m_bdev->size()) return Errno::NOSPC;
  size_t n;
  if (f.flags() & abi::O_DIRECT_) {
    n = TRY(m_bdev->direct_io(self, true, *pos, buf));
  } else {
    n = TRY(m_bdev->mapping().write(self, *pos, buf));
    // O_SYNC/O_DSYNC: generic_write_sync.
    if (f.flags() & abi::O_DSYNC_) {
      auto r = m_bdev->mapping().write_and_wait(self, *pos, *pos + n, &m_wb_seen);
      if (r.has_value()) r = m_bdev->flush(self);
      if (!r.has_value()) return r.error();
    }
  }
  *pos += n;
  return n;
}

// blkdev_llseek: fixed_size_llseek over the device's size.
Result<int64_t> BdevFile::llseek(File&, uint64_t cur, int64_t off, int whence) {
  const int64_t size = static_cast<int64_t>(m_bdev->size());
  int64_t base;
  switch (whence) {
    case abi::SEEK_SET_: base = 0; break;
    case abi::SEEK_CUR_: base = static_cast<int64_t>(cur); break;
    case abi::SEEK_END_: base = size; break;
    default: return Errno::INVAL;
  }
  if ((off > 0 && base > INT64_MAX - off)) return Errno::INVAL;
  const int64_t to = base + off;
  if (to < 0 || to > size) return Errno::INVAL;
  return to;
}

Result<void> BdevFile::fsync(File&, Actor& self, bool) {
  // blkdev_fsync: write back and wait, report a writeback error once, then flush the disk.
  TRY(m_bdev->mapping().write_and_wait(self, 0, ~uint64_t{0} - 1, &m_wb_seen));
  return m_bdev->flush(self);
}

// blkdev_fallocate: PUNCH_HOLE (with KEEP_SIZE) zeroes the range through discard; ZERO_RANGE
// writes zeros.
Result<void> BdevFile::fallocate(File&, Actor& self, int mode, int64_t off, int64_t len) {
  constexpr int kKeepSize = 0x01, kPunch = 0x02, kNoHideStale = 0x04, kZero = 0x10;
  if (mode & ~(kKeepSize | kPunch | kNoHideStale | kZero)) return Errno::OPNOTSUPP;
  const uint64_t size = m_bdev->size();
  if (static_cast<uint64_t>(off) >= size) return Errno::INVAL;
  uint64_t n = static_cast<uint64_t>(len);
  if (static_cast<uint64_t>(off) + n > size) {
    if (!(mode & kKeepSize)) return Errno::INVAL;
    n = size - static_cast<uint64_t>(off);
  }
  if ((static_cast<uint64_t>(off) | n) & (m_bdev->dev().logical_block() - 1)) return Errno::INVAL;
  switch (mode) {
    case kZero:
    case kZero | kKeepSize:
      return m_bdev->discard_or_zero(self, static_cast<uint64_t>(off), n, true);
    case kPunch | kKeepSize:
      return m_bdev->discard_or_zero(self, static_cast<uint64_t>(off), n, true);
    case kPunch | kKeepSize | kNoHideStale:
      return m_bdev->discard_or_zero(self, static_cast<uint64_t>(off), n, false);
    default:
      return Errno::OPNOTSUPP;
  }
}

Result<long> BdevFile::ioctl(File& f, Actor& self, unsigned cmd, uintptr_t arg) {
  BlockDevice& dev = m_bdev->dev();
  // The ioctl's argument is guest memory: every access is a guarded copy.
  auto put = [&](const auto& v) -> Result<long> {
    if (!IoBuffer::user(arg, sizeof v).write_from(0, &v, sizeof v)) return Errno::FAULT;
    return 0;
  };
  auto put_int = [&](int v) { return put(v); };
  auto put_u64 = [&](uint64_t v) { return put(v); };
  auto range = [&](uint64_t r[2]) -> Result<void> {
    if (!f.writable()) return Errno::BADF;
    if (!IoBuffer::user(arg, 2 * sizeof(uint64_t)).read_into(0, r, 2 * sizeof(uint64_t))) return Errno::FAULT;
    if ((r[0] & 511) || (r[1] & 511)) return Errno::INVAL;
    if (r[0] + r[1] < r[0] || r[0] + r[1] > m_bdev->size()) return Errno::INVAL;
    return {};
  };
  switch (cmd) {
    case kBLKGETSIZE64: return put_u64(m_bdev->size());
    case kBLKGETSIZE: return put_u64(m_bdev->size() >> 9);
    case kBLKSSZGET: return put_int(static_cast<int>(dev.logical_block()));
    case kBLKBSZGET: return put_int(static_cast<int>(std::max<uint32_t>(dev.logical_block(), 4096)));
    case kBLKPBSZGET: return put_int(static_cast<int>(dev.physical_block()));
    case kBLKIOMIN: return put_int(static_cast<int>(dev.physical_block()));
    case kBLKIOOPT: return put_int(0);
    case kBLKALIGNOFF: return put_int(0);
    case kBLKDISCARDZEROES: return put_int(0);
    case kBLKROGET: return put_int(dev.read_only() ? 1 : 0);
    case kBLKROTATIONAL: return put(uint16_t{0});
    case kBLKSECTGET: return put(static_cast<uint16_t>((1u << 20) >> 9));
    case kBLKRAGET: return put_u64(m_bdev->mapping().readahead_max() * PageCache::kPage / 512);
    case kBLKFLSBUF: {
      // blkdev_flushbuf: CAP_SYS_ADMIN; write back, then drop the clean pages.
      if (!self.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::ACCES;
      TRY(m_bdev->mapping().write_and_wait(self, 0, ~uint64_t{0} - 1, nullptr));
      m_bdev->mapping().invalidate(&self, 0, ~uint64_t{0} - 1, false);
      return 0;
    }
    case kBLKDISCARD:
    case kBLKZEROOUT: {
      uint64_t r[2];
      TRY(range(r));
      if (r[1] == 0) return 0;
      TRY(m_bdev->discard_or_zero(self, r[0], r[1], cmd == kBLKZEROOUT));
      return 0;
    }
    case kBLKROSET: {  // blkdev_roset
      if (!self.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::ACCES;
      int ro;
      if (!IoBuffer::user(arg, sizeof ro).read_into(0, &ro, sizeof ro)) return Errno::FAULT;
      dev.set_read_only(ro != 0);
      return 0;
    }
    case kBLKRASET:  // in 512-byte sectors, as Linux's
      if (!self.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::ACCES;
      m_bdev->mapping().set_readahead_max(static_cast<uint64_t>(arg) * 512 / PageCache::kPage);
      return 0;
    default:
      return Errno::NOTTY;
  }
}

}  // namespace uml::kern
