#pragma once
// procfs: the kernel's state as files, generated when they are opened (Linux's fs/proc).
//
// /proc: self, thread-self, [pid]/{stat,status,cmdline,comm,fd/,fdinfo/,cwd,root,mounts,
// mountinfo,task/}, mounts, meminfo, uptime, loadavg, version, filesystems, cmdline,
// sys/kernel/{hostname,domainname,osrelease,ostype}. A file's text is made at open and read
// from that snapshot (seq_file's single_open); fd/N, cwd and root are magic links.

#include "core/base/ref_counted.h"
#include "core/vfs/superblock.h"

namespace uml::kern {

class Kernel;

// A new procfs superblock (each mount gets its own, as in Linux).
RefPtr<SuperBlock> make_procfs(Kernel& k, uint64_t dev);

}  // namespace uml::kern
