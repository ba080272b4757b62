#pragma once
// ProcessTable: an instance's pids and process tree (Linux's pid hash, tasklist and
// pgrp/session bookkeeping). pid 1 is the instance's init: a kernel-provided process with
// no code of its own that adopts orphans and reaps them (and the processes the application
// spawns or attaches from outside any task) as soon as they become zombies.
//
// Lock order: m_lock (the tasklist lock) > WaitQueue locks. Nothing parks under m_lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/task/task.h"
#include "core/time/posix_timer.h"

namespace uml::kern {

struct SpawnRequest {
  Task::Body body;               // fiber tasks: the code to run
  std::string name;              // comm; empty: inherit, or "task"
  bool set_ids = false;          // use uid/gid below instead of the creator's credentials
  uint32_t uid = 0, gid = 0;
  size_t stack_size = 0;         // 0: the instance default
  bool thread = false;           // a new thread in creator's process, not a new process
  Task* creator = nullptr;       // the spawning task; null: a child of init
  bool attached = false;         // carried by the calling application thread, not a fiber
};

// What wait4/waitid report about a child.
struct WaitInfo {
  pid_t_ pid = 0;
  uint32_t uid = 0;
  int status = 0;       // wait status (wait4's *wstatus)
  int code = 0;         // CLD_EXITED / CLD_KILLED / CLD_DUMPED
  int child_status = 0; // exit code or signal number (waitid's si_status)
  // code may also be CLD_STOPPED / CLD_CONTINUED (WUNTRACED, WCONTINUED).
  int64_t cpu_ns = 0;   // the child's CPU time, itself and its reaped children
};

class ProcessTable {
 public:
  explicit ProcessTable(Kernel& k);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Creates init (pid 1). Called once at boot.
  void create_init();

  // Creates a task and, for fibers, makes it runnable. Errors: AGAIN (no pid, or the
  // instance is shutting down), NOMEM (no stack), INVAL (a thread without a creator).
  Result<RefPtr<Task>> spawn(SpawnRequest req);
  // The end of a task whose code has finished (fiber trampoline, detach of an attached
  // thread, exit of one). Idempotent.
  void exit_task(Task& t, int wait_status);
  // exit_group: ends every thread of t's process with this status.
  void exit_group(Task& t, int wait_status);
  // SIGKILL to every task (shutdown, panic). New spawns are refused from now on.
  void kill_all();
  bool accepting() const { return m_accepting.load(std::memory_order_acquire); }

  // wait4/waitid. type: abi::P_ALL_/P_PID_/P_PGID_. Returns the child's pid, or 0 with
  // WNOHANG when none is ready. Errors: CHILD, INTR.
  Result<pid_t_> wait(Task& self, int type, pid_t_ id, int options, WaitInfo* info);

  Result<pid_t_> getpgid(Task& self, pid_t_ pid);
  Result<pid_t_> getsid(Task& self, pid_t_ pid);
  Result<void> setpgid(Task& self, pid_t_ pid, pid_t_ pgid);
  Result<pid_t_> setsid(Task& self);

  // CPU time of g's live threads (ns).
  int64_t live_threads_cpu_ns(ThreadGroup& g);
  // The process's CPU time: its exited threads' and its live threads' (CLOCK_PROCESS_CPUTIME_ID).
  int64_t process_cpu_ns(ThreadGroup& g);
  size_t task_count() const { return m_task_count.load(std::memory_order_relaxed); }
  size_t process_count() const { return m_process_count.load(std::memory_order_relaxed); }
  ThreadGroup& init() const { return *m_init; }

  // ---- what procfs shows ----
  struct ProcessSnapshot {
    pid_t_ pid = 0, ppid = 0, pgid = 0, sid = 0;
    bool zombie = false;
    std::string comm;
    Credentials creds;  // the leader's
    int64_t start_ns = 0;                  // monotonic
    int64_t cpu_ns = 0, children_cpu_ns = 0;
    std::vector<pid_t_> tids;              // live threads, ascending
    RefPtr<FdTable> files;                 // null once the process exited
    RefPtr<FsContext> fs;
  };
  // The process with this pid (a zombie too), or nothing.
  std::optional<ProcessSnapshot> snapshot(pid_t_ pid);
  // The live task with this tid, referenced; null when there is none.
  RefPtr<Task> task_ref(pid_t_ tid);
  // The process with this pid (a zombie too), referenced; null when there is none.
  RefPtr<ThreadGroup> group_ref(pid_t_ pid);
  // Every process not yet reaped, ascending.
  std::vector<pid_t_> pids();
  // The pid of the process whose thread tid is, or 0.
  pid_t_ pid_of_thread(pid_t_ tid);
  pid_t_ last_pid() {
    SpinGuard g(m_lock);
    return m_last_pid;
  }

  // ---- for signals (tasklist held) ----
  // The process of the task or process with this id (a zombie too), or null.
  ThreadGroup* group_of_id_locked(pid_t_ id);
  Task* task_of_id_locked(pid_t_ tid);
  // Whether tid is a live thread of g.
  bool is_thread_of(ThreadGroup& g, pid_t_ tid);
  template <typename F>
  void for_each_group_locked(F&& f) {
    for (auto& [pid, e] : m_pids)
      if (e.group) f(*e.group);
  }
  // No member of the process group has a parent in another group of the same session
  // (kernel/exit.c: will_become_orphaned_pgrp).
  bool pgrp_orphaned(pid_t_ pgid);
  // The parent hears of a stop or continue (SIGCHLD unless SA_NOCLDSTOP; wait wakes).
  void notify_parent_stop_locked(ThreadGroup& g, int code, int sig);

  // Fibers not yet fully gone; shutdown waits for this to reach 0 (a host futex word).
  std::atomic<uint32_t> m_live_fibers{0};

 private:
  // exit_task under the tasklist lock; false when the task had exited already.
  bool exit_task_locked(Task& t, int wait_status);
  friend class Task;
  friend class Signals;
  struct PidEntry {
    Task* task = nullptr;          // the task with this tid
    ThreadGroup* group = nullptr;  // the process with this pid (until reaped)
    uint32_t pgrp_refs = 0;        // processes whose pgid is this
    uint32_t session_refs = 0;     // processes whose sid is this
    pid_t_ pgrp_sid = 0;           // the session of the process group with this id
    bool unused() const { return !task && !group && !pgrp_refs && !session_refs; }
  };

  pid_t_ alloc_pid_locked();
  void put_entry_locked(pid_t_ pid);
  void join_pgrp_locked(ThreadGroup& g, pid_t_ pgid, pid_t_ sid);
  void leave_pgrp_locked(ThreadGroup& g);
  void make_zombie_locked(ThreadGroup& g);
  void kill_group_locked(ThreadGroup& g, int wait_status);
  void reap_locked(ThreadGroup& g);
  void notify_parent_locked(ThreadGroup& g);
  bool wait_matches(const ThreadGroup& child, int type, pid_t_ id) const;
  Result<pid_t_> group_id_of(Task& self, pid_t_ pid, pid_t_ (ThreadGroup::*id)() const);
  // Reaping breaks the group <-> leader reference cycle, which may free both; that must
  // happen after m_lock is released, so reap_locked parks the leader here.
  struct Deferred {
    std::vector<RefPtr<Task>> tasks;
    std::vector<RefPtr<FdTable>> files;
    std::vector<RefPtr<FsContext>> fs;
    std::vector<RefPtr<MountNamespace>> mnt_ns;
    std::vector<std::unique_ptr<ProcessTimers>> timers;  // stopped outside the lock
  };
  Deferred take_deferred_locked() { return std::move(m_deferred); }

  Kernel& m_kernel;
  SpinLock m_lock;
  std::unordered_map<pid_t_, PidEntry> m_pids;  // tasklist
  pid_t_ m_last_pid = 0;
  RefPtr<ThreadGroup> m_init;
  Deferred m_deferred;  // tasklist
  std::atomic<bool> m_accepting{true};
  std::atomic<size_t> m_task_count{0};
  std::atomic<size_t> m_process_count{0};
};

}  // namespace uml::kern
