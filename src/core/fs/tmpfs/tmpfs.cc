#include "core/fs/tmpfs/tmpfs.h"

#include <cstring>
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/host.h"

namespace uml::kern {

namespace {

constexpr uint64_t kBogoDirentSize = 20;  // Linux's shmem

class TmpfsSuper final : public SuperBlock {
 public:
  TmpfsSuper(uint64_t dev, uint64_t size) : SuperBlock("tmpfs", dev), m_size(size) {}
  void set_root(RefPtr<Inode> r) { m_root = std::move(r); }
  abi::statfs statfs() override {
    abi::statfs s{};
    s.f_type = abi::TMPFS_MAGIC_;
    s.f_bsize = 4096;
    s.f_frsize = 4096;
    s.f_blocks = m_size / 4096;
    s.f_bfree = s.f_bavail = s.f_blocks;  // FIXME: no block accounting yet
    s.f_files = s.f_ffree = m_size / 4096;
    s.f_namelen = abi::NAME_MAX_;
    return s;
  }

 private:
  uint64_t m_size;
};

InodeAttr new_attr(uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev) {
  InodeAttr a;
  a.mode = mode;
  a.uid = uid;
  a.gid = gid;
  a.rdev = rdev;
  a.nlink = (mode & abi::S_IFMT_) == abi::S_IFDIR_ ? 2 : 1;
  a.atime_ns = a.mtime_ns = a.ctime_ns = a.btime_ns = host::realtime_ns();
  return a;
}

void touch_mc(InodeAttr& a) { a.mtime_ns = a.ctime_ns = host::realtime_ns(); }

// File data in 4 KiB pages, allocated on first write (a hole reads as zeros), so a
// growing file never copies what it already has.
class TmpfsFile final : public Inode {
 public:
  using Inode::Inode;
  static constexpr size_t kExtent = 4096;  // a page, as the page cache will have it

  Result<size_t> read(uint64_t off, const IoBuffer& buf) override {
    SpinGuard g(m_data_lock);
    const uint64_t size = attr().size;
    if (off >= size) return size_t{0};
    const size_t total = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    size_t done = 0;
    while (done < total) {
      const uint64_t pos = off + done;
      const size_t idx = pos / kExtent, eoff = pos % kExtent;
      const size_t n = std::min(total - done, kExtent - eoff);
      if (idx < m_extents.size() && m_extents[idx]) {
        const size_t k = buf.write_some(done, m_extents[idx].get() + eoff, n);
        done += k;
        if (k < n) break;
      } else {
        if (!buf.zero(done, n)) break;  // FIXME: partial zero-fill on a fault
        done += n;
      }
    }
    if (done == 0 && total > 0) return Errno::FAULT;
    return done;
  }

  Result<size_t> write(uint64_t off, const IoBuffer& buf) override {
    size_t done = 0;
    {
      SpinGuard g(m_data_lock);
      const size_t total = buf.size();
      while (done < total) {
        const uint64_t pos = off + done;
        const size_t idx = pos / kExtent, eoff = pos % kExtent;
        const size_t n = std::min(total - done, kExtent - eoff);
        if (idx >= m_extents.size()) m_extents.resize(idx + 1);
        const bool fresh = !m_extents[idx];
        if (fresh) {
          // A new extent: zero only what this write does not cover (holes read as zeros).
          m_extents[idx].reset(new uint8_t[kExtent]);
          uint8_t* e = m_extents[idx].get();
          memset(e, 0, eoff);
          memset(e + eoff + n, 0, kExtent - eoff - n);
        }
        const size_t k = buf.read_some(done, m_extents[idx].get() + eoff, n);
        done += k;
        if (k < n) {
          // The guest's memory ended partway. In a new extent, what it did not supply must
          // read as zeros, never as whatever the allocator left there; an old extent keeps
          // its data.
          if (fresh) memset(m_extents[idx].get() + eoff + k, 0, n - k);
          break;
        }
      }
    }
    if (done == 0 && buf.size() > 0) return Errno::FAULT;
    update_attr([&](InodeAttr& a) {
      if (off + done > a.size) a.size = off + done;
      touch_mc(a);
    });
    return done;
  }

  Result<void> truncate(uint64_t size) override {
    {
      SpinGuard g(m_data_lock);
      const size_t keep = static_cast<size_t>((size + kExtent - 1) / kExtent);
      if (m_extents.size() > keep) m_extents.resize(keep);
      // Bytes past the new end in the last extent must read as zeros if the file grows.
      if (size % kExtent && keep > 0 && keep <= m_extents.size() && m_extents[keep - 1])
        memset(m_extents[keep - 1].get() + size % kExtent, 0, kExtent - size % kExtent);
    }
    update_attr([&](InodeAttr& a) {
      a.size = size;
      touch_mc(a);
    });
    return {};
  }

 private:
  SpinLock m_data_lock;  // readers do not take the rwsem
  std::vector<std::unique_ptr<uint8_t[]>> m_extents;
};

class TmpfsSymlink final : public Inode {
 public:
  TmpfsSymlink(SuperBlock& sb, uint64_t ino, const InodeAttr& a, std::string target)
      : Inode(sb, ino, a), m_target(std::move(target)) {}
  Result<std::string> readlink() override { return m_target; }

 private:
  const std::string m_target;
};

class TmpfsNode final : public Inode {  // FIFOs, sockets and device nodes: no data here
 public:
  using Inode::Inode;
};

class TmpfsDir final : public Inode {
 public:
  using Inode::Inode;

  Result<RefPtr<Inode>> lookup(std::string_view name) override {
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    return it->second.inode;
  }

  Result<RefPtr<Inode>> create(std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid,
                               uint64_t rdev, std::string_view target) override {
    const uint64_t ino = m_sb.alloc_ino();
    const InodeAttr a = new_attr(mode, uid, gid, rdev);
    RefPtr<Inode> child;
    switch (mode & abi::S_IFMT_) {
      case abi::S_IFDIR_: {
        InodeAttr d = a;
        d.size = 2 * kBogoDirentSize;
        child = make_ref<TmpfsDir>(m_sb, ino, d);
        break;
      }
      case abi::S_IFREG_: child = make_ref<TmpfsFile>(m_sb, ino, a); break;
      case abi::S_IFLNK_: {
        InodeAttr l = a;
        l.size = target.size();
        child = make_ref<TmpfsSymlink>(m_sb, ino, l, std::string(target));
        break;
      }
      default: child = make_ref<TmpfsNode>(m_sb, ino, a); break;
    }
    insert(name, child);
    if ((mode & abi::S_IFMT_) == abi::S_IFDIR_) update_attr([](InodeAttr& d) { ++d.nlink; });
    return child;
  }

  Result<void> link(std::string_view name, Inode& target) override {
    insert(name, RefPtr<Inode>(&target));
    target.update_attr([](InodeAttr& a) {
      ++a.nlink;
      a.ctime_ns = host::realtime_ns();
    });
    return {};
  }

  Result<void> remove(std::string_view name, bool dir) override {
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    RefPtr<Inode> victim = it->second.inode;
    if (dir && !victim->empty_dir()) return Errno::NOTEMPTY;
    erase(it);
    victim->update_attr([&](InodeAttr& a) {
      a.nlink = dir ? 0 : a.nlink - 1;
      a.ctime_ns = host::realtime_ns();
    });
    if (dir) update_attr([](InodeAttr& d) { --d.nlink; });
    return {};
  }

  Result<void> rename(std::string_view name, Inode& new_dir_inode, std::string_view new_name) override {
    auto& new_dir = static_cast<TmpfsDir&>(new_dir_inode);
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    RefPtr<Inode> moving = it->second.inode;
    const bool is_dir = moving->is_dir();
    if (auto old = new_dir.m_entries.find(std::string(new_name)); old != new_dir.m_entries.end()) {
      if (old->second.inode == moving) return {};  // two names of one inode: nothing to do
      TRY(new_dir.remove(new_name, old->second.inode->is_dir()));
    }
    erase(m_entries.find(std::string(name)));
    new_dir.insert(new_name, moving);
    if (is_dir && &new_dir != this) {
      update_attr([](InodeAttr& d) { --d.nlink; });
      new_dir.update_attr([](InodeAttr& d) { ++d.nlink; });
    }
    moving->update_attr([](InodeAttr& a) { a.ctime_ns = host::realtime_ns(); });
    return {};
  }

  Result<void> exchange(std::string_view name, Inode& new_dir_inode, std::string_view new_name) override {
    auto& new_dir = static_cast<TmpfsDir&>(new_dir_inode);
    auto a = m_entries.find(std::string(name));
    auto b = new_dir.m_entries.find(std::string(new_name));
    if (a == m_entries.end() || b == new_dir.m_entries.end()) return Errno::NOENT;
    std::swap(a->second.inode, b->second.inode);
    const bool a_dir = b->second.inode->is_dir(), b_dir = a->second.inode->is_dir();
    if (&new_dir != this && a_dir != b_dir) {  // a directory changed parents: move its link
      update_attr([&](InodeAttr& d) { d.nlink += b_dir ? 1 : -1; });
      new_dir.update_attr([&](InodeAttr& d) { d.nlink += a_dir ? 1 : -1; });
    }
    update_attr(touch_mc);
    new_dir.update_attr(touch_mc);
    a->second.inode->update_attr([](InodeAttr& x) { x.ctime_ns = host::realtime_ns(); });
    b->second.inode->update_attr([](InodeAttr& x) { x.ctime_ns = host::realtime_ns(); });
    return {};
  }

  Result<uint64_t> iterate(uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override {
    for (auto it = m_order.lower_bound(cookie); it != m_order.end(); ++it) {
      auto e = m_entries.find(it->second);
      const InodeAttr a = e->second.inode->attr();
      DirEntry d{e->first, e->second.inode->ino(), abi::dtype_of(a.mode), it->first + 1};
      if (!emit(d)) return it->first;
    }
    return m_next_cookie;
  }

  bool empty_dir() override { return m_entries.empty(); }

 private:
  struct Entry {
    RefPtr<Inode> inode;
    uint64_t cookie;
  };
  using Map = std::unordered_map<std::string, Entry>;

  void insert(std::string_view name, RefPtr<Inode> inode) {
    const uint64_t cookie = m_next_cookie++;
    m_entries[std::string(name)] = {std::move(inode), cookie};
    m_order[cookie] = std::string(name);
    update_attr([](InodeAttr& d) {
      d.size += kBogoDirentSize;
      touch_mc(d);
    });
  }
  void erase(Map::iterator it) {
    m_order.erase(it->second.cookie);
    m_entries.erase(it);
    update_attr([](InodeAttr& d) {
      d.size -= kBogoDirentSize;
      touch_mc(d);
    });
  }

  // Guarded by the directory's rwsem (the VFS holds it around every directory operation).
  Map m_entries;
  std::map<uint64_t, std::string> m_order;  // cookie -> name: getdents64 order
  uint64_t m_next_cookie = 3;               // 1 and 2 are "." and ".."
};

}  // namespace

RefPtr<SuperBlock> make_tmpfs(uint64_t dev, uint32_t root_mode, uint32_t uid, uint32_t gid,
                              uint64_t size_bytes) {
  auto sb = make_ref<TmpfsSuper>(dev, size_bytes);
  InodeAttr a = new_attr(abi::S_IFDIR_ | (root_mode & abi::S_IALLUGO_), uid, gid, 0);
  a.size = 2 * kBogoDirentSize;
  sb->set_root(make_ref<TmpfsDir>(*sb, sb->alloc_ino(), a));
  return sb;
}

}  // namespace uml::kern
