#pragma once
// signalfd (Linux's fs/signalfd.c): reading dequeues the reader's pending signals of a mask
// (its own and its process's), as signalfd_siginfo records; poll says readable while one
// is pending. The signals should be blocked, or they are delivered the usual way first.
// It lives with the task model, whose signals it reads; poll asks about the polling task
// (the current one), as Linux's does.

#include <atomic>
#include <cstdint>

#include "core/task/signal.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class SignalFd final : public FileOps {
 public:
  explicit SignalFd(SigSet mask) : m_mask(mask) {}
  void set_mask(SigSet mask) { m_mask.store(mask, std::memory_order_release); }
  SigSet mask() const { return m_mask.load(std::memory_order_acquire); }

  Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<size_t> write(File&, Actor&, const IoBuffer&, uint64_t*) override { return Errno::INVAL; }
  bool positional() const override { return false; }
  uint32_t poll(File& f, PollTable* pt) override;
  bool pollable() const override { return true; }

 private:
  std::atomic<SigSet> m_mask;
};

}  // namespace uml::kern
