#pragma once
// FileOps: what an open file does when its inode does not hold the data itself (Linux's
// file_operations): device drivers, procfs's generated files, and later pipes and sockets.
// A File with FileOps sends read, write, seek and ioctl here; a File without them reads and
// writes its inode (regular files, directories).

#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/io_buffer.h"
#include "core/base/result.h"
#include "core/cred/actor.h"

namespace uml::kern {

class File;
class WaitQueue;

// Linux's poll_table: what a FileOps::poll registers on, for poll, select and epoll.
class PollTable {
 public:
  virtual void wait(WaitQueue& wq) = 0;

 protected:
  ~PollTable() = default;
};

// What poll reports for a file that cannot wait (DEFAULT_POLLMASK: regular files, most
// devices): always ready.
inline constexpr uint32_t kDefaultPollMask = 0x001 | 0x004 | 0x040 | 0x100;

class FileOps {
 public:
  virtual ~FileOps() = default;
  // Transfer at *pos (the file position, or pread's offset), advancing it by what moved.
  virtual Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) = 0;
  virtual Result<size_t> write(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) = 0;
  // lseek: the new position from the current one, or SPIPE (no_llseek). The default is
  // noop_llseek: the position never moves.
  virtual Result<int64_t> llseek(File& f, uint64_t cur, int64_t off, int whence) {
    (void)f;
    (void)off;
    (void)whence;
    return static_cast<int64_t>(cur);
  }
  // pread/pwrite allowed (false: SPIPE, like a stream).
  virtual bool positional() const { return true; }
  // Readiness (f_op->poll): the events that hold now; with pt, it also registers pt on the
  // queues whose wake-ups may change them (a wake-up's key names the events, 0 any). A
  // FileOps that does not override it cannot be waited for: it is always ready, and epoll
  // refuses it.
  virtual uint32_t poll(File& f, PollTable* pt) {
    (void)f;
    (void)pt;
    return kDefaultPollMask;
  }
  virtual bool pollable() const { return false; }
  // fsync/fdatasync: what the driver must make durable (nothing by default).
  virtual Result<void> fsync(File& f, Actor& self, bool datasync) {
    (void)f;
    (void)self;
    (void)datasync;
    return {};
  }
  // fallocate(2) on a device (the VFS checked the mode and the access): NODEV by default.
  virtual Result<void> fallocate(File& f, Actor& self, int mode, int64_t off, int64_t len) {
    (void)f;
    (void)self;
    (void)mode;
    (void)off;
    (void)len;
    return Errno::NODEV;
  }
  // Device-specific ioctls; arg is the caller's argument as passed (NOTTY: none).
  virtual Result<long> ioctl(File& f, Actor& self, unsigned cmd, uintptr_t arg) {
    (void)f;
    (void)self;
    (void)cmd;
    (void)arg;
    return Errno::NOTTY;
  }
};

// A character device's open: the FileOps for the new File, shared by every open of a
// stateless device or made for this one. An error stops the open (NXIO: nothing behind it).
using DeviceOpen = std::function<Result<std::shared_ptr<FileOps>>()>;

}  // namespace uml::kern
