#pragma once
// Kernel: one libuml instance. Everything an instance has hangs off this object — scheduler
// and vCPUs, process table, log, names, random state — so a process can run many instances
// side by side with nothing shared between them.
//
// Lifecycle: boot() → Running → shutdown() (kill every task, wait for their fibers to end,
// join vCPUs) → Halted. A broken invariant panics the instance: it logs why, kills its tasks
// and refuses further syscalls (-EIO); the host process and other instances carry on.
//
// Lock order: ProcessTable lock > WaitQueue locks > scheduler locks; m_uts_lock and
// m_rng_lock are leaves.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/entropy.h"
#include "core/base/klog.h"
#include "core/base/spinlock.h"
#include "core/block/disk_table.h"
#include "core/ipc/futex.h"
#include "core/kernel/config.h"
#include "core/lib/chacha20.h"
#include "core/sched/scheduler.h"
#include "core/task/process_table.h"
#include "core/task/uts_namespace.h"
#include "core/time/clock.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

struct SyscallArgs {
  long a[6];
};

class Kernel;

// What an instance is made of: its console, its filesystems and device nodes, its disks'
// drivers and its root. The composition root above the drivers supplies it (core/compose);
// the kernel itself names no filesystem and no driver.
class Composition {
 public:
  virtual ~Composition() = default;
  // Where the kernel log is echoed (console=stderr), or null.
  virtual std::unique_ptr<ConsoleSink> make_console(Kernel& k) const = 0;
  // mount(2)'s filesystem types, and devtmpfs with its device nodes (Kernel::set_devtmpfs).
  virtual void register_filesystems(Kernel& k) const = 0;
  // A disk's driver for spec (its size and a description in *p and *what), or -errno with
  // the reason in *error.
  virtual int open_disk(Kernel& k, const DiskSpec& spec, std::unique_ptr<BlockDriver>* driver,
                        BlockDevice::Params* p, std::string* what, std::string* error) const = 0;
  // Mounts / (and what boot mounts on it); false with the reason in *why.
  virtual bool mount_root(Kernel& k, std::string* why) const = 0;
};

class Kernel final : public Entropy {
 public:
  enum class State { Booting, Running, ShuttingDown, Halted };
  // uname's release and version (and /proc/version's).
  static constexpr const char* kRelease = "6.1.0-libuml";
  static constexpr const char* kVersion = "#1 SMP libuml";

  // Boots an instance made of comp. nullptr with *error set on failure.
  static std::shared_ptr<Kernel> boot(const KernelConfig& cfg, std::unique_ptr<const Composition> comp,
                                      std::string* error);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Kills every task, waits for them, stops the vCPUs. Idempotent. Must not be called from
  // one of this instance's fibers (returns false then, doing nothing).
  bool shutdown();

  // The syscall entry for a task of this instance: Linux x86-64 numbering, -errno results.
  long syscall(Task& t, long nr, const SyscallArgs& args);

  // Panics the instance (any thread; also the API's sysrq-like trigger). Does not unwind.
  void panic(const char* reason);
  // A broken invariant found while running task t: panic, then unwind t. Never returns.
  [[noreturn]] void bug(Task& t, const char* file, int line, const char* what);
  // A broken invariant (VERIFY) on one of this instance's threads, maybe under any lock:
  // the instance is marked panicked at once (its syscalls fail with EIO), and a vCPU logs
  // the report and kills every task soon after, outside that lock. tid: the task that
  // ran, or 0. The first of a vCPU, the next syscall of any task and shutdown to come
  // along does the deferred half (finish_bug_report), exactly once.
  void bug_report(const char* msg, int tid) noexcept;
  void finish_bug_report();
  bool panicked() const { return m_panicked.load(std::memory_order_acquire); }
  // This is a forked child's copy of an instance its parent booted: nothing of it runs
  // here (docs/differences.md); it may not be used, shut down or destroyed.
  bool forked_copy() const { return host::process_id() != m_host_pid; }
  std::string panic_reason() const;

  State state() const { return m_state.load(std::memory_order_acquire); }
  const KernelConfig& config() const { return m_cfg; }
  Klog& log() { return m_log; }
  Scheduler& sched() { return m_sched; }
  ProcessTable& procs() { return m_procs; }
  Vfs& vfs() { return m_vfs; }
  PageCache& page_cache() { return m_page_cache; }
  DiskTable& disks() { return m_disks; }
  // A disk over a host file (boot's ubdX= options, the API's hot-add). Errors: the host's
  // (NOENT, ACCES, ISDIR...), INVAL (no disk: smaller than a sector), EXIST (index taken).
  // why: a one-line reason on failure (also logged).
  Result<void> add_disk(Actor& self, const DiskSpec& spec, std::string* why = nullptr);
  static FaultRule fault_rule(const DiskFault& f);
  FutexTable& futexes() { return m_futexes; }
  // The lock every epoll of the instance links files under (Epoll).
  SpinLock& epoll_links_lock() { return m_epoll_links; }

  // Names (uname) of the initial UTS namespace: hostname and NIS domain name, each <= 64
  // bytes. A task's own are its namespace's (Task::uts()).
  std::string hostname() const { return m_init_uts->hostname(); }
  std::string domainname() const { return m_init_uts->domainname(); }
  const std::shared_ptr<UtsNamespace>& init_uts() const { return m_init_uts; }
  // A new namespace's inode number (proc_alloc_inum).
  uint64_t alloc_ns_inum() { return m_next_ns_inum.fetch_add(1, std::memory_order_relaxed); }
  // The namespaces of which an instance has exactly one (no unshare or clone makes
  // another): cgroup, IPC, network, PID, time and user. Their /proc/[pid]/ns numbers.
  uint64_t single_ns_inum(uint32_t type) const;

  // Instance clocks (ns). Monotonic and boot time follow the host's CLOCK_MONOTONIC and
  // CLOCK_BOOTTIME; uptime counts from this instance's boot.
  int64_t boot_time_ns() const { return m_boot_mono; }
  RealtimeClock& realtime() { return m_realtime; }
  // settimeofday's time zone (gettimeofday reports it back).
  abi::timezone timezone() const {
    const uint64_t v = m_tz.load(std::memory_order_relaxed);
    return {static_cast<int32_t>(v >> 32), static_cast<int32_t>(v & 0xffffffff)};
  }
  void set_timezone(abi::timezone tz) {
    m_tz.store((uint64_t{static_cast<uint32_t>(tz.tz_minuteswest)} << 32) | static_cast<uint32_t>(tz.tz_dsttime),
               std::memory_order_relaxed);
  }
  const RealtimeClock& realtime() const { return m_realtime; }
  int64_t uptime_ns() const { return m_sched.time().monotonic_ns() - m_boot_mono; }

  // Random bytes from the instance's ChaCha20 generator (seed= makes it reproducible).
  void random_bytes(void* buf, size_t len) override;

  // Logs "syscall N not implemented" once per number per instance.
  void note_enosys(long nr);

  // For the composition (core/compose): devtmpfs's one superblock, the initial mount
  // namespace's number, and the console the log is echoed to (null: none).
  const RefPtr<SuperBlock>& devtmpfs() const { return m_devtmpfs; }
  void set_devtmpfs(RefPtr<SuperBlock> sb) { m_devtmpfs = std::move(sb); }
  uint64_t init_mnt_inum() const { return m_init_mnt_inum; }
  ConsoleSink* console() const { return m_console.get(); }

 private:
  explicit Kernel(const KernelConfig& cfg);
  bool start(std::string* error);

  KernelConfig m_cfg;
  Klog m_log;
  std::unique_ptr<const Composition> m_comp;
  std::unique_ptr<ConsoleSink> m_console;
  Scheduler m_sched;
  PageCache m_page_cache;    // outlives the disks, whose caches are in it
  RealtimeClock m_realtime;  // before what listens to it (timers in files and processes)
  Vfs m_vfs;  // outlives the process table, whose processes hold paths into it
  RefPtr<SuperBlock> m_devtmpfs;  // the one devtmpfs superblock
  DiskTable m_disks;              // before the VFS goes (it unregisters its devices)
  FutexTable m_futexes;
  SpinLock m_epoll_links;
  ProcessTable m_procs;
  std::atomic<State> m_state{State::Booting};
  std::atomic<bool> m_panicked{false};
  mutable SpinLock m_panic_lock;
  std::string m_panic_reason;
  VcpuWork m_bug_work;                 // bug_report's deferred half, posted to a vCPU
  std::atomic<bool> m_bug_pending{false};  // ... and not yet done
  SpinLock m_shutdown_lock;
  std::shared_ptr<UtsNamespace> m_init_uts;
  std::atomic<uint64_t> m_next_ns_inum{0xF0000000u};
  uint64_t m_net_inum = 0, m_init_mnt_inum = 0;
  int64_t m_boot_mono = 0;
  int m_host_pid = host::process_id();
  std::atomic<uint64_t> m_tz{0};
  SpinLock m_rng_lock;
  ChaCha20::Key m_rng_key{};
  uint64_t m_rng_counter = 0;
  std::atomic<uint64_t> m_enosys_seen[8] = {};
};

// Checks a kernel invariant while running `task`; a failure panics this instance only.
#define KERNEL_VERIFY(task, cond)                                    \
  do {                                                               \
    if (__builtin_expect(!(cond), 0))                                \
      (task).kernel().bug((task), __FILE__, __LINE__, #cond);        \
  } while (0)

}  // namespace uml::kern
