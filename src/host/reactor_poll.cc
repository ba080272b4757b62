// The poll reactor: the Reactor contract without io_uring, for hosts that refuse a ring
// (container runtimes' seccomp profiles, kernel.io_uring_disabled). A small pool of worker
// threads runs each operation as the plain syscall (pread, pwritev2, fsync, fallocate);
// their results come back to the owning thread through a list and an eventfd, and run
// there in poll() or wait(), as a ring's completions would. Timeouts live on the owning
// thread and bound its sleep. The workers start at the first operation, so an instance that
// does no host I/O starts no threads.

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "host/reactor.h"

namespace uml::host {

namespace {

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class PollReactor final : public Reactor {
 public:
  static constexpr unsigned kWorkers = 2;

  explicit PollReactor(int event_fd) : m_event_fd(event_fd) {}
  ~PollReactor() override {
    {
      std::lock_guard<std::mutex> g(m_lock);
      m_stop = true;
    }
    m_work.notify_all();
    for (auto& t : m_workers) t.join();
    close(m_event_fd);
  }
  ReactorKind kind() const override { return ReactorKind::Poll; }

  // No registered files or buffers: callers use plain descriptors and buffers.
  int register_file(int) override { return -EOPNOTSUPP; }
  void unregister_file(int) override {}
  int buffer_slot(void*, size_t) override { return -EOPNOTSUPP; }
  bool read_fixed(int fd, void* buf, unsigned len, uint64_t off, int, Completion* c) override {
    return read(fd, buf, len, off, c);
  }
  bool write_fixed(int fd, const void* buf, unsigned len, uint64_t off, int, Completion* c) override {
    return write(fd, buf, len, off, c);
  }

  bool nop(Completion* c) override {
    ++m_in_flight;
    std::lock_guard<std::mutex> g(m_lock);
    m_done.emplace_back(c, 0);
    return true;
  }
  bool read(int fd, void* buf, unsigned len, uint64_t off, Completion* c) override {
    return queue({Op::Read, fd, buf, len, nullptr, 0, off, false, Fallocate::PunchHole, c});
  }
  bool write(int fd, const void* buf, unsigned len, uint64_t off, Completion* c) override {
    return queue({Op::Write, fd, const_cast<void*>(buf), len, nullptr, 0, off, false, Fallocate::PunchHole, c});
  }
  bool fsync(int fd, bool datasync, Completion* c) override {
    return queue({Op::Fsync, fd, nullptr, 0, nullptr, 0, 0, datasync, Fallocate::PunchHole, c});
  }
  bool readv(int fd, const IoVec* iov, unsigned n, uint64_t off, Completion* c) override {
    return queue({Op::Readv, fd, nullptr, 0, iov, n, off, false, Fallocate::PunchHole, c});
  }
  bool writev(int fd, const IoVec* iov, unsigned n, uint64_t off, bool dsync, Completion* c) override {
    return queue({Op::Writev, fd, nullptr, 0, iov, n, off, dsync, Fallocate::PunchHole, c});
  }
  bool fallocate(int fd, Fallocate mode, uint64_t off, uint64_t len, Completion* c) override {
    Op op{Op::Fallocate, fd, nullptr, 0, nullptr, 0, off, false, mode, c};
    op.len64 = len;
    return queue(op);
  }
  bool timeout(int64_t deadline_ns, Completion* c) override {
    ++m_in_flight;
    m_timeouts.emplace_back(deadline_ns, c);
    return true;
  }
  // A timeout, or an operation no worker has taken yet, ends with ECANCELED; one a worker
  // runs completes as it would have.
  bool cancel(Completion* target) override {
    for (auto it = m_timeouts.begin(); it != m_timeouts.end(); ++it) {
      if (it->second != target) continue;
      m_timeouts.erase(it);
      std::lock_guard<std::mutex> g(m_lock);
      m_done.emplace_back(target, -ECANCELED);
      return true;
    }
    std::lock_guard<std::mutex> g(m_lock);
    for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
      if (it->c != target) continue;
      m_queue.erase(it);
      m_done.emplace_back(target, -ECANCELED);
      break;
    }
    return true;
  }

  int submit() override { return 0; }  // operations go to the workers as they come

  int poll() override {
    uint64_t drained;
    while (::read(m_event_fd, &drained, sizeof drained) > 0) {
    }
    std::vector<std::pair<Completion*, int32_t>> done;
    if (!m_timeouts.empty()) {
      const int64_t now = mono_ns();
      for (auto it = m_timeouts.begin(); it != m_timeouts.end();) {
        if (it->first <= now) {
          done.emplace_back(it->second, -ETIME);
          it = m_timeouts.erase(it);
        } else {
          ++it;
        }
      }
    }
    {
      std::lock_guard<std::mutex> g(m_lock);
      done.insert(done.end(), m_done.begin(), m_done.end());
      m_done.clear();
    }
    for (auto& [c, res] : done) {
      --m_in_flight;
      c->complete(res);
    }
    return static_cast<int>(done.size());
  }

  int wait(int64_t deadline_ns) override {
    int64_t until = deadline_ns;
    for (const auto& t : m_timeouts)
      if (until < 0 || t.first < until) until = t.first;
    bool ready;
    {
      std::lock_guard<std::mutex> g(m_lock);
      ready = !m_done.empty();
    }
    if (!ready) {
      pollfd p{m_event_fd, POLLIN, 0};
      if (until < 0) {
        ::ppoll(&p, 1, nullptr, nullptr);
      } else {
        const int64_t rel = until - mono_ns();
        if (rel > 0) {
          timespec ts{static_cast<time_t>(rel / 1'000'000'000), static_cast<long>(rel % 1'000'000'000)};
          ::ppoll(&p, 1, &ts, nullptr);
        }
      }
    }
    return poll();
  }

  void wake() override {
    const uint64_t one = 1;
    ssize_t r = ::write(m_event_fd, &one, sizeof one);
    (void)r;  // EAGAIN: a wake-up is pending anyway
  }

 private:
  struct Op {
    enum Type { Read, Write, Readv, Writev, Fsync, Fallocate } type;
    int fd;
    void* buf;
    unsigned len;
    const IoVec* iov;
    unsigned n;
    uint64_t off;
    bool flag;  // datasync, dsync
    host::Fallocate mode;
    Completion* c;
    uint64_t len64 = 0;
  };

  bool queue(const Op& op) {
    ++m_in_flight;
    {
      std::lock_guard<std::mutex> g(m_lock);
      m_queue.push_back(op);
      if (m_workers.empty()) {
        for (unsigned i = 0; i < kWorkers; ++i) m_workers.emplace_back([this] { worker(); });
      }
    }
    m_work.notify_one();
    return true;
  }

  static int32_t run(const Op& op) {
    ssize_t r = 0;
    switch (op.type) {
      case Op::Read: r = ::pread(op.fd, op.buf, op.len, static_cast<off_t>(op.off)); break;
      case Op::Write: r = ::pwrite(op.fd, op.buf, op.len, static_cast<off_t>(op.off)); break;
      case Op::Readv:
        r = ::preadv(op.fd, reinterpret_cast<const iovec*>(op.iov), static_cast<int>(op.n), static_cast<off_t>(op.off));
        break;
      case Op::Writev:
        r = ::pwritev2(op.fd, reinterpret_cast<const iovec*>(op.iov), static_cast<int>(op.n),
                       static_cast<off_t>(op.off), op.flag ? RWF_DSYNC : 0);
        break;
      case Op::Fsync: r = op.flag ? ::fdatasync(op.fd) : ::fsync(op.fd); break;
      case Op::Fallocate: {
        const int m = op.mode == host::Fallocate::PunchHole ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                                                            : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
        r = ::fallocate(op.fd, m, static_cast<off_t>(op.off), static_cast<off_t>(op.len64));
        break;
      }
    }
    return r < 0 ? -errno : static_cast<int32_t>(r);
  }

  void worker() {
    std::unique_lock<std::mutex> g(m_lock);
    for (;;) {
      m_work.wait(g, [this] { return m_stop || !m_queue.empty(); });
      if (m_queue.empty()) return;  // stopping, and nothing left
      const Op op = m_queue.front();
      m_queue.pop_front();
      g.unlock();
      const int32_t res = run(op);
      g.lock();
      m_done.emplace_back(op.c, res);
      wake();
    }
  }

  const int m_event_fd;
  std::mutex m_lock;
  std::condition_variable m_work;
  std::deque<Op> m_queue;                             // m_lock
  std::vector<std::pair<Completion*, int32_t>> m_done;  // m_lock
  std::vector<std::thread> m_workers;                 // m_lock
  bool m_stop = false;                                // m_lock
  std::vector<std::pair<int64_t, Completion*>> m_timeouts;  // the owning thread's
};

}  // namespace

std::unique_ptr<Reactor> make_poll_reactor(int* err) {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    if (err) *err = -errno;
    return nullptr;
  }
  return std::make_unique<PollReactor>(fd);
}

}  // namespace uml::host
