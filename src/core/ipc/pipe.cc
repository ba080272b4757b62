#include "core/ipc/pipe.h"

#include <algorithm>

#include "core/abi/fs.h"
#include "core/abi/signal.h"
#include "core/cred/actor.h"
#include "core/vfs/file.h"
#include "core/vfs/inode.h"

namespace uml::kern {

// fs/pipe.c: EPIPE, and SIGPIPE to the writer (send_sig(SIGPIPE, current, 0)).
Result<size_t> Pipe::broken(Actor& self) {
  self.signal_self(abi::SIGPIPE_);
  return Errno::PIPE;
}

// fs/pipe.c: pipe_read. Packet mode reads one slot (a packet) and drops what did not fit.
Result<size_t> Pipe::read(Actor& self, const IoBuffer& buf, bool nonblock) {
  if (buf.size() == 0) return size_t{0};
  for (;;) {
    size_t n = 0;
    bool fault = false, was_full = false;
    // An empty pipe is seen without the mutex: bytes only come under it, and the wait below
    // checks again under the queue's lock, which every writer takes after adding them.
    if (available() > 0) {
      MutexGuard g(m_mutex, self);
      // pipe_read: writers are woken only when the pipe was full, so a reader of a pipe
      // with room left (the usual case) wakes nobody. A writer waits only for a full pipe,
      // and EPOLLOUT only changes then.
      was_full = full();
      while (n < buf.size() && !m_slots.empty()) {
        Slot& s = m_slots.front();
        const size_t want = std::min<size_t>(buf.size() - n, s.len);
        const size_t k = buf.write_some(n, s.page.get() + s.off, want);
        n += k;
        sub_len(k);
        s.off += static_cast<uint32_t>(k);
        s.len -= static_cast<uint32_t>(k);
        if (k < want) {
          fault = true;
          break;
        }
        if (m_packet && s.len) {  // the rest of the packet goes
          sub_len(s.len);
          s.len = 0;
        }
        if (s.len == 0) {
          give_page(std::move(s.page));
          m_slots.pop_front();
          sub_slot();
        }
        if (m_packet) break;
      }
    }
    if (was_full) m_writable.wake_poll(kPollOut | kPollWrNorm);
    if (n > 0) return n;
    if (fault) return Errno::FAULT;
    if (writers() == 0) return size_t{0};  // end of file
    if (nonblock) return Errno::AGAIN;
    TRY(m_readable.wait_event(self, [&] { return available() > 0 || writers() == 0; },
                              interruptible_wait()));
  }
}

// fs/pipe.c: pipe_write. The sub-page remainder of a write may go into the last page; the
// rest takes new slots, a page at a time, so a write of up to PIPE_BUF lands whole.
Result<size_t> Pipe::write(Actor& self, const IoBuffer& buf, bool nonblock) {
  const size_t total = buf.size();
  if (readers() == 0) return broken(self);
  if (total == 0) return size_t{0};
  size_t done = 0;
  bool merged_tried = false;
  for (;;) {
    bool moved = false, fault = false, broken = false;
    {
      MutexGuard g(m_mutex, self);
      if (readers() == 0) {
        broken = true;
      } else {
        if (!merged_tried && !m_packet && !m_slots.empty()) {
          merged_tried = true;
          const size_t chars = total & (kPage - 1);
          Slot& last = m_slots.back();
          if (chars && last.off + last.len + chars <= kPage) {
            const size_t k = buf.read_some(0, last.page.get() + last.off + last.len, chars);
            last.len += static_cast<uint32_t>(k);
            add_len(k);
            done += k;
            moved = k > 0;
            fault = k < chars;
          }
        }
        merged_tried = true;
        while (!fault && done < total && m_slots.size() < slots_max()) {
          Slot s;
          s.page = take_page();
          const size_t n = std::min(kPage, total - done);
          const size_t k = buf.read_some(done, s.page.get(), n);
          if (k == 0) {
            fault = true;
            break;
          }
          s.len = static_cast<uint32_t>(k);
          m_slots.push_back(std::move(s));
          add_slot();
          add_len(k);
          done += k;
          moved = true;
          if (k < n) fault = true;
        }
      }
    }
    if (moved) m_readable.wake_poll(kPollIn | kPollRdNorm);
    if (broken) return done ? Result<size_t>(done) : Pipe::broken(self);
    if (fault) return done ? Result<size_t>(done) : Result<size_t>(Errno::FAULT);
    if (done == total) return done;
    if (nonblock) return done ? Result<size_t>(done) : Result<size_t>(Errno::AGAIN);
    auto r = m_writable.wait_event(self, [&] { return !full() || readers() == 0; }, interruptible_wait());
    if (!r.has_value()) return done ? Result<size_t>(done) : Result<size_t>(r.error());
  }
}

Result<size_t> Pipe::set_capacity(Actor& self, size_t want, bool privileged) {
  if (want > (size_t{1} << 31)) return Errno::INVAL;
  // round_pipe_size: whole pages, a power of two of them.
  size_t size = kPage;
  while (size < want) size <<= 1;
  if (size > kMaxUnprivileged && !privileged) return Errno::PERM;
  MutexGuard g(m_mutex, self);
  if (m_slots.size() > size / kPage) return Errno::BUSY;  // pipe_resize_ring
  m_cap.store(size, std::memory_order_release);
  m_writable.wake_poll(kPollOut | kPollWrNorm);  // more room, perhaps
  return size;
}

void Pipe::add_reader() {
  m_readers.fetch_add(1, std::memory_order_acq_rel);
  m_reader_opens.fetch_add(1, std::memory_order_acq_rel);
  m_opened.wake_all();
}

void Pipe::add_writer() {
  m_writers.fetch_add(1, std::memory_order_acq_rel);
  m_writer_opens.fetch_add(1, std::memory_order_acq_rel);
  m_opened.wake_all();
}

void Pipe::drop_reader() {
  if (m_readers.fetch_sub(1, std::memory_order_acq_rel) == 1) {  // EPIPE
    m_writable.wake_poll(0);
    m_readable.wake_poll(0);
  }
}

void Pipe::drop_writer() {
  if (m_writers.fetch_sub(1, std::memory_order_acq_rel) == 1) {  // EOF
    m_readable.wake_poll(0);
    m_writable.wake_poll(0);
  }
}

Result<void> Pipe::wait_for_writer(Actor& self) {
  const uint64_t seen = m_writer_opens.load(std::memory_order_acquire);
  return m_opened.wait_event(
      self, [&] { return writers() > 0 || m_writer_opens.load(std::memory_order_acquire) != seen; },
      interruptible_wait());
}

Result<void> Pipe::wait_for_reader(Actor& self) {
  const uint64_t seen = m_reader_opens.load(std::memory_order_acquire);
  return m_opened.wait_event(
      self, [&] { return readers() > 0 || m_reader_opens.load(std::memory_order_acquire) != seen; },
      interruptible_wait());
}

uint32_t Pipe::poll(bool reader, bool writer, uint64_t seen_writer_opens, PollTable* pt) {
  if (pt) {
    pt->wait(m_readable);
    pt->wait(m_writable);
  }
  uint32_t mask = 0;
  if (reader) {
    if (available() > 0) mask |= kPollIn | kPollRdNorm;
    if (writers() == 0 && writer_opens() != seen_writer_opens) mask |= kPollHup;
  }
  if (writer) {
    if (!full()) mask |= kPollOut | kPollWrNorm;
    if (readers() == 0) mask |= kPollErr;
  }
  return mask;
}

uint32_t PipeEnd::poll(File&, PollTable* pt) {
  return m_pipe->poll(m_reader, m_writer, m_seen_writer_opens, pt);
}

PipeEnd::PipeEnd(std::shared_ptr<Pipe> pipe, bool reader, bool writer, uint64_t seen_writer_opens)
    : m_pipe(std::move(pipe)), m_reader(reader), m_writer(writer), m_seen_writer_opens(seen_writer_opens) {
  if (m_reader) m_pipe->add_reader();
  if (m_writer) m_pipe->add_writer();
}

PipeEnd::~PipeEnd() {
  if (m_reader) m_pipe->drop_reader();
  if (m_writer) m_pipe->drop_writer();
}

Result<size_t> PipeEnd::read(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  return m_pipe->read(self, buf, f.flags() & abi::O_NONBLOCK_);
}

Result<size_t> PipeEnd::write(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  return m_pipe->write(self, buf, f.flags() & abi::O_NONBLOCK_);
}

Result<long> PipeEnd::ioctl(File&, Actor&, unsigned cmd, uintptr_t arg) {
  constexpr unsigned FIONREAD = 0x541B;
  if (cmd != FIONREAD) return Errno::NOTTY;
  const int32_t n = static_cast<int32_t>(std::min<size_t>(m_pipe->available(), INT32_MAX));
  if (!IoBuffer::user(arg, sizeof n).write_from(0, &n, sizeof n)) return Errno::FAULT;
  return 0;
}

}  // namespace uml::kern

namespace uml::kern {

Result<std::shared_ptr<FileOps>> open_fifo(Actor& self, Inode& inode, int flags) {
  std::shared_ptr<Pipe> pipe = inode.fifo();
  const bool nonblock = flags & abi::O_NONBLOCK_;
  switch (flags & abi::O_ACCMODE_) {
    case abi::O_RDONLY_: {
      auto end = std::make_shared<PipeEnd>(pipe, true, false, pipe->writer_opens());
      if (pipe->writers() == 0 && !nonblock) TRY(pipe->wait_for_writer(self));
      return std::shared_ptr<FileOps>(end);
    }
    case abi::O_WRONLY_: {
      if (nonblock && pipe->readers() == 0) return Errno::NXIO;
      auto end = std::make_shared<PipeEnd>(pipe, false, true);
      if (pipe->readers() == 0) TRY(pipe->wait_for_reader(self));
      return std::shared_ptr<FileOps>(end);
    }
    case abi::O_RDWR_: return std::shared_ptr<FileOps>(std::make_shared<PipeEnd>(pipe, true, true));
    default: return Errno::INVAL;
  }
}

}  // namespace uml::kern
