// Setting and removing extended attributes (Linux's ext4_xattr_set_handle): an attribute
// goes into the inode's own area while it fits there, else into the external block. A
// block other inodes share (h_refcount > 1) is copied before it changes; a block left
// without entries goes back to the allocator. Without a journal, each step is one write:
// the new block, then the inode, then the old block's count.

#include <cstring>

#include "core/abi/fs.h"
#include "core/base/byteorder.h"
#include "core/fs/ext4/inode.h"
#include "core/sched/scheduler.h"
#include "core/time/clock.h"

namespace uml::kern::ext4 {

Result<void> Ext4Inode::setxattr(Actor& self, std::string_view name, std::string_view value, int flags) {
  return set_xattr(self, name, &value, flags);
}

Result<void> Ext4Inode::removexattr(Actor& self, std::string_view name) {
  return set_xattr(self, name, nullptr, abi::XATTR_REPLACE_);
}

Result<void> Ext4Inode::store_xattr_block(SchedEntity& self, uint64_t blk, uint32_t refs,
                                          const std::vector<XattrItem>& items) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  const uint32_t bs = s.block_size;
  const uint64_t units = bs / 512;
  if (items.empty()) {  // the last attribute of the block went
    TRY(release_xattr_block(self));
    SpinGuard g(m_map_lock);
    m_raw.blocks -= std::min(m_raw.blocks, units);
    return {};
  }
  std::vector<uint8_t> b(bs);
  if (blk && refs == 1) {  // our own block: rewritten in place
    if (!encode_block_xattrs(s, blk, 1, items, b.data())) return Errno::NOSPC;
    return fs.write_meta(self, blk * bs, b.data(), bs);
  }
  // A new block (none yet, or a shared one copied): near the inode, as ext4_new_meta_blocks.
  uint32_t got = 0;
  const uint64_t goal = s.group_first_block(static_cast<uint32_t>((m_ino - 1) / s.inodes_per_group));
  const uint64_t nb = TRY(fs.alloc_blocks(self, goal, 1, &got));
  if (!encode_block_xattrs(s, nb, 1, items, b.data())) {
    (void)fs.free_blocks(self, nb, 1);
    return Errno::NOSPC;
  }
  if (auto w = fs.write_meta(self, nb * bs, b.data(), bs); !w) {
    (void)fs.free_blocks(self, nb, 1);
    return w;
  }
  if (blk) TRY(release_xattr_block(self));  // the shared block loses our reference
  SpinGuard g(m_map_lock);
  m_raw.file_acl = nb;
  if (!blk) m_raw.blocks += units;
  return {};
}

Result<void> Ext4Inode::set_xattr(SchedEntity& self, std::string_view name, const std::string_view* value,
                                  int flags) {
  Ext4Fs& fs = this->fs();
  const Super& s = fs.super();
  if (fs.read_only()) return Errno::ROFS;
  uint8_t index = 0;
  std::string_view suffix;
  if (!xattr_name_index(name, &index, &suffix)) return Errno::OPNOTSUPP;
  if (suffix.empty()) return Errno::INVAL;  // xattr_resolve_name: a prefix alone
  if (suffix.size() > 255) return Errno::RANGE;
  if (s.rev_level == 0) return fs.unsupported("ext4_xattr_set", ino32(), "an xattr on a revision 0 filesystem");
  const uint32_t ino = ino32();
  MutexGuard xg(fs.m_xattr_lock, self);

  // What the inode holds now.
  std::vector<uint8_t> area;
  uint64_t blk;
  {
    SpinGuard g(m_map_lock);
    area = m_ibody_xattrs;
    blk = m_raw.file_acl;
  }
  std::vector<XattrItem> in_inode, in_block;
  if (std::string bad = xattr_items_of_inode(area.data(), area.size(), &in_inode); !bad.empty()) {
    fs.error("ext4_xattr_ibody_find", ino, 0, "%s", bad.c_str());
    return kCorrupted;
  }
  uint32_t refs = 0;
  if (blk) {
    if (!fs.valid_blocks(blk, 1)) {
      fs.error("ext4_xattr_block_find", ino, blk, "xattr block out of range");
      return kCorrupted;
    }
    MetaBlock b = TRY(fs.read_block(self, blk));
    if (std::string bad = xattr_items_of_block(s, blk, b.data(), &in_block); !bad.empty()) {
      fs.error("ext4_xattr_block_find", ino, blk, "corrupted xattr block: %s", bad.c_str());
      return kCorrupted;
    }
    refs = le32(b.data() + 4);
  }

  // The old value goes from wherever it is.
  auto drop = [&](std::vector<XattrItem>& v) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it->index == index && it->suffix == suffix) {
        v.erase(it);
        return true;
      }
    return false;
  };
  const bool from_inode = drop(in_inode);
  const bool from_block = drop(in_block);
  const bool exists = from_inode || from_block;
  if (value && (flags & abi::XATTR_CREATE_) && exists) return Errno::EXIST;
  if ((!value || (flags & abi::XATTR_REPLACE_)) && !exists) return Errno::NODATA;

  // The new one: in the inode if it fits there, else in the block.
  bool inode_changed = from_inode, block_changed = from_block;
  std::vector<uint8_t> new_area = area;
  if (value) {
    XattrItem x{index, std::string(suffix), std::string(*value)};
    in_inode.push_back(x);
    if (!area.empty() && encode_inode_xattrs(in_inode, new_area.data(), new_area.size())) {
      inode_changed = true;
    } else {
      in_inode.pop_back();
      in_block.push_back(std::move(x));
      block_changed = true;
      std::vector<uint8_t> trial(s.block_size);
      if (!encode_block_xattrs(s, 0, 1, in_block, trial.data())) return Errno::NOSPC;
    }
  }
  if (inode_changed && !encode_inode_xattrs(in_inode, new_area.data(), new_area.size())) return kCorrupted;

  if (!s.has_compat(feat::kCompatExtAttr)) TRY(fs.add_compat(self, feat::kCompatExtAttr));
  if (block_changed) TRY(store_xattr_block(self, blk, refs, in_block));
  if (inode_changed) {
    SpinGuard g(m_map_lock);
    m_ibody_xattrs = std::move(new_area);
  }
  // The change time, and with it the inode (its area and xattr block) stored.
  const int64_t now = sb().now();
  update_attr([&](InodeAttr& a) { a.ctime_ns = now; });
  return {};
}

}  // namespace uml::kern::ext4
