#pragma once
// tmpfs: a filesystem in memory. Directories map names to inodes and keep a creation-order
// cookie per entry, so getdents64 resumes where it stopped while entries come and go.
// Regular files hold 4 KiB pages, allocated on first write (holes cost nothing); size= and
// nr_inodes= limit pages and inodes (NOSPC). Extended attributes live in memory.
// Sizes and link counts follow Linux's shmem: a directory's size is 20 bytes an entry
// (BOGO_DIRENT_SIZE) including "." and "..", its link count 2 plus its subdirectories.

#include <cstdint>

#include <string>
#include <string_view>

#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

struct TmpfsOptions {
  uint64_t size_bytes = 0;  // 0: unlimited
  uint64_t nr_inodes = 0;   // 0: unlimited
  uint32_t mode = 01777;    // the root directory's
  uint32_t uid = 0, gid = 0;
  uint64_t total_ram = 0;   // what size=N% is a percentage of
};

// Parses mount(2)'s data for tmpfs ("size=64m,nr_inodes=1k,mode=755,uid=0,gid=0"), on top
// of what o holds. INVAL for an unknown option or a bad value.
Result<void> parse_tmpfs_options(std::string_view data, TmpfsOptions& o, bool remount);

// A new tmpfs (fstype is "tmpfs", or "devtmpfs" for the one behind /dev); dev is its
// device number.
RefPtr<SuperBlock> make_tmpfs(std::string fstype, uint64_t dev, const RealtimeClock& clock, const TmpfsOptions& o);

}  // namespace uml::kern
