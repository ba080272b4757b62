#pragma once
// Files with no name (eventfd, timerfd, signalfd, epoll): made on anon_inodefs and installed
// as a descriptor, and found again by the FileOps they carry.

#include <memory>

#include "core/abi/fs.h"
#include "core/kernel/kernel.h"

namespace uml::kern {

// anon_inode_getfd: one shared inode, mode 0600 with no file type, named name; O_NONBLOCK
// and O_CLOEXEC of flags apply.
inline Result<long> install_anon_file(Task& t, const char* name, int flags, std::shared_ptr<FileOps> ops) {
  const Credentials& c = t.creds();
  const Path p = t.kernel().vfs().anon_inodefs().make(0600, c.fsuid, c.fsgid, name, false);
  auto f = make_ref<File>(p, p.inode(), abi::O_RDWR_ | (flags & abi::O_NONBLOCK_), std::move(ops));
  return TRY(t.files().install(std::move(f), flags & abi::O_CLOEXEC_));
}

// The file of descriptor fd and its FileOps as a T. Errors: BADF (no such descriptor),
// INVAL (another kind of file).
template <typename T>
Result<RefPtr<File>> file_with_ops(Task& t, int fd, T** ops) {
  RefPtr<File> f = t.files().get(fd);
  if (!f) return Errno::BADF;
  *ops = dynamic_cast<T*>(f->ops());
  if (!*ops) return Errno::INVAL;
  return f;
}

}  // namespace uml::kern
