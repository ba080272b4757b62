#include "core/time/clock.h"
#include "core/fs/tmpfs/tmpfs.h"

#include <cstring>
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mm/page_pool.h"
#include "core/vfs/xattr_store.h"
#include "host/host.h"

namespace uml::kern {

namespace {

constexpr uint64_t kBogoDirentSize = 20;  // Linux's shmem
constexpr uint64_t kPage = 4096;

class TmpfsSuper final : public SuperBlock {
 public:
  TmpfsSuper(std::string fstype, uint64_t dev, const RealtimeClock& clock, const TmpfsOptions& o)
      : SuperBlock(std::move(fstype), dev, clock), m_max_pages(o.size_bytes / kPage), m_max_inodes(o.nr_inodes) {}
  void set_root_inode(RefPtr<Inode> r) { set_root(std::move(r)); }

  abi::statfs statfs() override {
    abi::statfs s{};
    s.f_type = abi::TMPFS_MAGIC_;
    s.f_bsize = kPage;
    s.f_frsize = kPage;
    s.f_namelen = abi::NAME_MAX_;
    const uint64_t max_pages = m_max_pages.load(), max_inodes = m_max_inodes.load();
    if (max_pages) {
      s.f_blocks = max_pages;
      s.f_bfree = s.f_bavail = max_pages - std::min(max_pages, m_used_pages.load());
    }
    if (max_inodes) {
      s.f_files = max_inodes;
      s.f_ffree = max_inodes - std::min(max_inodes, m_used_inodes.load());
    }
    return s;
  }

  Result<void> remount(Actor&, unsigned long, std::string_view data) override {
    TmpfsOptions o;
    o.size_bytes = m_max_pages.load() * kPage;
    o.nr_inodes = m_max_inodes.load();
    TRY(parse_tmpfs_options(data, o, /*remount=*/true));
    // shmem_reconfigure: a limit below what is in use is refused.
    if (o.size_bytes && o.size_bytes / kPage < m_used_pages.load()) return Errno::INVAL;
    if (o.nr_inodes && o.nr_inodes < m_used_inodes.load()) return Errno::INVAL;
    m_max_pages.store(o.size_bytes / kPage);
    m_max_inodes.store(o.nr_inodes);
    return {};
  }

  std::string show_options() const override {
    std::string s;
    if (m_max_pages.load()) s += ",size=" + std::to_string(m_max_pages.load() * kPage / 1024) + "k";
    if (m_max_inodes.load()) s += ",nr_inodes=" + std::to_string(m_max_inodes.load());
    return s;
  }

  // Accounting against size= and nr_inodes= (0: unlimited, as in shmem).
  bool charge_pages(uint64_t n) { return charge(m_used_pages, m_max_pages, n); }
  void uncharge_pages(uint64_t n) { m_used_pages.fetch_sub(n, std::memory_order_relaxed); }
  bool charge_inode() { return charge(m_used_inodes, m_max_inodes, 1); }
  PagePool& pool() { return m_pool; }
  void uncharge_inode() { m_used_inodes.fetch_sub(1, std::memory_order_relaxed); }

 private:
  static bool charge(std::atomic<uint64_t>& used, const std::atomic<uint64_t>& max, uint64_t n) {
    const uint64_t limit = max.load(std::memory_order_relaxed);
    uint64_t cur = used.load(std::memory_order_relaxed);
    do {
      if (limit && cur + n > limit) return false;
    } while (!used.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }

  std::atomic<uint64_t> m_max_pages, m_max_inodes;
  std::atomic<uint64_t> m_used_pages{0}, m_used_inodes{0};
  PagePool m_pool;  // file pages (freed by the files' evictions, before the superblock)
};

void touch_mc(InodeAttr& a, int64_t now) { a.mtime_ns = a.ctime_ns = now; }

// What every tmpfs inode has: its charge against nr_inodes, and xattrs in memory.
class TmpfsInode : public Inode {
 public:
  using Inode::Inode;
  // The last reference: the inode's charge goes now (its memory after a grace period).
  void evict() override { super().uncharge_inode(); }
  TmpfsSuper& super() const { return static_cast<TmpfsSuper&>(m_sb); }

  Result<std::string> getxattr(Actor&, std::string_view name) override { return m_xattrs.get(name); }
  Result<void> setxattr(Actor&, std::string_view name, std::string_view value, int flags) override {
    TRY(m_xattrs.set(name, value, flags));
    update_attr([now = sb().now()](InodeAttr& a) { a.ctime_ns = now; });
    return {};
  }
  Result<void> removexattr(Actor&, std::string_view name) override {
    TRY(m_xattrs.remove(name));
    update_attr([now = sb().now()](InodeAttr& a) { a.ctime_ns = now; });
    return {};
  }
  Result<std::vector<std::string>> listxattr(Actor&) override { return m_xattrs.list(); }

  // shmem_fileattr_get/set: the flags live in the inode alone; immutable, append-only,
  // nodump and noatime may be set (SHMEM_FL_USER_MODIFIABLE), anything else is OPNOTSUPP.
  Result<uint32_t> get_fsflags() override { return fsflags(); }
  Result<void> set_fsflags(Actor&, uint32_t flags) override {
    constexpr uint32_t kModifiable = abi::FS_IMMUTABLE_FL_ | abi::FS_APPEND_FL_ | abi::FS_NODUMP_FL_ | abi::FS_NOATIME_FL_;
    if (flags & ~kModifiable) return Errno::OPNOTSUPP;
    m_fsflags.store(flags, std::memory_order_relaxed);
    update_attr([now = sb().now()](InodeAttr& a) { a.ctime_ns = now; });
    return {};
  }

 private:
  XattrStore m_xattrs;
};

// File data in 4 KiB pages, allocated on first write (a hole reads as zeros), so a
// growing file never copies what it already has.
class TmpfsFile final : public TmpfsInode {
 public:
  using TmpfsInode::TmpfsInode;
  void evict() override {
    {
      SpinGuard g(m_data_lock);
      free_pages(0, m_extents.size());
      m_extents.clear();
    }
    TmpfsInode::evict();
  }
  static constexpr size_t kExtent = 4096;  // a page, as the page cache will have it

  Result<size_t> read(Actor&, uint64_t off, const IoBuffer& buf) override {
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
        const size_t k = buf.write_some(done, m_extents[idx] + eoff, n);
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

  Result<size_t> write(Actor&, uint64_t off, const IoBuffer& buf) override {
    if (buf.size() == 0) return size_t{0};  // generic_write_checks: nothing, not even mtime
    size_t done = 0;
    bool nospc = false;
    {
      SpinGuard g(m_data_lock);
      const size_t total = buf.size();
      while (done < total) {
        const uint64_t pos = off + done;
        const size_t idx = pos / kExtent, eoff = pos % kExtent;
        const size_t n = std::min(total - done, kExtent - eoff);
        if (idx >= m_extents.size()) m_extents.resize(idx + 1, nullptr);
        const bool fresh = !m_extents[idx];
        if (fresh) {
          if (!super().charge_pages(1)) {  // size= reached: a short write, or NOSPC
            nospc = true;
            break;
          }
          auto* page = static_cast<uint8_t*>(super().pool().alloc());
          if (!page) {  // the host has no memory left
            super().uncharge_pages(1);
            nospc = true;
            break;
          }
          m_pages.fetch_add(1, std::memory_order_relaxed);
          // A new extent: zero only what this write does not cover (holes read as zeros).
          m_extents[idx] = page;
          uint8_t* e = page;
          memset(e, 0, eoff);
          memset(e + eoff + n, 0, kExtent - eoff - n);
        }
        if (idx < m_prealloc.size()) m_prealloc[idx] = false;  // written: data now
        const size_t k = buf.read_some(done, m_extents[idx] + eoff, n);
        done += k;
        if (k < n) {
          // The guest's memory ended partway. In a new extent, what it did not supply must
          // read as zeros, never as whatever the allocator left there; an old extent keeps
          // its data.
          if (fresh) memset(m_extents[idx] + eoff + k, 0, n - k);
          break;
        }
      }
    }
    if (done == 0 && buf.size() > 0) return nospc ? Errno::NOSPC : Errno::FAULT;
    const int64_t now = sb().now();
    update_attr([&](InodeAttr& a) {
      if (off + done > a.size) a.size = off + done;
      touch_mc(a, now);
    });
    return done;
  }

  Result<void> truncate(Actor&, uint64_t size) override {
    // shmem_setattr: shrinking drops every page past the new end (fallocated ones too);
    // growing keeps them.
    if (size <= attr().size) {
      SpinGuard g(m_data_lock);
      const size_t keep = static_cast<size_t>((size + kExtent - 1) / kExtent);
      if (m_extents.size() > keep) {
        free_pages(keep, m_extents.size());
        m_extents.resize(keep);
      }
      // Bytes past the new end in the last extent must read as zeros if the file grows.
      if (size % kExtent && keep > 0 && keep <= m_extents.size() && m_extents[keep - 1])
        memset(m_extents[keep - 1] + size % kExtent, 0, kExtent - size % kExtent);
    }
    const int64_t now = sb().now();
    update_attr([&](InodeAttr& a) {
      a.size = size;
      touch_mc(a, now);
    });
    return {};
  }

  // shmem_fallocate: allocation (optionally keeping the size) and hole punching.
  Result<void> fallocate(Actor&, int mode, uint64_t off, uint64_t len) override {
    if (mode & ~(abi::FALLOC_FL_KEEP_SIZE_ | abi::FALLOC_FL_PUNCH_HOLE_)) return Errno::OPNOTSUPP;
    const uint64_t end = off + len;
    if (mode & abi::FALLOC_FL_PUNCH_HOLE_) {
      {
        SpinGuard g(m_data_lock);
        for (uint64_t pos = off; pos < end && pos / kExtent < m_extents.size();) {
          const size_t idx = pos / kExtent, eoff = pos % kExtent;
          const size_t n = static_cast<size_t>(std::min<uint64_t>(end - pos, kExtent - eoff));
          if (m_extents[idx]) {
            if (n == kExtent) free_pages(idx, idx + 1);
            else memset(m_extents[idx] + eoff, 0, n);
          }
          pos += n;
        }
      }
      update_attr([now = sb().now()](InodeAttr& a) { touch_mc(a, now); });
      return {};
    }
    {
      SpinGuard g(m_data_lock);
      const size_t last = static_cast<size_t>((end + kExtent - 1) / kExtent);
      size_t need = 0;
      for (size_t idx = off / kExtent; idx < last; ++idx)
        if (idx >= m_extents.size() || !m_extents[idx]) ++need;
      if (!super().charge_pages(need)) return Errno::NOSPC;
      if (m_extents.size() < last) m_extents.resize(last, nullptr);
      for (size_t idx = off / kExtent; idx < last; ++idx) {
        if (m_extents[idx]) {
          // shmem_get_folio(SGP_FALLOC) on a page an earlier fallocate made: it is
          // initialised now and counts as data from here on.
          if (idx < m_prealloc.size()) m_prealloc[idx] = false;
          continue;
        }
        auto* page = static_cast<uint8_t*>(super().pool().alloc());
        if (!page) {  // no host memory: give back what was not used
          super().uncharge_pages(need);
          return Errno::NOSPC;
        }
        memset(page, 0, kExtent);
        m_extents[idx] = page;
        if (m_prealloc.size() < last) m_prealloc.resize(last, false);
        m_prealloc[idx] = true;
        m_pages.fetch_add(1, std::memory_order_relaxed);
        --need;
      }
    }
    const int64_t now = sb().now();
    update_attr([&](InodeAttr& a) {
      if (!(mode & abi::FALLOC_FL_KEEP_SIZE_) && end > a.size) a.size = end;
      a.ctime_ns = now;
    });
    return {};
  }

  // Pages that exist are data; missing ones are holes (shmem's page-granular answer).
  Result<uint64_t> seek_data(Actor&, uint64_t off, bool hole) override {
    SpinGuard g(m_data_lock);
    const uint64_t size = attr().size;
    for (uint64_t idx = off / kExtent; idx * kExtent < size; ++idx) {
      // A page fallocate made and nothing wrote is a hole to SEEK_DATA, as in shmem.
      const bool present = idx < m_extents.size() && m_extents[idx] && !(idx < m_prealloc.size() && m_prealloc[idx]);
      if (present != hole) return std::max(off, idx * kExtent);
    }
    if (hole) return size;
    return Errno::NXIO;
  }

  uint64_t blocks() const override { return m_pages.load(std::memory_order_relaxed) * (kExtent / 512); }

 private:
  void free_pages(size_t from, size_t to) {  // under m_data_lock
    uint64_t n = 0;
    for (size_t i = from; i < to && i < m_extents.size(); ++i) {
      if (m_extents[i]) {
        super().pool().free(m_extents[i]);
        m_extents[i] = nullptr;
        if (i < m_prealloc.size()) m_prealloc[i] = false;
        ++n;
      }
    }
    m_pages.fetch_sub(n, std::memory_order_relaxed);
    super().uncharge_pages(n);
  }

  mutable SpinLock m_data_lock;  // readers do not take the rwsem
  std::vector<uint8_t*> m_extents;  // pages from the superblock's pool; null: a hole
  std::vector<bool> m_prealloc;     // pages fallocate made that nothing has written yet
  std::atomic<uint64_t> m_pages{0};  // extents allocated (charged to the superblock); written under m_data_lock
};

class TmpfsSymlink final : public TmpfsInode {
 public:
  TmpfsSymlink(SuperBlock& sb, uint64_t ino, const InodeAttr& a, std::string target)
      : TmpfsInode(sb, ino, a), m_target(std::move(target)) {}
  Result<std::string> readlink(Actor&) override { return m_target; }

 private:
  const std::string m_target;
};

class TmpfsNode final : public TmpfsInode {  // FIFOs, sockets and device nodes: no data here
 public:
  using TmpfsInode::TmpfsInode;
};

class TmpfsDir final : public TmpfsInode {
 public:
  using TmpfsInode::TmpfsInode;

  Result<RefPtr<Inode>> lookup(Actor&, std::string_view name) override {
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    return it->second.inode;
  }

  Result<RefPtr<Inode>> create(Actor&, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid,
                               uint64_t rdev, std::string_view target) override {
    if (!super().charge_inode()) return Errno::NOSPC;  // nr_inodes= reached
    const uint64_t ino = m_sb.alloc_ino();
    const InodeAttr a = InodeAttr::fresh(sb().now(), mode, uid, gid, rdev);
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

  Result<RefPtr<Inode>> tmpfile(Actor&, uint32_t mode, uint32_t uid, uint32_t gid) override {
    if (!super().charge_inode()) return Errno::NOSPC;
    InodeAttr a = InodeAttr::fresh(sb().now(), abi::S_IFREG_ | (mode & abi::S_IALLUGO_), uid, gid, 0);
    a.nlink = 0;
    return RefPtr<Inode>(make_ref<TmpfsFile>(m_sb, m_sb.alloc_ino(), a));
  }

  Result<void> link(Actor&, std::string_view name, Inode& target) override {
    insert(name, RefPtr<Inode>(&target));
    target.update_attr([now = sb().now()](InodeAttr& a) {
      ++a.nlink;
      a.ctime_ns = now;
    });
    return {};
  }

  Result<void> remove(Actor& self, std::string_view name, bool dir) override {
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    RefPtr<Inode> victim = it->second.inode;
    if (dir && !victim->empty_dir(self)) return Errno::NOTEMPTY;
    erase(it);
    const int64_t now = sb().now();
    victim->update_attr([&](InodeAttr& a) {
      a.nlink = dir ? 0 : a.nlink - 1;
      a.ctime_ns = now;
    });
    if (dir) update_attr([](InodeAttr& d) { --d.nlink; });
    return {};
  }

  Result<void> rename(Actor& self, std::string_view name, Inode& new_dir_inode, std::string_view new_name) override {
    auto& new_dir = static_cast<TmpfsDir&>(new_dir_inode);
    auto it = m_entries.find(std::string(name));
    if (it == m_entries.end()) return Errno::NOENT;
    RefPtr<Inode> moving = it->second.inode;
    const bool is_dir = moving->is_dir();
    if (auto old = new_dir.m_entries.find(std::string(new_name)); old != new_dir.m_entries.end()) {
      if (old->second.inode == moving) return {};  // two names of one inode: nothing to do
      TRY(new_dir.remove(self, new_name, old->second.inode->is_dir()));
    }
    erase(m_entries.find(std::string(name)));
    new_dir.insert(new_name, moving);
    if (is_dir && &new_dir != this) {
      update_attr([](InodeAttr& d) { --d.nlink; });
      new_dir.update_attr([](InodeAttr& d) { ++d.nlink; });
    }
    moving->update_attr([now = sb().now()](InodeAttr& a) { a.ctime_ns = now; });
    return {};
  }

  Result<void> exchange(Actor&, std::string_view name, Inode& new_dir_inode, std::string_view new_name) override {
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
    update_attr([now = sb().now()](InodeAttr& a) { touch_mc(a, now); });
    new_dir.update_attr([now = sb().now()](InodeAttr& a) { touch_mc(a, now); });
    a->second.inode->update_attr([now = sb().now()](InodeAttr& x) { x.ctime_ns = now; });
    b->second.inode->update_attr([now = sb().now()](InodeAttr& x) { x.ctime_ns = now; });
    return {};
  }

  Result<uint64_t> iterate(Actor&, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override {
    for (auto it = m_order.lower_bound(cookie); it != m_order.end(); ++it) {
      const auto& [name, entry] = *it->second;
      const Inode& i = *entry.inode;
      DirEntry d{name, i.ino(), abi::dtype_of(i.type()), it->first + 1};  // the type never changes
      if (!emit(d)) return it->first;
    }
    return m_next_cookie;
  }

  bool empty_dir(Actor&) override { return m_entries.empty(); }

  void evict() override {
    // Unreachable now: nothing else takes the rwsem. The children go now, not a grace
    // period later.
    Map entries;
    entries.swap(m_entries);
    m_order.clear();
    entries.clear();
    TmpfsInode::evict();
  }

 private:
  struct Entry {
    RefPtr<Inode> inode;
    uint64_t cookie;
  };
  using Map = std::unordered_map<std::string, Entry>;

  void insert(std::string_view name, RefPtr<Inode> inode) {
    const uint64_t cookie = m_next_cookie++;
    auto [it, fresh] = m_entries.insert_or_assign(std::string(name), Entry{std::move(inode), cookie});
    (void)fresh;
    m_order[cookie] = &*it;
    update_attr([now = sb().now()](InodeAttr& d) {
      d.size += kBogoDirentSize;
      touch_mc(d, now);
    });
  }
  void erase(Map::iterator it) {
    m_order.erase(it->second.cookie);
    m_entries.erase(it);
    update_attr([now = sb().now()](InodeAttr& d) {
      d.size -= kBogoDirentSize;
      touch_mc(d, now);
    });
  }

  // Guarded by the directory's rwsem (the VFS holds it around every directory operation).
  Map m_entries;
  // cookie -> entry, in getdents64 order (unordered_map elements never move).
  std::map<uint64_t, Map::value_type*> m_order;
  uint64_t m_next_cookie = 3;               // 1 and 2 are "." and ".."
};

}  // namespace

namespace {

// A number with an optional binary suffix (memparse): k, m, g, t, p, e.
bool parse_size(std::string_view v, uint64_t& out, bool allow_percent, uint64_t total) {
  if (v.empty()) return false;
  uint64_t n = 0;
  size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
    if (n > (UINT64_MAX - 9) / 10) return false;
    n = n * 10 + static_cast<uint64_t>(v[i] - '0');
  }
  if (i == 0) return false;
  std::string_view rest = v.substr(i);
  if (rest.empty()) {
    out = n;
    return true;
  }
  if (rest.size() != 1) return false;
  if (rest[0] == '%' && allow_percent) {
    if (n > 100000) return false;
    out = total / 100 * n;
    return true;
  }
  int shift = 0;
  switch (rest[0] | 0x20) {
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    case 'p': shift = 50; break;
    case 'e': shift = 60; break;
    default: return false;
  }
  if (n > (UINT64_MAX >> shift)) return false;
  out = n << shift;
  return true;
}

bool parse_number(std::string_view v, uint64_t& out, int base) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    const int d = c >= '0' && c <= '9' ? c - '0' : -1;
    if (d < 0 || d >= base || n > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  out = n;
  return true;
}

}  // namespace

// mm/shmem.c: shmem_parse_one.
Result<void> parse_tmpfs_options(std::string_view data, TmpfsOptions& o, bool remount) {
  (void)remount;
  while (!data.empty()) {
    const size_t comma = data.find(',');
    std::string_view opt = data.substr(0, comma);
    data = comma == std::string_view::npos ? std::string_view() : data.substr(comma + 1);
    if (opt.empty()) continue;
    const size_t eq = opt.find('=');
    const std::string_view key = opt.substr(0, eq);
    const std::string_view val = eq == std::string_view::npos ? std::string_view() : opt.substr(eq + 1);
    const bool has_val = eq != std::string_view::npos;
    uint64_t n = 0;
    if (key == "size" && has_val) {
      if (!parse_size(val, n, true, o.total_ram)) return Errno::INVAL;
      o.size_bytes = (n + kPage - 1) / kPage * kPage;
    } else if (key == "nr_blocks" && has_val) {
      if (!parse_size(val, n, false, 0) || n > UINT64_MAX / kPage) return Errno::INVAL;
      o.size_bytes = n * kPage;
    } else if (key == "nr_inodes" && has_val) {
      if (!parse_size(val, n, false, 0)) return Errno::INVAL;
      o.nr_inodes = n;
    } else if (key == "mode" && has_val) {
      if (!parse_number(val, n, 8) || n > 07777) return Errno::INVAL;
      o.mode = static_cast<uint32_t>(n);
    } else if ((key == "uid" || key == "gid") && has_val) {
      if (!parse_number(val, n, 10) || n >= 0xffffffffu) return Errno::INVAL;
      (key == "uid" ? o.uid : o.gid) = static_cast<uint32_t>(n);
    } else if (key == "huge" && has_val) {
      if (val != "never" && val != "always" && val != "within_size" && val != "advise" &&
          val != "deny" && val != "force")
        return Errno::INVAL;  // accepted; pages are never huge here
    } else if ((key == "inode32" || key == "inode64" || key == "noswap") && !has_val) {
      // Accepted: inode numbers are 64-bit and memory is never swapped here.
    } else {
      return Errno::INVAL;
    }
  }
  return {};
}

RefPtr<SuperBlock> make_tmpfs(std::string fstype, uint64_t dev, const RealtimeClock& clock, const TmpfsOptions& o) {
  auto sb = make_ref<TmpfsSuper>(std::move(fstype), dev, clock, o);
  InodeAttr a = InodeAttr::fresh(sb->now(), abi::S_IFDIR_ | (o.mode & abi::S_IALLUGO_), o.uid, o.gid, 0);
  a.size = 2 * kBogoDirentSize;
  sb->charge_inode();  // the root counts, as in shmem
  sb->set_root_inode(make_ref<TmpfsDir>(*sb, sb->alloc_ino(), a));
  return sb;
}

}  // namespace uml::kern
