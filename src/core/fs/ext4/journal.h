#pragma once
// The ext4 journal (jbd2, Documentation/filesystems/ext4/journal.rst), for recovery at
// mount: the log in the journal inode is scanned for committed transactions, revoke
// records are collected, and the blocks of every committed transaction are replayed in
// order (Linux's do_one_pass: PASS_SCAN, PASS_REVOKE, PASS_REPLAY). Descriptor, revoke and
// commit blocks and each logged block are checked against their checksums (v2 and v3)
// where the journal has them.
//
// The replay goes into the filesystem's in-memory overlay: reads of a replayed block see
// the overlay's copy. A read-only mount leaves the disk as it is (a disk the user opened
// read-only must not change); a writable one writes the overlay to the disk and then empties
// the log. Fast-commit areas are not replayed (a warning says so).

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/base/result.h"

namespace uml::kern {
class SchedEntity;
}

namespace uml::kern::ext4 {

class Ext4Fs;
class Ext4Inode;

class Journal {
 public:
  Journal(Ext4Fs& fs, Ext4Inode& inode) : m_fs(fs), m_inode(inode) {}
  // Replays a dirty journal into the overlay. Errors: UCLEAN (a journal that cannot be
  // read: bad superblock, unknown features, a log block outside the journal), IO.
  Result<void> recover(SchedEntity& self, std::string* why);
  uint64_t total_blocks() const { return m_maxlen; }
  // After the replay reached the disk (a writable mount): the log is emptied, as
  // jbd2_journal_load's reset does (s_start 0, the sequence past the last transaction).
  Result<void> mark_empty(SchedEntity& self);
  // What the last recovery did.
  struct Stats {
    uint32_t transactions = 0, replayed = 0, revoked = 0, bad_csum = 0;
  };
  const Stats& stats() const { return m_stats; }

 private:
  enum class Pass { Scan, Revoke, Replay };
  Result<void> one_pass(SchedEntity& self, Pass pass);
  // The log block n (a journal block number) as a filesystem block.
  Result<uint64_t> fs_block(SchedEntity& self, uint32_t n);
  Result<std::string> read_log(SchedEntity& self, uint32_t n);
  uint32_t wrap(uint32_t n) const { return n >= m_last ? n - m_last + m_first : n; }
  size_t tag_bytes() const;
  bool csum_v2or3() const;

  Ext4Fs& m_fs;
  Ext4Inode& m_inode;
  uint32_t m_bs = 0, m_maxlen = 0, m_first = 0, m_last = 0, m_sequence = 0, m_start = 0;
  uint32_t m_compat = 0, m_incompat = 0;
  uint32_t m_csum_seed = 0;
  uint32_t m_end_transaction = 0;
  std::unordered_map<uint64_t, uint32_t> m_revoked;  // block -> the latest revoking transaction
  Stats m_stats;
};

}  // namespace uml::kern::ext4
