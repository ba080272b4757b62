#pragma once
// eventfd (Linux's fs/eventfd.c): a 64-bit counter as a file. Writes add to it (blocking
// while the sum would pass 2^64 - 2), reads take it all, or one in semaphore mode (blocking
// while it is 0).

#include <atomic>
#include <cstdint>

#include "core/sched/wait_queue.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class EventFd final : public FileOps {
 public:
  EventFd(uint64_t initial, bool semaphore) : m_count(initial), m_semaphore(semaphore) {}
  Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<size_t> write(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  // noop_llseek (lseek succeeds and moves nothing), but no pread/pwrite.
  bool positional() const override { return false; }
  uint64_t count() const { return m_count.load(std::memory_order_acquire); }
  uint32_t poll(File& f, PollTable* pt) override;
  bool pollable() const override { return true; }

 private:
  static constexpr uint64_t kMax = ~uint64_t{0} - 1;  // ULLONG_MAX - 1
  std::atomic<uint64_t> m_count;
  const bool m_semaphore;
  WaitQueue m_readers, m_writers;
};

}  // namespace uml::kern
