#include "core/fs/ext4/inode.h"

#include <algorithm>
#include <cstring>

#include "core/base/byteorder.h"
#include "core/block/block_device.h"
#include "core/block/page_io.h"
#include "core/fs/ext4/dir.h"
#include "core/sched/scheduler.h"
#include "core/time/clock.h"

namespace uml::kern::ext4 {

namespace {
constexpr size_t kPage = AddressSpace::kPage;
constexpr uint64_t kCookieBase = 3;  // the VFS's "." and ".." take cookies 0..2
constexpr size_t kInlineBlock = 60;  // i_block
constexpr size_t kInlineDirHeader = 4;  // an inline directory's parent inode number

// Who waits for the disk: the calling task, or a host thread's own waiter.
SchedEntity& self_entity() { return Scheduler::current_or_host(); }

uint64_t decode_rdev(const uint8_t* block) {
  // ext4_iget: old_decode_dev in i_block[0], new_decode_dev in i_block[1].
  const uint32_t old = le32(block), nw = le32(block + 4);
  uint32_t major, minor;
  if (old) {
    major = (old >> 8) & 0xff;
    minor = old & 0xff;
  } else {
    major = (nw & 0xfff00) >> 8;
    minor = (nw & 0xff) | ((nw >> 12) & 0xfff00);
  }
  return abi::makedev_(major, minor);
}

bool fast_symlink(const RawInode& r, uint32_t block_size) {
  // ext4_inode_is_fast_symlink: no data blocks besides an xattr block.
  if (r.flags & RawInode::kInlineDataFl) return false;
  if (r.flags & RawInode::kEaInodeFl) return r.size && r.size < kInlineBlock;
  const uint64_t ea = r.file_acl ? block_size / 512 : 0;
  return r.blocks == ea;
}
}  // namespace

InodeAttr Ext4Inode::attr_of(const Super& s, const RawInode& r) {
  InodeAttr a;
  a.mode = r.mode;
  a.uid = r.uid;
  a.gid = r.gid;
  a.nlink = r.links;
  // dir_nlink: a directory with too many subdirectories counts 1 (ext4_inc_count).
  if ((r.mode & abi::S_IFMT_) == abi::S_IFDIR_ && r.links == 1 && s.has_ro_compat(feat::kRoDirNlink)) a.nlink = 1;
  a.size = r.size;
  const uint32_t type = r.mode & abi::S_IFMT_;
  if (type == abi::S_IFCHR_ || type == abi::S_IFBLK_) a.rdev = decode_rdev(r.block);
  a.atime_ns = r.atime_ns;
  a.mtime_ns = r.mtime_ns;
  a.ctime_ns = r.ctime_ns;
  a.btime_ns = r.crtime_ns;
  return a;
}

Ext4Inode::Ext4Inode(Ext4Fs& fs, const RawInode& raw, std::vector<uint8_t> ibody_xattrs)
    : Inode(fs, raw.ino, attr_of(fs.super(), raw)), m_raw(raw), m_ibody_xattrs(std::move(ibody_xattrs)) {
  m_csum_seed = inode_csum_seed(fs.super(), raw);
  m_fsflags.store(raw.flags & kVfsFlags, std::memory_order_relaxed);
  if (is_reg() || (is_symlink() && !fast_symlink(raw, fs.block_size())))
    m_data = std::make_unique<AddressSpace>(fs.bdev().mapping().cache(), *this, raw.size);
}

Ext4Inode::~Ext4Inode() = default;

Result<uint32_t> Ext4Inode::get_fsflags() { return raw_flags() & kUserVisibleFlags; }

Result<void> Ext4Inode::set_fsflags(Actor& self, uint32_t flags) {
  if (fs().read_only()) return Errno::ROFS;
  if (flags & ~kUserVisibleFlags) return Errno::OPNOTSUPP;
  {
    SpinGuard g(m_map_lock);
    const uint32_t old = m_raw.flags;
    if (((old ^ flags) & kUserVisibleFlags) & ~kVfsFlags) return Errno::OPNOTSUPP;
    m_raw.flags = (old & ~kVfsFlags) | (flags & kVfsFlags);
  }
  m_fsflags.store(flags & kVfsFlags, std::memory_order_relaxed);
  const int64_t now = sb().now();
  {
    SpinGuard g(m_attr_lock);
    m_attr.ctime_ns = now;
    publish_perm(m_attr);
  }
  return write_inode(self);
}

// The last reference (Linux's evict with truncate_inode_pages_final): the pages go now;
// the memory of the inode follows after a grace period.
void Ext4Inode::evict() {
  // The last user of an inode without names: it is deleted now (ext4_evict_inode).
  if (!fs().read_only() && attr().nlink == 0 && !m_released) {
    if (auto r = release(self_entity()); !r)
      fs().error("ext4_evict_inode", ino32(), 0, "deleting failed: %s", errno_name(r.error()));
  }
  fs().forget(this);
  // A writable filesystem's last reference writes the data back first (the flusher would
  // have, later); what cannot be written is lost, and said so.
  if (m_data && !fs().read_only()) {
    if (auto r = write_back(self_entity()); !r)
      fs().error("ext4_evict_inode", ino32(), 0, "writing back failed: %s: data lost", errno_name(r.error()));
  }
  drop_data();
}

void Ext4Inode::drop_data() {
  if (!m_data) return;
  // A wait through the scheduler: on a vCPU (umount, a last close) its loop goes on reaping
  // the completions this waits for, which a host wait there would block.
  m_data->invalidate(&self_entity(), 0, ~uint64_t{0}, /*discard_dirty=*/true);
  m_data.reset();
}

// ---- regular file data ----

Result<size_t> Ext4Inode::read(Actor& self, uint64_t off, const IoBuffer& buf) {
  Readahead ra;
  return read_data(self, ra, off, buf);
}

Result<size_t> Ext4Inode::read_file(Actor& self, FileReadahead& ra, uint64_t off, const IoBuffer& buf) {
  return read_data(self, ra, off, buf);
}

// Ra: a read-ahead state of the caller's own (Readahead) or an open file's (FileReadahead).
template <typename Ra>
Result<size_t> Ext4Inode::read_data(SchedEntity& self, Ra& ra, uint64_t off, const IoBuffer& buf) {
  if (!m_data) return Errno::INVAL;
  if (has_inline()) {
    auto inl = inline_data();
    if (!inl && inl.error() == Errno::AGAIN) return m_data->read(self, off, buf, ra);  // converted meanwhile
    const std::string d = TRY(std::move(inl));
    const uint64_t size = std::min<uint64_t>(attr().size, d.size());
    if (off >= size) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    const size_t k = buf.write_some(0, d.data() + off, n);
    if (k == 0 && n) return Errno::FAULT;
    return k;
  }
  return m_data->read(self, off, buf, ra);
}

void Ext4Inode::read_pages(SchedEntity& self, AddressSpace& m, CachePage* const* pages, size_t n) { page_io(&self, m, pages, n); }
void Ext4Inode::write_pages(AddressSpace& m, CachePage* const* pages, size_t n) { page_io(nullptr, m, pages, n); }

// The blocks of each page through the mapping (writeback's from the extent cache, which
// never waits), one request per run of blocks that follow each other on the disk. A read
// fills holes, unwritten extents and the tail past the end with zeros (and takes a block
// the journal replay holds from it); a write goes to the written blocks inside the file.
void Ext4Inode::page_io(SchedEntity* reader, AddressSpace& m, CachePage* const* pages, size_t n) {
  const bool write = !reader;
  Ext4Fs& fs = this->fs();
  const uint32_t bs = fs.block_size();
  const uint32_t per_page = static_cast<uint32_t>(kPage / bs);
  const uint64_t size = m.size();
  auto batch = std::make_unique<PageIoBatch>(m, write, pages, n);
  for (size_t i = 0; i < n; ++i) {
    CachePage* p = pages[i];
    const uint64_t page_off = p->index * kPage;
    for (uint32_t k = 0; k < per_page; ++k) {
      const uint64_t at = page_off + uint64_t{k} * bs;
      char* data = p->data + k * bs;
      if (at >= size || at / bs > 0xFFFFFFFFull) continue;  // past the end (a read zeroes it)
      const uint32_t lblk = static_cast<uint32_t>(at / bs);
      auto run = write ? map_for_writeback(lblk) : map(*reader, lblk);
      if (!run) {
        batch->fail(i, -to_int(run.error() == kCorrupted ? Errno::IO : run.error()));
        if (!write) memset(data, 0, bs);
        continue;
      }
      const BlockRun r = run.value();
      if (!r.pblk || r.unwritten) {
        // A read gives zeros. A write has nothing to do: write() gives every block it
        // dirties a written block first, so a page's hole was never written (it is the
        // part past an earlier end of the file).
        if (!write) memset(data, 0, bs);
        continue;
      }
      if (const uint8_t* j = write ? nullptr : fs.replayed(r.pblk)) {  // a block the journal replay holds
        memcpy(data, j, bs);
        continue;
      }
      batch->add(i, r.pblk * bs, data, bs);
    }
  }
  PageIoBatch::submit(std::move(batch), fs.bdev().dev());
}

// ---- writing ----

uint64_t Ext4Inode::max_file_bytes() const {
  const Super& s = fs().super();
  const uint64_t bs = s.block_size;
  if (m_raw.has_extents()) return ((uint64_t{1} << 32) - 1) * bs;
  const uint64_t per = bs / 4;
  const uint64_t bytes = (12 + per + per * per + per * per * per) * bs;
  // i_blocks counts 512-byte sectors in 32 bits without huge_file.
  return s.has_ro_compat(feat::kRoHugeFile) ? bytes : std::min(bytes, ((uint64_t{1} << 32) - 1) * 512);
}

// ext4_buffered_write_iter with allocation at write time (as with nodelalloc): holes in
// the range get blocks, unwritten extents become written (both read as zeros until the
// data is in), then the pages take the data and the size and times change (ext4_write_end,
// file_update_time).
// The VFS holds the rwsem. Block-mapped (ext2/3) files take blocks the same way; their map
// is rewritten from the extent list.
Result<size_t> Ext4Inode::write(Actor& self, uint64_t off, const IoBuffer& buf) {
  if (fs().read_only()) return Errno::ROFS;
  if (buf.size() == 0) return size_t{0};
  if (!m_data || !is_reg()) return Errno::INVAL;
  TRY(uninline(self));
  const uint32_t bs = fs().block_size();
  const uint64_t max_bytes = max_file_bytes();
  if (off >= max_bytes) return Errno::FBIG;
  const uint64_t want_end = std::min<uint64_t>(off + buf.size(), max_bytes);
  uint64_t end;
  std::vector<Extent> unzeroed;
  {
    MutexGuard t(m_tree_lock, self);
    TRY(load_extents(self));
    const uint64_t reached = TRY(allocate(self, off, want_end, &unzeroed));
    end = std::min(want_end, reached * bs);
  }
  if (end <= off) return Errno::NOSPC;
  const uint64_t old_size = m_data->size();
  if (end > old_size) m_data->set_size(end);
  auto n = m_data->write(self, off, buf.sub(0, static_cast<size_t>(end - off)));
  const uint64_t copied = n ? n.value() : 0;
  Result<void> zeroed;
  if (copied < end - off) {
    // Cut short (a fault in the caller's buffer): the new blocks from the one the copy
    // stopped in read as zeros, not as what the disk held (a page the copy did fill is
    // written back over them).
    const uint64_t from = (off + copied) / bs;
    for (const Extent& e : unzeroed) {
      const uint64_t lo = std::max<uint64_t>(e.lblk, from);
      if (lo < uint64_t{e.lblk} + e.len && zeroed) zeroed = zero_blocks(self, e.pblk + (lo - e.lblk), e.lblk + e.len - lo);
    }
  }
  settle_fresh(static_cast<uint32_t>(off / bs), (end + bs - 1) / bs);
  if (!zeroed) return zeroed.error();
  const uint64_t new_size = std::max(old_size, n ? off + n.value() : 0);
  if (new_size != end) m_data->set_size(new_size);
  if (!n) return n;
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) {
    a.size = new_size;
    a.mtime_ns = a.ctime_ns = now;
  });
  return n;
}

// ext4_setattr's size change. Growing only moves the size (the file reads zeros up to it);
// shrinking zeroes the rest of the last block, drops the pages past the end and frees the
// blocks past it (ext4_truncate). FBIG past the largest size the mapping reaches.
Result<void> Ext4Inode::truncate(Actor& self, uint64_t size) {
  if (fs().read_only()) return Errno::ROFS;
  if (!m_data || !is_reg()) return Errno::INVAL;
  if (size != attr().size) TRY(uninline(self));
  if (size > max_file_bytes()) return Errno::FBIG;
  const uint64_t old_size = attr().size;
  const int64_t now = sb().now();
  if (size < old_size) {
    const uint32_t bs = fs().block_size();
    MutexGuard t(m_tree_lock, self);
    TRY(load_extents(self));
    // The rest of the new last block reads as zeros from now on, also on the disk.
    if (size % bs) {
      const BlockRun r = TRY(map(self, static_cast<uint32_t>(size / bs)));
      if (r.pblk && !r.unwritten) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(bs - size % bs, old_size - size));
        std::vector<char> zeros(n, 0);
        TRY(m_data->write(self, size, IoBuffer::kernel(zeros.data(), n)));
      }
    }
    // Pages past the end go unwritten; the one holding the end is written and dropped, so
    // that no stale byte past the end stays cached.
    const uint64_t page = size / kPage * kPage;
    const uint64_t next = page + kPage;
    m_data->invalidate(&self, next, ~uint64_t{0}, /*discard_dirty=*/true);
    TRY(m_data->write_and_wait(self, page, ~uint64_t{0} - 1, nullptr));
    m_data->invalidate(&self, page, next, false);
    m_data->set_size(size);
    update_attr([&](InodeAttr& a) {
      a.size = size;
      a.mtime_ns = a.ctime_ns = now;
    });
    TRY(free_from(self, static_cast<uint32_t>((size + bs - 1) / bs)));
    return {};
  }
  if (size > old_size) m_data->set_size(size);
  update_attr([&](InodeAttr& a) {
    a.size = size;
    a.mtime_ns = a.ctime_ns = now;
  });
  return {};
}

// ext4_fallocate: preallocation (unwritten extents, the size moved unless KEEP_SIZE),
// PUNCH_HOLE (the range reads as zeros; its whole blocks are freed), ZERO_RANGE (the same,
// then the range preallocated), COLLAPSE_RANGE and INSERT_RANGE (the blocks after the range
// move down or up, and the size with them). The VFS checked the mode's shape and holds the
// rwsem; UNSHARE_RANGE is not ext4's (EOPNOTSUPP, as on Linux).
Result<void> Ext4Inode::fallocate(Actor& self, int mode, uint64_t off, uint64_t len) {
  if (fs().read_only()) return Errno::ROFS;
  if (!m_data || !is_reg()) return Errno::NODEV;
  constexpr int kKeepSize = 0x01, kPunch = 0x02, kCollapse = 0x08, kZero = 0x10, kInsert = 0x20;
  if (mode & ~(kKeepSize | kPunch | kCollapse | kZero | kInsert)) return Errno::OPNOTSUPP;
  TRY(uninline(self));
  // Everything but hole punching needs extents (unwritten ones, or extents to move).
  if (!m_raw.has_extents() && !(mode & kPunch)) return Errno::OPNOTSUPP;
  const uint32_t bs = fs().block_size();
  const uint64_t max_bytes = max_file_bytes();
  if (off >= max_bytes || len > max_bytes - off) return Errno::FBIG;
  const uint64_t end = off + len;
  const int64_t now = sb().now();
  if (mode & (kCollapse | kInsert)) return shift_range(self, (mode & kCollapse) != 0, off, len);
  const uint64_t size = attr().size;
  if (mode & kPunch) {
    if (off >= size) return {};
    TRY(clear_range(self, off, std::min(end, size)));
    update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
    return {};
  }
  if (mode & kZero) TRY(clear_range(self, off, end));
  uint64_t reached;
  {
    MutexGuard t(m_tree_lock, self);
    TRY(load_extents(self));
    reached = TRY(preallocate(self, static_cast<uint32_t>(off / bs), (end + bs - 1) / bs));
  }
  const bool short_of = reached * bs < end;
  if (!(mode & kKeepSize) && !short_of && end > size) {
    m_data->set_size(end);
    update_attr([&](InodeAttr& a) {
      a.size = end;
      a.ctime_ns = now;
      if (mode & kZero) a.mtime_ns = now;
    });
  } else {
    update_attr([&](InodeAttr& a) {
      a.ctime_ns = now;
      if (mode & kZero) a.mtime_ns = now;
    });
  }
  if (short_of) return Errno::NOSPC;
  return {};
}

Result<void> Ext4Inode::clear_range(SchedEntity& self, uint64_t off, uint64_t stop) {
  const uint32_t bs = fs().block_size();
  // The partial blocks at either edge are zeroed through the cache (where they hold data);
  // pages wholly inside go; the whole blocks inside are freed.
  const uint64_t first_full = (off + bs - 1) / bs, last_full = stop / bs;  // [first_full, last_full)
  auto zero = [&](uint64_t from, uint64_t to) -> Result<void> {
    if (from >= to) return {};
    const BlockRun r = TRY(map(self, static_cast<uint32_t>(from / bs)));
    if (!r.pblk || r.unwritten) return {};
    std::vector<char> zeros(static_cast<size_t>(to - from), 0);
    TRY(m_data->write(self, from, IoBuffer::kernel(zeros.data(), zeros.size())));
    return {};
  };
  if (first_full > last_full) return zero(off, stop);  // inside one block
  TRY(zero(off, first_full * bs));
  TRY(zero(last_full * bs, stop));
  if (last_full == first_full) return {};
  // Pages wholly inside the hole go unwritten; the edge pages stay (they hold data the
  // hole does not cover, and the zeros just written).
  const uint64_t page_lo = (first_full * bs + kPage - 1) / kPage * kPage, page_hi = last_full * bs / kPage * kPage;
  if (page_hi > page_lo) {
    m_data->invalidate(&self, page_lo, page_hi, /*discard_dirty=*/true);
    TRY(m_data->write_and_wait(self, page_lo, page_hi, nullptr));
  }
  // Edge pages may cover blocks being freed (blocks smaller than pages): written first.
  TRY(m_data->write_and_wait(self, first_full * bs / kPage * kPage, (last_full * bs + kPage - 1) / kPage * kPage, nullptr));
  m_data->invalidate(&self, first_full * bs / kPage * kPage, (last_full * bs + kPage - 1) / kPage * kPage, false);
  MutexGuard t(m_tree_lock, self);
  TRY(load_extents(self));
  return free_range(self, static_cast<uint32_t>(first_full), last_full);
}

// ext4_collapse_range and ext4_insert_range: block-aligned; the pages from off on are
// written and dropped, then the extents after off move by len's blocks.
Result<void> Ext4Inode::shift_range(SchedEntity& self, bool collapse, uint64_t off, uint64_t len) {
  const uint32_t bs = fs().block_size();
  if (off % bs || len % bs) return Errno::INVAL;
  const uint64_t size = attr().size;
  if (collapse ? off + len >= size : off >= size) return Errno::INVAL;
  if (!collapse && len > max_file_bytes() - size) return Errno::FBIG;
  const uint64_t from_page = off / kPage * kPage;
  TRY(m_data->write_and_wait(self, from_page, ~uint64_t{0} - 1, nullptr));
  m_data->invalidate(&self, from_page, ~uint64_t{0} - 1, /*discard_dirty=*/false);
  const uint64_t first = off / bs, n = len / bs;
  {
    MutexGuard t(m_tree_lock, self);
    TRY(load_extents(self));
    if (collapse) TRY(free_range(self, static_cast<uint32_t>(first), first + n));
    std::vector<Extent> ex;
    {
      SpinGuard g(m_map_lock);
      ex = m_ext;
    }
    std::vector<Extent> moved;
    for (const Extent& e : ex) {
      const uint64_t lo = e.lblk, hi = lo + e.len;
      if (hi <= first) {
        moved.push_back(e);
        continue;
      }
      if (!collapse && hi + n > (uint64_t{1} << 32)) return Errno::FBIG;  // nothing changed yet
      if (lo < first) {  // insert: the extent over off splits there (collapse freed it there)
        moved.push_back(Extent{e.lblk, static_cast<uint32_t>(first - lo), e.unwritten, e.pblk});
        moved.push_back(Extent{static_cast<uint32_t>(first + n), static_cast<uint32_t>(hi - first), e.unwritten,
                               e.pblk + (first - lo)});
        continue;
      }
      Extent m = e;
      m.lblk = static_cast<uint32_t>(collapse ? lo - n : lo + n);
      moved.push_back(m);
    }
    TRY(store_extents(self, std::move(moved)));
  }
  const uint64_t new_size = collapse ? size - len : size + len;
  m_data->set_size(new_size);
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) {
    a.size = new_size;
    a.mtime_ns = a.ctime_ns = now;
  });
  return {};
}

void Ext4Inode::dirtied() {
  if (fs().read_only()) return;
  if (auto r = write_inode(self_entity()); !r)
    fs().error("ext4_mark_inode_dirty", ino32(), 0, "cannot store the inode: %s", errno_name(r.error()));
}

Result<void> Ext4Inode::write_inode(SchedEntity& self) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  InodeSlot slot;
  if (!inode_slot(s, ino32(), &slot).empty()) return kCorrupted;
  const uint64_t blk = fs.m_groups[slot.group].inode_table + slot.offset / s.block_size;
  const uint64_t at = blk * s.block_size + slot.offset % s.block_size;
  MutexGuard g(m_inode_lock, self);
  std::vector<uint8_t> raw(s.inode_size);
  {
    MetaBlock b = TRY(fs.read_block(self, blk));
    memcpy(raw.data(), b.data() + slot.offset % s.block_size, s.inode_size);
  }
  const InodeAttr a = attr();
  InodeFields f;
  f.mode = a.mode;
  f.uid = a.uid;
  f.gid = a.gid;
  // dir_nlink: a directory past EXT4_LINK_MAX links counts 1 (ext4_inc_count).
  f.links = is_dir() && a.nlink >= kLinkMax ? 1 : a.nlink;
  f.size = a.size;
  f.atime_ns = a.atime_ns;
  f.mtime_ns = a.mtime_ns;
  f.ctime_ns = a.ctime_ns;
  {
    SpinGuard m(m_map_lock);
    f.flags = m_raw.flags;
    f.dtime = static_cast<uint32_t>(m_raw.dtime);
    f.file_acl = m_raw.file_acl;
    f.blocks = m_raw.blocks;
    memcpy(f.block, m_raw.block, sizeof f.block);
    // The in-inode xattrs, after the extra fields (as read, or as setxattr left them).
    const size_t start = 128 + size_t{m_raw.extra_isize};
    if (!m_ibody_xattrs.empty() && start + m_ibody_xattrs.size() == raw.size())
      memcpy(raw.data() + start, m_ibody_xattrs.data(), m_ibody_xattrs.size());
  }
  encode_inode(s, ino32(), f, raw.data());
  return fs.write_meta(self, at, raw.data(), raw.size());
}

Result<void> Ext4Inode::write_back(SchedEntity& self) {
  if (!m_data) return {};
  return m_data->write_and_wait(self, 0, ~uint64_t{0} - 1, nullptr);
}

// ext4_sync_file without a journal: the data, then the inode's table block, then the disk's
// cache flushed (the same for fdatasync: the inode holds the size).
Result<void> Ext4Inode::fsync(Actor& self, bool datasync, uint32_t* seen) {
  (void)datasync;
  if (fs().read_only()) return {};
  Result<void> res;
  if (m_data) res = m_data->write_and_wait(self, 0, ~uint64_t{0} - 1, seen);
  const Super& s = fs().super();
  InodeSlot slot;
  if (inode_slot(s, ino32(), &slot).empty()) {
    const uint64_t at = (fs().m_groups[slot.group].inode_table + slot.offset / s.block_size) * s.block_size;
    auto r = fs().bdev().mapping().write_and_wait(self, at, at + s.block_size, nullptr);
    if (!r && res) res = r;
  }
  auto r = fs().bdev().flush(self);
  if (!r && res) res = r;
  return res;
}

Result<uint64_t> Ext4Inode::seek_data(Actor& self, uint64_t off, bool hole) {
  const uint64_t size = attr().size;
  const uint32_t bs = fs().block_size();
  if (has_inline() || !m_data) return hole ? size : off;
  uint64_t pos = off;
  while (pos < size) {
    const uint64_t lblk = pos / bs;
    if (lblk > 0xFFFFFFFFull) break;
    const BlockRun r = TRY(map(self, static_cast<uint32_t>(lblk)));
    const bool data = r.pblk && !r.unwritten;
    if (data != hole) return std::max(pos, off);
    pos = (lblk + std::max<uint32_t>(r.len, 1)) * bs;
  }
  if (hole) return size;
  return Errno::NXIO;
}

// ---- symlinks ----

Result<std::string> Ext4Inode::readlink(Actor& self) {
  if (!is_symlink()) return Errno::INVAL;
  const uint64_t size = attr().size;
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  if (size == 0 || size >= 4096) {
    fs().error("ext4_get_link", ino, 0, "bad symlink size %llu", static_cast<unsigned long long>(size));
    return kCorrupted;
  }
  if (has_inline()) {
    std::string d = TRY(inline_data());
    if (d.size() < size) {
      fs().error("ext4_get_link", ino, 0, "inline symlink shorter than its size");
      return kCorrupted;
    }
    d.resize(size);
    return d;
  }
  if (!m_data) {
    if (size >= kInlineBlock) {
      fs().error("ext4_get_link", ino, 0, "fast symlink too long");
      return kCorrupted;
    }
    return std::string(reinterpret_cast<const char*>(m_raw.block), strnlen(reinterpret_cast<const char*>(m_raw.block), size));
  }
  const BlockRun r = TRY(map(self, 0));
  if (!r.pblk) {
    fs().error("ext4_get_link", ino, 0, "symlink has no data block");
    return kCorrupted;
  }
  MetaBlock b = TRY(fs().read_block(self, r.pblk));
  const char* p = reinterpret_cast<const char*>(b.data());
  return std::string(p, strnlen(p, size));
}

// ---- extended attributes and inline data ----

std::vector<uint8_t> Ext4Inode::ibody_area() const {
  SpinGuard g(m_map_lock);
  return m_ibody_xattrs;
}

Result<void> Ext4Inode::ibody_xattrs(const char* func, const std::vector<uint8_t>& area, std::vector<XattrEntry>* out) {
  if (area.empty()) return {};
  std::string bad = decode_inode_xattrs(area.data(), area.size(), out);
  if (!bad.empty()) {
    fs().error(func, static_cast<uint32_t>(m_ino), 0, "%s", bad.c_str());
    return kCorrupted;
  }
  return {};
}

Result<std::vector<XattrEntry>> Ext4Inode::xattrs(SchedEntity& self, XattrHold* hold) {
  std::vector<XattrEntry> out;
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  uint64_t blk;
  {
    SpinGuard g(m_map_lock);
    hold->ibody = m_ibody_xattrs;
    blk = m_raw.file_acl;
  }
  TRY(ibody_xattrs("ext4_xattr_ibody_get", hold->ibody, &out));
  if (blk) {
    if (!fs().valid_blocks(blk, 1)) {
      fs().error("ext4_xattr_block_get", ino, blk, "xattr block out of range");
      return kCorrupted;
    }
    hold->block = TRY(fs().read_block(self, blk));
    std::string bad = decode_block_xattrs(fs().super(), blk, hold->block.data(), &out);
    if (!bad.empty()) {
      fs().error("ext4_xattr_block_get", ino, blk, "corrupted xattr block: %s", bad.c_str());
      return kCorrupted;
    }
  }
  return out;
}

Result<std::string> Ext4Inode::xattr_value(SchedEntity& self, const XattrEntry& e) {
  if (!e.value_inum) return std::string(e.value);
  // ea_inode: the value is the data of another inode.
  if (!fs().super().has_incompat(feat::kInEaInode)) {
    fs().error("ext4_xattr_inode_get", static_cast<uint32_t>(m_ino), 0, "xattr value in an inode without ea_inode");
    return kCorrupted;
  }
  auto vi = fs().iget(self, e.value_inum);
  if (!vi || !(vi.value()->raw().flags & RawInode::kEaInodeFl) || !vi.value()->is_reg() ||
      vi.value()->attr().size != e.value_size) {
    fs().error("ext4_xattr_inode_get", static_cast<uint32_t>(m_ino), 0, "bad xattr value inode %u", e.value_inum);
    return kCorrupted;
  }
  std::string v(e.value_size, '\0');
  Readahead ra;
  size_t got = 0;
  while (got < v.size()) {
    const size_t k = TRY(vi.value()->read_data(self, ra, got, IoBuffer::kernel(v.data() + got, v.size() - got)));
    if (k == 0) break;
    got += k;
  }
  if (got != v.size()) return Errno::IO;
  return v;
}

Result<std::string> Ext4Inode::getxattr(Actor& self, std::string_view name) {
  XattrHold hold;
  const std::vector<XattrEntry> all = TRY(xattrs(self, &hold));
  for (const XattrEntry& e : all) {
    if (e.name != name) continue;
    // system.data is inline data's, not an attribute users see.
    if (name == "system.data") break;
    std::string v = TRY(xattr_value(self, e));
    if (e.index == 2 || e.index == 3) {
      std::string conv;
      std::string bad = acl_to_xattr(v, &conv);
      PosixAcl valid;
      // One posix_acl_valid would refuse is taken as corrupted (Linux evaluates it as stored).
      if (bad.empty()) bad = parse_posix_acl(conv, &valid);
      if (!bad.empty()) {
        fs().error("ext4_get_acl", static_cast<uint32_t>(m_ino), 0, "%s", bad.c_str());
        return kCorrupted;
      }
      return conv;
    }
    return v;
  }
  return Errno::NODATA;
}

Result<std::vector<std::string>> Ext4Inode::listxattr(Actor& self) {
  XattrHold hold;
  const std::vector<XattrEntry> all = TRY(xattrs(self, &hold));
  std::vector<std::string> names;
  for (const XattrEntry& e : all)
    if (e.name != "system.data") names.push_back(e.name);
  return names;
}

Result<std::string> Ext4Inode::inline_data() {
  std::string d(kInlineBlock, '\0');
  {
    SpinGuard g(m_map_lock);  // uninline may be converting it
    if (!(m_raw.flags & RawInode::kInlineDataFl)) return Errno::AGAIN;
    memcpy(d.data(), m_raw.block, kInlineBlock);
  }
  std::vector<XattrEntry> all;  // system.data is always in the inode
  const std::vector<uint8_t> area = ibody_area();
  TRY(ibody_xattrs("ext4_read_inline_data", area, &all));
  for (const XattrEntry& e : all)
    if (e.index == 7 && e.name == "system.data") d.append(e.value);
  return d;
}

// ext4_convert_inline_data: the inline data moves to a block of the inode's own (a
// directory's records behind a real "." and ".."), system.data leaves the inode's xattr
// area, and the inode maps blocks from then on. Every change of inline data goes this
// way: Linux keeps small writes inline, and a converted inode is as valid.
Result<void> Ext4Inode::uninline(SchedEntity& self) {
  if (!has_inline()) return {};
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  if (fs.read_only()) return Errno::ROFS;
  if (!is_reg() && !is_dir()) return fs.unsupported("ext4_convert_inline_data", ino32(), "changing an inline symlink");
  const std::string d = TRY(inline_data());
  std::vector<uint8_t> dir_block;
  if (is_dir()) {
    // The parent's number, then records in i_block's last 56 bytes and in system.data.
    if (d.size() < kInlineBlock) return kCorrupted;
    dir_block.assign(bs, 0);
    const uint32_t tail = s.metadata_csum() ? kDirTailSize : 0;
    struct Rec {
      uint32_t ino;
      std::string name;
      uint8_t type;
    };
    std::vector<Rec> recs;
    Super plain = s;
    plain.ro_compat &= ~feat::kRoMetadataCsum;  // inline records have no tail
    for (auto [from, len] : {std::pair<size_t, size_t>{kInlineDirHeader, kInlineBlock - kInlineDirHeader},
                             std::pair<size_t, size_t>{kInlineBlock, d.size() - kInlineBlock}}) {
      if (len == 0) continue;
      uint32_t bad_off = 0;
      const std::string why = walk_dir_block(plain, reinterpret_cast<const uint8_t*>(d.data()) + from,
                                             static_cast<uint32_t>(len), [&](uint32_t, const DirRecord& r) {
                                               if (r.ino) recs.push_back(Rec{r.ino, std::string(r.name), r.file_type});
                                               return true;
                                             }, &bad_off);
      if (!why.empty()) {
        fs.error("ext4_convert_inline_data", ino32(), 0, "bad entry in inline directory: %s - offset=%u", why.c_str(), bad_off);
        return kCorrupted;
      }
    }
    uint32_t off = 0;
    auto put = [&](uint32_t ino, std::string_view name, uint8_t type, bool last) {
      const uint32_t len = last ? bs - tail - off : dir_rec_len(static_cast<uint32_t>(name.size()));
      put_dir_record(dir_block.data() + off, ino, static_cast<uint16_t>(len), name, type);
      off += len;
    };
    const uint8_t dir_type = s.has_incompat(feat::kInFiletype) ? ft_of_mode(abi::S_IFDIR_) : 0;
    put(ino32(), ".", dir_type, false);
    put(le32(reinterpret_cast<const uint8_t*>(d.data())), "..", dir_type, recs.empty());
    for (size_t i = 0; i < recs.size(); ++i) put(recs[i].ino, recs[i].name, recs[i].type, i + 1 == recs.size());
    if (tail) put_dir_tail(dir_block.data(), bs);
  }
  // The xattr area without system.data, checked now: after the flip nothing may fail.
  MutexGuard xg(fs.m_xattr_lock, self);
  std::vector<uint8_t> area = ibody_area();
  {
    std::vector<XattrItem> items;
    if (std::string bad = xattr_items_of_inode(area.data(), area.size(), &items); !bad.empty()) {
      fs.error("ext4_destroy_inline_data", ino32(), 0, "%s", bad.c_str());
      return kCorrupted;
    }
    std::erase_if(items, [](const XattrItem& x) { return x.index == 7 && x.suffix == "data"; });
    if (!area.empty() && !encode_inode_xattrs(items, area.data(), area.size())) return kCorrupted;
  }
  // The block goes to the disk first, as ext4_convert_inline_data_nolock writes it before
  // the inode changes: until the flip below, readers see the inline copy, and after it the
  // block (through the disk's cache, written through: a file's pages are not cached, reads
  // of inline data bypass them). A directory keeps its inline size (never 0) across the
  // flip, so a lookup or readdir finds its one block at once.
  const uint64_t size = attr().size;
  const std::string data = is_reg() ? d.substr(0, static_cast<size_t>(std::min<uint64_t>(size, d.size()))) : std::string();
  uint64_t pblk = 0;
  if (!data.empty() || is_dir()) {
    uint32_t got = 0;
    pblk = TRY(fs.alloc_blocks(self, s.group_first_block(static_cast<uint32_t>((m_ino - 1) / s.inodes_per_group)), 1, &got));
    std::vector<uint8_t> b(bs, 0);
    if (is_dir()) {
      b = std::move(dir_block);
      if (s.metadata_csum()) put_le32(b.data() + bs - 4, dir_block_csum(m_csum_seed, b.data(), bs));
    } else {
      memcpy(b.data(), data.data(), data.size());
    }
    auto w = fs.write_meta(self, pblk * bs, b.data(), bs);
    if (w) w = fs.bdev().mapping().write_and_wait(self, pblk * bs, (pblk + 1) * bs, nullptr);
    if (!w) {
      (void)fs.free_blocks(self, pblk, 1);
      return w;
    }
  }
  {
    MutexGuard t(m_tree_lock, self);
    SpinGuard g(m_map_lock);
    m_raw.flags &= ~RawInode::kInlineDataFl;
    memset(m_raw.block, 0, sizeof m_raw.block);
    if (s.has_incompat(feat::kInExtents)) {  // a root holding the block, if any
      m_raw.flags |= RawInode::kExtentsFl;
      const Extent first{0, 1, false, pblk};
      encode_extent_root(m_raw.block, &first, pblk ? 1 : 0);
    } else {
      put_le32(m_raw.block, static_cast<uint32_t>(pblk));
    }
    m_raw.blocks = pblk ? bs / 512 : 0;
    m_ibody_xattrs = std::move(area);  // system.data goes with the flag
    m_ext.clear();
    m_ext_loaded = false;
    m_tree_blocks.clear();
    m_tree_images.clear();
    m_cached_valid = false;
  }
  if (is_dir()) update_attr([&](InodeAttr& a) { a.size = bs; });
  return write_inode(self);
}

// ---- directories ----

uint64_t Ext4Inode::dir_blocks() const {
  const uint32_t bs = fs().block_size();
  return (attr().size + bs - 1) / bs;
}

Result<void> Ext4Inode::check_dir_block(const uint8_t* b, uint32_t lblk) {
  const Super& s = fs().super();
  if (!s.metadata_csum()) return {};
  uint32_t csum;
  if (!dir_tail(b, s.block_size, &csum)) {
    // An htree interior block carries its checksum elsewhere (dx_tail): checked on use.
    if (le32(b) == 0 && le16(b + 4) == s.block_size) return {};
    if (lblk == 0 && (raw_flags() & RawInode::kIndexFl)) return {};
    fs().error("ext4_dirblock_csum_verify", static_cast<uint32_t>(m_ino), 0, "no space in directory block %u for a checksum", lblk);
    return Errno::BADMSG;
  }
  if (dir_block_csum(m_csum_seed, b, s.block_size) != csum) {
    fs().error("ext4_dirblock_csum_verify", static_cast<uint32_t>(m_ino), 0, "directory block %u checksum mismatch", lblk);
    return Errno::BADMSG;
  }
  return {};
}

Result<MetaBlock> Ext4Inode::dir_block(SchedEntity& self, uint32_t lblk, bool hole_ok) {
  const BlockRun r = TRY(map(self, lblk));
  if (!r.pblk || r.unwritten) {
    if (hole_ok) return MetaBlock();
    // ext4_read_dirblock: a hole where the index expects a block.
    fs().error("__ext4_read_dirblock", static_cast<uint32_t>(m_ino), 0, "directory hole found for block %u", lblk);
    return kCorrupted;
  }
  MetaBlock b = TRY(fs().read_block(self, r.pblk));
  TRY(check_dir_block(b.data(), lblk));
  return b;
}

template <typename F>
Result<uint64_t> Ext4Inode::walk_dir(SchedEntity& self, uint64_t from, F&& emit, bool strict) {
  const Super& s = fs().super();
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  Result<std::string> inl = has_inline() ? inline_data() : Result<std::string>(Errno::AGAIN);
  if (!inl && inl.error() != Errno::AGAIN) return inl.error();
  if (inl) {  // (AGAIN: not inline, or converted since the flag was seen)
    // An inline directory: the parent's number, then records in i_block's remaining 56
    // bytes, then in system.data's value. Offsets count from the first record.
    const std::string& d = inl.value();
    const uint32_t area1 = kInlineBlock - kInlineDirHeader;
    const uint32_t total = static_cast<uint32_t>(d.size() - kInlineDirHeader);
    for (uint32_t base : {0u, area1}) {
      const uint32_t len = base == 0 ? area1 : total - area1;
      if (len == 0 || from >= base + len) continue;
      const auto* b = reinterpret_cast<const uint8_t*>(d.data()) + kInlineDirHeader + base;
      bool go = true;
      uint32_t bad_off = 0;
      Super plain = s;
      plain.ro_compat &= ~feat::kRoMetadataCsum;  // inline records have no tail
      std::string why = walk_dir_block(plain, b, len, [&](uint32_t off, const DirRecord& r) {
        if (base + off < from) return true;
        go = emit(base + off, base + off + r.rec_len, r);
        return go;
      }, &bad_off);
      if (!why.empty()) {
        fs().error("ext4_read_inline_dir", ino, 0, "bad entry in inline directory: %s - offset=%u", why.c_str(), bad_off);
        return kCorrupted;
      }
      if (!go) return from;  // the caller keeps its own position
    }
    return uint64_t{total};
  }
  const uint32_t bs = s.block_size;
  const uint64_t nblocks = dir_blocks();
  for (uint64_t lblk = from / bs; lblk < nblocks; ++lblk) {
    // A hole is skipped whole, silently. A bad block is logged, and then skipped by
    // ext4_readdir, but ends a strict walk (a lookup, or the emptiness check) with its error.
    const BlockRun run = TRY(map(self, static_cast<uint32_t>(lblk)));
    if (!run.pblk || run.unwritten) {
      lblk += std::max<uint32_t>(run.len, 1) - 1;
      continue;
    }
    MetaBlock b = TRY(fs().read_block(self, run.pblk));
    if (auto ok = check_dir_block(b.data(), static_cast<uint32_t>(lblk)); !ok) {
      if (strict) return ok.error();
      continue;
    }
    bool go = true;
    uint32_t bad_off = 0;
    const uint64_t base = lblk * bs;
    std::string why = walk_dir_block(s, b.data(), bs, [&](uint32_t off, const DirRecord& r) {
      if (base + off < from) return true;
      go = emit(base + off, base + off + r.rec_len, r);
      return go;
    }, &bad_off);
    if (!why.empty()) {
      fs().error("__ext4_check_dir_entry", ino, 0,
                 "bad entry in directory: %s - offset=%llu", why.c_str(), static_cast<unsigned long long>(base + bad_off));
      if (strict) return kCorrupted;
      continue;
    }
    if (!go) return from;
  }
  return nblocks * bs;
}

Result<uint64_t> Ext4Inode::iterate(Actor& self, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) {
  const uint64_t from = cookie < kCookieBase ? 0 : cookie - kCookieBase;
  uint64_t pos = from;
  bool stopped = false;
  const uint64_t end = TRY(walk_dir(self, from, [&](uint64_t, uint64_t next, const DirRecord& r) {
    if (r.ino && r.name != "." && r.name != "..") {
      const DirEntry e{r.name, r.ino, ft_to_dt(r.file_type), next + kCookieBase};
      if (!emit(e)) {
        stopped = true;
        return false;
      }
    }
    pos = next;
    return true;
  }));
  return (stopped ? pos : end) + kCookieBase;
}

bool Ext4Inode::empty_dir(Actor& self) {
  bool empty = true;
  auto r = walk_dir(self, 0, [&](uint64_t, uint64_t, const DirRecord& rec) {
    if (rec.ino && rec.name != "." && rec.name != "..") empty = false;
    return empty;
  }, /*strict=*/true);
  return r && empty;
}

Result<uint32_t> Ext4Inode::find_in_block(const uint8_t* b, uint32_t size, std::string_view name, uint32_t lblk) {
  uint32_t found = 0, bad_off = 0;
  std::string why = walk_dir_block(fs().super(), b, size, [&](uint32_t, const DirRecord& r) {
    if (r.ino && r.name == name) {
      found = r.ino;
      return false;
    }
    return true;
  }, &bad_off);
  if (!found && !why.empty()) {
    fs().error("ext4_search_dir", static_cast<uint32_t>(m_ino), 0, "bad entry in directory block %u: %s - offset=%u",
               lblk, why.c_str(), bad_off);
    return kCorrupted;
  }
  if (!found) return Errno::NOENT;
  return found;
}

Result<uint32_t> Ext4Inode::find_linear(SchedEntity& self, std::string_view name) {
  uint32_t found = 0;
  TRY(walk_dir(self, 0, [&](uint64_t, uint64_t, const DirRecord& r) {
    if (r.ino && r.name == name) {
      found = r.ino;
      return false;
    }
    return true;
  }, /*strict=*/true));
  if (!found) return Errno::NOENT;
  return found;
}

Result<uint32_t> Ext4Inode::find_htree(SchedEntity& self, std::string_view name) {
  const Super& s = fs().super();
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  const uint32_t bs = s.block_size;
  // A block that cannot be read or fails its checksum is the lookup's error (dx_probe's
  // ext4_read_dirblock); a malformed index falls back to a linear search (ERR_BAD_DX_DIR).
  MetaBlock rootb = TRY(dir_block(self, 0));
  DxNode node;
  std::string why = decode_dx_root(s, m_csum_seed, rootb.data(), bs, &node);
  if (!why.empty()) {
    fs().error("dx_probe", ino, 0, "%s", why.c_str());
    return Errno::INVAL;
  }
  uint32_t hash, minor;
  if (!dir_hash(effective_hash_version(s, node.hash_version), s.hash_seed, name, &hash, &minor)) return Errno::INVAL;
  const uint64_t nblocks = dir_blocks();
  // Down the index: at each level, the entry covering the hash (and the one after it, for
  // hash collisions continued into the next leaf).
  std::vector<DxNode> path{node};
  std::vector<size_t> at{dx_find(node, hash)};
  uint32_t seen[4] = {0, 0, 0, 0};
  for (uint32_t level = 0; level < node.levels; ++level) {
    const uint32_t child = path.back().entries[at.back()].block;
    if (child == 0 || child >= nblocks) {
      fs().error("dx_probe", ino, 0, "dx entry points to block %u beyond the directory", child);
      return Errno::INVAL;
    }
    for (uint32_t k = 0; k <= level; ++k)
      if (seen[k] == child) {
        fs().error("dx_probe", ino, 0, "dx entry: tree cycle at block %u", child);
        return Errno::INVAL;
      }
    seen[level + 1] = child;
    MetaBlock nb = TRY(dir_block(self, child));
    DxNode n;
    why = decode_dx_node(s, m_csum_seed, nb.data(), bs, &n);
    if (!why.empty()) {
      fs().error("dx_probe", ino, 0, "block %u: %s", child, why.c_str());
      return Errno::INVAL;
    }
    at.push_back(dx_find(n, hash));
    path.push_back(std::move(n));
  }
  // The leaf, and while the next leaf's first hash continues this one (collision bit set
  // and the same hash), that leaf too (ext4_htree_next_block).
  for (int guard = 0; guard < 1 << 16; ++guard) {
    const uint32_t leaf = path.back().entries[at.back()].block;
    if (leaf == 0 || leaf >= nblocks) {
      fs().error("dx_probe", ino, 0, "dx entry points to block %u beyond the directory", leaf);
      return Errno::INVAL;
    }
    MetaBlock lb = TRY(dir_block(self, leaf));
    auto r = find_in_block(lb.data(), bs, name, leaf);
    if (r) return r;
    if (r.error() != Errno::NOENT) return Errno::INVAL;
    // Next leaf in hash order: move right at the deepest level that can.
    int lvl = static_cast<int>(path.size()) - 1;
    while (lvl >= 0 && at[lvl] + 1 >= path[lvl].entries.size()) --lvl;
    if (lvl < 0) return Errno::NOENT;
    const uint32_t next_hash = path[lvl].entries[at[lvl] + 1].hash;
    if ((next_hash & 1) == 0 || (next_hash & ~1u) != hash) return Errno::NOENT;
    ++at[lvl];
    // Descend to the leftmost leaf under the new entry.
    for (size_t k = lvl + 1; k < path.size(); ++k) {
      const uint32_t child = path[k - 1].entries[at[k - 1]].block;
      if (child == 0 || child >= nblocks) return Errno::INVAL;
      MetaBlock nb = TRY(dir_block(self, child));
      DxNode n;
      if (!decode_dx_node(s, m_csum_seed, nb.data(), bs, &n).empty()) return Errno::INVAL;
      path[k] = std::move(n);
      at[k] = 0;
    }
  }
  return Errno::INVAL;
}

Result<RefPtr<Inode>> Ext4Inode::lookup(Actor& self, std::string_view name) {
  if (!is_dir()) return Errno::NOTDIR;
  if (name.size() > 255) return Errno::NAMETOOLONG;
  const Super& s = fs().super();
  const uint32_t ino = static_cast<uint32_t>(m_ino);
  Result<uint32_t> found = Errno::NOENT;
  const bool indexed = (raw_flags() & RawInode::kIndexFl) && s.has_compat(feat::kCompatDirIndex) && !has_inline() &&
                       !m_htree_broken.load(std::memory_order_relaxed);
  bool linear = !indexed;
  if (indexed) {
    found = find_htree(self, name);
    if (!found && found.error() == Errno::INVAL) {
      // ERR_BAD_DX_DIR: Linux falls back to a linear search, and so does every later
      // lookup here.
      fs().warning("directory inode %u: htree is damaged; falling back to linear search", ino);
      m_htree_broken.store(true, std::memory_order_relaxed);
      linear = true;
    }
  }
  if (linear) found = find_linear(self, name);
  if (!found) return found.error();
  const uint32_t child = found.value();
  if (child != 2 && (child < s.first_ino || child > s.inodes_count)) {
    fs().error("ext4_lookup", ino, 0, "bad inode number: %u", child);
    return kCorrupted;
  }
  auto in = fs().iget(self, child);
  if (!in) {
    if (in.error() == Errno::STALE) {
      fs().error("ext4_lookup", ino, 0, "deleted inode referenced: %u", child);
      return kCorrupted;
    }
    return in.error();
  }
  return RefPtr<Inode>(std::move(in.value()));
}

}  // namespace uml::kern::ext4
