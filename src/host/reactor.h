#pragma once
// host::Reactor: one io_uring ring, owned by one host thread (a vCPU). Seastar's model: each
// submission carries a Completion object as its user data; when the host kernel completes the
// operation, the reactor calls complete() on the owning thread.
//
// Threading: every method but wake() must be called from the thread that created the ring
// (the ring is set up IORING_SETUP_SINGLE_ISSUER where the host allows). wake() is safe from
// any thread and never blocks.
//
// Blocking: only wait() sleeps. Submission methods queue an SQE and return false only when
// the submission queue is full even after flushing it to the host.

#include <cstdint>
#include <memory>

#include "host/file.h"

namespace uml::host {

class Completion {
 public:
  // res: the operation's result, >= 0 or -errno as the host returned it.
  virtual void complete(int32_t res) = 0;

 protected:
  ~Completion() = default;
};

class Reactor {
 public:
  // Builds a ring with room for entries submissions. nullptr on failure, *err = -errno.
  static std::unique_ptr<Reactor> create(unsigned entries, int* err);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Registered files (IORING_REGISTER_FILES): a table of kFileSlots per ring, empty at
  // first. register_file gives the slot an fd now occupies (the ring holds its own
  // reference to the file until unregister_file), or -errno (ENOSPC: full; EOPNOTSUPP: the
  // host has no sparse tables). Operations below take an fd >= 0, or a slot as
  // fixed_file(slot).
  static constexpr int kFileSlots = 64;
  int register_file(int fd);
  void unregister_file(int slot);
  static constexpr int fixed_file(int slot) { return -2 - slot; }

  // Registered buffers: the slot of the buffer [base, base+len) in this ring's table,
  // registering it on first use; -errno when the table is full or the host refuses (no
  // table, RLIMIT_MEMLOCK). The memory must stay mapped while the ring lives.
  static constexpr int kBufferSlots = 1024;
  int buffer_slot(void* base, size_t len);
  // A transfer within registered buffer slot (buf inside it).
  bool read_fixed(int fd, void* buf, unsigned len, uint64_t offset, int slot, Completion* c);
  bool write_fixed(int fd, const void* buf, unsigned len, uint64_t offset, int slot, Completion* c);

  bool nop(Completion* c);
  bool read(int fd, void* buf, unsigned len, uint64_t offset, Completion* c);
  bool write(int fd, const void* buf, unsigned len, uint64_t offset, Completion* c);
  bool fsync(int fd, bool datasync, Completion* c);
  // Vectored transfers (iov: n IoVecs) and fallocate. iov must
  // stay valid until the completion runs.
  bool readv(int fd, const IoVec* iov, unsigned n, uint64_t offset, Completion* c);
  // dsync: durable when complete (RWF_DSYNC).
  bool writev(int fd, const IoVec* iov, unsigned n, uint64_t offset, bool dsync, Completion* c);
  bool fallocate(int fd, Fallocate mode, uint64_t offset, uint64_t len, Completion* c);
  // Completes with -ETIME at the absolute CLOCK_MONOTONIC time deadline_ns.
  bool timeout(int64_t deadline_ns, Completion* c);
  // Asks the host to cancel the operation whose completion is target; target still
  // completes (with -ECANCELED if the cancellation won).
  bool cancel(Completion* target);

  // Hands queued submissions to the host. Returns how many, or -errno.
  int submit();
  // Runs the completions already posted, without sleeping. Returns how many ran.
  int poll();
  // Submits, then sleeps until a completion arrives, wake() is called, or the absolute
  // CLOCK_MONOTONIC deadline (deadline_ns < 0: no deadline). Runs what completed.
  int wait(int64_t deadline_ns);
  // Any thread: makes the current or next wait() return promptly.
  void wake();

  // Operations submitted and not yet completed (the wake-up read is not counted).
  unsigned in_flight() const { return m_in_flight; }
  bool single_issuer() const { return m_single_issuer; }

 private:
  struct Impl;
  explicit Reactor(Impl* impl);
  void* get_sqe();
  void arm_wakeup();
  int reap();

  Impl* m_impl;
  unsigned m_in_flight = 0;
  bool m_files = false;       // a sparse file table is registered
  bool m_buffers = false;     // ... and a sparse buffer table
  uint64_t m_slots_used = 0;  // bit per slot
  bool m_single_issuer = false;
};

}  // namespace uml::host
