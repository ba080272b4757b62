#pragma once
// tmpfs: a filesystem in memory. Directories map names to inodes and keep a creation-order
// cookie per entry, so getdents64 resumes where it stopped while entries come and go.
// Regular files hold their bytes contiguously (sparse storage comes with the page cache).
// Sizes and link counts follow Linux's shmem: a directory's size is 20 bytes an entry
// (BOGO_DIRENT_SIZE) including "." and "..", its link count 2 plus its subdirectories.

#include <cstdint>

#include "core/base/ref_counted.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

// A new tmpfs with a root directory of the given mode and owner; dev is its device number.
RefPtr<SuperBlock> make_tmpfs(uint64_t dev, uint32_t root_mode, uint32_t uid, uint32_t gid,
                              uint64_t size_bytes);

}  // namespace uml::kern
