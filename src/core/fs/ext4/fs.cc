#include "core/fs/ext4/fs.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/base/byteorder.h"
#include "core/fs/ext4/extent.h"
#include "core/fs/ext4/inode.h"
#include "core/fs/ext4/journal.h"
#include "core/lib/crc32c.h"
#include "core/sched/scheduler.h"
#include "core/time/clock.h"

namespace uml::kern::ext4 {

namespace {
constexpr uint32_t kRootIno = 2;
constexpr uint64_t kMaxOrphanWalk = 1u << 20;  // a loop in the orphan list ends here

// sget: the live superblock of each disk is the disk's holder, so that a second mount of
// a disk shares the first's (one inode per file, one cache), as Linux's mount_bdev does.
// It stops holding the disk when its superblock is killed.
//
// Under the disk's holder lock: fs (the holder) referenced, or null when it is on its way out; BUSY
// when it is mounted as another type (ext2 over an ext4 mount: Linux's exclusive claim of
// the disk refuses it too).
Result<RefPtr<SuperBlock>> share(Ext4Fs* fs, std::string_view kind) {
  if (!fs || !fs->try_ref()) return RefPtr<SuperBlock>();
  RefPtr<SuperBlock> sb = RefPtr<SuperBlock>::adopt_ref(fs);
  if (sb->fstype() != kind) return Errno::BUSY;
  return sb;
}
}  // namespace

Result<RefPtr<SuperBlock>> Ext4Fs::find_mounted(const Bdev* bdev, std::string_view kind) {
  SpinGuard g(bdev->holder_lock());
  return share(static_cast<Ext4Fs*>(bdev->holder_locked()), kind);
}

Ext4Fs::Ext4Fs(std::string kind, std::shared_ptr<Bdev> bdev, const RealtimeClock& clock, Klog& log, Entropy& rng)
    : SuperBlock(std::move(kind), bdev->dev().rdev(), clock), m_bdev(std::move(bdev)), m_log(log), m_rng(rng),
      m_devname(m_bdev->dev().name()) {
  m_bdev->get();  // a mounted disk is busy: it cannot be removed
}

Ext4Fs::~Ext4Fs() {
  if (!m_killed && m_bdev) m_bdev->put();  // a mount that failed half-way
}

// The last mount went (kill_block_super): the disk is free again, though inodes still
// referenced (none can be reached once unmounted) keep their memory until they go.
// Inodes may outlive this moment (RCU frees them later, possibly after their instance's
// page cache is gone), so everything they hold in the cache goes now: their file pages,
// and the disk (whose cache the metadata is in).
void Ext4Fs::kill() {
  {
    SpinGuard g(m_bdev->holder_lock());
    if (m_bdev->holder_locked() == this) m_bdev->set_holder_locked(nullptr);
  }
  // A writable filesystem is written back and marked clean first (ext4_put_super).
  if (m_rw) {
    SchedEntity& self = Scheduler::current_or_host();
    if (auto r = leave_rw(self); !r)
      m_log.log(KERN_ERR, "EXT4-fs (%s): writing back at umount failed (%s): data may be lost", m_devname.c_str(),
                errno_name(r.error()));
  }
  SuperBlock::kill();
  std::vector<RefPtr<Ext4Inode>> live = live_inodes();
  for (auto& i : live) i->drop_data();
  live.clear();
  if (!m_killed) m_bdev->put();
  m_killed = true;
  m_bdev.reset();
}

std::vector<RefPtr<Ext4Inode>> Ext4Fs::live_inodes() {
  std::vector<RefPtr<Ext4Inode>> live;
  SpinGuard g(m_icache_lock);
  for (auto& [ino, i] : m_icache)
    if (i->try_ref()) live.push_back(RefPtr<Ext4Inode>::adopt_ref(i));
  return live;
}

void Ext4Fs::error(const char* func, uint32_t ino, uint64_t blk, const char* fmt, ...) {
  m_errors.fetch_add(1, std::memory_order_relaxed);
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  // The shape of Linux's __ext4_error_inode: device, function, inode, block, reason.
  if (ino && blk)
    m_log.log(KERN_ERR, "EXT4-fs error (device %s): %s: inode #%u: block %llu: %s", m_devname.c_str(), func, ino,
              static_cast<unsigned long long>(blk), msg);
  else if (ino)
    m_log.log(KERN_ERR, "EXT4-fs error (device %s): %s: inode #%u: %s", m_devname.c_str(), func, ino, msg);
  else if (blk)
    m_log.log(KERN_ERR, "EXT4-fs error (device %s): %s: block %llu: %s", m_devname.c_str(), func,
              static_cast<unsigned long long>(blk), msg);
  else
    m_log.log(KERN_ERR, "EXT4-fs error (device %s): %s: %s", m_devname.c_str(), func, msg);
}

void Ext4Fs::warning(const char* fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  m_log.log(KERN_WARNING, "EXT4-fs (%s): %s", m_devname.c_str(), msg);
}

Errno Ext4Fs::unsupported(const char* func, uint32_t ino, const char* what) {
  if (read_only()) return Errno::ROFS;
  m_log.log(KERN_WARNING, "EXT4-fs (%s): %s: inode #%u: %s is not supported yet", m_devname.c_str(), func, ino, what);
  return Errno::OPNOTSUPP;
}

Result<void> Ext4Fs::write_meta(SchedEntity& self, uint64_t off, const void* data, size_t len) {
  const size_t n = TRY(m_bdev->mapping().write(self, off, IoBuffer::kernel(const_cast<void*>(data), len)));
  if (n != len) return Errno::IO;
  return {};
}

Result<void> Ext4Fs::sync_disk(SchedEntity& self) {
  TRY(m_bdev->mapping().write_and_wait(self, 0, ~uint64_t{0} - 1, nullptr));
  return m_bdev->flush(self);
}

const uint8_t* Ext4Fs::replayed(uint64_t blk) const {
  if (m_overlay.empty()) return nullptr;
  auto it = m_overlay.find(blk);
  return it == m_overlay.end() ? nullptr : it->second.get();
}

Result<MetaBlock> Ext4Fs::read_block(SchedEntity& self, uint64_t blk, uint64_t ahead) {
  if (blk >= m_super.blocks_count && m_super.blocks_count) return kCorrupted;
  if (const uint8_t* r = replayed(blk)) return MetaBlock(PageRef(), r);
  const uint64_t byte = blk * m_super.block_size;
  const uint64_t first = byte / AddressSpace::kPage;
  const uint64_t last = (std::min(blk + std::max<uint64_t>(ahead, 1), m_super.blocks_count) * m_super.block_size - 1) /
                        AddressSpace::kPage;
  PageRef p = TRY(m_bdev->mapping().read_page(self, first, last - first + 1));
  const auto* data = reinterpret_cast<const uint8_t*>(p.data()) + byte % AddressSpace::kPage;
  return MetaBlock(std::move(p), data);
}

Result<RefPtr<SuperBlock>> Ext4Fs::mount(SchedEntity& self, std::shared_ptr<Bdev> bdev, std::string kind,
                                         unsigned long flags, std::string_view data, Klog& log,
                                         Entropy& rng, const RealtimeClock& clock, std::string* why) {
  // A disk mounted already: its superblock again, with the first mount's options; a
  // read-only/read-write mismatch is BUSY, as mount_bdev's.
  const bool want_ro = flags & abi::MS_RDONLY_;
  if (RefPtr<SuperBlock> sb = TRY(find_mounted(bdev.get(), kind))) {
    if (sb->read_only() != want_ro) return Errno::BUSY;
    return sb;
  }
  auto fs = RefPtr<Ext4Fs>::adopt(new Ext4Fs(std::move(kind), std::move(bdev), clock, log, rng));
  if (!parse_options(data, &fs->m_opts, why)) {
    fs->warning("%s", why->c_str());
    return Errno::INVAL;
  }
  fs->set_read_only(true);  // until enter_rw
  TRY(fs->load(self, why));
  if (!want_ro && fs->m_bdev->dev().read_only()) {
    // blkdev_get_by_dev for writing fails on a read-only disk (mount(8) then retries with -r).
    *why = "write access unavailable, cannot proceed";
    fs->m_log.log(KERN_ERR, "EXT4-fs (%s): %s", fs->m_devname.c_str(), why->c_str());
    return Errno::ACCES;
  }
  if (fs->m_super.has_incompat(feat::kInRecover)) {
    if (fs->m_opts.norecovery && !want_ro) {
      *why = "required journal recovery suppressed and not mounted read-only";
      fs->m_log.log(KERN_ERR, "EXT4-fs (%s): %s", fs->m_devname.c_str(), why->c_str());
      return Errno::INVAL;
    }
    if (fs->m_opts.norecovery) {
      fs->warning("mounting with \"noload\" option: the journal is not replayed");
    } else {
      TRY(fs->recover_journal(self, !want_ro, why));
      TRY(fs->load(self, why));  // the superblock and descriptors as the journal left them
    }
  }
  fs->m_overhead = fs->overhead_blocks();
  auto root = fs->iget(self, kRootIno);
  if (!root) {
    *why = "cannot read the root inode";
    fs->error("ext4_fill_super", kRootIno, 0, "get root inode failed");
    return root.error() == Errno::STALE ? kCorrupted : root.error();
  }
  if (!root.value()->is_dir() || root.value()->attr().size == 0) {
    *why = "the root inode is not a directory";
    fs->error("ext4_fill_super", kRootIno, 0, "corrupt root inode, run e2fsck");
    return kCorrupted;
  }
  fs->set_root(std::move(root.value()));
  {
    SpinGuard g(fs->m_bdev->holder_lock());
    // A mount of the same disk that raced this one and won: share it, drop this one.
    if (RefPtr<SuperBlock> won = TRY(share(static_cast<Ext4Fs*>(fs->m_bdev->holder_locked()), fs->fstype()))) {
      if (won->read_only() != want_ro) return Errno::BUSY;
      return won;
    }
    fs->m_bdev->set_holder_locked(fs.get());
  }
  // Writable only once registered, so that a racing mount never writes the superblock.
  if (!want_ro) TRY(fs->enter_rw(self, false, why));
  fs->scan_orphans(self);
  fs->m_log.log(KERN_INFO, "EXT4-fs (%s): mounted filesystem%s %s%s. Quota mode: none.", fs->m_devname.c_str(),
                fs->m_super.has_compat(feat::kCompatHasJournal) ? " with ordered data mode," : "",
                fs->read_only() ? "read-only" : "r/w without journalling",
                fs->m_overlay.empty() ? "" : " (journal replayed in memory)");
  return RefPtr<SuperBlock>(std::move(fs));
}

Result<void> Ext4Fs::load(SchedEntity& self, std::string* why) {
  uint8_t buf[kSuperSize];
  {
    // The superblock lives at byte 1024: block 1 of a 1 KiB filesystem, inside block 0
    // otherwise. Read it through the disk's cache (the overlay may hold a newer copy).
    const uint64_t in_blk = m_super.block_size ? kSuperOffset / m_super.block_size : 0;
    const uint8_t* over = m_super.block_size ? replayed(in_blk) : nullptr;
    if (over) {
      memcpy(buf, over + kSuperOffset % m_super.block_size, kSuperSize);
    } else {
      auto p = m_bdev->mapping().read_page(self, 0);
      if (!p) {
        *why = "cannot read the superblock";
        m_log.log(KERN_ERR, "EXT4-fs (%s): unable to read superblock", m_devname.c_str());
        return p.error();
      }
      memcpy(buf, p.value().data() + kSuperOffset, kSuperSize);
    }
  }
  Super s;
  SuperCheck c = parse_super(buf, m_bdev->size(), &s);
  if (!c.ok) {
    *why = c.why;
    m_log.log(KERN_ERR, "EXT4-fs (%s): %s", m_devname.c_str(), c.why.c_str());
    return Errno::INVAL;
  }
  m_ro_features = c.read_only_only;
  if (c.read_only_only) warning("%s: mounted read-only", c.why.c_str());
  if (s.block_size > AddressSpace::kPage) {
    *why = "block size " + std::to_string(s.block_size) + " is larger than the page size";
    m_log.log(KERN_ERR, "EXT4-fs (%s): bad block size %u", m_devname.c_str(), s.block_size);
    return Errno::INVAL;
  }
  m_blocksize = s.block_size;
  // Linux's per-kind checks (ext2_feature_set_ok, ext3_feature_set_ok): ext2 and ext3 are
  // served by ext4 as Linux does when CONFIG_EXT4_USE_FOR_EXT2 is set; their mounts refuse
  // features those drivers never knew.
  if (m_fstype == "ext2" && (s.incompat & ~(feat::kInFiletype | feat::kInMetaBg))) {
    *why = "couldn't mount as ext2 due to feature incompatibilities";
    m_log.log(KERN_ERR, "EXT4-fs (%s): %s", m_devname.c_str(), why->c_str());
    return Errno::INVAL;
  }
  if (m_fstype == "ext3" && (!(s.compat & feat::kCompatHasJournal) ||
                             (s.incompat & ~(feat::kInFiletype | feat::kInMetaBg | feat::kInRecover)))) {
    *why = "couldn't mount as ext3 due to feature incompatibilities";
    m_log.log(KERN_ERR, "EXT4-fs (%s): %s", m_devname.c_str(), why->c_str());
    return Errno::INVAL;
  }
  m_super = s;
  memcpy(m_sb_raw, buf, kSuperSize);
  return load_groups(self, why);
}

Result<void> Ext4Fs::load_groups(SchedEntity& self, std::string* why) {
  const Super& s = m_super;
  std::vector<GroupDesc> groups(s.groups);
  const uint32_t per = s.descs_per_block();
  const uint32_t nblocks = (s.groups + per - 1) / per;
  for (uint32_t nr = 0; nr < nblocks; ++nr) {
    const uint64_t blk = descriptor_block(s, nr);
    if (blk >= s.blocks_count) {
      *why = "group descriptor block " + std::to_string(blk) + " is beyond the end";
      error("ext4_group_desc_init", 0, blk, "group descriptors corrupted");
      return kCorrupted;
    }
    MetaBlock b = TRY(read_block(self, blk));
    for (uint32_t i = 0; i < per && nr * per + i < s.groups; ++i) {
      const uint32_t g = nr * per + i;
      std::string bad = decode_desc(s, g, b.data() + i * s.desc_size, &groups[g]);
      if (!bad.empty()) {
        *why = "group descriptors corrupted: " + bad;
        error("ext4_check_descriptors", 0, blk, "%s", bad.c_str());
        return kCorrupted;
      }
    }
  }
  m_groups = std::move(groups);
  return {};
}

Result<void> Ext4Fs::recover_journal(SchedEntity& self, bool to_disk, std::string* why) {
  if (!m_super.has_compat(feat::kCompatHasJournal)) {
    *why = "needs_recovery is set but the filesystem has no journal";
    error("ext4_load_journal", 0, 0, "%s", why->c_str());
    return kCorrupted;
  }
  auto j = iget(self, m_super.journal_inum);
  if (!j) {
    *why = "cannot read the journal inode";
    error("ext4_get_journal_inode", m_super.journal_inum, 0, "no journal found");
    return kCorrupted;
  }
  Journal journal(*this, *j.value());
  TRY(journal.recover(self, why));
  m_journal_blocks = journal.total_blocks();
  if (!to_disk) return {};
  // A writable mount: the replayed blocks reach the disk and are made durable before the
  // log is emptied and needs_recovery cleared (a crash between replays them again).
  for (const auto& [blk, data] : m_overlay) TRY(write_meta(self, blk * m_super.block_size, data.get(), m_super.block_size));
  TRY(sync_disk(self));
  m_overlay.clear();
  TRY(journal.mark_empty(self));
  // The superblock as the replay left it, without needs_recovery.
  auto p = TRY(m_bdev->mapping().read_page(self, 0));
  uint8_t sb[kSuperSize];
  memcpy(sb, p.data() + kSuperOffset, kSuperSize);
  p.reset();
  put_le32(sb + 0x60, le32(sb + 0x60) & ~feat::kInRecover);
  if (m_super.metadata_csum()) put_le32(sb + 0x3FC, crc32c(~0u, sb, 0x3FC));
  TRY(write_meta(self, kSuperOffset, sb, kSuperSize));
  TRY(sync_disk(self));
  m_log.log(KERN_INFO, "EXT4-fs (%s): the replayed journal was written to the disk", m_devname.c_str());
  return {};
}

Result<void> Ext4Fs::write_super(SchedEntity& self) {
  put_le32(m_sb_raw + 0x30, static_cast<uint32_t>(now() / 1'000'000'000));  // s_wtime
  // The free counts, as ext4_commit_super writes its counters' sums.
  uint64_t bfree = 0, ifree = 0;
  {
    SpinGuard g(m_groups_lock);
    for (const GroupDesc& gd : m_groups) {
      bfree += gd.free_blocks;
      ifree += gd.free_inodes;
    }
  }
  put_le32(m_sb_raw + 0x0C, static_cast<uint32_t>(bfree));
  if (m_super.has_incompat(feat::kIn64bit)) put_le32(m_sb_raw + 0x158, static_cast<uint32_t>(bfree >> 32));
  put_le32(m_sb_raw + 0x10, static_cast<uint32_t>(ifree));
  if (m_super.metadata_csum()) put_le32(m_sb_raw + 0x3FC, crc32c(~0u, m_sb_raw, 0x3FC));
  return write_meta(self, kSuperOffset, m_sb_raw, kSuperSize);
}

Result<void> Ext4Fs::add_compat(SchedEntity& self, uint32_t feature) {
  MutexGuard g(m_alloc_lock, self);
  if (m_super.compat & feature) return {};
  m_super.compat |= feature;
  put_le32(m_sb_raw + 0x5C, m_super.compat);
  return write_super(self);
}

Result<void> Ext4Fs::enter_rw(SchedEntity& self, bool remount, std::string* why) {
  const Errno refused = remount ? Errno::ROFS : Errno::INVAL;
  auto refuse = [&](Errno e, std::string reason) -> Result<void> {
    *why = std::move(reason);
    m_log.log(KERN_ERR, "EXT4-fs (%s): %s", m_devname.c_str(), why->c_str());
    return e;
  };
  if (m_bdev->dev().read_only()) return refuse(Errno::ACCES, "write access unavailable, cannot proceed");
  if (m_ro_features) return refuse(refused, "couldn't mount RDWR because of unsupported optional features");
  if (m_super.has_ro_compat(feat::kRoReadonly)) return refuse(refused, "filesystem is read-only");
  if (m_super.has_incompat(feat::kInMmp)) return refuse(refused, "multi-mount protection is not supported for writing");
  // Features whose bookkeeping the write path does not keep yet: writing would leave an
  // image e2fsck has to repair.
  if (m_super.has_ro_compat(feat::kRoQuota)) return refuse(refused, "quota files are not kept up to date when writing yet");
  if (m_super.has_incompat(feat::kInEaInode))
    return refuse(refused, "xattr values in inodes (ea_inode) are not kept up to date when writing yet");
  if (m_super.has_incompat(feat::kInRecover))
    return refuse(refused, "the journal needs recovery: mount without \"noload\" first");
  // ext4_setup_super: not clean while mounted (no journal is written), counted, stamped.
  m_mount_state = le16(m_sb_raw + 0x3A);
  if (!(m_mount_state & 1)) warning("warning: mounting unchecked fs, running e2fsck is recommended");
  put_le16(m_sb_raw + 0x3A, static_cast<uint16_t>(m_mount_state & ~1u));
  put_le16(m_sb_raw + 0x34, static_cast<uint16_t>(le16(m_sb_raw + 0x34) + 1));  // s_mnt_count
  put_le32(m_sb_raw + 0x2C, static_cast<uint32_t>(now() / 1'000'000'000));  // s_mtime
  TRY(write_super(self));
  TRY(sync_disk(self));
  m_rw = true;
  set_read_only(false);
  return {};
}

Result<void> Ext4Fs::sync_fs(SchedEntity& self) {
  if (!m_rw) return {};
  Result<void> res;
  // sync_filesystem: every file's writeback started first, then each waited for, so the
  // disk sees them all in flight together.
  const std::vector<RefPtr<Ext4Inode>> live = live_inodes();
  for (auto& i : live) i->start_write_back();
  for (auto& i : live) {
    auto r = i->write_back(self);
    if (!r && res) res = r;
  }
  auto r = sync_disk(self);
  if (!r && res) res = r;
  return res;
}

Result<void> Ext4Fs::leave_rw(SchedEntity& self) {
  if (!m_rw) return {};
  // Files deleted while open are deleted now: nothing can reach them any more (Linux's
  // orphan list would finish them at the next mount).
  for (auto& i : live_inodes())
    if (i->attr().nlink == 0 && !i->m_released && i->ino() != m_super.journal_inum)
      if (auto r = i->release(self); !r)
        error("ext4_put_super", static_cast<uint32_t>(i->ino()), 0, "deleting failed: %s", errno_name(r.error()));
  Result<void> res = sync_fs(self);
  // ext4_put_super: the state of the mount's start again (clean, if it was), unless
  // writing back failed: then the image is left for e2fsck.
  if (res) put_le16(m_sb_raw + 0x3A, m_mount_state);
  auto r = write_super(self);
  if (r) r = sync_disk(self);
  if (!r && res) res = r;
  m_rw = false;
  set_read_only(true);
  return res;
}

void Ext4Fs::shutdown(SchedEntity& self) {
  if (auto r = leave_rw(self); !r)
    m_log.log(KERN_ERR, "EXT4-fs (%s): writing back at shutdown failed (%s): data may be lost", m_devname.c_str(),
              errno_name(r.error()));
}

void Ext4Fs::scan_orphans(SchedEntity& self) {
  // The orphan list (bounded, so a loop in it cannot hang us): on a read-only mount only
  // counted, as ext4_orphan_cleanup skips it there; on a writable one each inode is
  // finished as Linux does: deleted when it has no name, else cut to its size.
  uint32_t ino = m_super.last_orphan;
  uint64_t n = 0, done = 0;
  bool clean = true;
  while (ino && n < kMaxOrphanWalk) {
    if (ino < m_super.first_ino || ino > m_super.inodes_count) {
      error("ext4_orphan_get", ino, 0, "bad orphan inode %u", ino);
      clean = false;
      break;
    }
    RawInode r;
    std::vector<uint8_t> xattrs;
    if (!read_inode(self, ino, &r, &xattrs)) {
      clean = false;
      break;
    }
    ++n;
    const uint32_t next = static_cast<uint32_t>(r.dtime);
    if (!read_only()) {
      if (finish_orphan(self, r, std::move(xattrs))) ++done;
      else clean = false;
    }
    if (next == ino) break;
    ino = next;
  }
  if (read_only()) {
    if (n) warning("%llu orphan inode%s left for a read-write mount to clean up", static_cast<unsigned long long>(n),
                   n == 1 ? "" : "s");
    return;
  }
  if (n) m_log.log(KERN_INFO, "EXT4-fs (%s): %llu orphan inode%s cleaned up", m_devname.c_str(),
                   static_cast<unsigned long long>(done), done == 1 ? "" : "s");
  if (n && clean) {
    put_le32(m_sb_raw + 0xE8, 0);  // s_last_orphan: the list is empty
    m_super.last_orphan = 0;
    if (auto w = write_super(self); !w) error("ext4_orphan_cleanup", 0, 0, "cannot store the superblock");
  }
}

bool Ext4Fs::finish_orphan(SchedEntity& self, const RawInode& r, std::vector<uint8_t> xattrs) {
  const uint32_t type = r.mode & abi::S_IFMT_;
  if (r.mode == 0 || (type != abi::S_IFREG_ && type != abi::S_IFDIR_ && type != abi::S_IFLNK_)) {
    error("ext4_orphan_get", r.ino, 0, "orphan inode of mode %o", r.mode);
    return false;
  }
  // Not through iget: an orphan's dtime is the list's next link, which iget takes for a
  // deleted inode.
  RefPtr<Ext4Inode> i;
  {
    SpinGuard g(m_icache_lock);
    auto it = m_icache.find(r.ino);
    if (it != m_icache.end() && it->second->try_ref()) i = RefPtr<Ext4Inode>::adopt_ref(it->second);
  }
  if (!i) {
    i = RefPtr<Ext4Inode>::adopt(new Ext4Inode(*this, r, std::move(xattrs)));
    SpinGuard g(m_icache_lock);
    m_icache[r.ino] = i.get();
  }
  {
    SpinGuard g(i->m_map_lock);
    i->m_raw.dtime = 0;  // off the list
  }
  if (r.links == 0) {
    // ext4_orphan_cleanup's iput of an unlinked inode: deleted.
    if (auto d = i->release(self); !d) {
      error("ext4_orphan_cleanup", r.ino, 0, "deleting failed: %s", errno_name(d.error()));
      return false;
    }
    return true;
  }
  // A truncate that was under way: the blocks past the size go (ext4_truncate).
  if (type == abi::S_IFREG_ && r.has_extents() && !(r.flags & RawInode::kInlineDataFl)) {
    MutexGuard t(i->m_tree_lock, self);
    const uint32_t bs = m_super.block_size;
    auto f = i->load_extents(self);
    if (f) f = i->free_from(self, static_cast<uint32_t>((r.size + bs - 1) / bs));
    if (!f) {
      error("ext4_orphan_cleanup", r.ino, 0, "truncating failed: %s", errno_name(f.error()));
      return false;
    }
  }
  return static_cast<bool>(i->write_inode(self));
}

uint64_t Ext4Fs::overhead_blocks() const {
  const Super& s = m_super;
  if (s.overhead_clusters && s.overhead_clusters < s.blocks_count) return s.overhead_clusters;
  uint64_t o = s.first_data_block;
  for (uint32_t g = 0; g < s.groups; ++g) {
    const uint32_t sup = group_has_super(s, g) ? 1 : 0;
    o += sup + group_gdt_blocks(s, g) + (sup ? s.reserved_gdt_blocks : 0) + s.itable_blocks() + 2;
  }
  return o + m_journal_blocks;
}

uint64_t Ext4Fs::itable_window(const GroupDesc& gd, uint64_t blk) const {
  // __ext4_get_inode_loc: from blk to the end of its inode_readahead_blks-aligned span,
  // within the part of the group's table that holds inodes in use.
  const uint32_t ra = m_opts.inode_readahead_blks;
  if (ra <= 1) return 1;
  uint64_t used = m_super.itable_blocks();
  if (has_desc_checksum(m_super) && gd.itable_unused <= m_super.inodes_per_group) {
    const uint32_t per_block = m_super.block_size / m_super.inode_size;
    used = (m_super.inodes_per_group - gd.itable_unused + per_block - 1) / per_block;
  }
  const uint64_t rel = blk - gd.inode_table;
  const uint64_t end = std::min((rel & ~uint64_t{ra - 1}) + ra, used);
  return end > rel ? end - rel : 1;
}

Result<void> Ext4Fs::read_inode(SchedEntity& self, uint32_t ino, RawInode* out, std::vector<uint8_t>* raw) {
  InodeSlot slot;
  std::string bad = inode_slot(m_super, ino, &slot);
  if (!bad.empty()) {
    error("__ext4_get_inode_loc", ino, 0, "%s", bad.c_str());
    return kCorrupted;
  }
  const GroupDesc& gd = m_groups[slot.group];
  const uint64_t blk = gd.inode_table + slot.offset / m_super.block_size;
  if (!valid_blocks(blk, 1)) {
    error("__ext4_get_inode_loc", ino, blk, "inode table block out of range");
    return kCorrupted;
  }
  MetaBlock b = TRY(read_block(self, blk, itable_window(gd, blk)));
  const uint8_t* p = b.data() + slot.offset % m_super.block_size;
  bad = decode_inode(m_super, ino, p, out);
  if (!bad.empty()) {
    error("__ext4_iget", ino, blk, "%s", bad.c_str());
    return kCorrupted;
  }
  if (raw) {
    // The in-inode xattr area, after the extra fields.
    const size_t start = 128 + out->extra_isize;
    if (m_super.inode_size > start + 4) raw->assign(p + start, p + m_super.inode_size);
  }
  return {};
}

Result<RefPtr<Ext4Inode>> Ext4Fs::iget(SchedEntity& self, uint32_t ino) {
  {
    SpinGuard g(m_icache_lock);
    auto it = m_icache.find(ino);
    if (it != m_icache.end() && it->second->try_ref()) return RefPtr<Ext4Inode>::adopt_ref(it->second);
  }
  RawInode r;
  std::vector<uint8_t> xattrs;
  TRY(read_inode(self, ino, &r, &xattrs));
  // __ext4_iget's checks: an unused inode is stale, a bad type or size is corruption.
  if (r.links == 0 && (r.mode == 0 || r.dtime) && ino != m_super.journal_inum) return Errno::STALE;
  const uint32_t type = r.mode & abi::S_IFMT_;
  if (type != abi::S_IFREG_ && type != abi::S_IFDIR_ && type != abi::S_IFLNK_ && type != abi::S_IFCHR_ &&
      type != abi::S_IFBLK_ && type != abi::S_IFIFO_ && type != abi::S_IFSOCK_) {
    error("__ext4_iget", ino, 0, "bogus i_mode (%o)", r.mode);
    return kCorrupted;
  }
  if (r.size > (uint64_t{1} << 62)) {
    error("__ext4_iget", ino, 0, "bad i_size value: %llu", static_cast<unsigned long long>(r.size));
    return kCorrupted;
  }
  if ((r.flags & RawInode::kInlineDataFl) && !m_super.has_incompat(feat::kInInlineData)) {
    error("__ext4_iget", ino, 0, "inline data flag without the inline_data feature");
    return kCorrupted;
  }
  if (r.has_extents() && (type == abi::S_IFREG_ || type == abi::S_IFDIR_ || type == abi::S_IFLNK_) &&
      !(r.flags & RawInode::kInlineDataFl)) {
    ExtentNode root;
    std::string bad = decode_extent_node(m_super, r, r.block, sizeof(r.block), true, -1, 0, &root);
    if (!bad.empty()) {
      error("ext4_ext_check_inode", ino, 0, "%s", bad.c_str());
      return kCorrupted;
    }
  }
  auto fresh = RefPtr<Ext4Inode>::adopt(new Ext4Inode(*this, r, std::move(xattrs)));
  SpinGuard g(m_icache_lock);
  auto [it, inserted] = m_icache.try_emplace(ino, fresh.get());
  if (!inserted) {
    // Someone else read it meanwhile: theirs wins if it is alive.
    if (it->second->try_ref()) return RefPtr<Ext4Inode>::adopt_ref(it->second);
    it->second = fresh.get();
  }
  return fresh;
}

void Ext4Fs::forget(Ext4Inode* i) {
  SpinGuard g(m_icache_lock);
  auto it = m_icache.find(static_cast<uint32_t>(i->ino()));
  if (it != m_icache.end() && it->second == i) m_icache.erase(it);
}

abi::statfs Ext4Fs::statfs() {
  const Super& s = m_super;
  abi::statfs st{};
  st.f_type = kMagic;
  st.f_bsize = s.block_size;
  st.f_frsize = s.block_size;
  st.f_blocks = s.blocks_count - std::min(s.blocks_count, m_overhead);
  // Free counts: the groups' sums, as Linux's percpu counters start from them.
  uint64_t bfree = 0, ifree = 0;
  {
    SpinGuard g(m_groups_lock);
    for (const GroupDesc& gd : m_groups) {
      bfree += gd.free_blocks;
      ifree += gd.free_inodes;
    }
  }
  st.f_bfree = bfree;
  const uint64_t resv = s.has_incompat(feat::kInExtents) ? std::min<uint64_t>(s.blocks_count / 50, 4096) : 0;
  st.f_bavail = bfree > s.r_blocks_count + resv ? bfree - s.r_blocks_count - resv : 0;
  st.f_files = s.inodes_count;
  st.f_ffree = ifree;
  st.f_namelen = 255;
  const uint64_t fsid = le64(s.uuid) ^ le64(s.uuid + 8);
  st.f_fsid[0] = static_cast<int32_t>(static_cast<uint32_t>(fsid));
  st.f_fsid[1] = static_cast<int32_t>(static_cast<uint32_t>(fsid >> 32));
  return st;
}

std::string Ext4Fs::show_options() const {
  std::string o;
  if (m_opts.norecovery) o += ",norecovery";
  if (m_opts.errors != "continue") o += ",errors=" + m_opts.errors;
  return o;
}

Result<void> Ext4Fs::parse_options(std::string_view data, MountOptions* o, std::string* why) {
  for (size_t pos = 0; pos <= data.size();) {
    size_t comma = data.find(',', pos);
    if (comma == std::string_view::npos) comma = data.size();
    const std::string_view opt = data.substr(pos, comma - pos);
    pos = comma + 1;
    if (opt.empty() || opt == "ro" || opt == "rw" || opt == "defaults") continue;  // the mode is the flags'
    if (opt == "noload" || opt == "norecovery") o->norecovery = true;
    else if (opt == "errors=continue" || opt == "errors=remount-ro" || opt == "errors=panic")
      o->errors = std::string(opt.substr(7));
    else if (opt.substr(0, 21) == "inode_readahead_blks=") {
      // A power of two up to 2^30, or 0 for none (Linux's check).
      const std::string v(opt.substr(21));
      char* end = nullptr;
      const unsigned long n = strtoul(v.c_str(), &end, 0);
      if (v.empty() || *end || n > (1ul << 30) || (n & (n - 1))) {
        *why = "EXT4-fs: inode_readahead_blks must be 0 or a power of 2 smaller than 2^31";
        return Errno::INVAL;
      }
      o->inode_readahead_blks = static_cast<uint32_t>(n);
    } else {
      *why = "unrecognized mount option \"" + std::string(opt) + "\" or missing value";
      return Errno::INVAL;
    }
  }
  return {};
}

// ext4_reconfigure: the options are checked as at mount; then a change between read-only
// and read-write (the VFS sets the flag after this succeeds).
Result<void> Ext4Fs::remount(Actor& self, unsigned long flags, std::string_view data) {
  MountOptions o = m_opts;
  std::string why;
  if (!parse_options(data, &o, &why)) {
    warning("%s", why.c_str());
    return Errno::INVAL;
  }
  const bool want_ro = flags & abi::MS_RDONLY_;
  if (!want_ro && !m_rw) TRY(enter_rw(self, true, &why));
  if (want_ro && m_rw) TRY(leave_rw(self));
  m_opts.errors = o.errors;  // norecovery matters at mount only
  return {};
}

}  // namespace uml::kern::ext4
