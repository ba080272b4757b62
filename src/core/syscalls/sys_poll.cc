// Readiness: poll, ppoll, select, pselect6 (fs/select.c), epoll_create, epoll_create1,
// epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (fs/eventpoll.c).

#include <algorithm>
#include <climits>
#include <vector>

#include "core/abi/poll.h"
#include "core/abi/signal.h"
#include "core/poll/epoll.h"
#include "core/poll/poll.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/anon_file.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"
#include "core/task/signal.h"

namespace uml::kern {

namespace {

using namespace abi;

constexpr uint32_t kInSet = POLLRDNORM_ | POLLRDBAND_ | POLLIN_ | POLLHUP_ | POLLERR_;
constexpr uint32_t kOutSet = POLLWRBAND_ | POLLWRNORM_ | POLLOUT_ | POLLERR_;
constexpr uint32_t kExSet = POLLPRI_;

// A timeout as a monotonic deadline: 0 for none (one look), -1 for one too far to reach.
int64_t deadline_after(const Task& t, int64_t ns) {
  if (ns <= 0) return 0;
  if (ns >= kForeverNs) return -1;
  return t.monotonic_ns() + ns;
}

// A sigmask argument (ppoll, pselect6, epoll_pwait): applied until the syscall exit.
Result<void> apply_sigmask(Task& t, uintptr_t mask, size_t size) {
  if (!mask) return {};
  if (size != sizeof(SigSet)) return Errno::INVAL;
  const SigSet m = TRY(copy_from_user(UserPtr<SigSet>(static_cast<long>(mask))));
  Signals::set_temporary_mask(t, m);
  return {};
}

// poll_select_finish: the time left goes back to the caller's timeout (select, pselect6,
// ppoll), never below 0; a timeout of 0 stays untouched.
template <typename T>
Result<void> write_left(const Task& t, uintptr_t user, int64_t deadline, T (*conv)(int64_t)) {
  if (!user || deadline <= 0) return {};
  const int64_t left = std::max<int64_t>(deadline - t.monotonic_ns(), 0);
  return copy_to_user(UserPtr<T>(static_cast<long>(user)), conv(left));
}
abi::timeval tv_of(int64_t ns) { return {ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000}; }
abi::timespec ts_of(int64_t ns) { return to_timespec(ns); }

Result<long> do_poll(Task& t, uintptr_t ufds, unsigned long nfds, int64_t deadline) {
  if (nfds > t.group().rlimit(RLIMIT_NOFILE_).rlim_cur) return Errno::INVAL;
  std::vector<pollfd> fds(nfds);
  if (nfds) TRY(copy_from_user(fds.data(), ufds, nfds * sizeof(pollfd)));
  std::vector<PollRequest> reqs(nfds);
  int nval = 0;
  for (size_t i = 0; i < nfds; ++i) {
    fds[i].revents = 0;
    if (fds[i].fd < 0) continue;
    reqs[i].file = t.files().get(fds[i].fd);
    if (!reqs[i].file) {
      fds[i].revents = POLLNVAL_;
      ++nval;
      continue;
    }
    reqs[i].events = static_cast<uint16_t>(fds[i].events) | POLLERR_ | POLLHUP_;
  }
  // An invalid descriptor counts as ready: then nothing waits.
  const int ready = TRY(poll_files(t, reqs, nval ? 0 : deadline));
  for (size_t i = 0; i < nfds; ++i)
    if (reqs[i].file) fds[i].revents = static_cast<int16_t>(reqs[i].mask & reqs[i].events);
  if (nfds) TRY(copy_to_user(ufds, fds.data(), nfds * sizeof(pollfd)));
  return ready + nval;
}

Result<long> poll_restart(Task& t, RestartBlock& rb) {
  Result<long> r = do_poll(t, rb.arg[0], rb.arg[1], rb.deadline);
  if (!r && r.error() == Errno::INTR) return Errno::RESTART_RESTARTBLOCK;
  return r;
}

// select's sets: one bit per descriptor, in longs.
Result<long> do_select(Task& t, int nfds, uintptr_t inp, uintptr_t outp, uintptr_t exp, int64_t deadline) {
  if (nfds < 0) return Errno::INVAL;
  size_t slots = std::max<size_t>(64, t.files().slot_count());
  size_t max_fds = 64;
  while (max_fds < slots) max_fds <<= 1;
  const size_t n = std::min<size_t>(static_cast<size_t>(nfds), max_fds);
  const size_t words = (n + 63) / 64;
  std::vector<uint64_t> in(words), out(words), ex(words);
  if (inp && words) TRY(copy_from_user(in.data(), inp, words * 8));
  if (outp && words) TRY(copy_from_user(out.data(), outp, words * 8));
  if (exp && words) TRY(copy_from_user(ex.data(), exp, words * 8));
  std::vector<PollRequest> reqs;
  std::vector<int> fd_of;
  for (size_t fd = 0; fd < n; ++fd) {
    const uint64_t bit = uint64_t{1} << (fd % 64);
    const bool r = in[fd / 64] & bit, w = out[fd / 64] & bit, e = ex[fd / 64] & bit;
    if (!r && !w && !e) continue;
    PollRequest req;
    req.file = t.files().get(static_cast<int>(fd));
    if (!req.file) return Errno::BADF;
    req.events = (r ? kInSet : 0) | (w ? kOutSet : 0) | (e ? kExSet : 0);
    reqs.push_back(std::move(req));
    fd_of.push_back(static_cast<int>(fd));
  }
  TRY(poll_files(t, reqs, deadline));
  std::vector<uint64_t> rin(words), rout(words), rex(words);
  long count = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const int fd = fd_of[i];
    const uint64_t bit = uint64_t{1} << (fd % 64);
    const uint32_t m = reqs[i].mask;
    if ((in[fd / 64] & bit) && (m & kInSet)) { rin[fd / 64] |= bit; ++count; }
    if ((out[fd / 64] & bit) && (m & kOutSet)) { rout[fd / 64] |= bit; ++count; }
    if ((ex[fd / 64] & bit) && (m & kExSet)) { rex[fd / 64] |= bit; ++count; }
  }
  if (inp && words) TRY(copy_to_user(inp, rin.data(), words * 8));
  if (outp && words) TRY(copy_to_user(outp, rout.data(), words * 8));
  if (exp && words) TRY(copy_to_user(exp, rex.data(), words * 8));
  return count;
}

// An interrupted poll or select restarts only when no handler ran (ERESTARTNOHAND).
Result<long> nohand(Result<long> r) {
  if (!r && r.error() == Errno::INTR) return Errno::RESTARTNOHAND;
  return r;
}

}  // namespace

Result<long> sys_poll(Task& t, const SyscallArgs& a) {
  const int timeout_ms = static_cast<int>(a.a[2]);
  const int64_t deadline = timeout_ms < 0 ? -1 : deadline_after(t, int64_t{timeout_ms} * 1000000);
  Result<long> r = do_poll(t, static_cast<uintptr_t>(a.a[0]), static_cast<unsigned long>(a.a[1]), deadline);
  if (!r && r.error() == Errno::INTR) {
    if (deadline < 0) return Errno::RESTARTNOHAND;
    RestartBlock& rb = t.restart_block();
    rb.fn = &poll_restart;
    rb.deadline = deadline;
    rb.arg[0] = static_cast<uintptr_t>(a.a[0]);
    rb.arg[1] = static_cast<uintptr_t>(a.a[1]);
    return Errno::RESTART_RESTARTBLOCK;
  }
  return r;
}

Result<long> sys_ppoll(Task& t, const SyscallArgs& a) {
  int64_t deadline = -1;
  const auto tsp = static_cast<uintptr_t>(a.a[2]);
  if (tsp) {
    const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[2])));
    if (!timespec_valid(ts)) return Errno::INVAL;
    deadline = deadline_after(t, to_ns_saturated(ts));
  }
  TRY(apply_sigmask(t, static_cast<uintptr_t>(a.a[3]), static_cast<size_t>(a.a[4])));
  Result<long> r = nohand(do_poll(t, static_cast<uintptr_t>(a.a[0]), static_cast<unsigned long>(a.a[1]), deadline));
  if (Result<void> w = write_left(t, tsp, deadline, &ts_of); !w && !r && r.error() == Errno::RESTARTNOHAND)
    return Errno::INTR;
  return r;
}

Result<long> sys_select(Task& t, const SyscallArgs& a) {
  int64_t deadline = -1;
  const auto tvp = static_cast<uintptr_t>(a.a[4]);
  if (tvp) {
    const abi::timeval tv = TRY(copy_from_user(UserPtr<abi::timeval>(a.a[4])));
    if (tv.tv_sec < 0 || tv.tv_usec < 0) return Errno::INVAL;
    // poll_select_set_timeout: microseconds past a second carry into the seconds.
    const int64_t ns = tv.tv_sec >= INT64_MAX / NSEC_PER_SEC / 4 ? INT64_MAX / 2
                                                                  : tv.tv_sec * NSEC_PER_SEC + (tv.tv_usec % 1000000) * 1000 +
                                                                        (tv.tv_usec / 1000000) * NSEC_PER_SEC;
    deadline = deadline_after(t, ns);
  }
  Result<long> r = nohand(do_select(t, static_cast<int>(a.a[0]), static_cast<uintptr_t>(a.a[1]),
                                    static_cast<uintptr_t>(a.a[2]), static_cast<uintptr_t>(a.a[3]), deadline));
  if (Result<void> w = write_left(t, tvp, deadline, &tv_of); !w && !r && r.error() == Errno::RESTARTNOHAND)
    return Errno::INTR;
  return r;
}

Result<long> sys_pselect6(Task& t, const SyscallArgs& a) {
  int64_t deadline = -1;
  const auto tsp = static_cast<uintptr_t>(a.a[4]);
  if (tsp) {
    const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[4])));
    if (!timespec_valid(ts)) return Errno::INVAL;
    deadline = deadline_after(t, to_ns_saturated(ts));
  }
  if (a.a[5]) {
    struct SigArg {
      uint64_t ss;
      uint64_t ss_len;
    };
    const SigArg sa = TRY(copy_from_user(UserPtr<SigArg>(a.a[5])));
    TRY(apply_sigmask(t, sa.ss, sa.ss_len));
  }
  Result<long> r = nohand(do_select(t, static_cast<int>(a.a[0]), static_cast<uintptr_t>(a.a[1]),
                                    static_cast<uintptr_t>(a.a[2]), static_cast<uintptr_t>(a.a[3]), deadline));
  if (Result<void> w = write_left(t, tsp, deadline, &ts_of); !w && !r && r.error() == Errno::RESTARTNOHAND)
    return Errno::INTR;
  return r;
}

namespace {

Result<long> do_epoll_create(Task& t, int flags) {
  if (flags & ~EPOLL_CLOEXEC_) return Errno::INVAL;
  return install_anon_file(t, "anon_inode:[eventpoll]", flags, std::make_shared<Epoll>(t.kernel().epoll_links_lock()));
}

Result<long> do_epoll_wait(Task& t, const SyscallArgs& a, int64_t deadline) {
  const int epfd = static_cast<int>(a.a[0]);
  const int max = static_cast<int>(a.a[2]);
  constexpr int kMaxEvents = INT_MAX / static_cast<int>(sizeof(epoll_event));
  if (max <= 0 || max > kMaxEvents) return Errno::INVAL;
  const auto events = static_cast<uintptr_t>(a.a[1]);
  // access_ok: the range must be user addresses (null is one; only a copy can fault).
  const size_t bytes = static_cast<size_t>(max) * sizeof(epoll_event);
  if (events >= kUserMax || bytes > kUserMax - events) return Errno::FAULT;
  Epoll* ep = nullptr;
  RefPtr<File> f = TRY(file_with_ops(t, epfd, &ep));
  return TRY(ep->wait(t, IoBuffer::user(events, static_cast<size_t>(max) * sizeof(epoll_event)), max, deadline));
}

int64_t ms_deadline(const Task& t, int ms) { return ms < 0 ? -1 : deadline_after(t, int64_t{ms} * 1000000); }

}  // namespace

Result<long> sys_epoll_create(Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a.a[0]) <= 0) return Errno::INVAL;
  return do_epoll_create(t, 0);
}

Result<long> sys_epoll_create1(Task& t, const SyscallArgs& a) { return do_epoll_create(t, static_cast<int>(a.a[0])); }

Result<long> sys_epoll_ctl(Task& t, const SyscallArgs& a) {
  const int epfd = static_cast<int>(a.a[0]);
  const int op = static_cast<int>(a.a[1]);
  const int fd = static_cast<int>(a.a[2]);
  epoll_event ev{};
  if (op != EPOLL_CTL_DEL_) ev = TRY(copy_from_user(UserPtr<epoll_event>(a.a[3])));
  RefPtr<File> f = t.files().get(epfd);
  if (!f) return Errno::BADF;
  RefPtr<File> tf = t.files().get(fd);
  if (!tf) return Errno::BADF;
  if (!tf->ops() || !tf->ops()->pollable()) return Errno::PERM;
  // EPOLLWAKEUP needs CAP_BLOCK_SUSPEND; without it, it is dropped silently.
  if ((ev.events & EPOLLWAKEUP_) && !t.creds().capable(CAP_BLOCK_SUSPEND)) ev.events &= ~EPOLLWAKEUP_;
  auto* ep = dynamic_cast<Epoll*>(f->ops());
  if (f.get() == tf.get() || !ep) return Errno::INVAL;
  TRY(ep->ctl(op, *tf, fd, ev.events, ev.data));
  return 0;
}

Result<long> sys_epoll_wait(Task& t, const SyscallArgs& a) {
  return do_epoll_wait(t, a, ms_deadline(t, static_cast<int>(a.a[3])));
}

Result<long> sys_epoll_pwait(Task& t, const SyscallArgs& a) {
  TRY(apply_sigmask(t, static_cast<uintptr_t>(a.a[4]), static_cast<size_t>(a.a[5])));
  return do_epoll_wait(t, a, ms_deadline(t, static_cast<int>(a.a[3])));
}

Result<long> sys_epoll_pwait2(Task& t, const SyscallArgs& a) {
  int64_t deadline = -1;
  if (a.a[3]) {
    const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[3])));
    if (!timespec_valid(ts)) return Errno::INVAL;
    deadline = deadline_after(t, to_ns_saturated(ts));
  }
  TRY(apply_sigmask(t, static_cast<uintptr_t>(a.a[4]), static_cast<size_t>(a.a[5])));
  return do_epoll_wait(t, a, deadline);
}

}  // namespace uml::kern
