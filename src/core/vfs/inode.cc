#include "core/time/clock.h"
#include "core/vfs/inode.h"

#include "core/base/rcu.h"
#include "core/ipc/pipe.h"

#include "core/vfs/file_lock.h"
#include "core/vfs/file_ops.h"
#include "core/vfs/path.h"
#include "core/vfs/superblock.h"
#include "host/host.h"

namespace uml::kern {

InodeAttr InodeAttr::fresh(int64_t now, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev) {
  InodeAttr a;
  a.mode = mode;
  a.uid = uid;
  a.gid = gid;
  a.rdev = rdev;
  a.nlink = (mode & abi::S_IFMT_) == abi::S_IFDIR_ ? 2 : 1;
  a.atime_ns = a.mtime_ns = a.ctime_ns = a.btime_ns = now;
  return a;
}

Inode::Inode(SuperBlock& sb, uint64_t ino, const InodeAttr& attr)
    : m_sb(sb), m_ino(ino), m_type(attr.mode & abi::S_IFMT_), m_attr(attr) {
  sb.inode_added();
  publish_perm(attr);
}

void Inode::rc_destroy(const Inode* i) {
  auto* self = const_cast<Inode*>(i);
  self->evict();
  rcu::retire(self, [](void* p) { delete static_cast<Inode*>(p); });
}

Inode::~Inode() {
  delete m_locks.load(std::memory_order_relaxed);
  m_sb.inode_removed();  // last: may free the superblock
}

FileLocks& Inode::locks() {
  if (FileLocks* l = m_locks.load(std::memory_order_acquire)) return *l;
  auto* fresh = new FileLocks;
  FileLocks* expected = nullptr;
  if (m_locks.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // another thread made it first
  return *expected;
}

std::shared_ptr<Pipe> Inode::fifo() {
  SpinGuard g(m_fifo_lock);
  if (!m_fifo || (m_fifo->readers() == 0 && m_fifo->writers() == 0)) m_fifo = std::make_shared<Pipe>();
  return m_fifo;
}

// The filesystem logs a stored ACL it cannot read (its getxattr, or its get_acl in Linux).
Result<std::shared_ptr<const PosixAcl>> Inode::access_acl(Actor& self) const {
  const uint8_t state = m_acl_state.load(std::memory_order_acquire);
  if (state == kAclNone) return std::shared_ptr<const PosixAcl>();
  if (state == kAclPresent) {
    SpinGuard g(m_acl_lock);
    return m_acl;
  }
  auto v = const_cast<Inode*>(this)->getxattr(self, "system.posix_acl_access");
  std::shared_ptr<const PosixAcl> acl;
  if (v) {
    auto parsed = std::make_shared<PosixAcl>();
    if (const std::string bad = parse_posix_acl(v.value(), parsed.get()); !bad.empty()) return Errno::IO;
    acl = std::move(parsed);
  } else if (v.error() != Errno::NODATA && v.error() != Errno::OPNOTSUPP) {
    return v.error();
  }
  SpinGuard g(m_acl_lock);
  m_acl = acl;
  m_acl_state.store(acl ? kAclPresent : kAclNone, std::memory_order_release);
  return acl;
}

// Defaults: the operation does not apply to this kind of inode.
Result<RefPtr<Inode>> Inode::lookup(Actor&, std::string_view) { return Errno::NOTDIR; }
Result<RefPtr<Inode>> Inode::create(Actor&, std::string_view, uint32_t, uint32_t, uint32_t, uint64_t,
                                    std::string_view) {
  return Errno::NOTDIR;
}
Result<void> Inode::link(Actor&, std::string_view, Inode&) { return Errno::NOTDIR; }
Result<RefPtr<Inode>> Inode::tmpfile(Actor&, uint32_t, uint32_t, uint32_t) { return Errno::OPNOTSUPP; }
Result<void> Inode::remove(Actor&, std::string_view, bool) { return Errno::NOTDIR; }
Result<void> Inode::rename(Actor&, std::string_view, Inode&, std::string_view) { return Errno::NOTDIR; }
Result<void> Inode::exchange(Actor&, std::string_view, Inode&, std::string_view) { return Errno::NOTDIR; }
Result<uint64_t> Inode::iterate(Actor&, uint64_t, const std::function<bool(const DirEntry&)>&) {
  return Errno::NOTDIR;
}
bool Inode::empty_dir(Actor&) { return true; }
Result<size_t> Inode::read(Actor&, uint64_t, const IoBuffer&) { return Errno::INVAL; }
Result<size_t> Inode::write(Actor&, uint64_t, const IoBuffer&) { return Errno::INVAL; }
Result<void> Inode::truncate(Actor&, uint64_t) { return Errno::INVAL; }
Result<std::string> Inode::readlink(Actor&) { return Errno::INVAL; }
Result<Path> Inode::follow_magic(Actor&) { return Errno::INVAL; }
Result<std::shared_ptr<FileOps>> Inode::open_file(Actor&, int) { return std::shared_ptr<FileOps>(); }
Result<void> Inode::fallocate(Actor&, int, uint64_t, uint64_t) { return Errno::OPNOTSUPP; }
Result<uint64_t> Inode::seek_data(Actor&, uint64_t off, bool hole) {
  return hole ? attr().size : off;
}
uint64_t Inode::blocks() const {
  return is_reg() ? (attr().size + 511) / 512 : 0;
}
Result<std::string> Inode::getxattr(Actor&, std::string_view) { return Errno::OPNOTSUPP; }
Result<void> Inode::setxattr(Actor&, std::string_view, std::string_view, int) { return Errno::OPNOTSUPP; }
Result<void> Inode::removexattr(Actor&, std::string_view) { return Errno::OPNOTSUPP; }
Result<std::vector<std::string>> Inode::listxattr(Actor&) { return Errno::OPNOTSUPP; }

}  // namespace uml::kern
