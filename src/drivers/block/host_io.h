#pragma once
// One host operation of a disk driver (a transfer, fdatasync or fallocate on a host file):
// on the io_uring ring of the vCPU that starts it, or synchronously on any other thread.
// A short transfer continues where it stopped; done(op, res) runs once with 0 or -errno
// (EIO when the file ended early).

#include <cstdint>
#include <vector>

#include "host/file.h"
#include "host/reactor.h"

namespace uml::drivers {

struct HostOp final : host::Completion {
  enum class Kind : uint8_t { Read, Write, Sync, Punch, Zero };
  Kind kind = Kind::Read;
  int fd = -1;
  uint64_t off = 0;
  uint64_t len = 0;                // Punch/Zero: the range
  std::vector<host::IoVec> iov;    // Read/Write: what is left to transfer
  bool dsync = false;              // Write: durable when done (RWF_DSYNC)
  void (*done)(HostOp* op, int res) = nullptr;
  void* ctx = nullptr;

  void start();
  void complete(int32_t res) override;
};

}  // namespace uml::drivers
