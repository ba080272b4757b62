#include "core/vfs/anon_fs.h"

#include "host/host.h"

namespace uml::kern {

namespace {

class AnonSuper final : public SuperBlock {
 public:
  AnonSuper(std::string fstype, uint64_t dev, const RealtimeClock& clock, uint32_t magic)
      : SuperBlock(std::move(fstype), dev, clock), m_magic(magic) {}
  void set_root_inode(RefPtr<Inode> r) { set_root(std::move(r)); }
  abi::statfs statfs() override {
    abi::statfs s{};
    s.f_type = m_magic;
    s.f_bsize = 4096;
    s.f_namelen = abi::NAME_MAX_;
    return s;
  }

 private:
  const uint32_t m_magic;
};

class AnonInode final : public Inode {
 public:
  using Inode::Inode;
};

}  // namespace

AnonFs::AnonFs(std::string fstype, uint64_t dev, const RealtimeClock& clock, uint32_t magic) {
  auto sb = make_ref<AnonSuper>(std::move(fstype), dev, clock, magic);
  sb->set_root_inode(make_ref<AnonInode>(*sb, sb->alloc_ino(), InodeAttr::fresh(sb->now(), abi::S_IFDIR_ | 0700, 0, 0)));
  RefPtr<Dentry> root = sb->root_dentry();
  m_mount = make_ref<Mount>(RefPtr<SuperBlock>(std::move(sb)), std::move(root), 0);
  m_mount->set_internal();
}

AnonFs::~AnonFs() = default;

Path AnonFs::make(uint32_t mode, uint32_t uid, uint32_t gid, const std::string& name, bool numbered) {
  SuperBlock& sb = m_mount->sb();
  const uint64_t ino = sb.alloc_ino();
  RefPtr<Inode> inode = make_ref<AnonInode>(sb, ino, InodeAttr::fresh(sb.now(), mode, uid, gid));
  return adopt(std::move(inode), numbered ? name + ":[" + std::to_string(ino) + "]" : name);
}

Path AnonFs::adopt(RefPtr<Inode> inode, const std::string& name) {
  // Not in the root's cache, and not "deleted": the name is all there is.
  RefPtr<Dentry> d = Dentry::make_orphan(m_mount->root(), name, std::move(inode), false);
  return Path{m_mount, std::move(d)};
}

}  // namespace uml::kern
