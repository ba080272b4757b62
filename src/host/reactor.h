#pragma once
// host::Reactor: the host I/O of one host thread (a vCPU). Seastar's model: each submission
// carries a Completion object; when the host completes the operation, the reactor calls
// complete() on the owning thread. Two kinds: an io_uring ring (the default), and a poll
// reactor (a small pool of threads doing pread/pwrite/fsync, completions handed back through
// an eventfd) for hosts that refuse io_uring (seccomp filters of container runtimes,
// kernel.io_uring_disabled). Same contract for both; only the uring one has registered files
// and buffers.
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

enum class ReactorKind { Auto, Uring, Poll };
const char* reactor_kind_name(ReactorKind k);  // "io_uring", "poll"

class Completion {
 public:
  // res: the operation's result, >= 0 or -errno as the host returned it.
  virtual void complete(int32_t res) = 0;

 protected:
  ~Completion() = default;
};

class Reactor {
 public:
  // A reactor of the kind asked, for entries submissions in flight. Auto: io_uring, or the
  // poll reactor where the host refuses a ring (*uring_err then says why, else 0). nullptr
  // on failure, *err = -errno.
  static std::unique_ptr<Reactor> create(unsigned entries, int* err, ReactorKind kind = ReactorKind::Auto,
                                         int* uring_err = nullptr);
  virtual ~Reactor() = default;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  virtual ReactorKind kind() const = 0;

  // Registered files (IORING_REGISTER_FILES): a table of kFileSlots per ring, empty at
  // first. register_file gives the slot an fd now occupies (the ring holds its own
  // reference to the file until unregister_file), or -errno (ENOSPC: full; EOPNOTSUPP: the
  // host has no sparse tables, or this is the poll reactor). Operations below take an fd >= 0,
  // or a slot as
  // fixed_file(slot).
  static constexpr int kFileSlots = 64;
  virtual int register_file(int fd) = 0;
  virtual void unregister_file(int slot) = 0;
  static constexpr int fixed_file(int slot) { return -2 - slot; }

  // Registered buffers: the slot of the buffer [base, base+len) in this ring's table,
  // registering it on first use; -errno when the table is full or the host refuses (no
  // table, RLIMIT_MEMLOCK, the poll reactor). The memory must stay mapped while the ring lives.
  static constexpr int kBufferSlots = 1024;
  virtual int buffer_slot(void* base, size_t len) = 0;
  // A transfer within registered buffer slot (buf inside it).
  virtual bool read_fixed(int fd, void* buf, unsigned len, uint64_t offset, int slot, Completion* c) = 0;
  virtual bool write_fixed(int fd, const void* buf, unsigned len, uint64_t offset, int slot, Completion* c) = 0;

  virtual bool nop(Completion* c) = 0;
  virtual bool read(int fd, void* buf, unsigned len, uint64_t offset, Completion* c) = 0;
  virtual bool write(int fd, const void* buf, unsigned len, uint64_t offset, Completion* c) = 0;
  virtual bool fsync(int fd, bool datasync, Completion* c) = 0;
  // Vectored transfers (iov: n IoVecs) and fallocate. iov must
  // stay valid until the completion runs.
  virtual bool readv(int fd, const IoVec* iov, unsigned n, uint64_t offset, Completion* c) = 0;
  // dsync: durable when complete (RWF_DSYNC).
  virtual bool writev(int fd, const IoVec* iov, unsigned n, uint64_t offset, bool dsync, Completion* c) = 0;
  virtual bool fallocate(int fd, Fallocate mode, uint64_t offset, uint64_t len, Completion* c) = 0;
  // Completes with -ETIME at the absolute CLOCK_MONOTONIC time deadline_ns.
  virtual bool timeout(int64_t deadline_ns, Completion* c) = 0;
  // Asks the host to cancel the operation whose completion is target; target still
  // completes (with -ECANCELED if the cancellation won).
  virtual bool cancel(Completion* target) = 0;

  // Hands queued submissions to the host. Returns how many, or -errno.
  virtual int submit() = 0;
  // Runs the completions already posted, without sleeping. Returns how many ran.
  virtual int poll() = 0;
  // Submits, then sleeps until a completion arrives, wake() is called, or the absolute
  // CLOCK_MONOTONIC deadline (deadline_ns < 0: no deadline). Runs what completed.
  virtual int wait(int64_t deadline_ns) = 0;
  // Any thread: makes the current or next wait() return promptly.
  virtual void wake() = 0;

  // Operations submitted and not yet completed (the wake-up read is not counted).
  unsigned in_flight() const { return m_in_flight; }
  bool single_issuer() const { return m_single_issuer; }

 protected:
  Reactor() = default;
  unsigned m_in_flight = 0;
  bool m_single_issuer = false;
};

}  // namespace uml::host
