#pragma once
// Pipes and FIFOs (Linux's fs/pipe.c): a bounded byte buffer between readers and writers.
//
// - Writes of at most PIPE_BUF bytes are atomic (never interleaved with other writes); larger
//   ones may be split. Reading an empty pipe with no writers gives end of file; writing with
//   no readers gives EPIPE.
// - Packet mode (pipe2's O_DIRECT): each write is a packet, and a read returns at most one,
//   dropping what does not fit in the caller's buffer.
// - The buffer is a ring of page-sized slots, as Linux's is: a write fills the last page
//   only with its sub-page remainder and takes whole new slots otherwise, so "full" means
//   no free slot, whatever bytes remain in the last page. 16 slots (64 KiB) by default;
//   F_SETPIPE_SZ changes the count (never below the slots in use).
//
// Blocking reads and writes wait on the pipe's queues, interruptibly. The data moves under the
// pipe's mutex; the counts waiters look at are atomics.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/base/io_buffer.h"
#include "core/base/result.h"
#include "core/sched/sync.h"
#include "core/sched/wait_queue.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class Pipe {
 public:
  static constexpr size_t kPipeBuf = 4096;          // PIPE_BUF
  static constexpr size_t kDefaultSize = 65536;     // 16 pages
  static constexpr size_t kMaxUnprivileged = 1 << 20;  // /proc/sys/fs/pipe-max-size

  Pipe() = default;

  Result<size_t> read(Actor& self, const IoBuffer& buf, bool nonblock);
  Result<size_t> write(Actor& self, const IoBuffer& buf, bool nonblock);
  size_t available() const { return m_len.load(std::memory_order_acquire); }
  size_t capacity() const { return m_cap.load(std::memory_order_acquire); }
  // F_SETPIPE_SZ: the new capacity (rounded up to a power of two pages), or BUSY when the
  // pipe holds more than that, PERM past the unprivileged maximum without CAP_SYS_RESOURCE.
  Result<size_t> set_capacity(Actor& self, size_t want, bool privileged);

  // Ends come and go (open, the last close of a description).
  void add_reader();
  void add_writer();
  void drop_reader();
  void drop_writer();
  // Readiness of an end (fs/pipe.c: pipe_poll). A reader sees HUP once no writer is left,
  // unless no writer has come since it opened (a FIFO read end opened alone).
  uint32_t poll(bool reader, bool writer, uint64_t seen_writer_opens, PollTable* pt);
  uint64_t writer_opens() const { return m_writer_opens.load(std::memory_order_acquire); }
  uint32_t readers() const { return m_readers.load(std::memory_order_acquire); }
  uint32_t writers() const { return m_writers.load(std::memory_order_acquire); }
  // FIFO rendezvous: waits until the other side has ever opened since we started waiting
  // (Linux's r_counter/w_counter), interruptibly.
  Result<void> wait_for_writer(Actor& self);
  Result<void> wait_for_reader(Actor& self);

  void set_packet_mode(bool on) { m_packet = on; }

  // splice(2) and tee(2) (fs/splice.c; in core/ipc/splice.cc). in_off/out_off: the file
  // offset to use and advance, or null for the file position. Errors: AGAIN (nonblock),
  // PIPE (no reader left; SIGPIPE sent), RESTARTSYS, and the file's own.
  static Result<size_t> splice_from_file(Actor& self, File& in, int64_t* in_off, Pipe& out,
                                         size_t len, bool nonblock);
  static Result<size_t> splice_to_file(Actor& self, Pipe& in, File& out, int64_t* out_off,
                                       size_t len, bool nonblock);
  // Pipe to pipe: moves (splice) or copies (tee) whole buffers, the last one cut to len.
  static Result<size_t> splice_pipes(Actor& self, Pipe& in, Pipe& out, size_t len, bool nonblock,
                                     bool copy);

 private:
  // Waits until there is data (false: empty with no writer left) / room (PIPE without
  // readers).
  Result<bool> wait_data(Actor& self, bool nonblock);
  Result<void> wait_room(Actor& self, bool nonblock);
  static Result<size_t> broken(Actor& self);
  struct Slot {
    std::unique_ptr<char[]> page;  // kPage bytes
    uint32_t off = 0, len = 0;
  };
  static constexpr size_t kPage = 4096;
  size_t slots_max() const { return m_cap.load(std::memory_order_relaxed) / kPage; }
  // The counts waiters read change only under m_mutex: plain stores, no read-modify-write.
  void add_len(size_t n) { m_len.store(m_len.load(std::memory_order_relaxed) + n, std::memory_order_release); }
  void sub_len(size_t n) { m_len.store(m_len.load(std::memory_order_relaxed) - n, std::memory_order_release); }
  void add_slot() { m_used.store(m_used.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  void sub_slot() { m_used.store(m_used.load(std::memory_order_relaxed) - 1, std::memory_order_release); }
  // A freed page kept for the next buffer (Linux's tmp_page), under m_mutex.
  std::unique_ptr<char[]> take_page() {
    if (m_spare) return std::move(m_spare);
    return std::unique_ptr<char[]>(new char[kPage]);
  }
  void give_page(std::unique_ptr<char[]> p) {
    if (!m_spare) m_spare = std::move(p);
  }
  bool full() const { return m_used.load(std::memory_order_acquire) >= capacity() / kPage; }

  Mutex m_mutex;  // the data
  std::deque<Slot> m_slots;                // oldest first
  std::unique_ptr<char[]> m_spare;
  std::atomic<size_t> m_len{0};            // bytes held
  std::atomic<size_t> m_used{0};           // slots held
  std::atomic<size_t> m_cap{kDefaultSize}; // slots * kPage
  bool m_packet = false;
  std::atomic<uint32_t> m_readers{0}, m_writers{0};
  std::atomic<uint64_t> m_reader_opens{0}, m_writer_opens{0};  // rendezvous counters
  WaitQueue m_readable;  // readers wait for data or for the last writer to go
  WaitQueue m_writable;  // writers wait for room or for the last reader to go
  WaitQueue m_opened;    // FIFO opens wait for the other side
};

// The FileOps of one end of a pipe: it counts as a reader and/or writer from construction
// until the open file description goes.
class PipeEnd final : public FileOps {
 public:
  // seen_writer_opens: the pipe's writer_opens() when a FIFO read end opened (0 for pipe2).
  PipeEnd(std::shared_ptr<Pipe> pipe, bool reader, bool writer, uint64_t seen_writer_opens = 0);
  ~PipeEnd() override;
  Result<size_t> read(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<size_t> write(File& f, Actor& self, const IoBuffer& buf, uint64_t* pos) override;
  Result<int64_t> llseek(File&, uint64_t, int64_t, int) override { return Errno::SPIPE; }
  bool positional() const override { return false; }
  Result<long> ioctl(File& f, Actor& self, unsigned cmd, uintptr_t arg) override;
  uint32_t poll(File& f, PollTable* pt) override;
  bool pollable() const override { return true; }
  Pipe& pipe() const { return *m_pipe; }

 private:
  std::shared_ptr<Pipe> m_pipe;
  const bool m_reader, m_writer;
  const uint64_t m_seen_writer_opens;
};

class Inode;

// open(2) of a FIFO inode (fs/pipe.c: fifo_open): the reader waits for a writer and the
// writer for a reader, unless O_NONBLOCK (a lone non-blocking writer gets NXIO); O_RDWR
// never waits.
Result<std::shared_ptr<FileOps>> open_fifo(Actor& self, Inode& inode, int flags);

}  // namespace uml::kern
