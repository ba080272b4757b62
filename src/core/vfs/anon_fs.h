#pragma once
// Filesystems of files that no directory names (Linux's pipefs, anon_inodefs, sockfs): a
// superblock and an internal mount that is in no namespace, so that such files have a path
// like any other (stat, fdinfo's mnt_id) and /proc shows them by name ("pipe:[1234]").

#include <string>

#include "core/vfs/path.h"

namespace uml::kern {

class AnonFs {
 public:
  // magic: statfs's f_type (PIPEFS_MAGIC unless told).
  // clock: the instance's CLOCK_REALTIME (its files' times).
  AnonFs(std::string fstype, uint64_t dev, const RealtimeClock& clock, uint32_t magic = 0x50495045);
  ~AnonFs();
  // A new inode of type and permissions mode, owned by uid/gid, and the path of it; /proc
  // shows it as "prefix:[ino]", or as name itself when numbered is false.
  Path make(uint32_t mode, uint32_t uid, uint32_t gid, const std::string& name, bool numbered = true);
  // The path of an inode the caller made on sb(), named name.
  Path adopt(RefPtr<Inode> inode, const std::string& name);
  SuperBlock& sb() const { return m_mount->sb(); }

 private:
  RefPtr<Mount> m_mount;
};

}  // namespace uml::kern
