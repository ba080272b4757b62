#pragma once
// Filesystems of files that no directory names (Linux's pipefs, anon_inodefs, sockfs): a
// superblock and an internal mount that is in no namespace, so that such files have a path
// like any other (stat, fdinfo's mnt_id) and /proc shows them by name ("pipe:[1234]").

#include <string>

#include "core/vfs/path.h"

namespace uml::kern {

class AnonFs {
 public:
  AnonFs(std::string fstype, uint64_t dev);
  ~AnonFs();
  // A new inode of type and permissions mode, owned by uid/gid, and the path of it; /proc
  // shows it as "prefix:[ino]", or as name itself when numbered is false.
  Path make(uint32_t mode, uint32_t uid, uint32_t gid, const std::string& name, bool numbered = true);

 private:
  RefPtr<Mount> m_mount;
};

}  // namespace uml::kern
