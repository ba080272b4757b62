// Names on a writable ext4 (Linux's namei.c and ialloc.c in miniature): new inodes, and the
// records of directories, added by splitting a record with room or in a new block (in an
// indexed directory: in the leaf its hash leads to, split in two by hash when full),
// removed by joining a record to the one before it (ext4_generic_delete_entry), changed in
// place for rename. An inode whose last name went is freed when its last user lets go.

#include <cstring>

#include "core/base/byteorder.h"
#include "core/fs/ext4/dir.h"
#include "core/fs/ext4/inode.h"
#include "core/fs/ext4/xattr.h"
#include "core/sched/scheduler.h"
#include "core/time/clock.h"

namespace uml::kern::ext4 {

namespace {
constexpr uint32_t kIndBlock = 12;  // i_block[12..14]: indirect, double, triple

uint8_t ft(const Super& s, uint32_t mode) { return s.has_incompat(feat::kInFiletype) ? ft_of_mode(mode) : 0; }

void put_time(const Super& s, uint8_t* raw, size_t base, size_t extra, int64_t ns, uint16_t extra_isize) {
  const int64_t sec = ns / 1'000'000'000;
  put_le32(raw + base, static_cast<uint32_t>(sec));
  if (s.inode_size > 128 && 128 + size_t{extra_isize} >= extra + 4)
    put_le32(raw + extra, static_cast<uint32_t>(((sec - static_cast<int32_t>(static_cast<uint32_t>(sec))) >> 32) & 3) |
                              static_cast<uint32_t>(ns % 1'000'000'000) << 2);
}
}  // namespace

template <typename F>
Result<void> Ext4Inode::edit_dir_block(SchedEntity& self, uint32_t lblk, F&& edit) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const BlockRun r = TRY(map(self, lblk));
  std::vector<uint8_t> b(s.block_size);
  {
    MetaBlock m = TRY(dir_block(self, lblk));
    memcpy(b.data(), m.data(), s.block_size);
  }
  edit(b.data());
  uint32_t csum;
  if (s.metadata_csum() && dir_tail(b.data(), s.block_size, &csum))
    put_le32(b.data() + s.block_size - 4, dir_block_csum(m_csum_seed, b.data(), s.block_size));
  return fs.write_meta(self, r.pblk * s.block_size, b.data(), s.block_size);
}

Result<Ext4Inode::Slot> Ext4Inode::find_slot(SchedEntity& self, std::string_view name) {
  TRY(uninline(self));  // a name about to change: its records go to a block first
  const Super& s = fs().super();
  const uint64_t nblocks = dir_blocks();
  for (uint64_t lblk = 0; lblk < nblocks; ++lblk) {
    // A block that fails its check is the operation's error: the name may be in it.
    MetaBlock b = TRY(dir_block(self, static_cast<uint32_t>(lblk), /*hole_ok=*/true));
    if (!b.data()) continue;
    Slot slot;
    int64_t prev = -1;
    bool found = false;
    uint32_t bad_off = 0;
    std::string why = walk_dir_block(s, b.data(), s.block_size, [&](uint32_t off, const DirRecord& r) {
      if (r.ino && r.name == name) {
        slot = Slot{static_cast<uint32_t>(lblk), off, prev, r.ino, r.rec_len};
        found = true;
        return false;
      }
      prev = off;
      return true;
    }, &bad_off);
    if (found) return slot;
    if (!why.empty()) {
      fs().error("ext4_find_entry", ino32(), 0, "bad entry in directory block %llu: %s - offset=%u",
                 static_cast<unsigned long long>(lblk), why.c_str(), bad_off);
      return kCorrupted;
    }
  }
  return Errno::NOENT;
}

Result<bool> Ext4Inode::add_in_block(SchedEntity& self, uint32_t lblk, std::string_view name, uint32_t ino,
                                     uint8_t type) {
  const Super& s = fs().super();
  const uint32_t need = dir_rec_len(static_cast<uint32_t>(name.size()));
  int64_t at = -1;
  uint32_t used = 0;
  uint16_t rec_len = 0;
  {
    // ext4_add_entry: a block that fails its check, or holds a bad record, fails the
    // operation (the name might already be there); only a hole is passed over.
    MetaBlock b = TRY(dir_block(self, lblk, /*hole_ok=*/true));
    if (!b.data()) return false;
    uint32_t bad_off = 0;
    std::string why = walk_dir_block(s, b.data(), s.block_size, [&](uint32_t off, const DirRecord& r) {
      const uint32_t u = r.ino ? dir_rec_len(r.name_len) : 0;
      if (r.rec_len >= u + need) {
        at = off;
        used = u;
        rec_len = r.rec_len;
        return false;
      }
      return true;
    }, &bad_off);
    if (at < 0 && !why.empty()) {
      fs().error("ext4_find_dest_de", ino32(), 0, "bad entry in directory block %u: %s - offset=%u", lblk,
                 why.c_str(), bad_off);
      return kCorrupted;
    }
    if (at < 0) return false;
  }
  TRY(edit_dir_block(self, lblk, [&](uint8_t* b) {
    uint8_t* rec = b + at;
    if (used) put_le16(rec + 4, static_cast<uint16_t>(used));
    put_dir_record(rec + used, ino, static_cast<uint16_t>(rec_len - used), name, type);
  }));
  return true;
}

Result<uint32_t> Ext4Inode::append_dir_block(SchedEntity& self, std::vector<uint8_t>& bytes, bool leaf) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  const uint64_t lblk = dir_blocks();
  if (lblk >= (uint64_t{1} << 28)) return Errno::NOSPC;  // dx entries hold 28 bits of block
  {
    MutexGuard t(m_tree_lock, self);
    TRY(load_extents(self));
    std::vector<Extent> unzeroed;
    const uint64_t reached = TRY(allocate(self, lblk * bs, (lblk + 1) * bs, &unzeroed));
    if (reached <= lblk) return Errno::NOSPC;
  }
  const BlockRun r = TRY(map_for_writeback(static_cast<uint32_t>(lblk)));
  if (leaf && s.metadata_csum()) put_le32(bytes.data() + bs - 4, dir_block_csum(m_csum_seed, bytes.data(), bs));
  auto w = fs.write_meta(self, r.pblk * bs, bytes.data(), bs);
  settle_fresh(static_cast<uint32_t>(lblk), lblk + 1);
  TRY(w);
  update_attr([&](InodeAttr& a) { a.size = (lblk + 1) * bs; });
  return static_cast<uint32_t>(lblk);
}

Result<void> Ext4Inode::add_entry(SchedEntity& self, std::string_view name, uint32_t ino, uint32_t mode) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  TRY(uninline(self));
  const uint8_t type = ft(s, mode);
  if ((raw_flags() & RawInode::kIndexFl) && s.has_compat(feat::kCompatDirIndex)) {
    if (m_htree_broken.load(std::memory_order_relaxed))
      return fs.unsupported("ext4_dx_add_entry", ino32(), "adding a name to a directory with a damaged index");
    return add_entry_dx(self, name, ino, type);
  }
  // A record with room, in any block.
  const uint64_t nblocks = dir_blocks();
  for (uint64_t lblk = 0; lblk < nblocks; ++lblk)
    if (TRY(add_in_block(self, static_cast<uint32_t>(lblk), name, ino, type))) return {};
  // No room: a new block at the end (ext4_append).
  std::vector<uint8_t> b(bs, 0);
  const uint32_t tail = s.metadata_csum() ? kDirTailSize : 0;
  put_dir_record(b.data(), ino, static_cast<uint16_t>(bs - tail), name, type);
  if (tail) put_dir_tail(b.data(), bs);
  TRY(append_dir_block(self, b));
  return {};
}

Result<void> Ext4Inode::add_entry_dx(SchedEntity& self, std::string_view name, uint32_t ino, uint8_t type) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  // dx_probe, keeping each index block's bytes and the entry taken there.
  struct Level {
    uint32_t lblk;
    std::vector<uint8_t> bytes;
    DxNode node;
    size_t at;
  };
  std::vector<Level> path;
  uint32_t hash = 0, minor = 0;
  uint8_t version = 0;
  for (uint32_t lblk = 0, depth = 0;; ++depth) {
    Level l{lblk, std::vector<uint8_t>(bs), {}, 0};
    {
      MetaBlock b = TRY(dir_block(self, lblk));
      memcpy(l.bytes.data(), b.data(), bs);
    }
    const std::string why = depth == 0 ? decode_dx_root(s, m_csum_seed, l.bytes.data(), bs, &l.node)
                                       : decode_dx_node(s, m_csum_seed, l.bytes.data(), bs, &l.node);
    if (!why.empty()) {
      fs.error("dx_probe", ino32(), 0, "block %u: %s", lblk, why.c_str());
      return kCorrupted;
    }
    if (depth == 0) {
      version = effective_hash_version(s, l.node.hash_version);
      if (!dir_hash(version, s.hash_seed, name, &hash, &minor)) return kCorrupted;
    }
    l.at = dx_find(l.node, hash);
    const uint32_t child = l.node.entries[l.at].block;
    const uint32_t levels = path.empty() ? l.node.levels : path.front().node.levels;
    path.push_back(std::move(l));
    if (child == 0 || child >= dir_blocks()) {
      fs.error("dx_probe", ino32(), 0, "dx entry points to block %u beyond the directory", child);
      return kCorrupted;
    }
    if (depth == levels) break;
    lblk = child;
    if (path.size() > 3) return kCorrupted;
  }
  Level& parent = path.back();
  const uint32_t leaf = parent.node.entries[parent.at].block;
  if (TRY(add_in_block(self, leaf, name, ino, type))) return {};
  // The leaf is full and must split, which needs room for one more entry in its index block.
  auto full = [&](size_t d) {
    const uint32_t off = dx_count_offset(d == 0);
    return le16(path[d].bytes.data() + off + 2) >= le16(path[d].bytes.data() + off);
  };
  auto store_index = [&](Level& l) -> Result<void> {
    const BlockRun r = TRY(map(self, l.lblk));
    return fs.write_meta(self, r.pblk * bs, l.bytes.data(), bs);
  };
  if (full(path.size() - 1)) {
    // ext4_dx_add_entry's index split: the highest full block of the path whose parent has
    // room splits in two; when the blocks are full up to the root, the root's entries move
    // to a new node below it (one more level). Then the name is placed anew.
    size_t d = path.size() - 1;
    while (d > 0 && full(d - 1)) --d;
    const bool add_level = d == 0;
    const size_t max_levels = s.has_incompat(feat::kInLargedir) ? 3 : 2;
    if (add_level && path.size() >= max_levels) {
      fs.warning("Directory (ino: %u) index full, reach max htree level :%zu", ino32(), max_levels);
      return Errno::NOSPC;
    }
    Level& l = path[d];
    const uint32_t off = dx_count_offset(d == 0);
    const uint32_t count = le16(l.bytes.data() + off + 2);
    const uint32_t from = add_level ? 0 : count / 2;  // the entries the new node takes
    std::vector<uint8_t> node(bs, 0);
    put_le16(node.data() + 4, static_cast<uint16_t>(bs));  // a fake record over the block
    for (uint32_t i = from; i < count; ++i) {
      uint8_t* e = node.data() + 8 + (i - from) * 8;
      memcpy(e, l.bytes.data() + off + i * 8, 8);  // the first's hash slot takes the count
    }
    put_le16(node.data() + 8, static_cast<uint16_t>(dx_node_limit(s)));
    put_le16(node.data() + 10, static_cast<uint16_t>(count - from));
    dx_set_csum(s, m_csum_seed, node.data(), 8);
    const uint32_t hash2 = le32(l.bytes.data() + off + from * 8);
    const uint32_t node_lblk = TRY(append_dir_block(self, node, /*leaf=*/false));
    if (add_level) {
      put_le16(l.bytes.data() + off + 2, 1);
      put_le32(l.bytes.data() + off + 4, node_lblk);
      l.bytes[30] = static_cast<uint8_t>(l.bytes[30] + 1);  // dx_root_info.indirect_levels
    } else {
      put_le16(l.bytes.data() + off + 2, static_cast<uint16_t>(from));
      Level& up = path[d - 1];
      dx_insert(s, m_csum_seed, up.bytes.data(), dx_count_offset(d - 1 == 0), up.at, hash2, node_lblk);
      TRY(store_index(up));
    }
    dx_set_csum(s, m_csum_seed, l.bytes.data(), off);
    TRY(store_index(l));
    return add_entry_dx(self, name, ino, type);
  }
  const uint32_t count_off = dx_count_offset(path.size() == 1);
  struct Rec {
    uint32_t hash, ino;
    uint8_t type;
    std::string name;
  };
  std::vector<Rec> recs;
  {
    MetaBlock b = TRY(dir_block(self, leaf));
    uint32_t bad_off = 0;
    bool ok = true;
    std::string why = walk_dir_block(s, b.data(), bs, [&](uint32_t, const DirRecord& r) {
      if (!r.ino) return true;
      uint32_t h = 0, m = 0;
      ok = ok && dir_hash(version, s.hash_seed, r.name, &h, &m);
      recs.push_back(Rec{h, r.ino, r.file_type, std::string(r.name)});
      return true;
    }, &bad_off);
    if (!why.empty() || !ok || recs.size() < 2) return kCorrupted;
  }
  std::stable_sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.hash < b.hash; });
  // The upper half by size moves (dx_make_map and the split point of do_split).
  size_t split = recs.size();
  uint32_t moved = 0;
  while (split > 1 && moved + dir_rec_len(static_cast<uint32_t>(recs[split - 1].name.size())) <= bs / 2)
    moved += dir_rec_len(static_cast<uint32_t>(recs[--split].name.size()));
  if (split == recs.size()) --split;  // at least one record moves
  const uint32_t hash2 = recs[split].hash;
  const uint32_t continued = hash2 == recs[split - 1].hash ? 1 : 0;
  const uint32_t tail = s.metadata_csum() ? kDirTailSize : 0;
  auto pack = [&](size_t from, size_t to) {
    std::vector<uint8_t> b(bs, 0);
    uint32_t off = 0;
    for (size_t i = from; i < to; ++i) {
      const uint32_t len = i + 1 == to ? bs - tail - off : dir_rec_len(static_cast<uint32_t>(recs[i].name.size()));
      put_dir_record(b.data() + off, recs[i].ino, static_cast<uint16_t>(len), recs[i].name, recs[i].type);
      off += len;
    }
    if (tail) put_dir_tail(b.data(), bs);
    return b;
  };
  std::vector<uint8_t> upper = pack(split, recs.size());
  const uint32_t new_lblk = TRY(append_dir_block(self, upper));
  const std::vector<uint8_t> lower = pack(0, split);
  TRY(edit_dir_block(self, leaf, [&](uint8_t* b) { memcpy(b, lower.data(), bs); }));
  dx_insert(s, m_csum_seed, parent.bytes.data(), count_off, parent.at, hash2 + continued, new_lblk);
  TRY(store_index(parent));
  // The name goes to the half its hash belongs to.
  const uint32_t target = hash >= hash2 ? new_lblk : leaf;
  if (!TRY(add_in_block(self, target, name, ino, type))) {
    fs.error("ext4_dx_add_entry", ino32(), 0, "no room after splitting block %u", leaf);
    return kCorrupted;
  }
  return {};
}

Result<void> Ext4Inode::remove_entry(SchedEntity& self, std::string_view name) {
  const Slot slot = TRY(find_slot(self, name));
  return edit_dir_block(self, slot.lblk, [&](uint8_t* b) {
    if (slot.prev >= 0) {
      uint8_t* prev = b + slot.prev;
      put_le16(prev + 4, static_cast<uint16_t>(le16(prev + 4) + slot.rec_len));
    } else {
      put_le32(b + slot.off, 0);
    }
  });
}

Result<void> Ext4Inode::set_entry(SchedEntity& self, std::string_view name, uint32_t ino, uint32_t mode) {
  const Slot slot = TRY(find_slot(self, name));
  const uint8_t type = ft(fs().super(), mode);
  return edit_dir_block(self, slot.lblk, [&](uint8_t* b) {
    put_le32(b + slot.off, ino);
    b[slot.off + 7] = type;
  });
}

void Ext4Inode::change_links(int delta) {
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) {
    a.ctime_ns = now;
    if (is_dir() && a.nlink == 1 && delta > 0) return;  // past EXT4_LINK_MAX: stays 1
    if (delta < 0 && a.nlink < static_cast<uint32_t>(-delta)) a.nlink = 0;
    else a.nlink = static_cast<uint32_t>(static_cast<int64_t>(a.nlink) + delta);
    if (is_dir() && a.nlink >= kLinkMax) a.nlink = 1;
  });
}

Result<RefPtr<Ext4Inode>> Ext4Inode::new_inode(SchedEntity& self, uint32_t mode, uint32_t uid, uint32_t gid,
                                               uint64_t rdev, std::string_view target, uint32_t parent) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  const uint32_t type = mode & abi::S_IFMT_;
  const bool dir = type == abi::S_IFDIR_;
  const bool slow_link = type == abi::S_IFLNK_ && target.size() >= 60;
  const bool extents = s.has_incompat(feat::kInExtents);
  const uint32_t ino = TRY(fs.alloc_inode(self, static_cast<uint32_t>((m_ino - 1) / s.inodes_per_group), dir));
  // A first block: the directory's records, or the symlink's target.
  uint64_t blk = 0;
  if (dir || slow_link) {
    uint32_t got = 0;
    auto a = fs.alloc_blocks(self, s.group_first_block((ino - 1) / s.inodes_per_group), 1, &got);
    if (!a) {
      (void)fs.free_inode(self, ino, dir);
      return a.error();
    }
    blk = a.value();
  }
  const int64_t now = sb().now();
  std::vector<uint8_t> raw(s.inode_size, 0);
  const uint16_t extra = s.inode_size > 128 ? static_cast<uint16_t>(std::min<size_t>(32, s.inode_size - 128)) : 0;
  if (extra) put_le16(raw.data() + 0x80, extra);
  put_le32(raw.data() + 0x64, fs.random_u32());  // i_generation: random, as Linux
  if (s.inode_size > 128 && 128 + size_t{extra} >= 0x94 + 4) put_time(s, raw.data(), 0x90, 0x94, now, extra);  // crtime
  RawInode seed_src;
  seed_src.ino = ino;
  seed_src.generation = le32(raw.data() + 0x64);
  const uint32_t seed = inode_csum_seed(s, seed_src);
  InodeFields f;
  f.mode = mode;
  f.uid = uid;
  f.gid = gid;
  f.links = 0;  // named by the caller
  f.atime_ns = f.mtime_ns = f.ctime_ns = now;
  if (type == abi::S_IFREG_ || dir || slow_link) {
    if (extents) {
      f.flags |= RawInode::kExtentsFl;
      const Extent first{0, 1, false, blk};  // block 0 at blk, if there is one
      encode_extent_root(f.block, &first, blk ? 1 : 0);
    } else if (blk) {
      put_le32(f.block, static_cast<uint32_t>(blk));
    }
  }
  if (type == abi::S_IFLNK_ && !slow_link) memcpy(f.block, target.data(), target.size());
  if (type == abi::S_IFCHR_ || type == abi::S_IFBLK_) {
    // ext4's old_encode_dev when it fits, else new_encode_dev in i_block[1].
    const uint32_t major = static_cast<uint32_t>(((rdev >> 32) & 0xfffff000u) | ((rdev >> 8) & 0xfffu));
    const uint32_t minor = static_cast<uint32_t>(((rdev >> 12) & 0xffffff00u) | (rdev & 0xffu));
    if (major < 256 && minor < 256) put_le32(f.block, major << 8 | minor);
    else put_le32(f.block + 4, (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12));
  }
  if (blk) {
    std::vector<uint8_t> b(bs, 0);
    if (dir) {
      const uint32_t tail = s.metadata_csum() ? kDirTailSize : 0;
      put_dir_record(b.data(), ino, 12, ".", ft(s, abi::S_IFDIR_));
      put_dir_record(b.data() + 12, parent, static_cast<uint16_t>(bs - 12 - tail), "..", ft(s, abi::S_IFDIR_));
      if (tail) {
        put_dir_tail(b.data(), bs);
        put_le32(b.data() + bs - 4, dir_block_csum(seed, b.data(), bs));
      }
      f.size = bs;
    } else {
      memcpy(b.data(), target.data(), target.size());
      f.size = target.size();
    }
    TRY(fs.write_meta(self, blk * bs, b.data(), bs));
    // A symlink's target is read through its own cache, from the disk: it goes there now.
    if (slow_link) TRY(fs.bdev().mapping().write_and_wait(self, blk * bs, (blk + 1) * bs, nullptr));
    f.blocks = bs / 512;
  } else if (type == abi::S_IFLNK_) {
    f.size = target.size();
  }
  encode_inode(s, ino, f, raw.data());
  InodeSlot slot;
  inode_slot(s, ino, &slot);
  const uint64_t at = fs.m_groups[slot.group].inode_table * bs + slot.offset;
  TRY(fs.write_meta(self, at, raw.data(), raw.size()));
  // Read back as any inode is (nlink 0 is allowed while the number is in use: a new one).
  RawInode r;
  std::vector<uint8_t> xattrs;
  TRY(fs.read_inode(self, ino, &r, &xattrs));
  auto fresh = RefPtr<Ext4Inode>::adopt(new Ext4Inode(fs, r, std::move(xattrs)));
  {
    SpinGuard g(fs.m_icache_lock);
    fs.m_icache[ino] = fresh.get();
  }
  return fresh;
}

Result<RefPtr<Inode>> Ext4Inode::create(Actor& self, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid,
                                        uint64_t rdev, std::string_view target) {
  if (fs().read_only()) return Errno::ROFS;
  if (name.size() > 255) return Errno::NAMETOOLONG;
  if ((mode & abi::S_IFMT_) == abi::S_IFLNK_ && target.size() >= fs().block_size()) return Errno::NAMETOOLONG;
  const bool dir = (mode & abi::S_IFMT_) == abi::S_IFDIR_;
  if (dir && attr().nlink >= kLinkMax && !fs().super().has_ro_compat(feat::kRoDirNlink)) return Errno::MLINK;
  RefPtr<Ext4Inode> child = TRY(new_inode(self, mode, uid, gid, rdev, target, ino32()));
  if (auto r = add_entry(self, name, child->ino32(), mode); !r) {
    (void)child->release(self);  // nothing names it: it goes
    return r.error();
  }
  child->update_attr([&](InodeAttr& a) { a.nlink = dir ? 2 : 1; });
  if (dir) change_links(1);
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
  return RefPtr<Inode>(std::move(child));
}

Result<RefPtr<Inode>> Ext4Inode::tmpfile(Actor& self, uint32_t mode, uint32_t uid, uint32_t gid) {
  if (fs().read_only()) return Errno::ROFS;
  RefPtr<Ext4Inode> child = TRY(new_inode(self, abi::S_IFREG_ | (mode & abi::S_IALLUGO_), uid, gid, 0, {}, ino32()));
  return RefPtr<Inode>(std::move(child));
}

Result<void> Ext4Inode::link(Actor& self, std::string_view name, Inode& target_inode) {
  if (fs().read_only()) return Errno::ROFS;
  if (name.size() > 255) return Errno::NAMETOOLONG;
  auto& target = static_cast<Ext4Inode&>(target_inode);
  if (target.attr().nlink >= kLinkMax) return Errno::MLINK;
  TRY(add_entry(self, name, target.ino32(), target.mode()));
  target.change_links(1);
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
  return {};
}

Result<void> Ext4Inode::remove(Actor& self, std::string_view name, bool dir) {
  if (fs().read_only()) return Errno::ROFS;
  const Slot slot = TRY(find_slot(self, name));
  RefPtr<Ext4Inode> victim = TRY(fs().iget(self, slot.ino));
  if (dir && !victim->empty_dir(self)) return Errno::NOTEMPTY;
  TRY(remove_entry(self, name));
  if (dir) {
    victim->update_attr([now = sb().now()](InodeAttr& a) {
      a.nlink = 0;
      a.ctime_ns = now;
    });
    change_links(-1);
  } else {
    victim->change_links(-1);
  }
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
  return {};
}

Result<void> Ext4Inode::rename(Actor& self, std::string_view name, Inode& new_dir_inode, std::string_view new_name) {
  if (fs().read_only()) return Errno::ROFS;
  if (new_name.size() > 255) return Errno::NAMETOOLONG;
  auto& new_dir = static_cast<Ext4Inode&>(new_dir_inode);
  const Slot from = TRY(find_slot(self, name));
  RefPtr<Ext4Inode> moving = TRY(fs().iget(self, from.ino));
  const bool is_dir = moving->is_dir();
  RefPtr<Ext4Inode> replaced;
  if (auto to = new_dir.find_slot(self, new_name); to) {
    if (to.value().ino == from.ino) return {};  // two names of one inode: nothing to do
    replaced = TRY(fs().iget(self, to.value().ino));
    if (replaced->is_dir() && !replaced->empty_dir(self)) return Errno::NOTEMPTY;
    TRY(new_dir.set_entry(self, new_name, from.ino, moving->mode()));
  } else if (to.error() == Errno::NOENT) {
    TRY(new_dir.add_entry(self, new_name, from.ino, moving->mode()));
  } else {
    return to.error();
  }
  TRY(remove_entry(self, name));
  if (replaced) {
    if (replaced->is_dir()) {
      replaced->update_attr([now = sb().now()](InodeAttr& a) {
        a.nlink = 0;
        a.ctime_ns = now;
      });
      new_dir.change_links(-1);
    } else {
      replaced->change_links(-1);
    }
  }
  if (is_dir && &new_dir != this) {
    TRY(moving->set_entry(self, "..", new_dir.ino32(), abi::S_IFDIR_));
    change_links(-1);
    new_dir.change_links(1);
  }
  const int64_t now = sb().now();
  moving->update_attr([&](InodeAttr& a) { a.ctime_ns = now; });
  update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
  if (&new_dir != this) new_dir.update_attr([&](InodeAttr& a) { a.mtime_ns = a.ctime_ns = now; });
  return {};
}

Result<void> Ext4Inode::exchange(Actor& self, std::string_view name, Inode& new_dir_inode, std::string_view new_name) {
  if (fs().read_only()) return Errno::ROFS;
  auto& new_dir = static_cast<Ext4Inode&>(new_dir_inode);
  const Slot a = TRY(find_slot(self, name));
  const Slot b = TRY(new_dir.find_slot(self, new_name));
  RefPtr<Ext4Inode> ia = TRY(fs().iget(self, a.ino));
  RefPtr<Ext4Inode> ib = TRY(new_dir.fs().iget(self, b.ino));
  TRY(set_entry(self, name, b.ino, ib->mode()));
  TRY(new_dir.set_entry(self, new_name, a.ino, ia->mode()));
  if (&new_dir != this) {
    if (ia->is_dir()) TRY(ia->set_entry(self, "..", new_dir.ino32(), abi::S_IFDIR_));
    if (ib->is_dir()) TRY(ib->set_entry(self, "..", ino32(), abi::S_IFDIR_));
    if (ia->is_dir() != ib->is_dir()) {  // a directory changed parents: its link moves
      change_links(ib->is_dir() ? 1 : -1);
      new_dir.change_links(ia->is_dir() ? 1 : -1);
    }
  }
  const int64_t now = sb().now();
  for (Ext4Inode* i : {ia.get(), ib.get()}) i->update_attr([&](InodeAttr& x) { x.ctime_ns = now; });
  update_attr([&](InodeAttr& x) { x.mtime_ns = x.ctime_ns = now; });
  if (&new_dir != this) new_dir.update_attr([&](InodeAttr& x) { x.mtime_ns = x.ctime_ns = now; });
  return {};
}

Result<void> Ext4Inode::release_block_map(SchedEntity& self) {
  Ext4Fs& fs = this->fs();
  const uint32_t per = fs.block_size() / 4;
  // The map blocks, depth first, then every data block they and i_block point to.
  std::vector<std::pair<uint64_t, int>> todo;  // block, levels of indirection below it
  for (int k = 0; k < 3; ++k) {
    const uint32_t b = le32(m_raw.block + 4 * (kIndBlock + k));
    if (b) todo.emplace_back(b, k);
  }
  std::vector<uint64_t> to_free;
  for (uint32_t i = 0; i < kIndBlock; ++i)
    if (uint32_t b = le32(m_raw.block + 4 * i)) to_free.push_back(b);
  while (!todo.empty()) {
    auto [blk, level] = todo.back();
    todo.pop_back();
    if (!fs.valid_blocks(blk, 1) || to_free.size() > (uint64_t{1} << 26)) {
      fs.error("ext4_ind_truncate", ino32(), blk, "block map points outside the filesystem");
      return kCorrupted;
    }
    to_free.push_back(blk);
    MetaBlock m = TRY(fs.read_block(self, blk));
    for (uint32_t i = 0; i < per; ++i) {
      const uint32_t b = le32(m.data() + 4 * i);
      if (!b) continue;
      if (level) todo.emplace_back(b, level - 1);
      else to_free.push_back(b);
    }
  }
  for (uint64_t b : to_free) TRY(fs.free_blocks(self, b, 1));
  return {};
}

// ext4_xattr_release_block: one user fewer of a shared block; the last frees it.
Result<void> Ext4Inode::release_xattr_block(SchedEntity& self) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint64_t blk = m_raw.file_acl;
  if (!fs.valid_blocks(blk, 1)) {
    fs.error("ext4_xattr_release_block", ino32(), blk, "xattr block out of range");
    return kCorrupted;
  }
  std::vector<uint8_t> b(s.block_size);
  {
    MetaBlock m = TRY(fs.read_block(self, blk));
    memcpy(b.data(), m.data(), s.block_size);
  }
  if (le32(b.data()) != kXattrMagic) {
    fs.error("ext4_xattr_release_block", ino32(), blk, "bad xattr block header");
    return kCorrupted;
  }
  const uint32_t refs = le32(b.data() + 4);
  {
    SpinGuard g(m_map_lock);
    m_raw.file_acl = 0;
  }
  if (refs <= 1) return fs.free_blocks(self, blk, 1);
  put_le32(b.data() + 4, refs - 1);
  if (s.metadata_csum()) put_le32(b.data() + 16, xattr_block_csum(s, blk, b.data()));
  return fs.write_meta(self, blk * s.block_size, b.data(), s.block_size);
}

Result<void> Ext4Inode::release(SchedEntity& self) {
  if (m_released) return {};
  m_released = true;
  Ext4Fs& fs = this->fs();
  if (m_data) m_data->invalidate(&self, 0, ~uint64_t{0}, /*discard_dirty=*/true);
  const bool fast_link = is_symlink() && !m_data;
  const uint32_t type = this->type();
  if (!has_inline() && !fast_link && type != abi::S_IFCHR_ && type != abi::S_IFBLK_ && type != abi::S_IFIFO_ &&
      type != abi::S_IFSOCK_) {
    MutexGuard t(m_tree_lock, self);
    if (m_raw.has_extents()) {
      TRY(load_extents(self));
      TRY(free_from(self, 0));
    } else {
      TRY(release_block_map(self));
    }
  }
  if (m_raw.file_acl) {
    MutexGuard x(fs.m_xattr_lock, self);
    TRY(release_xattr_block(self));
  }
  {
    SpinGuard g(m_map_lock);
    m_raw.dtime = static_cast<uint64_t>(sb().now() / 1'000'000'000);
    memset(m_raw.block, 0, sizeof m_raw.block);
    // An extent-mapped inode keeps an empty root, as ext4_ext_truncate leaves it: e2fsck
    // counts an extents flag over a bad header against the inodes around it, and declares
    // a table block of such inodes garbage.
    if (m_raw.has_extents()) encode_extent_root(m_raw.block, nullptr, 0);
    m_raw.blocks = 0;
  }
  update_attr([](InodeAttr& a) {
    a.nlink = 0;
    a.size = 0;
  });
  return fs.free_inode(self, ino32(), is_dir());
}

}  // namespace uml::kern::ext4
