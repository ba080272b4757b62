#include "core/task/process_table.h"

#include <algorithm>

#include "core/abi/process.h"
#include "core/abi/signal.h"
#include "core/kernel/kernel.h"

namespace uml::kern {

ProcessTable::ProcessTable(Kernel& k) : m_kernel(k) {}

ProcessTable::~ProcessTable() {
  // Shutdown has ended every task. Break the leader<->group reference cycles of what is
  // left (zombies never reaped), then drop the references outside the lock.
  std::vector<RefPtr<Task>> leaders;
  {
    SpinGuard g(m_lock);
    for (auto& entry : m_pids) {
      ThreadGroup* grp = entry.second.group;
      if (!grp) continue;
      grp->m_children.for_each([grp](ThreadGroup& c) { grp->m_children.remove(c); });
      if (grp->m_leader) leaders.push_back(std::move(grp->m_leader));
    }
    m_pids.clear();
    leaders.insert(leaders.end(), std::make_move_iterator(m_deferred.tasks.begin()),
                   std::make_move_iterator(m_deferred.tasks.end()));
    m_deferred = {};
  }
  leaders.clear();
  m_init = nullptr;
}

void ProcessTable::create_init() {
  SpinGuard g(m_lock);
  m_init = RefPtr<ThreadGroup>::adopt(new ThreadGroup(1, m_kernel.sched().time().monotonic_ns()));
  m_init->m_table = this;
  m_init->m_pgid.store(1);
  m_init->m_files = make_ref<FdTable>();
  m_init->m_files->set_lock_owner(m_init.get());
  m_init->m_fs = make_ref<FsContext>(m_kernel.vfs().root(), m_kernel.vfs().root());
  m_init->m_sid.store(1);
  PidEntry& e = m_pids[1];
  e.group = m_init.get();
  e.pgrp_refs = 1;
  e.session_refs = 1;
  e.pgrp_sid = 1;
  m_last_pid = 1;
  m_process_count.fetch_add(1, std::memory_order_relaxed);
}

pid_t_ ProcessTable::alloc_pid_locked() {
  // Linux's cyclic allocation: the next free number after the last one, wrapping to
  // RESERVED_PIDS; a number stays taken while any tid, pid, pgid or sid uses it.
  pid_t_ candidate = m_last_pid;
  for (int tries = 0; tries < abi::PID_MAX_LIMIT; ++tries) {
    ++candidate;
    if (candidate >= abi::PID_MAX_LIMIT) candidate = abi::RESERVED_PIDS;
    auto it = m_pids.find(candidate);
    if (it == m_pids.end() || it->second.unused()) {
      m_last_pid = candidate;
      return candidate;
    }
  }
  return -1;
}

void ProcessTable::put_entry_locked(pid_t_ pid) {
  auto it = m_pids.find(pid);
  if (it != m_pids.end() && it->second.unused()) m_pids.erase(it);
}

void ProcessTable::join_pgrp_locked(ThreadGroup& g, pid_t_ pgid, pid_t_ sid) {
  PidEntry& p = m_pids[pgid];
  if (p.pgrp_refs++ == 0) p.pgrp_sid = sid;
  m_pids[sid].session_refs++;
  g.m_pgid.store(pgid, std::memory_order_relaxed);
  g.m_sid.store(sid, std::memory_order_relaxed);
}

void ProcessTable::leave_pgrp_locked(ThreadGroup& g) {
  const pid_t_ pgid = g.pgid(), sid = g.sid();
  --m_pids[pgid].pgrp_refs;
  --m_pids[sid].session_refs;
  put_entry_locked(pgid);
  put_entry_locked(sid);
}

Result<RefPtr<Task>> ProcessTable::spawn(SpawnRequest req) {
  if (req.thread && !req.creator) return Errno::INVAL;
  const auto carrier = req.attached ? SchedEntity::Carrier::HostThread : SchedEntity::Carrier::Fiber;
  RefPtr<Task> t = RefPtr<Task>::adopt(new Task(m_kernel, carrier, std::move(req.body)));
  // A new task shares its creator's namespaces (copy_namespaces without CLONE_NEW*).
  t->m_uts = req.creator ? req.creator->uts() : m_kernel.init_uts();
  t->m_mnt_ns = req.creator ? req.creator->mnt_ns() : m_kernel.vfs().init_ns();
  if (req.creator) {
    t->m_creds = req.creator->creds_snapshot();
    std::string c = req.creator->comm();
    t->set_comm(c);
  } else {
    t->set_comm("task");
  }
  if (req.set_ids) t->m_creds = Credentials::for_user(req.uid, req.gid);
  if (!req.name.empty()) t->set_comm(req.name);

  {
    SpinGuard g(m_lock);
    if (!m_accepting.load(std::memory_order_relaxed)) return Errno::AGAIN;
    ThreadGroup* parent = req.creator ? &req.creator->group() : m_init.get();
    if (parent->m_state != ThreadGroup::State::Alive || parent->m_group_exit) return Errno::AGAIN;
    if (req.creator && !req.thread) {
      // RLIMIT_NPROC: the creator's real user may have so many processes (fork's check).
      const uint64_t nproc = req.creator->group().rlimit(abi::RLIMIT_NPROC_).rlim_cur;
      const Credentials& cc = t->m_creds;
      if (nproc != abi::RLIM_INFINITY_ && !cc.capable(abi::CAP_SYS_RESOURCE) && !cc.capable(abi::CAP_SYS_ADMIN)) {
        uint64_t mine = 0;
        for (const auto& [id, pe] : m_pids)
          if (pe.group && pe.group->m_state == ThreadGroup::State::Alive && pe.group->m_leader &&
              pe.group->m_leader->creds().uid == cc.uid)
            ++mine;
        if (mine >= nproc) return Errno::AGAIN;
      }
    }
    const pid_t_ tid = alloc_pid_locked();
    if (tid < 0) return Errno::AGAIN;
    t->m_tid = tid;
    PidEntry& e = m_pids[tid];
    e.task = t.get();
    if (req.thread) {
      t->m_group = RefPtr<ThreadGroup>(parent);
    } else {
      auto grp = RefPtr<ThreadGroup>::adopt(new ThreadGroup(tid, m_kernel.sched().time().monotonic_ns()));
      grp->m_table = this;
      // fork's semantics: a copy of the creator's descriptors, root, cwd and umask.
      if (req.creator) {
        const ThreadGroup& cg = req.creator->group();
        {
          SpinGuard rl(cg.m_rlim_lock);
          grp->m_rlimits = cg.m_rlimits;
        }
        {
          // fork: the actions are copied; the pending signals are not.
          SpinGuard sl(const_cast<SignalHand&>(cg.m_sig).lock);
          if (cg.m_sig.actions)
            grp->m_sig.actions = std::make_unique<std::array<abi::kernel_sigaction, abi::NSIG_>>(*cg.m_sig.actions);
        }
        grp->set_dumpable(cg.dumpable());
        grp->m_files = req.creator->files().clone();  // the creating thread's (it may have its own)
        grp->m_files->set_lock_owner(grp.get());
        grp->m_fs = req.creator->fs().clone();
      } else {
        grp->m_files = make_ref<FdTable>();
        grp->m_files->set_lock_owner(grp.get());
        const Path root = m_kernel.vfs().root();
        grp->m_fs = make_ref<FsContext>(root, root);
      }
      grp->m_parent = parent;
      grp->m_ppid.store(parent->pid(), std::memory_order_relaxed);
      grp->m_leader = t;
      e.group = grp.get();
      join_pgrp_locked(*grp, parent->pgid(), parent->sid());
      parent->m_children.push_back(*grp);
      t->m_group = std::move(grp);
      m_process_count.fetch_add(1, std::memory_order_relaxed);
    }
    if (req.creator) {
      // The new thread or process starts with its creator's signal mask.
      SpinGuard sl(req.creator->group().m_sig.lock);
      t->m_sig.blocked = req.creator->m_sig.blocked;
    }
    t->m_group->m_threads.push_back(*t);
    t->m_group->m_live_threads.fetch_add(1, std::memory_order_relaxed);
    m_task_count.fetch_add(1, std::memory_order_relaxed);
  }

  if (!req.attached) {
    t->ref();  // the scheduler's hold, dropped in fiber_released
    m_live_fibers.fetch_add(1, std::memory_order_acq_rel);
    if (int err = m_kernel.sched().start_fiber(*t, req.stack_size); err != 0) {
      m_live_fibers.fetch_sub(1, std::memory_order_acq_rel);
      t->unref();
      exit_task(*t, abi::wstatus_signaled(abi::SIGKILL_, false));
      m_kernel.log().log(KERN_WARNING, "spawn: no memory for a %zu-byte task stack",
                         req.stack_size ? req.stack_size : m_kernel.sched().config().default_stack_size);
      return Errno::NOMEM;
    }
  }
  return t;
}

void ProcessTable::exit_task(Task& t, int wait_status) {
  const auto tid = static_cast<uint32_t>(t.m_tid);  // t may be gone once its exit is done
  if (!exit_task_locked(t, wait_status)) return;
  // exit_pi_state_list, after the tasklist lock (futex buckets come first in lock order):
  // the PI futexes it held with waiters go to them, marked owner-died.
  m_kernel.futexes().exit_pi(tid);
}

bool ProcessTable::exit_task_locked(Task& t, int wait_status) {
  ThreadGroup& g = *t.m_group;
  Deferred deferred;  // released after the lock (declared first)
  SpinGuard lock(m_lock);
  if (t.m_exited.load(std::memory_order_relaxed)) return false;
  {
    SpinGuard self(t.m_self_lock);
    if (!t.m_exit_pending.load(std::memory_order_relaxed)) t.m_exit_status = wait_status;
    t.m_exit_pending.store(true, std::memory_order_release);
    // exit_task_namespaces: the last task of a mount namespace takes its mounts down
    // (after the locks).
    if (t.m_mnt_ns) m_deferred.mnt_ns.push_back(std::move(t.m_mnt_ns));
  }
  Signals::thread_exit_locked(t);
  t.m_exited.store(true, std::memory_order_release);
  g.m_threads.remove(t);
  g.m_live_threads.fetch_sub(1, std::memory_order_relaxed);
  m_task_count.fetch_sub(1, std::memory_order_relaxed);
  g.m_dead_cpu.fetch_add(t.cpu_time_ns(), std::memory_order_relaxed);
  // A non-leader's tid is free at once; the leader's tid is the pid, held until reaped
  // (a zombie is still found by getpgid and friends, as on Linux).
  auto it = m_pids.find(t.m_tid);
  if (it != m_pids.end() && it->second.task == &t && &t != g.m_leader.get()) {
    it->second.task = nullptr;
    put_entry_locked(t.m_tid);
  }
  t.m_done.complete();  // the thread is done before its process is
  if (g.m_live_threads == 0) make_zombie_locked(g);
  deferred = take_deferred_locked();
  return true;
}

void ProcessTable::exit_group(Task& t, int wait_status) {
  ThreadGroup& g = *t.m_group;
  SpinGuard lock(m_lock);
  kill_group_locked(g, wait_status);
}

void ProcessTable::kill_group_locked(ThreadGroup& g, int wait_status) {
  if (!g.m_group_exit) {
    g.m_group_exit = true;
    g.m_group_exit_status = wait_status;
  }
  const SchedEntity* self = Scheduler::current();
  g.m_threads.for_each([&](Task& other) {
    if (static_cast<SchedEntity*>(&other) == self) other.request_exit(g.m_group_exit_status);
    else other.kill(g.m_group_exit_status);
  });
}

void ProcessTable::make_zombie_locked(ThreadGroup& g) {
  g.m_state = ThreadGroup::State::Zombie;
  // Linux's exit_files/exit_fs: a zombie holds no descriptors (closed after the lock).
  if (g.m_files) m_deferred.files.push_back(std::move(g.m_files));
  if (g.m_fs) m_deferred.fs.push_back(std::move(g.m_fs));
  // exit_itimers: its timers stop (after the lock: stopping one waits for its callback,
  // which may be sending a signal under this lock).
  if (ProcessTimers* pt = g.m_timers.exchange(nullptr, std::memory_order_acq_rel))
    m_deferred.timers.emplace_back(pt);
  // Linux: the group's status is exit_group's, else the leader's own exit status.
  g.m_exit_status = g.m_group_exit ? g.m_group_exit_status : g.m_leader->m_exit_status;
  // Orphans go to init, which reaps zombies at once.
  ThreadGroup& init = *m_init;
  g.m_children.for_each([&](ThreadGroup& c) {
    g.m_children.remove(c);
    c.m_parent = &init;
    c.m_ppid.store(1, std::memory_order_relaxed);
    init.m_children.push_back(c);
    if (c.m_state == ThreadGroup::State::Zombie) reap_locked(c);
  });
  g.m_exited.complete();
  if (g.m_parent == &init) {
    reap_locked(g);
  } else {
    notify_parent_locked(g);
  }
}

// kernel/signal.c: do_notify_parent. A parent that ignores SIGCHLD (or set SA_NOCLDWAIT)
// has its children reaped at once.
void ProcessTable::notify_parent_locked(ThreadGroup& g) {
  ThreadGroup& parent = *g.m_parent;
  const int st = g.m_exit_status;
  int code, status;
  if ((st & 0x7f) == 0) {
    code = abi::CLD_EXITED_;
    status = (st >> 8) & 0xff;
  } else {
    code = (st & 0x80) ? abi::CLD_DUMPED_ : abi::CLD_KILLED_;
    status = st & 0x7f;
  }
  abi::kernel_sigaction act;
  {
    SpinGuard sl(parent.m_sig.lock);
    act = parent.m_sig.action(abi::SIGCHLD_);
  }
  const bool autoreap = act.handler == abi::SIG_IGN_ || (act.flags & abi::SA_NOCLDWAIT_);
  if (act.handler != abi::SIG_IGN_) Signals::deliver(parent, nullptr, Signals::child_info(g, code, status));
  if (autoreap) reap_locked(g);
  parent.m_child_wait.update_and_wake_all([&] { ++parent.m_child_events; });
}

void ProcessTable::notify_parent_stop_locked(ThreadGroup& g, int code, int sig) {
  ThreadGroup* parent = g.m_parent;
  if (!parent) return;
  abi::kernel_sigaction act;
  {
    SpinGuard sl(parent->m_sig.lock);
    act = parent->m_sig.action(abi::SIGCHLD_);
  }
  if (!(act.flags & abi::SA_NOCLDSTOP_)) Signals::deliver(*parent, nullptr, Signals::child_info(g, code, sig));
  parent->m_child_wait.update_and_wake_all([&] { ++parent->m_child_events; });
}

bool ProcessTable::pgrp_orphaned(pid_t_ pgid) {
  SpinGuard lock(m_lock);
  bool orphaned = true;
  for (auto& [pid, e] : m_pids) {
    ThreadGroup* g = e.group;
    if (!g || g->pgid() != pgid || g->m_state != ThreadGroup::State::Alive) continue;
    ThreadGroup* p = g->m_parent;
    if (p && p->pgid() != pgid && p->sid() == g->sid()) {
      orphaned = false;
      break;
    }
  }
  return orphaned;
}

ThreadGroup* ProcessTable::group_of_id_locked(pid_t_ id) {
  auto it = m_pids.find(id);
  if (it == m_pids.end()) return nullptr;
  if (it->second.task) return &it->second.task->group();
  return it->second.group;
}

bool ProcessTable::is_thread_of(ThreadGroup& g, pid_t_ tid) {
  SpinGuard lock(m_lock);
  Task* t = task_of_id_locked(tid);
  return t && &t->group() == &g && !t->exited();
}

Task* ProcessTable::task_of_id_locked(pid_t_ tid) {
  auto it = m_pids.find(tid);
  if (it == m_pids.end()) return nullptr;
  return it->second.task;
}

void ProcessTable::reap_locked(ThreadGroup& g) {
  ThreadGroup& parent = *g.m_parent;
  parent.m_children.remove(g);
  parent.m_children_cpu.fetch_add(g.cpu_time_ns() + g.children_cpu_ns(), std::memory_order_relaxed);
  g.m_state = ThreadGroup::State::Reaped;
  g.m_parent = nullptr;
  leave_pgrp_locked(g);
  auto it = m_pids.find(g.pid());
  if (it != m_pids.end()) {
    it->second.group = nullptr;
    if (it->second.task == g.m_leader.get()) it->second.task = nullptr;
    put_entry_locked(g.pid());
  }
  if (g.m_leader) m_deferred.tasks.push_back(std::move(g.m_leader));
  m_process_count.fetch_sub(1, std::memory_order_relaxed);
}

void ProcessTable::kill_all() {
  SpinGuard g(m_lock);
  m_accepting.store(false, std::memory_order_release);
  for (auto& [pid, e] : m_pids)
    if (e.task) e.task->kill(abi::wstatus_signaled(abi::SIGKILL_, false));
}

bool ProcessTable::wait_matches(const ThreadGroup& c, int type, pid_t_ id) const {
  switch (type) {
    case abi::P_ALL_: return true;
    case abi::P_PID_: return c.pid() == id;
    case abi::P_PGID_: return c.pgid() == id;
    default: return false;
  }
}

Result<pid_t_> ProcessTable::wait(Task& self, int type, pid_t_ id, int options, WaitInfo* info) {
  ThreadGroup& me = *self.m_group;
  const bool consume = !(options & abi::WNOWAIT_);
  for (;;) {
    uint64_t seen;
    {
      SpinGuard g(me.m_child_wait.lock());
      seen = me.m_child_events;
    }
    Deferred deferred;  // released after the lock
    {
      SpinGuard lock(m_lock);
      bool any = false;
      ThreadGroup* found = nullptr;
      int report = 0;  // > 0 stopped by that signal, < 0 continued
      // kernel/exit.c: wait_consider_task, in child order: an exit, else a stop, else a
      // continue.
      me.m_children.for_each([&](ThreadGroup& c) {
        if (found || !wait_matches(c, type, id)) {
          if (wait_matches(c, type, id)) any = true;
          return;
        }
        any = true;
        if (c.m_state == ThreadGroup::State::Zombie) {
          if (options & abi::WEXITED_) found = &c;
          return;
        }
        const int r = Signals::take_report_locked(c, options & abi::WSTOPPED_, options & abi::WCONTINUED_, consume);
        if (r) {
          found = &c;
          report = r;
        }
      });
      if (!any) return Errno::CHILD;
      if (found) {
        info->pid = found->pid();
        info->uid = found->m_leader ? found->m_leader->creds_snapshot().uid : 0;
        info->cpu_ns = found->cpu_time_ns() + found->children_cpu_ns();
        if (report > 0) {
          info->status = (report << 8) | 0x7f;
          info->code = abi::CLD_STOPPED_;
          info->child_status = report;
          info->cpu_ns = found->cpu_time_ns();
          return info->pid;
        }
        if (report < 0) {
          info->status = 0xffff;
          info->code = abi::CLD_CONTINUED_;
          info->child_status = abi::SIGCONT_;
          info->cpu_ns = found->cpu_time_ns();
          return info->pid;
        }
        const int st = found->m_exit_status;
        info->status = st;
        if ((st & 0x7f) == 0) {
          info->code = abi::CLD_EXITED_;
          info->child_status = (st >> 8) & 0xff;
        } else {
          info->code = (st & 0x80) ? abi::CLD_DUMPED_ : abi::CLD_KILLED_;
          info->child_status = st & 0x7f;
        }
        if (consume) reap_locked(*found);
        deferred = take_deferred_locked();
        return info->pid;
      }
    }
    if (options & abi::WNOHANG_) return 0;
    TRY(me.m_child_wait.wait(self, [&] { return me.m_child_events != seen; },
                             WaitOptions{-1, true}));
  }
}

std::optional<ProcessTable::ProcessSnapshot> ProcessTable::snapshot(pid_t_ pid) {
  SpinGuard lock(m_lock);
  auto it = m_pids.find(pid);
  if (it == m_pids.end() || !it->second.group) return std::nullopt;
  ThreadGroup& g = *it->second.group;
  ProcessSnapshot s;
  s.pid = g.pid();
  s.ppid = g.ppid();
  s.pgid = g.pgid();
  s.sid = g.sid();
  s.zombie = g.m_state != ThreadGroup::State::Alive;
  if (g.m_leader) {
    s.comm = g.m_leader->comm();
    s.creds = g.m_leader->creds_snapshot();
  }
  s.start_ns = g.m_start_ns;
  s.cpu_ns = g.dead_threads_cpu_ns();
  g.m_threads.for_each([&](Task& t) {
    s.tids.push_back(t.tid());
    s.cpu_ns += t.cpu_time_ns();
  });
  std::sort(s.tids.begin(), s.tids.end());
  s.children_cpu_ns = g.children_cpu_ns();
  s.files = g.m_files;
  s.fs = g.m_fs;
  return s;
}

RefPtr<Task> ProcessTable::task_ref(pid_t_ tid) {
  SpinGuard lock(m_lock);
  auto it = m_pids.find(tid);
  if (it == m_pids.end() || !it->second.task || it->second.task->exited()) return nullptr;
  return RefPtr<Task>(it->second.task);
}

RefPtr<ThreadGroup> ProcessTable::group_ref(pid_t_ pid) {
  SpinGuard lock(m_lock);
  auto it = m_pids.find(pid);
  if (it == m_pids.end() || !it->second.group) return nullptr;
  return RefPtr<ThreadGroup>(it->second.group);
}

std::vector<pid_t_> ProcessTable::pids() {
  std::vector<pid_t_> out;
  {
    SpinGuard lock(m_lock);
    for (const auto& [pid, e] : m_pids)
      if (e.group) out.push_back(pid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

pid_t_ ProcessTable::pid_of_thread(pid_t_ tid) {
  SpinGuard lock(m_lock);
  auto it = m_pids.find(tid);
  if (it == m_pids.end() || !it->second.task) return 0;
  return it->second.task->pid();
}

int64_t ProcessTable::live_threads_cpu_ns(ThreadGroup& g) {
  SpinGuard lock(m_lock);
  int64_t ns = 0;
  g.m_threads.for_each([&](Task& t) { ns += t.cpu_time_ns(); });
  return ns;
}

int64_t ProcessTable::process_cpu_ns(ThreadGroup& g) {
  return g.dead_threads_cpu_ns() + live_threads_cpu_ns(g);
}

// getpgid/getsid: an id of the process of the task named pid (0: the caller), zombies
// included, as Linux's find_task_by_vpid finds them.
Result<pid_t_> ProcessTable::group_id_of(Task& self, pid_t_ pid, pid_t_ (ThreadGroup::*id)() const) {
  if (pid == 0) return (self.group().*id)();
  SpinGuard g(m_lock);
  auto it = m_pids.find(pid);
  if (it == m_pids.end() || !it->second.task) return Errno::SRCH;
  return (it->second.task->group().*id)();
}

Result<pid_t_> ProcessTable::getpgid(Task& self, pid_t_ pid) {
  return group_id_of(self, pid, &ThreadGroup::pgid);
}

Result<pid_t_> ProcessTable::getsid(Task& self, pid_t_ pid) {
  return group_id_of(self, pid, &ThreadGroup::sid);
}

// kernel/sys.c: setpgid, in Linux's order of checks.
Result<void> ProcessTable::setpgid(Task& self, pid_t_ pid, pid_t_ pgid) {
  ThreadGroup& me = self.group();
  if (pid == 0) pid = me.pid();
  if (pgid == 0) pgid = pid;
  if (pgid < 0) return Errno::INVAL;
  SpinGuard lock(m_lock);
  auto it = m_pids.find(pid);
  if (it == m_pids.end() || !it->second.task) return Errno::SRCH;
  Task* target_task = it->second.task;
  ThreadGroup& target = target_task->group();
  if (target_task->tid() != target.pid()) return Errno::INVAL;  // not a group leader
  if (target.m_parent == &me) {
    if (target.sid() != me.sid()) return Errno::PERM;
  } else if (&target != &me) {
    return Errno::SRCH;
  }
  if (target.sid() == target.pid()) return Errno::PERM;  // a session leader
  if (pgid != pid) {
    auto pg = m_pids.find(pgid);
    if (pg == m_pids.end() || pg->second.pgrp_refs == 0 || pg->second.pgrp_sid != me.sid())
      return Errno::PERM;
  }
  if (target.pgid() == pgid) return {};
  const pid_t_ sid = target.sid();
  leave_pgrp_locked(target);
  join_pgrp_locked(target, pgid, sid);
  return {};
}

// kernel/sys.c: ksys_setsid.
Result<pid_t_> ProcessTable::setsid(Task& self) {
  ThreadGroup& me = self.group();
  const pid_t_ pid = me.pid();
  SpinGuard lock(m_lock);
  if (me.sid() == pid) return Errno::PERM;  // already a session leader
  auto it = m_pids.find(pid);
  if (it != m_pids.end() && it->second.pgrp_refs > 0) return Errno::PERM;  // a pgrp has our id
  leave_pgrp_locked(me);
  join_pgrp_locked(me, pid, pid);
  return pid;
}

}  // namespace uml::kern
