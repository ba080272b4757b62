#include "core/task/signalfd.h"

#include "core/abi/fs.h"
#include "core/task/task.h"
#include "core/vfs/file.h"

namespace uml::kern {

using namespace abi;

namespace {

// signalfd_copyinfo: the record for one dequeued signal.
signalfd_siginfo record_of(const siginfo& si) {
  signalfd_siginfo r{};
  r.ssi_signo = static_cast<uint32_t>(si.signo);
  r.ssi_errno = si.errno_;
  r.ssi_code = si.code;
  switch (si.code) {
    case SI_TIMER_:
      r.ssi_tid = static_cast<uint32_t>(si.timer.tid);
      r.ssi_overrun = static_cast<uint32_t>(si.timer.overrun);
      r.ssi_ptr = si.timer.value;
      r.ssi_int = static_cast<int32_t>(si.timer.value);
      break;
    case SI_QUEUE_:
      r.ssi_pid = static_cast<uint32_t>(si.kill.pid);
      r.ssi_uid = si.kill.uid;
      r.ssi_ptr = si.kill.value;
      r.ssi_int = static_cast<int32_t>(si.kill.value);
      break;
    default:
      if (si.signo == SIGCHLD_ && si.code > 0 && si.code != SI_KERNEL_) {
        r.ssi_pid = static_cast<uint32_t>(si.chld.pid);
        r.ssi_uid = si.chld.uid;
        r.ssi_status = si.chld.status;
        r.ssi_utime = static_cast<uint64_t>(si.chld.utime);
        r.ssi_stime = static_cast<uint64_t>(si.chld.stime);
      } else {
        r.ssi_pid = static_cast<uint32_t>(si.kill.pid);
        r.ssi_uid = si.kill.uid;
      }
      break;
  }
  return r;
}

}  // namespace

// signalfd_read: as many records as fit, at least one (waiting for it unless O_NONBLOCK).
Result<size_t> SignalFd::read(File& f, Actor& self, const IoBuffer& buf, uint64_t*) {
  const size_t count = buf.size() / sizeof(signalfd_siginfo);
  if (!count) return Errno::INVAL;
  Task& t = Task::of(self);
  SignalHand& sh = t.group().signals();
  size_t done = 0;
  while (done < count) {
    const uint32_t gen = sh.signal_gen.load(std::memory_order_acquire);
    siginfo si{};
    const int sig = Signals::dequeue_from(t, mask(), &si);
    if (sig) {
      const signalfd_siginfo r = record_of(si);
      if (!buf.write_from(done * sizeof r, &r, sizeof r)) return done ? Result<size_t>(done * sizeof r) : Errno::FAULT;
      ++done;
      continue;
    }
    if (done) break;
    if (f.flags() & O_NONBLOCK_) return Errno::AGAIN;
    TRY(sh.signalfd_wq.wait_event(t, [&] { return sh.signal_gen.load(std::memory_order_acquire) != gen; },
                                  interruptible_wait()));
  }
  return done * sizeof(signalfd_siginfo);
}

// signalfd_poll: about the task that polls, as on Linux.
uint32_t SignalFd::poll(File&, PollTable* pt) {
  Task* t = static_cast<Task*>(Scheduler::current());
  if (!t) return 0;
  if (pt) pt->wait(t->group().signals().signalfd_wq);
  return (Signals::pending(*t) & mask()) ? kPollIn | kPollRdNorm : 0;
}

}  // namespace uml::kern
