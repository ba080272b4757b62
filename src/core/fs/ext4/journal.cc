#include "core/fs/ext4/journal.h"

#include <cstring>
#include <memory>

#include "core/base/byteorder.h"
#include "core/fs/ext4/fs.h"
#include "core/fs/ext4/inode.h"
#include "core/lib/crc32c.h"

namespace uml::kern::ext4 {

namespace {
constexpr uint32_t kJbdMagic = 0xC03B3998;
constexpr uint32_t kDescriptor = 1, kCommit = 2, kSuperV1 = 3, kSuperV2 = 4, kRevoke = 5;
constexpr uint32_t kInRevoke = 1, kIn64bit = 2, kInAsyncCommit = 4, kInCsumV2 = 8, kInCsumV3 = 0x10,
                   kInFastCommit = 0x20;
constexpr uint32_t kKnownIncompat = kInRevoke | kIn64bit | kInAsyncCommit | kInCsumV2 | kInCsumV3 | kInFastCommit;
constexpr uint32_t kFlagEscape = 1, kFlagSameUuid = 2, kFlagLastTag = 8;
constexpr uint32_t kDefaultFcBlocks = 256;

// tid_gt: a is after b, with wrap-around.
bool tid_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
}  // namespace

bool Journal::csum_v2or3() const { return m_incompat & (kInCsumV2 | kInCsumV3); }

size_t Journal::tag_bytes() const {
  if (m_incompat & kInCsumV3) return 16;
  size_t sz = 12;
  if (m_incompat & kInCsumV2) sz += 2;
  return (m_incompat & kIn64bit) ? sz : sz - 4;
}

Result<uint64_t> Journal::fs_block(SchedEntity& self, uint32_t n) {
  BlockRun r = TRY(m_inode.map(self, n));
  if (!r.pblk || r.unwritten) {
    m_fs.error("jbd2_journal_bmap", static_cast<uint32_t>(m_inode.ino()), 0, "journal block %u is not mapped", n);
    return kCorrupted;
  }
  return r.pblk;
}

Result<std::string> Journal::read_log(SchedEntity& self, uint32_t n) {
  const uint64_t blk = TRY(fs_block(self, n));
  MetaBlock b = TRY(m_fs.read_block(self, blk));
  return std::string(reinterpret_cast<const char*>(b.data()), m_bs);
}

Result<void> Journal::recover(SchedEntity& self, std::string* why) {
  m_bs = m_fs.block_size();
  auto fail = [&](const std::string& reason) -> Result<void> {
    *why = "journal: " + reason;
    m_fs.error("jbd2_journal_load", static_cast<uint32_t>(m_inode.ino()), 0, "%s", reason.c_str());
    return kCorrupted;
  };
  if (!m_inode.is_reg() || m_inode.attr().size < uint64_t{m_bs} * 2) return fail("bad journal inode");
  const std::string sb = TRY(read_log(self, 0));
  const auto* p = reinterpret_cast<const uint8_t*>(sb.data());
  const uint32_t type = be32(p + 4);
  if (be32(p) != kJbdMagic || (type != kSuperV1 && type != kSuperV2)) return fail("no journal superblock");
  if (be32(p + 0xC) != m_bs) return fail("journal block size differs from the filesystem's");
  m_maxlen = be32(p + 0x10);
  m_first = be32(p + 0x14);
  m_sequence = be32(p + 0x18);
  m_start = be32(p + 0x1C);
  const uint64_t inode_blocks = m_inode.attr().size / m_bs;
  if (m_maxlen < 2 || m_maxlen > inode_blocks) return fail("journal length " + std::to_string(m_maxlen) + " is wrong");
  if (m_first == 0 || m_first >= m_maxlen) return fail("bad first log block " + std::to_string(m_first));
  if (type == kSuperV2) {
    m_compat = be32(p + 0x24);
    m_incompat = be32(p + 0x28);
    if (m_incompat & ~kKnownIncompat) return fail("unknown journal features");
    if ((m_incompat & kInCsumV2) && (m_incompat & kInCsumV3)) return fail("both checksum versions set");
    if (csum_v2or3()) {
      if (p[0x50] != 4) return fail("unknown journal checksum type");  // JBD2_CRC32C_CHKSUM
      if (crc32c_zeroed(~0u, p, 1024, 0xFC, 4) != be32(p + 0xFC)) return fail("journal superblock checksum mismatch");
      m_csum_seed = crc32c(~0u, p + 0x30, 16);
    }
  }
  m_last = m_maxlen;
  if (m_incompat & kInFastCommit) {
    const uint32_t fc = be32(p + 0x54) ? be32(p + 0x54) : kDefaultFcBlocks;
    if (fc >= m_maxlen - m_first) return fail("fast commit area too large");
    m_last = m_maxlen - fc;
  }
  if (m_start == 0) {
    m_fs.warning("the journal is clean although needs_recovery is set");
    return {};
  }
  if (m_start < m_first || m_start >= m_last) return fail("bad log start " + std::to_string(m_start));
  TRY(one_pass(self, Pass::Scan));
  TRY(one_pass(self, Pass::Revoke));
  TRY(one_pass(self, Pass::Replay));
  m_fs.m_log.log(KERN_INFO, "EXT4-fs (%s): recovery complete: %u transaction%s, %u block%s replayed in memory, %u revoked",
                 m_fs.m_devname.c_str(), m_stats.transactions, m_stats.transactions == 1 ? "" : "s", m_stats.replayed,
                 m_stats.replayed == 1 ? "" : "s", m_stats.revoked);
  if (m_incompat & kInFastCommit) m_fs.warning("fast commit blocks, if any, were not replayed");
  return {};
}

Result<void> Journal::mark_empty(SchedEntity& self) {
  const uint64_t blk = TRY(fs_block(self, 0));
  std::string sb = TRY(read_log(self, 0));
  auto* p = reinterpret_cast<uint8_t*>(sb.data());
  put_be32(p + 0x18, m_start ? m_end_transaction + 1 : m_sequence);  // s_sequence
  put_be32(p + 0x1C, 0);                      // s_start: nothing to replay
  if (csum_v2or3()) put_be32(p + 0xFC, crc32c_zeroed(~0u, p, 1024, 0xFC, 4));
  return m_fs.write_meta(self, blk * m_bs, p, 1024);
}

Result<void> Journal::one_pass(SchedEntity& self, Pass pass) {
  uint32_t next_commit = m_sequence;
  uint32_t next = m_start;
  const size_t tag_size = tag_bytes();
  const size_t tail = csum_v2or3() ? 4 : 0;
  // A log longer than the journal means a loop: the scan never passes its own start.
  for (uint64_t steps = 0; steps <= m_maxlen; ++steps) {
    if (pass != Pass::Scan && !tid_gt(m_end_transaction, next_commit)) break;
    const uint32_t here = next;
    auto got = read_log(self, here);
    if (!got) return got.error();
    const std::string& blk = got.value();
    const auto* b = reinterpret_cast<const uint8_t*>(blk.data());
    next = wrap(next + 1);
    if (be32(b) != kJbdMagic || be32(b + 8) != next_commit) break;
    const uint32_t type = be32(b + 4);
    if (type == kDescriptor) {
      if (csum_v2or3() && crc32c_zeroed(m_csum_seed, b, m_bs, m_bs - 4, 4) != be32(b + m_bs - 4)) {
        if (pass == Pass::Scan) break;  // a stale block of an old log: the end
        m_fs.error("do_one_pass", 0, 0, "journal: bad descriptor checksum at log block %u", here);
        return kCorrupted;
      }
      // The tags, each naming where the next log block belongs.
      size_t off = 12;
      for (;;) {
        if (off + tag_size > m_bs - tail) break;
        const uint8_t* t = b + off;
        const uint32_t flags = (m_incompat & kInCsumV3) ? be32(t + 4) : be16(t + 6);
        uint64_t target = be32(t);
        if (m_incompat & kIn64bit) target |= uint64_t{be32(t + 8)} << 32;
        const uint32_t log_blk = next;
        next = wrap(next + 1);
        if (pass == Pass::Replay) {
          auto revoked = m_revoked.find(target);
          if (revoked != m_revoked.end() && !tid_gt(next_commit, revoked->second)) {
            ++m_stats.revoked;
          } else if (!m_fs.valid_blocks(target, 1) && target != 0) {
            m_fs.error("do_one_pass", 0, target, "journal: logged block outside the filesystem");
            return kCorrupted;
          } else {
            auto data = read_log(self, log_blk);
            if (!data) return data.error();
            auto* d = reinterpret_cast<uint8_t*>(data.value().data());
            bool ok = true;
            if (csum_v2or3()) {
              uint8_t seq[4];
              put_be32(seq, next_commit);
              const uint32_t c = crc32c(crc32c(m_csum_seed, seq, 4), d, m_bs);
              ok = (m_incompat & kInCsumV3) ? c == be32(t + 12) : (c & 0xFFFF) == be16(t + 4);
            }
            if (!ok) {
              ++m_stats.bad_csum;
              m_fs.error("do_one_pass", 0, target, "journal: invalid checksum of a logged block, not replayed");
            } else {
              if (flags & kFlagEscape) {
                d[0] = 0xC0, d[1] = 0x3B, d[2] = 0x39, d[3] = 0x98;
              }
              auto& slot = m_fs.m_overlay[target];
              if (!slot) slot = std::make_unique<uint8_t[]>(m_bs);
              memcpy(slot.get(), d, m_bs);
              ++m_stats.replayed;
            }
          }
        }
        off += tag_size;
        if (!(flags & kFlagSameUuid)) off += 16;
        if (flags & kFlagLastTag) break;
      }
      continue;
    }
    if (type == kCommit) {
      if (pass == Pass::Scan && csum_v2or3() && crc32c_zeroed(m_csum_seed, b, m_bs, 16, 4) != be32(b + 16)) {
        // A torn commit: this transaction never committed (async commit would go on).
        m_fs.warning("journal: commit block of transaction %u has a bad checksum: the log ends there", next_commit);
        break;
      }
      // v1 commit checksums (the compat 'checksum' feature) are not verified.
      if (pass == Pass::Scan) ++m_stats.transactions;
      ++next_commit;
      continue;
    }
    if (type == kRevoke) {
      if (csum_v2or3() && crc32c_zeroed(m_csum_seed, b, m_bs, m_bs - 4, 4) != be32(b + m_bs - 4)) {
        if (pass == Pass::Scan) break;
        m_fs.error("do_one_pass", 0, 0, "journal: bad revoke block checksum at log block %u", here);
        return kCorrupted;
      }
      if (pass != Pass::Revoke) continue;
      const uint32_t used = be32(b + 12);
      const size_t rec = (m_incompat & kIn64bit) ? 8 : 4;
      if (used < 16 || used > m_bs - tail) {
        m_fs.error("scan_revoke_records", 0, 0, "journal: bad revoke record count");
        return kCorrupted;
      }
      for (size_t off = 16; off + rec <= used; off += rec) {
        uint64_t blk = be32(b + off);
        if (rec == 8) blk = blk << 32 | be32(b + off + 4);
        auto [it, fresh] = m_revoked.try_emplace(blk, next_commit);
        if (!fresh && tid_gt(next_commit, it->second)) it->second = next_commit;
      }
      continue;
    }
    break;  // an unknown block type ends the log
  }
  if (pass == Pass::Scan) m_end_transaction = next_commit;
  return {};
}

}  // namespace uml::kern::ext4
