// splice and tee on pipes (Linux's fs/splice.c): a file's data into pipe buffers, pipe
// buffers out to a file, and buffers moved or copied between pipes. Buffers keep the pipe's
// slot rules: a buffer read from a file ends at a page boundary of the file, as the page
// cache's pages do, so what fits in a pipe matches Linux's.

#include <algorithm>

#include "core/abi/fs.h"
#include "core/ipc/pipe.h"
#include "core/vfs/file.h"

namespace uml::kern {

Result<bool> Pipe::wait_data(Actor& self, bool nonblock) {
  for (;;) {
    if (available() > 0) return true;
    if (writers() == 0) return false;
    if (nonblock) return Errno::AGAIN;
    TRY(m_readable.wait_event(self, [&] { return available() > 0 || writers() == 0; }, interruptible_wait()));
  }
}

Result<void> Pipe::wait_room(Actor& self, bool nonblock) {
  for (;;) {
    if (readers() == 0) {
      TRY(broken(self));
      return {};
    }
    if (!full()) return {};
    if (nonblock) return Errno::AGAIN;
    TRY(m_writable.wait_event(self, [&] { return !full() || readers() == 0; }, interruptible_wait()));
  }
}

// splice_file_to_pipe: room first, then at most what the free buffers hold.
Result<size_t> Pipe::splice_from_file(Actor& self, File& in, int64_t* in_off, Pipe& out, size_t len,
                                      bool nonblock) {
  TRY(out.wait_room(self, nonblock));
  size_t done = 0;
  {
    MutexGuard g(out.m_mutex, self);
    if (out.readers() == 0) return broken(self);
    uint64_t pos = in_off ? static_cast<uint64_t>(*in_off) : 0;
    if (!in_off) pos = static_cast<uint64_t>(TRY(in.lseek(self, 0, abi::SEEK_CUR_)));
    const size_t free_slots = out.slots_max() > out.m_slots.size() ? out.slots_max() - out.m_slots.size() : 0;
    len = std::min(len, free_slots * kPage);
    while (done < len && out.m_slots.size() < out.slots_max()) {
      const size_t chunk = std::min(len - done, kPage - static_cast<size_t>((pos + done) % kPage));
      Slot s;
      s.page = out.take_page();
      const IoBuffer kbuf = IoBuffer::kernel(s.page.get(), chunk);
      Result<size_t> r = in_off ? in.pread(self, kbuf, pos + done) : in.read(self, kbuf);
      if (!r) {
        if (done) break;
        return r.error();
      }
      if (*r == 0) break;
      s.len = static_cast<uint32_t>(*r);
      out.m_slots.push_back(std::move(s));
      out.add_slot();
      out.add_len(*r);
      done += *r;
      if (*r < chunk) break;
    }
    if (in_off) *in_off += static_cast<int64_t>(done);
  }
  if (done) out.m_readable.wake_poll(kPollIn | kPollRdNorm);
  return done;
}

// iter_file_splice_write: waits for the first buffer only, then writes what is there.
Result<size_t> Pipe::splice_to_file(Actor& self, Pipe& in, File& out, int64_t* out_off, size_t len,
                                    bool nonblock) {
  size_t done = 0;
  for (;;) {
    if (!TRY(in.wait_data(self, nonblock))) return size_t{0};
    MutexGuard g(in.m_mutex, self);
    while (done < len && !in.m_slots.empty()) {
      Slot& s = in.m_slots.front();
      const size_t n = std::min<size_t>(s.len, len - done);
      const IoBuffer kbuf = IoBuffer::kernel(s.page.get() + s.off, n);
      Result<size_t> w = out_off ? out.pwrite(self, kbuf, static_cast<uint64_t>(*out_off) + done) : out.write(self, kbuf);
      if (!w) {
        if (done) break;
        return w.error();
      }
      s.off += static_cast<uint32_t>(*w);
      s.len -= static_cast<uint32_t>(*w);
      in.sub_len(*w);
      done += *w;
      if (s.len == 0) {
        in.give_page(std::move(s.page));
        in.m_slots.pop_front();
        in.sub_slot();
      }
      if (*w < n) break;
    }
    if (done) break;
  }
  if (out_off) *out_off += static_cast<int64_t>(done);
  in.m_writable.wake_poll(kPollOut | kPollWrNorm);
  return done;
}

// splice_pipe_to_pipe and link_pipe (tee): both pipes locked in address order.
Result<size_t> Pipe::splice_pipes(Actor& self, Pipe& in, Pipe& out, size_t len, bool nonblock, bool copy) {
  for (;;) {
    if (!TRY(in.wait_data(self, nonblock))) return size_t{0};
    TRY(out.wait_room(self, nonblock));
    size_t done = 0;
    {
      Pipe* first = &in < &out ? &in : &out;
      Pipe* second = first == &in ? &out : &in;
      MutexGuard g1(first->m_mutex, self);
      MutexGuard g2(second->m_mutex, self);
      if (out.readers() == 0) return broken(self);
      size_t i = 0;  // tee walks the input without taking from it
      while (done < len && out.m_slots.size() < out.slots_max()) {
        if (copy ? i >= in.m_slots.size() : in.m_slots.empty()) break;
        Slot& s = copy ? in.m_slots[i] : in.m_slots.front();
        const size_t n = std::min<size_t>(s.len, len - done);
        Slot o;
        if (!copy && n == s.len) {
          o = std::move(s);  // the whole buffer moves
          in.m_slots.pop_front();
          in.sub_slot();
        } else {
          o.page = out.take_page();
          std::copy_n(s.page.get() + s.off, n, o.page.get());
          o.len = static_cast<uint32_t>(n);
          if (!copy) {
            s.off += static_cast<uint32_t>(n);
            s.len -= static_cast<uint32_t>(n);
          }
        }
        if (!copy) in.sub_len(n);
        out.m_slots.push_back(std::move(o));
        out.add_slot();
        out.add_len(n);
        done += n;
        ++i;
      }
    }
    if (done) {
      if (!copy) in.m_writable.wake_poll(kPollOut | kPollWrNorm);
      out.m_readable.wake_poll(kPollIn | kPollRdNorm);
      return done;
    }
  }
}

}  // namespace uml::kern
