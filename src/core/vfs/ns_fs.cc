#include "core/vfs/ns_fs.h"

#include "core/abi/fs.h"

namespace uml::kern {

namespace {

constexpr uint32_t kNsfsMagic = 0x6e736673;  // NSFS_MAGIC

class NsInode final : public Inode {
 public:
  NsInode(SuperBlock& sb, NsHandle h)
      : Inode(sb, h.inum, InodeAttr::fresh(sb.now(), abi::S_IFREG_ | 0444, 0, 0)), m_handle(std::move(h)) {}
  const NsHandle& handle() const { return m_handle; }

 private:
  const NsHandle m_handle;
};

}  // namespace

const char* ns_type_name(uint32_t type) {
  switch (type) {
    case NS_TIME: return "time";
    case NS_MNT: return "mnt";
    case NS_CGROUP: return "cgroup";
    case NS_UTS: return "uts";
    case NS_IPC: return "ipc";
    case NS_USER: return "user";
    case NS_PID: return "pid";
    case NS_NET: return "net";
  }
  return "?";
}

NsFs::NsFs(uint64_t dev, const RealtimeClock& clock) : m_fs("nsfs", dev, clock, kNsfsMagic) {}

Path NsFs::path_of(NsHandle h) {
  const std::string name = h.name();
  return m_fs.adopt(make_ref<NsInode>(m_fs.sb(), std::move(h)), name);
}

const NsHandle* NsFs::handle_of(const Inode& i) {
  const auto* ns = dynamic_cast<const NsInode*>(&i);
  return ns ? &ns->handle() : nullptr;
}

}  // namespace uml::kern
