#pragma once
// An ext4 inode in memory (Linux's ext4_inode_info): the decoded on-disk fields, the
// mapping of logical to physical blocks (extent tree or ext2/3 block map), and per type:
// - regular files: an AddressSpace in the page cache, filled by read_pages through the
//   block mapping (holes and unwritten extents read as zeros);
// - directories: lookups through the htree when the directory is indexed (falling back to
//   a linear scan when the index is damaged, as Linux does), iteration in on-disk order;
// - symlinks: fast (in i_block), slow (in a block) or inline;
// - inline data (files and directories in i_block and the system.data xattr);
// - device, FIFO and socket nodes.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/spinlock.h"
#include "core/fs/ext4/extent.h"
#include "core/fs/ext4/fs.h"
#include "core/fs/ext4/xattr.h"
#include "core/mm/page_cache.h"
#include "core/sched/sync.h"
#include "core/vfs/inode.h"

namespace uml::kern::ext4 {

class Ext4Inode final : public Inode, public AddressSpaceOps {
 public:
  Ext4Inode(Ext4Fs& fs, const RawInode& raw, std::vector<uint8_t> ibody_xattrs);
  // i_flags: what FS_IOC_GETFLAGS shows (EXT4_FL_USER_VISIBLE), and the flags the VFS
  // enforces and chattr sets here (sync, immutable, append-only, nodump, noatime).
  static constexpr uint32_t kUserVisibleFlags = 0x705BDFFF;
  static constexpr uint32_t kVfsFlags = abi::FS_SYNC_FL_ | abi::FS_IMMUTABLE_FL_ | abi::FS_APPEND_FL_ |
                                        abi::FS_NODUMP_FL_ | abi::FS_NOATIME_FL_;
  ~Ext4Inode() override;
  static InodeAttr attr_of(const Super& s, const RawInode& r);

  Ext4Fs& fs() const { return static_cast<Ext4Fs&>(m_sb); }
  const RawInode& raw() const { return m_raw; }
  uint32_t csum_seed() const { return m_csum_seed; }

  // ext4_map_blocks without allocation: the run at logical block lblk. Errors: UCLEAN (a
  // damaged extent tree or block map, logged), IO.
  Result<BlockRun> map(SchedEntity& self, uint32_t lblk);

  // The file's pages leave the page cache now (eviction, or the filesystem is killed):
  // reads still in flight are waited for as a task first (truncate_inode_pages_final).
  void drop_data();

  // ---- Inode ----
  void evict() override;
  Result<RefPtr<Inode>> lookup(Actor& self, std::string_view name) override;
  Result<uint64_t> iterate(Actor& self, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override;
  bool empty_dir(Actor& self) override;
  Result<size_t> read(Actor& self, uint64_t off, const IoBuffer& buf) override;
  Result<size_t> read_file(Actor& self, FileReadahead& ra, uint64_t off, const IoBuffer& buf) override;
  Result<uint64_t> seek_data(Actor& self, uint64_t off, bool hole) override;
  uint64_t blocks() const override {
    SpinGuard g(m_map_lock);
    return m_raw.blocks;
  }
  Result<std::string> readlink(Actor& self) override;
  Result<std::string> getxattr(Actor& self, std::string_view name) override;
  Result<std::vector<std::string>> listxattr(Actor& self) override;
  // Writes (into the file's allocated blocks only, so far: see fs.h).
  Result<size_t> write(Actor& self, uint64_t off, const IoBuffer& buf) override;
  Result<void> truncate(Actor& self, uint64_t size) override;
  Result<void> fsync(Actor& self, bool datasync, uint32_t* seen) override;
  uint32_t writeback_error_seq() const override { return m_data ? m_data->error_seq() : 0; }
  void dirtied() override;
  // The file's dirty pages written and waited for (syncfs, umount). IO.
  Result<void> write_back(SchedEntity& self);
  // Their writeback started, without waiting.
  void start_write_back() {
    if (m_data) m_data->start_writeback(~size_t{0}, -1);
  }
  // Names (namei.cc): linear directories take new names in a record with room or a new
  // block; indexed (htree) directories through their index (add_entry_dx).
  Result<RefPtr<Inode>> create(Actor& self, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev,
                               std::string_view target) override;
  Result<RefPtr<Inode>> tmpfile(Actor& self, uint32_t mode, uint32_t uid, uint32_t gid) override;
  Result<void> link(Actor& self, std::string_view name, Inode& target) override;
  Result<void> remove(Actor& self, std::string_view name, bool dir) override;
  Result<void> rename(Actor& self, std::string_view name, Inode& new_dir, std::string_view new_name) override;
  Result<void> exchange(Actor& self, std::string_view name, Inode& new_dir, std::string_view new_name) override;
  Result<void> fallocate(Actor& self, int mode, uint64_t off, uint64_t len) override;
  // user., trusted. and security. names (xattr_set.cc): in the inode while they fit, else
  // in the external block (copied first when other inodes share it).
  Result<void> setxattr(Actor& self, std::string_view name, std::string_view value, int flags) override;
  // ext4_fileattr_get/set: i_flags' user-visible bits; the sync, immutable, append-only,
  // nodump and noatime flags change (OPNOTSUPP for a change of any other).
  Result<uint32_t> get_fsflags() override;
  Result<void> set_fsflags(Actor& self, uint32_t flags) override;
  Result<void> removexattr(Actor& self, std::string_view name) override;

 private:
  friend class Ext4Fs;  // deletes unlinked inodes at umount
  // AddressSpaceOps: file pages read through the block mapping.
  void read_pages(SchedEntity& self, AddressSpace& m, CachePage* const* pages, size_t n) override;
  void write_pages(AddressSpace& m, CachePage* const* pages, size_t n) override;

  uint32_t ino32() const { return static_cast<uint32_t>(ino()); }
  static constexpr uint32_t kLinkMax = 65000;  // EXT4_LINK_MAX

  // ---- names (namei.cc) ----
  // A new inode of the parent's filesystem, written and read back (nlink 0 until named;
  // a directory gets its first block with "." and ".." for `parent`, a slow symlink its
  // target's block).
  Result<RefPtr<Ext4Inode>> new_inode(SchedEntity& self, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev,
                                      std::string_view target, uint32_t parent);
  // The record of name in this directory: its block, offset, the previous record's offset
  // in the block (or -1), and the record. NOENT.
  struct Slot {
    uint32_t lblk = 0, off = 0;
    int64_t prev = -1;
    uint32_t ino = 0;
    uint16_t rec_len = 0;
  };
  Result<Slot> find_slot(SchedEntity& self, std::string_view name);
  // Copies directory block lblk, lets edit change it, and stores it with its checksum.
  template <typename F>
  Result<void> edit_dir_block(SchedEntity& self, uint32_t lblk, F&& edit);
  Result<void> add_entry(SchedEntity& self, std::string_view name, uint32_t ino, uint32_t mode);
  // Into one block, in a record with room: false when there is none.
  Result<bool> add_in_block(SchedEntity& self, uint32_t lblk, std::string_view name, uint32_t ino, uint8_t type);
  // A new last block of the directory (ext4_append), holding `bytes` (a whole block): a
  // leaf gets its record tail's checksum set, an index node comes with its own.
  Result<uint32_t> append_dir_block(SchedEntity& self, std::vector<uint8_t>& bytes, bool leaf = true);
  // ext4_dx_add_entry: into the leaf the index gives for the name's hash, splitting a full
  // leaf in two by hash (do_split); a full index block first splits in two, or the root's
  // entries move down a level (NOSPC past the levels the filesystem allows).
  Result<void> add_entry_dx(SchedEntity& self, std::string_view name, uint32_t ino, uint8_t type);
  Result<void> remove_entry(SchedEntity& self, std::string_view name);
  Result<void> set_entry(SchedEntity& self, std::string_view name, uint32_t ino, uint32_t mode);
  // Link counts as ext4_inc_count/ext4_dec_count keep them (a directory past kLinkMax
  // stays at 1), with the change time.
  void change_links(int delta);
  // An inode without names and without users: its blocks, xattr block and number go back
  // (ext4_evict_inode's deletion). Once.
  Result<void> release(SchedEntity& self);
  // The blocks an ext2/3 block map holds, its map blocks included.
  Result<void> release_block_map(SchedEntity& self);
  // Drops the inode's reference to its xattr block (freed with the last one); the
  // filesystem's m_xattr_lock held.
  Result<void> release_xattr_block(SchedEntity& self);
  bool m_released = false;
  // Block I/O for pages (read or written) through the block mapping.
  void page_io(SchedEntity* reader, AddressSpace& m, CachePage* const* pages, size_t n);  // reader null: writeback
  // ext4_mark_inode_dirty: the VFS's attributes stored in the inode's slot of its table, in
  // the disk's cache (written back with it). IO.
  Result<void> write_inode(SchedEntity& self);
  // s_maxbytes for this inode's mapping (ext4_max_size, ext4_max_bitmap_size).
  uint64_t max_file_bytes() const;
  // fallocate's halves: [off, stop) reads as zeros (edges zeroed, whole blocks freed);
  // and COLLAPSE_RANGE or INSERT_RANGE.
  Result<void> clear_range(SchedEntity& self, uint64_t off, uint64_t stop);
  Result<void> shift_range(SchedEntity& self, bool collapse, uint64_t off, uint64_t len);

  // ---- the extent cache and tree changes (extent_tree.cc) ----
  // The file's extents in memory (Linux's extent status tree, kept whole): loaded before
  // the first change (from the extent tree, or from the block map of an ext2/3 file), and
  // authoritative from then on. Lookups (map, and writeback's, which must never wait) read
  // it under m_map_lock; changes hold m_tree_lock and rewrite the on-disk tree from it.
  Result<void> load_extents(SchedEntity& self);
  // Writes ex as the file's extent tree (depth as small as it fits, the tree's blocks
  // reused, allocated or freed as needed; only changed blocks written), then the inode.
  Result<void> store_extents(SchedEntity& self, std::vector<Extent> ex);
  // The mapping of lblk for writeback: from the extent cache, without waiting.
  Result<BlockRun> map_for_writeback(uint32_t lblk);
  // The same from the loaded cache for a reader (fresh extents read as zeros), m_map_lock
  // held.
  BlockRun map_loaded(uint32_t lblk) const;
  // A write has copied its data into [first, end): its fresh extents read as data now.
  void settle_fresh(uint32_t first, uint64_t end);
  // ext4_map_blocks with EXT4_GET_BLOCKS_CREATE for the blocks of bytes [off, end): holes
  // get new blocks and unwritten extents become written, both fresh (read as zeros) until
  // the writer settles them; their runs go to *unzeroed (a write cut short must zero what
  // it did not fill). Returns the block it got to (the end's, or less when the disk filled
  // up: NOSPC if it got nowhere).
  Result<uint64_t> allocate(SchedEntity& self, uint64_t off, uint64_t end, std::vector<Extent>* unzeroed);
  // ext2/3 block maps (the end of extent_tree.cc): the data runs, and the map blocks
  // depth first with their bytes; and the map rewritten from an extent list (FBIG past
  // what three levels reach).
  Result<void> load_block_map(SchedEntity& self, std::vector<Extent>* ex, std::vector<uint64_t>* blocks,
                              std::vector<std::vector<uint8_t>>* images);
  Result<void> store_block_map(SchedEntity& self, std::vector<Extent> ex);
  // Both stores' end: the new root in i_block, the list, the mapping blocks (and what each
  // holds) in use; the inode written, then the blocks no longer used freed.
  Result<void> commit_mapping(SchedEntity& self, const uint8_t (&root)[60], std::vector<Extent> ex,
                              std::vector<uint64_t> blocks, std::vector<std::vector<uint8_t>> images);
  // ext4_ext_truncate: every block from lblk on freed.
  Result<void> free_from(SchedEntity& self, uint32_t lblk);
  // Where new blocks for lblk should start (next: ex's first extent after lblk).
  uint64_t alloc_goal(const std::vector<Extent>& ex, std::vector<Extent>::iterator next, uint32_t lblk) const;
  // A changed extent list with new_blocks more blocks stored (i_blocks counts them); if the
  // tree cannot take it, the new blocks (fresh) go back to the allocator.
  Result<void> store_new_blocks(SchedEntity& self, std::vector<Extent> ex, uint64_t new_blocks,
                                const std::vector<std::pair<uint64_t, uint32_t>>& fresh);
  // ext4_punch_hole's mapping half: the blocks of [first, end) freed (extents split).
  Result<void> free_range(SchedEntity& self, uint32_t first, uint64_t end);
  // ext4_alloc_file_blocks: holes in [first, end) get unwritten extents (read as zeros).
  // Returns where it got to, as allocate.
  Result<uint64_t> preallocate(SchedEntity& self, uint32_t first, uint64_t end);
  // New blocks zeroed on the disk (and no dirty copy of them left in the disk's cache).
  Result<void> zero_blocks(SchedEntity& self, uint64_t pblk, uint64_t n);
  // The disk's cache writes any dirty copy of the blocks now (a freed metadata block), so
  // that none can land over file data later.
  Result<void> forget_cached_blocks(SchedEntity& self, uint64_t pblk, uint64_t n);
  template <typename Ra>
  Result<size_t> read_data(SchedEntity& self, Ra& ra, uint64_t off, const IoBuffer& buf);
  // i_flags: read under m_map_lock, since an inline inode's conversion changes them while
  // lookups (which do not hold the directory's own lock during a rename) read them.
  uint32_t raw_flags() const {
    SpinGuard g(m_map_lock);
    return m_raw.flags;
  }
  bool has_inline() const { return raw_flags() & RawInode::kInlineDataFl; }
  // The file's data when it is inline: i_block's 60 bytes, then system.data's value.
  Result<std::string> inline_data();
  // ext4_convert_inline_data: an inline file or directory moves to a block before it
  // changes (nothing for other inodes). The caller holds the rwsem.
  Result<void> uninline(SchedEntity& self);
  // A copy of the in-inode xattr area (setxattr may replace it meanwhile).
  std::vector<uint8_t> ibody_area() const;
  // The in-inode xattr entries of area (func: who reads them, for the error line).
  Result<void> ibody_xattrs(const char* func, const std::vector<uint8_t>& area, std::vector<XattrEntry>* out);
  // What decoded entries point into: the in-inode area's copy and the external block.
  struct XattrHold {
    std::vector<uint8_t> ibody;
    MetaBlock block;
  };
  // Every xattr (in the inode, then the external block).
  Result<std::vector<XattrEntry>> xattrs(SchedEntity& self, XattrHold* hold);
  // ext4_xattr_set_handle: value null removes. m_xattr_lock of the filesystem taken.
  Result<void> set_xattr(SchedEntity& self, std::string_view name, const std::string_view* value, int flags);
  // The external block's new contents (items; none: the block goes), copied first when
  // shared (m_xattr_lock held).
  Result<void> store_xattr_block(SchedEntity& self, uint64_t blk, uint32_t refs, const std::vector<XattrItem>& items);
  // The value of an entry (reading an ea_inode's data where needed).
  Result<std::string> xattr_value(SchedEntity& self, const XattrEntry& e);

  // Block mapping (map.cc).
  Result<BlockRun> map_extents(SchedEntity& self, uint32_t lblk);
  Result<BlockRun> map_indirect(SchedEntity& self, uint32_t lblk);

  // Directories (dir_ops.cc). Each record of the directory from byte offset `from` (0:
  // the start), in order, until emit returns false. Returns the offset after the last
  // record given, or the directory's end.
  // A bad block or record is logged; readdir's walk skips it (as ext4_readdir), a strict
  // walk (lookups, the emptiness check) fails with BADMSG (a checksum) or UCLEAN.
  template <typename F>
  Result<uint64_t> walk_dir(SchedEntity& self, uint64_t from, F&& emit, bool strict = false);
  // One directory block, read and checked as ext4_read_dirblock does: BADMSG (EFSBADCRC)
  // when its checksum fails, UCLEAN for a hole (or an empty MetaBlock with hole_ok), both
  // logged. A directory block that fails is never written.
  Result<MetaBlock> dir_block(SchedEntity& self, uint32_t lblk, bool hole_ok = false);
  Result<uint32_t> find_linear(SchedEntity& self, std::string_view name);
  // The htree lookup: NOENT, the inode, or an error saying to fall back (INVAL).
  Result<uint32_t> find_htree(SchedEntity& self, std::string_view name);
  Result<uint32_t> find_in_block(const uint8_t* b, uint32_t size, std::string_view name, uint32_t lblk);
  // ext4_dirblock_csum_verify: BADMSG (logged) when the block's tail is missing or wrong.
  Result<void> check_dir_block(const uint8_t* b, uint32_t lblk);
  uint64_t dir_blocks() const;

  RawInode m_raw;
  uint32_t m_csum_seed = 0;
  std::vector<uint8_t> m_ibody_xattrs;  // the in-inode xattr area (may be empty; m_map_lock)
  std::unique_ptr<AddressSpace> m_data;  // regular files and slow symlinks
  // The last run map() found, so sequential reads do not walk the tree per page.
  mutable SpinLock m_map_lock;  // the cached run, the extent cache, m_raw's mapping fields
  uint32_t m_cached_lblk = 0, m_cached_len = 0;
  uint64_t m_cached_pblk = 0;
  bool m_cached_unwritten = false;
  bool m_cached_valid = false;
  std::atomic<bool> m_htree_broken{false};  // the index failed once: linear lookups
  Mutex m_inode_lock;  // serialises write_inode's read-modify-write of the slot
  Mutex m_tree_lock;   // serialises changes of the block mapping (and the cache's loading)
  bool m_ext_loaded = false;                      // m_map_lock (set once, under m_tree_lock)
  std::vector<Extent> m_ext;                      // m_map_lock to read, both locks to change
  std::vector<uint64_t> m_tree_blocks;            // the tree's blocks below the root (m_tree_lock)
  std::vector<std::vector<uint8_t>> m_tree_images;  // what each holds on the disk (m_tree_lock)
};

}  // namespace uml::kern::ext4
