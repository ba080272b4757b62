#pragma once
// Task (a Linux thread: tid) and ThreadGroup (a Linux process: pid, parent, pgid, sid,
// threads, exit status). A Task is *carried* by a fiber or by an attached application
// thread (SchedEntity); the task model does not care which.
//
// Lock order: ProcessTable::m_lock (the tasklist lock) guards the process tree, pids,
// pgid/sid and the thread/zombie state fields marked "tasklist". It is a spinlock: nothing
// parks while holding it. A task's own credentials and name are written only by the task
// itself, under m_self_lock, so other tasks may read them consistently.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/base/intrusive_list.h"
#include "core/base/ref_counted.h"
#include "core/base/spinlock.h"
#include "core/base/verify.h"
#include "core/sched/scheduler.h"
#include "core/sched/sync.h"
#include "core/cred/actor.h"
#include "core/task/signal.h"
#include "core/vfs/fd_table.h"
#include "core/vfs/fs_context.h"
#include "core/vfs/mount_namespace.h"

namespace uml::kern {

class Kernel;
class ProcessTable;
class ProcessTimers;
class ThreadGroup;
class UtsNamespace;

using pid_t_ = int32_t;

// Thrown at syscall exit to unwind a fiber whose task must end (exit, exit_group, kill,
// panic); caught only by the fiber trampoline. Guest code must not swallow it (a catch (...)
// must rethrow), exactly as with Boost.Context's forced_unwind.
struct TaskUnwind {};

class Task final : public RefCounted<Task>, public Actor {
 public:
  using Body = std::function<int()>;

  Kernel& kernel() const { return m_kernel; }
  pid_t_ tid() const { return m_tid; }
  ThreadGroup& group() const { return *m_group; }
  pid_t_ pid() const;

  // The task an Actor is: a broken invariant (VERIFY) when it is the kernel acting on a host
  // thread, which only operations that need no task are given.
  static Task& of(Actor& a) {
    VERIFY(a.is_task());
    return static_cast<Task&>(a);
  }
  static const Task& of(const Actor& a) {
    VERIFY(a.is_task());
    return static_cast<const Task&>(a);
  }

  // Credentials: the task reads its own freely (Actor::creds); others use creds_snapshot().
  Credentials creds_snapshot() const;
  void set_creds(Credentials c);

  std::string comm() const;
  void set_comm(std::string_view name);

  // unshare(CLONE_FILES / CLONE_FS): the thread's own copy of its process's descriptor
  // table or filesystem context, when the process has other threads sharing them.
  void unshare_files();
  void unshare_fs();
  // Whether another thread shares its filesystem context (Linux's fs->users > 1).
  bool fs_shared() const;

  // Its UTS namespace (a reference others may take: /proc/[pid]/ns/uts).
  std::shared_ptr<UtsNamespace> uts() const;
  void set_uts(std::shared_ptr<UtsNamespace> ns);
  // Its mount namespace; null once it exited (exit_task_namespaces).
  RefPtr<MountNamespace> mnt_ns() const;
  void set_mnt_ns(RefPtr<MountNamespace> ns);

  // Termination requests, checked at syscall exit.
  bool exit_pending() const { return m_exit_pending.load(std::memory_order_acquire); }
  bool killed() const { return m_killed.load(std::memory_order_acquire); }
  // Ends the task at its next syscall exit, with this wait status.
  void request_exit(int wait_status);
  // SIGKILL semantics: interrupts any wait, ends the task at the next syscall exit.
  void kill(int wait_status);
  int exit_status() const { return m_exit_status; }
  bool exited() const { return m_exited.load(std::memory_order_acquire); }
  // Completed when this task has exited.
  Completion& done() { return m_done; }

  // The process's descriptors and filesystem context (shared by its threads).
  FdTable& files() const;
  // The file of descriptor fd for this syscall (fdget): borrowed while the process has one
  // thread, referenced otherwise.
  FileRef fdget(int fd) const;
  FsContext& fs() const;

  // The syscall the task is in (Linux's task_current_syscall, for /proc/[pid]/syscall and
  // wchan): its number and where its arguments are (the syscall's own frame), set at entry
  // (two stores: this is the syscall path), -1 after its exit. Others read it only while
  // the task is parked in it (parked() acquires what the task wrote before it parked), or
  // the task itself; the arguments are copied fault-safely, as a frame may be gone by then.
  void syscall_entered(long nr, const long* args) {
    m_sys_argp.store(args, std::memory_order_relaxed);
    m_sys_nr.store(nr, std::memory_order_relaxed);
  }
  void syscall_left() { m_sys_nr.store(-1, std::memory_order_relaxed); }
  long current_syscall(long args[6]) const;

  // Restarting an interrupted syscall (nanosleep, timed futex waits, poll).
  RestartBlock& restart_block() { return m_restart; }
  // A temporary signal mask (sigsuspend, ppoll...) waits to be restored at syscall exit.
  // Written only by the task itself.
  bool sigmask_restore_pending() const { return m_sig.restore_mask; }

  // CPU time (ns) of this task: fiber time as the scheduler samples it, or the host thread's
  // CPU time for an attached thread (when asked on that thread).
  int64_t cpu_time_ns() const;

 private:
  friend class ProcessTable;
  friend class ThreadGroup;
  friend class Signals;
  friend class RefCounted<Task>;
  Task(Kernel& k, Carrier c, Body body);
  ~Task() override;

  void fiber_main() override;
  void fiber_released() override;
  void fiber_crashed() override;
  void on_bug(const char* msg) noexcept override;
  void signal_self(int sig) override;
  uint64_t rlimit_cur(int resource) const override;

  Kernel& m_kernel;
  pid_t_ m_tid = 0;
  RefPtr<ThreadGroup> m_group;
  Body m_body;
  mutable SpinLock m_self_lock;
  char m_comm[16] = {};
  std::atomic<bool> m_exit_pending{false};
  std::atomic<bool> m_killed{false};
  std::atomic<bool> m_exited{false};
  int m_exit_status = 0;  // wait status once exited (tasklist)
  ListNode m_group_node;  // ThreadGroup::m_threads (tasklist)
  Completion m_done;
  int64_t m_host_cpu_base = 0;
  TaskSignals m_sig;  // its process's siglock
  RestartBlock m_restart;
  std::shared_ptr<UtsNamespace> m_uts;  // m_self_lock
  RefPtr<MountNamespace> m_mnt_ns;      // m_self_lock
  // unshare(CLONE_FILES / CLONE_FS) in a thread of a process with several: the thread's own
  // copies (Linux's files_struct and fs_struct stop being shared). Written and read by the
  // task itself; released at its exit.
  RefPtr<FdTable> m_own_files;
  RefPtr<FsContext> m_own_fs;
  std::atomic<long> m_sys_nr{-1};
  std::atomic<const long*> m_sys_argp{nullptr};
};

class ThreadGroup final : public RefCounted<ThreadGroup> {
 public:
  enum class State { Alive, Zombie, Reaped };

  pid_t_ pid() const { return m_pid; }
  pid_t_ ppid() const { return m_ppid.load(std::memory_order_relaxed); }
  pid_t_ pgid() const { return m_pgid.load(std::memory_order_relaxed); }
  pid_t_ sid() const { return m_sid.load(std::memory_order_relaxed); }
  State state() const { return m_state; }
  // Exit wait status, valid once the group is a zombie.
  int exit_status() const { return m_exit_status; }
  // Completed when the whole group has exited (for TaskHandle::wait).
  Completion& exited() { return m_exited; }
  size_t live_threads() const { return m_live_threads.load(std::memory_order_relaxed); }
  // Times of exited threads, and of reaped children (ns).
  int64_t dead_threads_cpu_ns() const { return m_dead_cpu.load(std::memory_order_relaxed); }
  int64_t children_cpu_ns() const { return m_children_cpu.load(std::memory_order_relaxed); }
  int64_t cpu_time_ns() const;  // of its exited threads (a zombie's total)

  // Resource limits (shared by the threads; a spawned process gets a copy).
  abi::rlimit64 rlimit(int resource) const {
    SpinGuard g(m_rlim_lock);
    return m_rlimits[static_cast<size_t>(resource)];
  }
  void set_rlimit(int resource, abi::rlimit64 r) {
    SpinGuard g(m_rlim_lock);
    m_rlimits[static_cast<size_t>(resource)] = r;
  }

  // Whether a core dump would be taken (prctl PR_SET_DUMPABLE; cleared when the identity
  // changes, as suid_dumpable 0 says).
  bool dumpable() const { return m_dumpable.load(std::memory_order_relaxed); }
  void set_dumpable(bool on) { m_dumpable.store(on, std::memory_order_relaxed); }

  // Signal actions, the shared pending set and the group stop.
  SignalHand& signals() { return m_sig; }
  // Its interval and POSIX timers (made at first use; stopped when the process exits).
  ProcessTimers& timers();
  ProcessTimers* timers_if_any() const { return m_timers.load(std::memory_order_acquire); }
  ProcessTable& table() const { return *m_table; }

 private:
  friend class ProcessTable;
  friend class Task;
  friend class Signals;
  friend class RefCounted<ThreadGroup>;
  ThreadGroup(pid_t_ pid, int64_t start_ns);  // start_ns: its instance's monotonic clock
  ~ThreadGroup();

  const pid_t_ m_pid;
  ProcessTable* m_table = nullptr;
  ThreadGroup* m_parent = nullptr;  // tasklist; valid while Alive or Zombie
  std::atomic<pid_t_> m_ppid{0};
  std::atomic<pid_t_> m_pgid{0};
  std::atomic<pid_t_> m_sid{0};
  State m_state = State::Alive;  // tasklist
  IntrusiveList<Task, &Task::m_group_node> m_threads;  // tasklist: live threads
  std::atomic<size_t> m_live_threads{0};  // written under tasklist
  RefPtr<Task> m_leader;  // the task whose tid is the pid
  bool m_group_exit = false;  // exit_group or a kill ended the group
  int m_group_exit_status = 0;
  int m_exit_status = 0;
  ListNode m_sibling_node;  // parent's m_children (tasklist)
  IntrusiveList<ThreadGroup, &ThreadGroup::m_sibling_node> m_children;  // tasklist
  // Wait queue of this process's wait4/waitid callers, and the event count they watch.
  WaitQueue m_child_wait;
  uint64_t m_child_events = 0;  // guarded by m_child_wait's lock
  Completion m_exited;
  RefPtr<FdTable> m_files;  // released when the process exits
  RefPtr<FsContext> m_fs;
  std::atomic<int64_t> m_dead_cpu{0};
  std::atomic<int64_t> m_children_cpu{0};
  int64_t m_start_ns = 0;  // monotonic, at creation
  mutable SpinLock m_rlim_lock;
  std::array<abi::rlimit64, abi::RLIM_NLIMITS_> m_rlimits{};
  SignalHand m_sig;
  std::atomic<bool> m_dumpable{true};
  std::atomic<ProcessTimers*> m_timers{nullptr};  // owned; freed after the exit (Deferred)
};

inline pid_t_ Task::pid() const { return m_group->pid(); }
inline FdTable& Task::files() const { return m_own_files ? *m_own_files : *m_group->m_files; }
inline FsContext& Task::fs() const { return m_own_fs ? *m_own_fs : *m_group->m_fs; }
// A table of the thread's own (unshare) has no other user: its references may be borrowed.
inline FileRef Task::fdget(int fd) const { return files().fdget(fd, m_own_files || m_group->live_threads() == 1); }

}  // namespace uml::kern
