#pragma once
// nsfs (fs/nsfs.c): the files that /proc/[pid]/ns/* open, one per namespace, numbered by
// the namespace's inode number. An open one is what setns(2) takes, and it keeps its
// namespace alive (a mount namespace with no task in it keeps its mounts).

#include <cstdint>
#include <memory>
#include <string>

#include "core/vfs/anon_fs.h"

namespace uml::kern {

// Namespace types, by their CLONE_NEW* flags.
enum NsType : uint32_t {
  NS_TIME = 0x80,
  NS_MNT = 0x20000,
  NS_CGROUP = 0x02000000,
  NS_UTS = 0x04000000,
  NS_IPC = 0x08000000,
  NS_USER = 0x10000000,
  NS_PID = 0x20000000,
  NS_NET = 0x40000000,
};
// "mnt", "uts"...: the type's name in /proc/[pid]/ns and in nsfs's link text.
const char* ns_type_name(uint32_t type);

struct NsHandle {
  uint32_t type = 0;  // NsType
  uint64_t inum = 0;
  // The namespace object (MountNamespace, UtsNamespace); null for a type of which the
  // instance has only one.
  std::shared_ptr<const void> object;
  // "mnt:[4026531841]": what readlink of the /proc link and of the open file's
  // /proc/self/fd entry show.
  std::string name() const { return std::string(ns_type_name(type)) + ":[" + std::to_string(inum) + "]"; }
};

class NsFs {
 public:
  NsFs(uint64_t dev, const RealtimeClock& clock);
  // The file of h's namespace (an inode numbered h.inum, mode S_IFREG|0444).
  Path path_of(NsHandle h);
  // The namespace an inode is the file of; null for any other inode.
  static const NsHandle* handle_of(const Inode& i);

 private:
  AnonFs m_fs;
};

}  // namespace uml::kern
