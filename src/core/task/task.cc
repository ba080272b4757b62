#include "core/task/task.h"

#include <cstring>
#include <exception>

#include "core/abi/process.h"
#include "host/fault.h"
#include "core/kernel/kernel.h"
#include "core/task/process_table.h"
#include "core/time/posix_timer.h"
#include "host/host.h"

namespace uml::kern {

Task::Task(Kernel& k, Carrier c, Body body) : Actor(c, true), m_kernel(k), m_body(std::move(body)) {
  m_time = &k.sched().time();
  if (c == Carrier::HostThread) m_host_cpu_base = host::thread_cpu_ns();
}

Task::~Task() = default;

Credentials Task::creds_snapshot() const {
  SpinGuard g(m_self_lock);
  return m_creds;
}

void Task::set_creds(Credentials c) {
  SpinGuard g(m_self_lock);
  // commit_creds: a new identity, or fewer capabilities, makes the process non-dumpable.
  const Credentials& o = m_creds;
  if (o.euid != c.euid || o.egid != c.egid || o.fsuid != c.fsuid || o.fsgid != c.fsgid ||
      (o.cap_permitted & ~c.cap_permitted))
    m_group->set_dumpable(false);
  m_creds = std::move(c);
}

// Linux's defaults for a process started by init (INIT_RLIMITS; NPROC and SIGPENDING from
// a machine's threads-max, here a fixed 63,000-ish, as a small machine's).
ThreadGroup::ThreadGroup(pid_t_ pid, int64_t start_ns) : m_pid(pid), m_start_ns(start_ns) {
  using namespace abi;
  constexpr uint64_t inf = RLIM_INFINITY_;
  m_rlimits[RLIMIT_CPU_] = {inf, inf};
  m_rlimits[RLIMIT_FSIZE_] = {inf, inf};
  m_rlimits[RLIMIT_DATA_] = {inf, inf};
  m_rlimits[RLIMIT_STACK_] = {8u << 20, inf};
  m_rlimits[RLIMIT_CORE_] = {0, inf};
  m_rlimits[RLIMIT_RSS_] = {inf, inf};
  m_rlimits[RLIMIT_NPROC_] = {63459, 63459};
  m_rlimits[RLIMIT_NOFILE_] = {1024, 4096};
  m_rlimits[RLIMIT_MEMLOCK_] = {8u << 20, 8u << 20};
  m_rlimits[RLIMIT_AS_] = {inf, inf};
  m_rlimits[RLIMIT_LOCKS_] = {inf, inf};
  m_rlimits[RLIMIT_SIGPENDING_] = {63459, 63459};
  m_rlimits[RLIMIT_MSGQUEUE_] = {819200, 819200};
  m_rlimits[RLIMIT_NICE_] = {0, 0};
  m_rlimits[RLIMIT_RTPRIO_] = {0, 0};
  m_rlimits[RLIMIT_RTTIME_] = {inf, inf};
}

void Task::unshare_files() {
  if (!m_own_files && m_group->live_threads() > 1) m_own_files = m_group->m_files->clone();
}

void Task::unshare_fs() {
  if (!m_own_fs && m_group->live_threads() > 1) m_own_fs = m_group->m_fs->clone();
}

bool Task::fs_shared() const { return !m_own_fs && m_group->live_threads() > 1; }

long Task::current_syscall(long args[6]) const {
  const long nr = m_sys_nr.load(std::memory_order_relaxed);
  const long* p = m_sys_argp.load(std::memory_order_relaxed);
  if (nr < 0 || !p || !host::copy_guarded(args, p, 6 * sizeof(long))) {
    for (int i = 0; i < 6; ++i) args[i] = 0;
  }
  return nr;
}

std::shared_ptr<UtsNamespace> Task::uts() const {
  SpinGuard g(m_self_lock);
  return m_uts;
}

void Task::set_uts(std::shared_ptr<UtsNamespace> ns) {
  SpinGuard g(m_self_lock);
  m_uts = std::move(ns);
}

RefPtr<MountNamespace> Task::mnt_ns() const {
  SpinGuard g(m_self_lock);
  return m_mnt_ns;
}

void Task::set_mnt_ns(RefPtr<MountNamespace> ns) {
  SpinGuard g(m_self_lock);
  std::swap(m_mnt_ns, ns);  // the old one goes after the lock
}

std::string Task::comm() const {
  SpinGuard g(m_self_lock);
  return std::string(m_comm, strnlen(m_comm, sizeof(m_comm)));
}

void Task::set_comm(std::string_view name) {
  SpinGuard g(m_self_lock);
  size_t n = std::min(name.size(), sizeof(m_comm) - 1);
  memcpy(m_comm, name.data(), n);
  memset(m_comm + n, 0, sizeof(m_comm) - n);
}

void Task::request_exit(int wait_status) {
  SpinGuard g(m_self_lock);
  if (m_exit_pending.load(std::memory_order_relaxed)) return;
  m_exit_status = wait_status;
  m_exit_pending.store(true, std::memory_order_release);
}

void Task::kill(int wait_status) {
  request_exit(wait_status);
  m_killed.store(true, std::memory_order_release);
  m_interrupt.store(true, std::memory_order_release);
  if (!exited()) Scheduler::unpark(*this);
}

int64_t Task::cpu_time_ns() const {
  if (!is_fiber()) {
    // Only the carrying thread can read its own CPU clock.
    if (Scheduler::current() == this) return host::thread_cpu_ns() - m_host_cpu_base;
    return runtime_ns();
  }
  return runtime_ns();
}

void Task::fiber_main() {
  int status = abi::wstatus_exited(0);
  if (!exit_pending()) {
    try {
      status = abi::wstatus_exited(m_body());
    } catch (const TaskUnwind&) {
      // exit, exit_group, a kill or a panic: the status is already set.
    } catch (const std::exception& e) {
      m_kernel.log().log(KERN_ERR, "task %d (%s): unhandled exception: %s; killed by SIGABRT",
                         m_tid, comm().c_str(), e.what());
      status = abi::wstatus_signaled(abi::SIGABRT_, true);
    } catch (...) {
      m_kernel.log().log(KERN_ERR, "task %d (%s): unhandled exception; killed by SIGABRT",
                         m_tid, comm().c_str());
      status = abi::wstatus_signaled(abi::SIGABRT_, true);
    }
  }
  m_body = nullptr;  // free what the body captured while its stack is still ours
  Scheduler::account(*this);
  m_kernel.procs().exit_task(*this, status);
}

void Task::fiber_crashed() {
  // Its stack is gone: the objects on it are abandoned, not destroyed.
  m_kernel.log().log(KERN_ERR, "task %d (%s): stack overflow; killed by SIGSEGV", m_tid,
                     comm().c_str());
  Scheduler::account(*this);
  m_kernel.procs().exit_task(*this, abi::wstatus_signaled(abi::SIGSEGV_, true));
}

void Task::fiber_released() {
  ProcessTable& procs = m_kernel.procs();
  // Last touch of the kernel by this task: after the decrement, shutdown may proceed.
  unref();
  if (procs.m_live_fibers.fetch_sub(1, std::memory_order_acq_rel) == 1)
    host::futex_wake(&procs.m_live_fibers, INT32_MAX);
}

ThreadGroup::~ThreadGroup() { delete m_timers.load(std::memory_order_relaxed); }

ProcessTimers& ThreadGroup::timers() {
  if (ProcessTimers* t = m_timers.load(std::memory_order_acquire)) return *t;
  auto* made = new ProcessTimers(m_leader->kernel(), *this);
  ProcessTimers* expected = nullptr;
  if (!m_timers.compare_exchange_strong(expected, made, std::memory_order_acq_rel)) {
    delete made;
    return *expected;
  }
  return *made;
}

int64_t ThreadGroup::cpu_time_ns() const {
  return m_dead_cpu.load(std::memory_order_relaxed);
}

void Task::signal_self(int sig) { Signals::send_to_task(*this, Signals::user_info(sig, *this)); }

uint64_t Task::rlimit_cur(int resource) const { return m_group->rlimit(resource).rlim_cur; }

// A broken invariant while this task ran: its instance panics (Kernel::bug_report).
void Task::on_bug(const char* msg) noexcept { m_kernel.bug_report(msg, m_tid); }

}  // namespace uml::kern
