#pragma once
// The file-backed disk (UML's ubd over a host file): each request becomes an io_uring
// operation on the ring of the vCPU that starts it, so its completion wakes the waiting task
// on that same vCPU, with no thread hop. The host file is opened O_DIRECT where its file
// system allows (the guest's page cache is the only cache, as on a real disk), buffered
// otherwise. A request whose memory or offset does not meet the host's direct-I/O alignment
// goes through an aligned bounce buffer.
//
// - Read/Write: readv/writev of the request's segments (a short transfer continues where
//   it stopped); FUA writes are RWF_DSYNC; a preflush runs fdatasync first.
// - Flush: fdatasync. Discard: a hole punched. WriteZeroes: FALLOC_FL_ZERO_RANGE.
// - A request started off a vCPU (an attached application thread) is done synchronously on
//   that thread (it would block there anyway).

#include <memory>
#include <string>

#include "core/block/block_device.h"
#include "drivers/block/host_io.h"
#include "host/file.h"

namespace uml::drivers {

class FileDisk final : public kern::BlockDriver {
 public:
  struct Options {
    bool read_only = false;
    bool direct = true;  // try O_DIRECT
    bool lock = true;    // the host file's lock (host::DiskLock): EBUSY when another holds it
    kern::Scheduler* sched = nullptr;  // whose vCPU rings register the file (none: plain fd)
  };
  // Opens path. 0 or -errno (ENOENT, EACCES, EISDIR, EINVAL for a file that is no disk,
  // EBUSY for one another writer, or a reader while this one writes, has open).
  static int open(const std::string& path, const Options& o, std::unique_ptr<FileDisk>* out);
  ~FileDisk() override;

  uint64_t size() const { return m_info.size; }
  bool direct() const { return m_info.direct; }
  bool read_only() const { return m_info.read_only; }
  void start(kern::BlockDevice& dev, kern::BlockRequest& rq) override;
  void shutdown() override;

 private:
  struct Io;
  explicit FileDisk(const host::DiskFileInfo& info) : m_info(info) {}
  void finish(Io* io, int res);
  host::DiskFileInfo m_info;
  std::unique_ptr<FixedFile> m_fixed;
};

}  // namespace uml::drivers
