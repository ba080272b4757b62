#include "core/vfs/anon_fs.h"

#include "host/host.h"

namespace uml::kern {

namespace {

class AnonSuper final : public SuperBlock {
 public:
  AnonSuper(std::string fstype, uint64_t dev) : SuperBlock(std::move(fstype), dev) {}
  void set_root_inode(RefPtr<Inode> r) { set_root(std::move(r)); }
  abi::statfs statfs() override {
    abi::statfs s{};
    s.f_type = 0x50495045;  // PIPEFS_MAGIC
    s.f_bsize = 4096;
    s.f_namelen = abi::NAME_MAX_;
    return s;
  }
};

class AnonInode final : public Inode {
 public:
  using Inode::Inode;
};

}  // namespace

AnonFs::AnonFs(std::string fstype, uint64_t dev) {
  auto sb = make_ref<AnonSuper>(std::move(fstype), dev);
  sb->set_root_inode(make_ref<AnonInode>(*sb, sb->alloc_ino(), InodeAttr::fresh(abi::S_IFDIR_ | 0700, 0, 0)));
  RefPtr<Dentry> root = sb->root_dentry();
  m_mount = make_ref<Mount>(RefPtr<SuperBlock>(std::move(sb)), std::move(root), 0);
  m_mount->set_internal();
}

AnonFs::~AnonFs() = default;

Path AnonFs::make(uint32_t mode, uint32_t uid, uint32_t gid, const std::string& name, bool numbered) {
  SuperBlock& sb = m_mount->sb();
  const uint64_t ino = sb.alloc_ino();
  RefPtr<Inode> inode = make_ref<AnonInode>(sb, ino, InodeAttr::fresh(mode, uid, gid));
  // Not in the root's cache, and not "deleted": the name is all there is.
  RefPtr<Dentry> d = Dentry::make_orphan(
      m_mount->root(), numbered ? name + ":[" + std::to_string(ino) + "]" : name, inode, false);
  return Path{m_mount, std::move(d)};
}

}  // namespace uml::kern
