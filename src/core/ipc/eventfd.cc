#include "core/ipc/eventfd.h"

#include "core/abi/fs.h"
#include "core/vfs/file.h"

namespace uml::kern {

// eventfd_read: the counter (or 1), once it is not 0. The claim happens in the wait's
// predicate, under the queue lock, so two readers never take the same count.
Result<size_t> EventFd::read(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  if (buf.size() < sizeof(uint64_t)) return Errno::INVAL;
  uint64_t got = 0;
  auto take = [&] {
    uint64_t c = m_count.load(std::memory_order_acquire);
    while (c != 0) {
      const uint64_t n = m_semaphore ? 1 : c;
      if (m_count.compare_exchange_weak(c, c - n, std::memory_order_acq_rel)) {
        got = n;
        return true;
      }
    }
    return false;
  };
  if (!take()) {
    if (f.flags() & abi::O_NONBLOCK_) return Errno::AGAIN;
    TRY(m_readers.wait(self, take, interruptible_wait()));
  }
  m_writers.wake_poll(kPollOut | kPollWrNorm);
  if (!buf.write_from(0, &got, sizeof got)) {
    m_count.fetch_add(got, std::memory_order_acq_rel);  // not delivered: give it back
    return Errno::FAULT;
  }
  return sizeof got;
}

// eventfd_write: adds the value once the sum stays at most 2^64 - 2.
Result<size_t> EventFd::write(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  if (buf.size() < sizeof(uint64_t)) return Errno::INVAL;
  uint64_t v = 0;
  if (!buf.read_into(0, &v, sizeof v)) return Errno::FAULT;
  if (v == ~uint64_t{0}) return Errno::INVAL;
  auto add = [&] {
    uint64_t c = m_count.load(std::memory_order_acquire);
    while (kMax - c >= v) {
      if (m_count.compare_exchange_weak(c, c + v, std::memory_order_acq_rel)) return true;
    }
    return false;
  };
  if (!add()) {
    if (f.flags() & abi::O_NONBLOCK_) return Errno::AGAIN;
    TRY(m_writers.wait(self, add, interruptible_wait()));
  }
  if (v) m_readers.wake_poll(kPollIn | kPollRdNorm);
  return sizeof v;
}

// fs/eventfd.c: eventfd_poll.
uint32_t EventFd::poll(File&, PollTable* pt) {
  if (pt) {
    pt->wait(m_readers);
    pt->wait(m_writers);
  }
  const uint64_t c = count();
  uint32_t mask = 0;
  if (c > 0) mask |= kPollIn | kPollRdNorm;
  if (c == ~uint64_t{0}) mask |= kPollErr;
  if (c < kMax) mask |= kPollOut | kPollWrNorm;
  return mask;
}

}  // namespace uml::kern
