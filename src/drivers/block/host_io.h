#pragma once
// One host operation of a disk driver (a transfer, fdatasync or fallocate on a host file):
// on the io_uring ring of the vCPU that starts it, or synchronously on any other thread.
// A short transfer continues where it stopped; done(op, res) runs once with 0 or -errno
// (EIO when the file ended early).

#include <cstdint>
#include <vector>

#include "core/base/spinlock.h"
#include "host/file.h"
#include "host/reactor.h"

namespace uml::kern {
class Scheduler;
}

namespace uml::drivers {

// A disk's host fd in the vCPU rings' registered-file tables (fewer reference counts per
// operation on the host): a ring registers it the first time an operation on it starts
// there (on that vCPU's thread, as a single-issuer ring requires), and release()
// unregisters it from every ring, each on its own thread, before the fd is closed. Where a
// ring has no room or no table, the plain fd is used.
class FixedFile {
 public:
  FixedFile(kern::Scheduler* sched, int fd) : m_sched(sched), m_fd(fd) {}
  ~FixedFile() { release(); }
  FixedFile(const FixedFile&) = delete;
  FixedFile& operator=(const FixedFile&) = delete;
  int fd() const { return m_fd; }
  // What an SQE on ring r names the file by (called on r's own thread).
  int fd_for(host::Reactor& r);
  void release();

 private:
  kern::Scheduler* m_sched;
  int m_fd;
  kern::SpinLock m_lock;
  std::vector<std::pair<host::Reactor*, int>> m_slots;  // ring, slot (-1: could not)
};

struct HostOp final : host::Completion {
  enum class Kind : uint8_t { Read, Write, Sync, Punch, Zero };
  Kind kind = Kind::Read;
  int fd = -1;
  FixedFile* fixed = nullptr;      // fd's registered form, if the driver has one
  uint64_t off = 0;
  uint64_t len = 0;                // Punch/Zero: the range
  std::vector<host::IoVec> iov;    // Read/Write: what is left to transfer
  bool dsync = false;              // Write: durable when done (RWF_DSYNC)
  // Read/Write of one segment inside a memory region that stays mapped while the rings
  // live (a page-cache chunk): the ring may register the region and transfer with it.
  void* region = nullptr;
  size_t region_len = 0;
  void (*done)(HostOp* op, int res) = nullptr;
  void* ctx = nullptr;

  void start();
  void complete(int32_t res) override;
};

}  // namespace uml::drivers
