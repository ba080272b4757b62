#include "core/kernel/kernel.h"

#include <cstring>

#include "core/abi/process.h"
#include "core/task/task.h"
#include "core/syscalls/dispatch.h"

namespace uml::kern {

namespace {
SchedulerConfig sched_config(const KernelConfig& c) {
  SchedulerConfig s;
  s.vcpus = c.vcpus;
  s.default_stack_size = c.stack_size;
  s.quantum_ns = c.quantum_ns;
  s.fake_clock = c.fake_clock;
  s.reactor = c.reactor == "poll" ? host::ReactorKind::Poll
              : c.reactor == "uring" ? host::ReactorKind::Uring
                                     : host::ReactorKind::Auto;
  return s;
}
}  // namespace

Kernel::Kernel(const KernelConfig& cfg)
    : m_cfg(cfg), m_sched(sched_config(cfg)), m_page_cache(m_sched, cfg.mem_bytes), m_realtime(m_sched.time()), m_vfs(m_realtime),
      m_disks(m_vfs, m_page_cache, m_log), m_procs(*this),
      m_init_uts(std::make_shared<UtsNamespace>(cfg.hostname, cfg.domainname, UtsNamespace::kInitInum)) {
  // Linux numbers its initial network namespace first, then the initial mount namespace.
  m_net_inum = alloc_ns_inum();
  m_init_mnt_inum = alloc_ns_inum();
}

uint64_t Kernel::single_ns_inum(uint32_t type) const {
  switch (type) {
    case NS_IPC: return 0xEFFFFFFFu;     // PROC_IPC_INIT_INO
    case NS_USER: return 0xEFFFFFFDu;    // PROC_USER_INIT_INO
    case NS_PID: return 0xEFFFFFFCu;     // PROC_PID_INIT_INO
    case NS_CGROUP: return 0xEFFFFFFBu;  // PROC_CGROUP_INIT_INO
    case NS_TIME: return 0xEFFFFFFAu;    // PROC_TIME_INIT_INO
    case NS_NET: return m_net_inum;
  }
  return 0;
}

std::shared_ptr<Kernel> Kernel::boot(const KernelConfig& cfg, std::unique_ptr<const Composition> comp,
                                     std::string* error) {
  std::shared_ptr<Kernel> k(new Kernel(cfg));
  k->m_comp = std::move(comp);
  if (!k->start(error)) return nullptr;
  return k;
}

bool Kernel::start(std::string* error) {
  m_boot_mono = m_sched.time().monotonic_ns();
  m_log.set_boot_time(m_boot_mono);
  if (m_cfg.console) {
    m_console = m_comp->make_console(*this);
    if (m_console) m_log.set_console(m_console.get(), m_cfg.loglevel);
  }
  if (m_cfg.seed) {
    uint64_t s = *m_cfg.seed;
    m_rng_key = {static_cast<uint32_t>(s), static_cast<uint32_t>(s >> 32), 0x756d6c31, 0, 0, 0, 0, 0};
  } else {
    host::random_bytes(m_rng_key.data(), sizeof(m_rng_key));
  }
  m_log.log(KERN_NOTICE, "Linux version 6.1.0-libuml (libuml) #1 SMP");
  m_log.log(KERN_INFO, "Kernel command line: %s", m_cfg.to_cmdline().c_str());
  m_comp->register_filesystems(*this);
  m_disks.set_devtmpfs(m_devtmpfs.get());
  for (const DiskSpec& d : m_cfg.disks) {
    KernelActor w;
    std::string why;
    auto r = d.path.empty() ? Result<void>(Errno::NOENT) : add_disk(w, d, &why);
    if (!r) {
      *error = "cannot add disk " + DiskTable::disk_name(d.index) + ": " +
               (d.path.empty() ? std::string("options without ubdX=FILE") : why);
      m_log.log(KERN_ERR, "%s", error->c_str());
      m_state.store(State::Halted, std::memory_order_release);
      return false;
    }
  }
  if (std::string why; !m_comp->mount_root(*this, &why)) {
    *error = why;
    m_log.log(KERN_EMERG, "VFS: Unable to mount root fs: %s", why.c_str());
    m_state.store(State::Halted, std::memory_order_release);
    return false;
  }
  m_procs.create_init();
  m_sched.set_bug_handler([](void* k, const char* msg) { static_cast<Kernel*>(k)->bug_report(msg, 0); }, this);
  if (int err = m_sched.start(); err != 0) {
    *error = std::string("cannot start the vCPUs: ") + strerror(-err);
    m_log.log(KERN_ERR, "%s", error->c_str());
    m_state.store(State::Halted, std::memory_order_release);
    return false;
  }
  m_log.log(KERN_INFO, "smp: brought up %u vCPU%s", m_sched.vcpu_count(),
            m_sched.vcpu_count() == 1 ? "" : "s");
  if (const int e = m_sched.reactor_fallback_error())
    m_log.log(KERN_WARNING, "io_uring: the host refuses a ring (%s): host I/O goes through the poll reactor",
              strerror(-e));
  else if (m_sched.reactor_kind() == host::ReactorKind::Poll)
    m_log.log(KERN_INFO, "reactor=poll: host I/O goes through the poll reactor");
  m_state.store(State::Running, std::memory_order_release);
  return true;
}

Result<void> Kernel::add_disk(Actor& self, const DiskSpec& spec, std::string* why) {
  if (spec.index >= DiskTable::kMaxDisks) return Errno::INVAL;
  // A taken index is EEXIST before the file is opened: opening would take the file's lock,
  // and a disk already holding it would make that EBUSY.
  if (m_disks.get(spec.index)) return Errno::EXIST;
  std::string error;
  auto fail = [&](int r) -> Result<void> {
    if (error.empty() && r == -to_int(Errno::BUSY))
      error = spec.path + ": the image is in use (another program or instance has it open" +
              (spec.read_only ? " for writing" : "") + "; ubdX.lock=off overrides its lock)";
    if (error.empty()) error = spec.path + ": " + strerror(-r);
    m_log.log(KERN_ERR, "%s: %s", DiskTable::disk_name(spec.index).c_str(), error.c_str());
    if (why) *why = error;
    return static_cast<Errno>(-r);
  };
  std::unique_ptr<BlockDriver> driver;
  BlockDevice::Params p;
  std::string what;
  if (int r = m_comp->open_disk(*this, spec, &driver, &p, &what, &error); r < 0) return fail(r);
  p.read_only = spec.read_only;
  p.log = &m_log;
  TRY(m_disks.add(self, spec.index, std::move(driver), std::move(p), what));
  auto bdev = m_disks.get(spec.index);
  if (spec.volatile_cache) bdev->dev().faults().set_volatile_cache(true);
  for (const DiskFault& f : spec.faults) bdev->dev().faults().add_rule(fault_rule(f));
  return {};
}

FaultRule Kernel::fault_rule(const DiskFault& f) {
  FaultRule r;
  r.op = f.op == DiskFault::Op::Read ? FaultRule::Op::Read
         : f.op == DiskFault::Op::Write ? FaultRule::Op::Write : FaultRule::Op::Any;
  r.action = f.action == DiskFault::Action::Error ? FaultRule::Action::Error
             : f.action == DiskFault::Action::Torn  ? FaultRule::Action::Torn
             : f.action == DiskFault::Action::Short ? FaultRule::Action::Short
                                                    : FaultRule::Action::Delay;
  r.nth = f.nth;
  r.times = f.times;
  r.first_sector = f.first_sector;
  r.sectors = f.sectors;
  r.delay_ns = f.delay_us * 1000;
  return r;
}

Kernel::~Kernel() {
  shutdown();
}

bool Kernel::shutdown() {
  if (Scheduler::current() && Scheduler::current()->is_fiber()) {
    auto* t = static_cast<Task*>(Scheduler::current());
    if (&t->kernel() == this) return false;  // would wait for itself
  }
  SpinGuard once(m_shutdown_lock);
  State s = m_state.load(std::memory_order_acquire);
  if (s == State::Halted || s == State::ShuttingDown) return true;
  m_state.store(State::ShuttingDown, std::memory_order_release);
  finish_bug_report();  // a broken invariant's report is logged even if no vCPU got to it
  m_log.log(KERN_INFO, "shutdown: killing all tasks");
  m_procs.kill_all();
  const int64_t start = host::monotonic_ns();
  bool warned = false;
  for (;;) {
    uint32_t live = m_procs.m_live_fibers.load(std::memory_order_acquire);
    if (live == 0) break;
    host::futex_wait(&m_procs.m_live_fibers, live, host::monotonic_ns() + 100'000'000);
    if (!warned && host::monotonic_ns() - start > 2'000'000'000) {
      warned = true;
      m_log.log(KERN_WARNING,
                "shutdown: still waiting for %u task(s) that do not reach a scheduling point",
                m_procs.m_live_fibers.load());
    }
  }
  {
    HostWaiter w;
    m_vfs.shutdown_filesystems(w);  // disk filesystems written back and marked clean
  }
  m_disks.shutdown_blocking();  // dirty pages written, every request finished, files closed
  m_sched.stop();
  m_log.log(KERN_INFO, "shutdown: halted");
  m_state.store(State::Halted, std::memory_order_release);
  return true;
}

long Kernel::syscall(Task& t, long nr, const SyscallArgs& args) {
  return dispatch_syscall(t, nr, args);
}

void Kernel::panic(const char* reason) {
  {
    SpinGuard g(m_panic_lock);
    if (m_panicked.load(std::memory_order_relaxed)) return;
    m_panic_reason = reason;
    m_panicked.store(true, std::memory_order_release);
  }
  m_log.log(KERN_EMERG, "Kernel panic - not syncing: %s", reason);
  m_procs.kill_all();
}

void Kernel::bug(Task& t, const char* file, int line, const char* what) {
  const char* base = strrchr(file, '/');
  char buf[512];
  snprintf(buf, sizeof(buf), "kernel BUG at %s:%d: %s (task %d)", base ? base + 1 : file, line,
           what, t.tid());
  panic(buf);
  t.request_exit(abi::wstatus_signaled(abi::SIGKILL_, false));
  throw TaskUnwind{};
}

void Kernel::bug_report(const char* msg, int tid) noexcept {
  {
    SpinGuard g(m_panic_lock);
    if (m_panicked.load(std::memory_order_relaxed)) return;
    char buf[600];
    if (tid) snprintf(buf, sizeof buf, "%s (task %d)", msg, tid);
    else snprintf(buf, sizeof buf, "%s", msg);
    try {
      m_panic_reason = buf;
    } catch (...) {
    }
    m_panicked.store(true, std::memory_order_release);
  }
  m_bug_pending.store(true, std::memory_order_release);
  m_bug_work.fn = [](VcpuWork* w, host::Reactor&) { static_cast<Kernel*>(w->arg)->finish_bug_report(); };
  m_bug_work.arg = this;
  m_sched.post_work(&m_bug_work);
}

void Kernel::finish_bug_report() {
  if (!m_bug_pending.exchange(false, std::memory_order_acq_rel)) return;
  m_log.log(KERN_EMERG, "Kernel panic - not syncing: %s", panic_reason().c_str());
  m_procs.kill_all();
}

std::string Kernel::panic_reason() const {
  SpinGuard g(m_panic_lock);
  return m_panic_reason;
}


void Kernel::random_bytes(void* buf, size_t len) {
  // Reserve a counter range under the lock; generate outside it.
  const uint64_t blocks = (len + 63) / 64;
  uint64_t counter;
  ChaCha20::Key key;
  {
    SpinGuard g(m_rng_lock);
    counter = m_rng_counter;
    m_rng_counter += blocks;
    key = m_rng_key;
  }
  ChaCha20::keystream(key, counter, static_cast<uint8_t*>(buf), len);
}

void Kernel::note_enosys(long nr) {
  // Numbers past the table share the last slot, so a flood of them logs once too.
  const long slot = (nr < 0 || nr >= 511) ? 511 : nr;
  const uint64_t bit = uint64_t{1} << (slot % 64);
  if (m_enosys_seen[slot / 64].fetch_or(bit, std::memory_order_relaxed) & bit) return;
  m_log.log(KERN_WARNING, "syscall %ld (%s) not implemented: returning -ENOSYS", nr,
            syscall_name(nr));
}

}  // namespace uml::kern
