// The public C++ API (include/libuml/kernel.h) over the core. This is the API boundary:
// core Results become exceptions or -errno here, and a panic unwinding an attached thread's
// syscall stops here.

#include <libuml/kernel.h>

#include <cstdlib>

#include "core/abi/process.h"
#include "core/compose/composition.h"
#include "core/kernel/kernel.h"
#include "core/syscalls/dispatch.h"

namespace uml {

namespace {

using kern::Task;

// The task the calling thread runs as, if it belongs to k (k == nullptr: any instance).
Task* current_task(const kern::Kernel* k) {
  kern::SchedEntity* e = kern::Scheduler::current();
  if (!e) return nullptr;
  auto* t = static_cast<Task*>(e);
  if (k && &t->kernel() != k) return nullptr;
  return t;
}

long enter(Task& t, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  const kern::SyscallArgs args{{a0, a1, a2, a3, a4, a5}};
  try {
    return kern::dispatch_syscall(t, nr, args);
  } catch (const kern::TaskUnwind&) {
    if (t.is_fiber()) throw;  // to the fiber's trampoline
    return -static_cast<long>(kern::Errno::IO);  // an attached thread's syscall hit a panic
  }
}

// f acting as the calling thread's task, or, on a thread that is no task, as the kernel.
template <typename F>
auto act_as_current(F&& f) {
  if (Task* t = current_task(nullptr)) return f(static_cast<kern::Actor&>(*t));
  kern::KernelActor host;
  return f(static_cast<kern::Actor&>(host));
}

}  // namespace

// ---- Config ------------------------------------------------------------------------------

Config Config::from_cmdline(std::string_view cmdline) {
  Config c;
  std::string err;
  if (!parse(cmdline, &c, &err)) throw Error("libuml: " + err);
  return c;
}

// ---- Kernel ------------------------------------------------------------------------------

Kernel::Kernel(std::shared_ptr<kern::Kernel> k) : m_k(std::move(k)) {}

std::unique_ptr<Kernel> Kernel::boot(const Config& given) {
  // UML_REACTOR in the environment: the reactor= default (a test setup runs the whole
  // suite with reactor=poll this way).
  Config cfg = given;
  if (const char* r = getenv("UML_REACTOR"); r && cfg.reactor.empty()) {
    std::string why;
    if (!Config::parse(std::string("reactor=") + r, &cfg, &why)) throw Error("libuml: UML_REACTOR: " + why);
  }
  std::string err;
  auto k = kern::boot_instance(cfg, &err);
  if (!k) throw Error("libuml: boot failed: " + err);
  return std::unique_ptr<Kernel>(new Kernel(std::move(k)));
}

std::unique_ptr<Kernel> Kernel::boot(std::string_view cmdline) {
  return boot(Config::from_cmdline(cmdline));
}

Kernel::~Kernel() {
  if (m_k->forked_copy()) {
    // Its threads and rings stayed in the parent: tearing it down here would wait for
    // them for good. Its memory is left to the child's exit (or exec).
    new std::shared_ptr<kern::Kernel>(std::move(m_k));
    return;
  }
  shutdown();
}

void Kernel::shutdown() {
  if (m_k->forked_copy()) return;
  if (!m_k->shutdown()) throw Error("libuml: shutdown called from one of the instance's own tasks");
}

long Kernel::syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  Task* t = current_task(m_k.get());
  if (__builtin_expect(!t, 0)) return -static_cast<long>(kern::Errno::SRCH);
  return enter(*t, nr, a0, a1, a2, a3, a4, a5);
}

long syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  Task* t = current_task(nullptr);
  if (__builtin_expect(!t, 0)) return -static_cast<long>(kern::Errno::SRCH);
  return enter(*t, nr, a0, a1, a2, a3, a4, a5);
}

TaskHandle Kernel::spawn(std::function<int()> body, const SpawnOptions& opts) {
  if (!body) throw Error("libuml: spawn: empty task body");
  if (m_k->forked_copy()) throw Error("libuml: spawn: the instance belongs to the parent of this forked process; boot a new one");
  kern::SpawnRequest req;
  req.body = std::move(body);
  req.name = opts.name;
  req.set_ids = opts.set_ids;
  req.uid = opts.uid;
  req.gid = opts.gid;
  req.stack_size = opts.stack_size;
  req.thread = opts.thread;
  req.creator = current_task(m_k.get());
  if (opts.thread && !req.creator)
    throw Error("libuml: spawn: a thread can only be spawned from a task of this instance");
  if (m_k->panicked()) throw Error("libuml: spawn: the instance has panicked");
  auto r = m_k->procs().spawn(std::move(req));
  if (!r) throw Error(std::string("libuml: spawn failed: ") + kern::errno_name(r.error()));
  return TaskHandle(r.value().leak());
}

Attachment Kernel::attach(const AttachOptions& opts) {
  if (m_k->forked_copy()) throw Error("libuml: attach: the instance belongs to the parent of this forked process; boot a new one");
  if (current_task(nullptr)) throw Error("libuml: attach: this thread is already a task");
  kern::SpawnRequest req;
  req.name = opts.name.empty() ? "attached" : opts.name;
  req.set_ids = opts.set_ids;
  req.uid = opts.uid;
  req.gid = opts.gid;
  req.attached = true;
  kern::RefPtr<Task> creator;  // thread_of: one of the process's live threads
  if (opts.thread_of > 0) {
    if (auto snap = m_k->procs().snapshot(opts.thread_of); snap && snap->pid == opts.thread_of)
      for (kern::pid_t_ tid : snap->tids)
        if ((creator = m_k->procs().task_ref(tid))) break;
    if (!creator) throw Error("libuml: attach: no live process " + std::to_string(opts.thread_of) + " to join");
    req.creator = creator.get();
    req.thread = true;
    if (opts.name.empty()) req.name.clear();  // a thread keeps its process's comm
  }
  auto r = m_k->procs().spawn(std::move(req));
  if (!r) throw Error(std::string("libuml: attach failed: ") + kern::errno_name(r.error()));
  Attachment a;
  a.m_task = r.value().leak();
  a.m_kernel = m_k;
  a.m_fault_stack = kern::Scheduler::prepare_host_thread();
  a.m_previous = kern::Scheduler::current();
  kern::Scheduler::set_current_thread_entity(a.m_task);
  return a;
}

std::vector<LogRecord> Kernel::log() const {
  std::vector<LogRecord> out;
  for (auto& e : m_k->log().records()) out.push_back({e.seq, e.time_ns, e.level, std::move(e.text)});
  return out;
}

std::string Kernel::dmesg() const { return m_k->log().dmesg(); }
bool Kernel::panicked() const { return m_k->panicked(); }
std::string Kernel::panic_reason() const { return m_k->panic_reason(); }
void Kernel::panic(std::string_view reason) { m_k->panic(std::string(reason).c_str()); }
const Config& Kernel::config() const { return m_k->config(); }

int64_t Kernel::monotonic_ns() const { return m_k->sched().time().monotonic_ns(); }

int Kernel::advance_clock(int64_t ns) {
  kern::TimeSource& time = m_k->sched().time();
  if (!time.fake() || ns < 0) return -static_cast<int>(kern::Errno::INVAL);
  time.advance(ns);
  return 0;
}

int Kernel::add_disk(const DiskSpec& spec) {
  auto r = act_as_current([&](kern::Actor& e) { return m_k->add_disk(e, spec); });
  return r ? 0 : -kern::to_int(r.error());
}

int Kernel::remove_disk(std::string_view name) {
  auto index = kern::DiskTable::parse_name(name);
  if (!index) return -kern::to_int(kern::Errno::NXIO);
  auto r = act_as_current([&](kern::Actor& e) { return m_k->disks().remove(e, index.value()); });
  return r ? 0 : -kern::to_int(r.error());
}

namespace {
std::shared_ptr<kern::Bdev> find_disk(kern::Kernel& k, std::string_view name) {
  auto index = kern::DiskTable::parse_name(name);
  return index ? k.disks().get(index.value()) : nullptr;
}
constexpr int kNoDisk = -static_cast<int>(kern::Errno::NXIO);
}  // namespace

int Kernel::disk_fault(std::string_view disk, const DiskFault& fault) {
  auto b = find_disk(*m_k, disk);
  if (!b) return kNoDisk;
  if (fault.nth == 0 || fault.sectors == 0 || fault.delay_us < 0) return -static_cast<int>(kern::Errno::INVAL);
  b->dev().faults().add_rule(kern::Kernel::fault_rule(fault));
  return 0;
}

int Kernel::disk_clear_faults(std::string_view disk) {
  auto b = find_disk(*m_k, disk);
  if (!b) return kNoDisk;
  b->dev().faults().clear_rules();
  return 0;
}

int Kernel::disk_volatile_cache(std::string_view disk, bool on) {
  auto b = find_disk(*m_k, disk);
  if (!b) return kNoDisk;
  return b->dev().faults().set_volatile_cache(on) ? 0 : -static_cast<int>(kern::Errno::BUSY);
}

long Kernel::disk_power_cut(std::string_view disk, double keep, uint64_t seed) {
  auto b = find_disk(*m_k, disk);
  if (!b) return kNoDisk;
  auto r = act_as_current([&](kern::Actor& e) { return b->dev().faults().power_cut(e, keep, seed); });
  return static_cast<long>(r.dropped);
}

KernelStats Kernel::stats() const {
  return {m_k->sched().vcpu_count(), m_k->procs().task_count(), m_k->procs().process_count(),
          m_k->sched().context_switches()};
}

// ---- TaskHandle --------------------------------------------------------------------------

TaskHandle::TaskHandle(kern::Task* t) : m_task(t) {}
TaskHandle::TaskHandle(const TaskHandle& o) : m_task(o.m_task) {
  if (m_task) m_task->ref();
}
TaskHandle& TaskHandle::operator=(const TaskHandle& o) {
  if (o.m_task) o.m_task->ref();
  if (m_task) m_task->unref();
  m_task = o.m_task;
  return *this;
}
TaskHandle::TaskHandle(TaskHandle&& o) noexcept : m_task(std::exchange(o.m_task, nullptr)) {}
TaskHandle& TaskHandle::operator=(TaskHandle&& o) noexcept {
  if (this != &o) {
    if (m_task) m_task->unref();
    m_task = std::exchange(o.m_task, nullptr);
  }
  return *this;
}
TaskHandle::~TaskHandle() {
  if (m_task) m_task->unref();
}

int TaskHandle::tid() const { return m_task ? m_task->tid() : -1; }
int TaskHandle::pid() const { return m_task ? m_task->pid() : -1; }

bool TaskHandle::exited() const {
  if (!m_task) return true;
  if (m_task->tid() == m_task->pid()) return m_task->group().exited().done();
  return m_task->done().done();
}

int TaskHandle::wait() const {
  if (!m_task) throw Error("libuml: wait on an empty TaskHandle");
  const bool process = m_task->tid() == m_task->pid();
  act_as_current([&](kern::Actor& self) {
    kern::Completion& c = process ? m_task->group().exited() : m_task->done();
    while (!c.wait(self).has_value()) {
    }
    return 0;
  });
  return process ? m_task->group().exit_status() : m_task->exit_status();
}

// ---- Attachment --------------------------------------------------------------------------

Attachment::Attachment(Attachment&& o) noexcept
    : m_task(std::exchange(o.m_task, nullptr)), m_previous(o.m_previous),
      m_kernel(std::move(o.m_kernel)), m_fault_stack(o.m_fault_stack) {}

Attachment& Attachment::operator=(Attachment&& o) noexcept {
  if (this != &o) {
    detach();
    m_task = std::exchange(o.m_task, nullptr);
    m_previous = o.m_previous;
    m_kernel = std::move(o.m_kernel);
    m_fault_stack = o.m_fault_stack;
  }
  return *this;
}

Attachment::~Attachment() { detach(); }

int Attachment::tid() const { return m_task ? m_task->tid() : -1; }
int Attachment::pid() const { return m_task ? m_task->pid() : -1; }

void Attachment::detach() {
  if (!m_task) return;
  if (m_kernel->forked_copy()) {  // the parent's task: nothing of it to end here
    m_task = nullptr;
    new std::shared_ptr<kern::Kernel>(std::move(m_kernel));
    return;
  }
  m_kernel->procs().exit_task(*m_task, abi::wstatus_exited(0));
  kern::Scheduler::set_current_thread_entity(static_cast<kern::SchedEntity*>(m_previous));
  kern::Scheduler::release_host_thread(m_fault_stack);
  m_fault_stack = false;
  m_task->unref();
  m_task = nullptr;
  m_kernel.reset();
}

}  // namespace uml
