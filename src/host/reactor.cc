#include "host/reactor.h"

#include <errno.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "host/sanitizer.h"

namespace uml::host {

static_assert(sizeof(IoVec) == sizeof(iovec) && offsetof(IoVec, len) == offsetof(iovec, iov_len));

namespace {
// The wake-up read's user data: no Completion lives at this address.
constexpr uint64_t kWakeTag = 1;

// io_uring_queue_exit, seen by ThreadSanitizer. liburing maps and unmaps its rings with
// raw syscalls, which TSan does not intercept: a ring mapped later at a finished ring's
// address would inherit the old ring's access history, and TSan would report races
// between two rings that never coexisted. So, in TSan builds, each range the ring had is
// mapped again and unmapped through libc once the ring is gone, which resets its shadow;
// a range someone else mapped meanwhile is left alone (MAP_FIXED_NOREPLACE).
//
// The reset alone leaves a window: another thread's new ring can be mapped into the range
// between the unmap and the reset, and then it is the new ring's range that is skipped.
// So, in TSan builds, ring creation and teardown also take one process-wide lock: that
// closes the window and orders every teardown before every later creation (the old vCPU
// thread was joined before its ring went away), which is the truth TSan cannot see.
#ifdef UML_TSAN
std::mutex g_ring_map_lock;
#endif

int queue_init(unsigned entries, io_uring* ring, unsigned flags) {
#ifdef UML_TSAN
  std::lock_guard<std::mutex> hold(g_ring_map_lock);
#endif
  return io_uring_queue_init(entries, ring, flags);
}

void queue_exit(io_uring* ring) {
#ifdef UML_TSAN
  std::lock_guard<std::mutex> hold(g_ring_map_lock);
  struct Range {
    void* p;
    size_t len;
  };
  const Range ranges[] = {{ring->sq.ring_ptr, ring->sq.ring_sz},
                          {ring->cq.ring_ptr != ring->sq.ring_ptr ? ring->cq.ring_ptr : nullptr, ring->cq.ring_sz},
                          {ring->sq.sqes, size_t{ring->sq.ring_entries} * sizeof(io_uring_sqe) *
                                              ((ring->flags & IORING_SETUP_SQE128) ? 2 : 1)}};
  io_uring_queue_exit(ring);
  for (const Range& r : ranges) {
    if (!r.p || !r.len) continue;
    void* p = mmap(r.p, r.len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == r.p) munmap(p, r.len);
    else if (p != MAP_FAILED) munmap(p, r.len);  // a kernel without NOREPLACE placed it elsewhere
  }
#else
  io_uring_queue_exit(ring);
#endif
}
}  // namespace

struct UringImpl {
  io_uring ring;
  std::unordered_map<uintptr_t, int> buffers;  // registered buffer base -> slot
  int event_fd = -1;
  uint64_t event_buf = 0;
};

// The io_uring reactor: one ring per owning thread.
class UringReactor final : public Reactor {
 public:
  static std::unique_ptr<Reactor> create(unsigned entries, int* err);
  ~UringReactor() override;
  ReactorKind kind() const override { return ReactorKind::Uring; }
  int register_file(int fd) override;
  void unregister_file(int slot) override;
  int buffer_slot(void* base, size_t len) override;
  bool read_fixed(int fd, void* buf, unsigned len, uint64_t offset, int slot, Completion* c) override;
  bool write_fixed(int fd, const void* buf, unsigned len, uint64_t offset, int slot, Completion* c) override;
  bool nop(Completion* c) override;
  bool read(int fd, void* buf, unsigned len, uint64_t offset, Completion* c) override;
  bool write(int fd, const void* buf, unsigned len, uint64_t offset, Completion* c) override;
  bool fsync(int fd, bool datasync, Completion* c) override;
  bool readv(int fd, const IoVec* iov, unsigned n, uint64_t offset, Completion* c) override;
  bool writev(int fd, const IoVec* iov, unsigned n, uint64_t offset, bool dsync, Completion* c) override;
  bool fallocate(int fd, Fallocate mode, uint64_t offset, uint64_t len, Completion* c) override;
  bool timeout(int64_t deadline_ns, Completion* c) override;
  bool cancel(Completion* target) override;
  int submit() override;
  int poll() override;
  int wait(int64_t deadline_ns) override;
  void wake() override;

 private:
  explicit UringReactor(UringImpl* impl) : m_impl(impl) {}
  void* get_sqe();
  void arm_wakeup();
  int reap();

  UringImpl* m_impl;
  bool m_files = false;       // a sparse file table is registered
  bool m_buffers = false;     // ... and a sparse buffer table
  uint64_t m_slots_used = 0;  // bit per slot
};

std::unique_ptr<Reactor> UringReactor::create(unsigned entries, int* err) {
  auto* impl = new UringImpl{};
  // Newest flags first; older hosts reject them with EINVAL, so step down.
  const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
                                IORING_SETUP_COOP_TASKRUN, 0};
  int r = -EINVAL;
  unsigned used = 0;
  for (unsigned flags : flag_sets) {
    r = queue_init(entries, &impl->ring, flags);
    if (r == 0) {
      used = flags;
      break;
    }
    if (r != -EINVAL) break;
  }
  if (r != 0) {
    delete impl;
    if (err) *err = r;
    return nullptr;
  }
  impl->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->event_fd < 0) {
    if (err) *err = -errno;
    queue_exit(&impl->ring);
    delete impl;
    return nullptr;
  }
  std::unique_ptr<UringReactor> reactor(new UringReactor(impl));
  reactor->m_single_issuer = (used & IORING_SETUP_SINGLE_ISSUER) != 0;
  reactor->m_files = io_uring_register_files_sparse(&impl->ring, kFileSlots) == 0;
  reactor->m_buffers = io_uring_register_buffers_sparse(&impl->ring, kBufferSlots) == 0;
  reactor->arm_wakeup();
  return std::unique_ptr<Reactor>(std::move(reactor));
}

UringReactor::~UringReactor() {
  queue_exit(&m_impl->ring);
  close(m_impl->event_fd);
  delete m_impl;
}

void* UringReactor::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&m_impl->ring);
  if (!sqe) {
    io_uring_submit(&m_impl->ring);
    sqe = io_uring_get_sqe(&m_impl->ring);
  }
  return sqe;
}

void UringReactor::arm_wakeup() {
  auto* sqe = static_cast<io_uring_sqe*>(get_sqe());
  if (!sqe) return;  // re-armed on the next reap
  io_uring_prep_read(sqe, m_impl->event_fd, &m_impl->event_buf, sizeof(m_impl->event_buf), 0);
  io_uring_sqe_set_data64(sqe, kWakeTag);
}

int UringReactor::register_file(int fd) {
  if (!m_files) return -EOPNOTSUPP;
  for (int slot = 0; slot < kFileSlots; ++slot) {
    if (m_slots_used & (uint64_t{1} << slot)) continue;
    const int r = io_uring_register_files_update(&m_impl->ring, static_cast<unsigned>(slot), &fd, 1);
    if (r < 0) return r;
    m_slots_used |= uint64_t{1} << slot;
    return slot;
  }
  return -ENOSPC;
}

void UringReactor::unregister_file(int slot) {
  if (slot < 0 || slot >= kFileSlots || !(m_slots_used & (uint64_t{1} << slot))) return;
  int none = -1;
  io_uring_register_files_update(&m_impl->ring, static_cast<unsigned>(slot), &none, 1);
  m_slots_used &= ~(uint64_t{1} << slot);
}

int UringReactor::buffer_slot(void* base, size_t len) {
  if (!m_buffers) return -EOPNOTSUPP;
  auto& map = m_impl->buffers;
  const auto key = reinterpret_cast<uintptr_t>(base);
  if (auto it = map.find(key); it != map.end()) return it->second;
  const int slot = static_cast<int>(map.size());
  if (slot >= kBufferSlots) return -ENOSPC;
  iovec v{base, len};
  const __u64 tag = 0;
  const int r = io_uring_register_buffers_update_tag(&m_impl->ring, static_cast<unsigned>(slot), &v, &tag, 1);
  if (r < 0) {
    m_buffers = r != -ENOMEM;  // over RLIMIT_MEMLOCK: stop trying; anything else: maybe later
    return r;
  }
  map.emplace(key, slot);
  return slot;
}

namespace {
// An fd, or a registered slot (fixed_file(slot) = -2 - slot): the SQE's file either way.
void use_file(io_uring_sqe* sqe, int fd) {
  if (fd <= -2) {
    sqe->fd = -2 - fd;
    sqe->flags |= IOSQE_FIXED_FILE;
  }
}
}  // namespace

#define UML_PREP(call)                                               \
  auto* sqe = static_cast<io_uring_sqe*>(get_sqe());                 \
  if (!sqe) return false;                                            \
  call;                                                              \
  use_file(sqe, fd);                                                 \
  io_uring_sqe_set_data(sqe, c);                                     \
  ++m_in_flight;                                                     \
  return true

bool UringReactor::nop(Completion* c) {
  const int fd = -1;
  UML_PREP(io_uring_prep_nop(sqe));
}

bool UringReactor::read(int fd, void* buf, unsigned len, uint64_t offset, Completion* c) {
  UML_PREP(io_uring_prep_read(sqe, fd, buf, len, offset));
}

bool UringReactor::write(int fd, const void* buf, unsigned len, uint64_t offset, Completion* c) {
  UML_PREP(io_uring_prep_write(sqe, fd, buf, len, offset));
}

bool UringReactor::read_fixed(int fd, void* buf, unsigned len, uint64_t offset, int slot, Completion* c) {
  UML_PREP(io_uring_prep_read_fixed(sqe, fd, buf, len, offset, slot));
}

bool UringReactor::write_fixed(int fd, const void* buf, unsigned len, uint64_t offset, int slot, Completion* c) {
  UML_PREP(io_uring_prep_write_fixed(sqe, fd, buf, len, offset, slot));
}

bool UringReactor::fsync(int fd, bool datasync, Completion* c) {
  UML_PREP(io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0));
}

bool UringReactor::readv(int fd, const IoVec* iov, unsigned n, uint64_t offset, Completion* c) {
  UML_PREP(io_uring_prep_readv(sqe, fd, reinterpret_cast<const iovec*>(iov), n, offset));
}

bool UringReactor::writev(int fd, const IoVec* iov, unsigned n, uint64_t offset, bool dsync, Completion* c) {
  UML_PREP(io_uring_prep_writev2(sqe, fd, reinterpret_cast<const iovec*>(iov), n, offset, dsync ? RWF_DSYNC : 0));
}

bool UringReactor::fallocate(int fd, Fallocate mode, uint64_t offset, uint64_t len, Completion* c) {
  const int m = mode == Fallocate::PunchHole ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                                              : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
  UML_PREP(io_uring_prep_fallocate(sqe, fd, m, offset, len));
}

bool UringReactor::timeout(int64_t deadline_ns, Completion* c) {
  // The host copies the timespec when it takes the SQE, so submit now while ts lives.
  __kernel_timespec ts{deadline_ns / 1'000'000'000, deadline_ns % 1'000'000'000};
  auto* sqe = static_cast<io_uring_sqe*>(get_sqe());
  if (!sqe) return false;
  io_uring_prep_timeout(sqe, &ts, 0, IORING_TIMEOUT_ABS);
  io_uring_sqe_set_data(sqe, c);
  ++m_in_flight;
  io_uring_submit(&m_impl->ring);
  return true;
}

bool UringReactor::cancel(Completion* target) {
  auto* sqe = static_cast<io_uring_sqe*>(get_sqe());
  if (!sqe) return false;
  io_uring_prep_cancel(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, 0);  // the cancel's own completion is dropped
  return true;
}
#undef UML_PREP

int UringReactor::submit() { return io_uring_submit(&m_impl->ring); }

int UringReactor::reap() {
  int n = 0;
  bool rearm = false;
  io_uring_cqe* cqe;
  unsigned head;
  unsigned seen = 0;
  // Copy out first: complete() may submit, and must not run while we walk the ring.
  struct Done {
    uint64_t tag;
    int32_t res;
  };
  Done done[64];
  unsigned count = 0;
  io_uring_for_each_cqe(&m_impl->ring, head, cqe) {
    ++seen;
    uint64_t tag = cqe->user_data;
    if (tag == kWakeTag) {
      rearm = true;
    } else if (tag != 0) {
      done[count++] = {tag, cqe->res};
    }
    if (count == 64) break;
  }
  io_uring_cq_advance(&m_impl->ring, seen);
  if (rearm) arm_wakeup();
  for (unsigned i = 0; i < count; ++i) {
    --m_in_flight;
    reinterpret_cast<Completion*>(done[i].tag)->complete(done[i].res);
    ++n;
  }
  return n;
}

int UringReactor::poll() {
  if (io_uring_sq_ready(&m_impl->ring)) io_uring_submit(&m_impl->ring);
  int total = 0, n;
  while ((n = reap()) > 0) total += n;
  return total;
}

int UringReactor::wait(int64_t deadline_ns) {
  io_uring_cqe* cqe = nullptr;
  if (deadline_ns < 0) {
    io_uring_submit_and_wait(&m_impl->ring, 1);
  } else {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t rel = deadline_ns - (static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec);
    if (rel > 0) {
      __kernel_timespec ts{rel / 1'000'000'000, rel % 1'000'000'000};
      io_uring_submit_and_wait_timeout(&m_impl->ring, &cqe, 1, &ts, nullptr);
    } else {
      io_uring_submit(&m_impl->ring);
    }
  }
  return poll();
}

void UringReactor::wake() {
  uint64_t one = 1;
  ssize_t r = ::write(m_impl->event_fd, &one, sizeof(one));
  (void)r;  // EAGAIN means the counter is already non-zero: a wake-up is pending anyway
}

const char* reactor_kind_name(ReactorKind k) {
  switch (k) {
    case ReactorKind::Uring: return "io_uring";
    case ReactorKind::Poll: return "poll";
    case ReactorKind::Auto: break;
  }
  return "auto";
}

std::unique_ptr<Reactor> make_poll_reactor(int* err);  // reactor_poll.cc

std::unique_ptr<Reactor> Reactor::create(unsigned entries, int* err, ReactorKind kind, int* uring_err) {
  if (uring_err) *uring_err = 0;
  if (kind == ReactorKind::Poll) return make_poll_reactor(err);
  int e = 0;
  if (auto r = UringReactor::create(entries, &e)) return r;
  if (kind == ReactorKind::Uring) {
    if (err) *err = e;
    return nullptr;
  }
  if (uring_err) *uring_err = e;
  return make_poll_reactor(err);
}

}  // namespace uml::host
