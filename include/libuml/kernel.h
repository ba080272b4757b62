#pragma once
// uml::Kernel: one in-process Linux-compatible kernel instance.
//
//   auto k = uml::Kernel::boot("vcpus=2 hostname=g1");
//   auto h = k->spawn([] { return uml::sys::getpid() == 2 ? 0 : 1; });
//   int status = h.wait();          // a wait4 status: WIFEXITED(status) ...
//   {
//     auto me = k->attach();        // this thread becomes a guest task
//     long pid = k->syscall(SYS_getpid);
//   }
//
// Many instances can live in one process; they share nothing. Errors at this boundary are
// exceptions (uml::Error); syscalls return -errno like the raw Linux syscall.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <libuml/config.h>
#include <libuml/export.h>

namespace uml {

namespace kern {
class Kernel;
class Task;
}  // namespace kern

class UML_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SpawnOptions {
  std::string name;        // comm (15 bytes kept); default: the creator's, or "task"
  bool set_ids = false;    // run as uid/gid below (uid 0 has every capability)
  uint32_t uid = 0;
  uint32_t gid = 0;
  size_t stack_size = 0;   // 0: the instance's stack_size
  bool thread = false;     // a new thread of the calling task's process (like CLONE_THREAD)
};

struct AttachOptions {
  std::string name;        // comm of the new task; default "attached"
  bool set_ids = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  // A pid of the instance: the calling thread becomes a new thread of that process (as
  // clone(CLONE_THREAD) makes one: its descriptors, working directory, signal actions and
  // private futexes are the process's), with the credentials of one of its threads unless
  // set_ids. 0: a new process, child of init.
  int thread_of = 0;
};

// A spawned task. Copyable; keeps the task's record alive, not the task.
class UML_API TaskHandle {
 public:
  TaskHandle() = default;
  TaskHandle(const TaskHandle& o);
  TaskHandle& operator=(const TaskHandle& o);
  TaskHandle(TaskHandle&& o) noexcept;
  TaskHandle& operator=(TaskHandle&& o) noexcept;
  ~TaskHandle();

  bool valid() const { return m_task != nullptr; }
  int tid() const;
  int pid() const;
  // Waits until the task's process has ended (a thread handle: the thread) and returns its
  // wait status (WIFEXITED/WEXITSTATUS/WIFSIGNALED apply). Works from any thread.
  int wait() const;
  bool exited() const;

 private:
  friend class Kernel;
  explicit TaskHandle(kern::Task* t);  // adopts one reference
  kern::Task* m_task = nullptr;
};

// The calling application thread, attached to an instance as a guest task (RAII). While it
// lives, Kernel::syscall and uml::sys::* on this thread act as that task, on this thread's
// own stack. Destroying it ends the task (exit status 0). Move-only.
class UML_API Attachment {
 public:
  Attachment() = default;
  Attachment(Attachment&& o) noexcept;
  Attachment& operator=(Attachment&& o) noexcept;
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;
  ~Attachment();

  int tid() const;
  int pid() const;
  // Ends the task now (as if destroyed).
  void detach();

 private:
  friend class Kernel;
  kern::Task* m_task = nullptr;
  void* m_previous = nullptr;  // the entity this thread carried before
  std::shared_ptr<kern::Kernel> m_kernel;
  bool m_fault_stack = false;  // this attachment gave the thread its signal stack
};

struct LogRecord {
  uint64_t seq;
  int64_t time_ns;  // since boot
  int level;        // 0 (emerg) .. 7 (debug)
  std::string text;
};

struct KernelStats {
  unsigned vcpus;
  size_t tasks;
  size_t processes;
  uint64_t context_switches;
};

class UML_API Kernel {
 public:
  // Boots an instance. Throws uml::Error with the reason on failure.
  static std::unique_ptr<Kernel> boot(const Config& cfg = {});
  static std::unique_ptr<Kernel> boot(std::string_view cmdline);
  ~Kernel();  // shutdown()
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Kills every task (SIGKILL semantics), waits for them, joins the vCPUs. Idempotent. A
  // task that spins without ever making a syscall cannot be killed (scheduling is
  // cooperative) and makes this wait; see docs/differences.md.
  void shutdown();

  // A syscall as the calling thread's task in this instance (an attached thread, or guest
  // code running on one of its fibers). Linux x86-64 numbers; returns the raw result or
  // -errno. -ESRCH when the caller is not a task of this instance; -EIO after a panic.
  long syscall(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
               long a5 = 0);

  // Starts a guest task running body on a fiber. Called from a task of this instance, the
  // new process is that task's child (or, with opts.thread, its thread); otherwise a child
  // of init (pid 1). body's return value is the exit code. Throws uml::Error on failure.
  TaskHandle spawn(std::function<int()> body, const SpawnOptions& opts = {});

  // Makes the calling thread a guest task: a new process, child of init, or a new thread of
  // the process opts.thread_of (uml::Error when there is no such live process). After a fork()
  // of the host process the child's thread is no task, and an instance the parent booted
  // refuses attach and spawn (it does not run there); destroying it returns at once
  // (docs/differences.md).
  Attachment attach(const AttachOptions& opts = {});

  std::vector<LogRecord> log() const;
  std::string dmesg() const;

  bool panicked() const;
  std::string panic_reason() const;
  // Panics the instance on purpose (like sysrq-c): its tasks die, its syscalls fail.
  void panic(std::string_view reason);

  const Config& config() const;
  KernelStats stats() const;

  // The instance's CLOCK_MONOTONIC, in ns. With clock=fake it moves only by advance_clock:
  // 0, and the timers, sleeps and timeouts now due end; -EINVAL with the host's clock or
  // for ns < 0.
  int64_t monotonic_ns() const;
  int advance_clock(int64_t ns);

  // Disks at run time (UML's mconsole "config ubdN=FILE" and "remove ubdN"). add_disk:
  // 0, or -errno: -EEXIST (the index is taken), -EINVAL (a bad index, or a file smaller than
  // a sector), or the host's error opening the file (-ENOENT, -EACCES...). remove_disk
  // ("ubda", "ubd0" or "/dev/ubda"): 0, -ENXIO (no such disk) or -EBUSY (open); a removed
  // disk's cached writes reach its file first.
  int add_disk(const DiskSpec& spec);
  int remove_disk(std::string_view name);

  // Fault injection (docs/block.md). disk: "ubda", "ubd0" or "/dev/ubda"; -ENXIO when there
  // is no such disk. disk_volatile_cache: -EBUSY while the cache holds unflushed writes.
  // disk_power_cut: every write the disk's volatile cache holds is lost (a random fraction
  // keep of them, chosen by seed, is written anyway); the disk fails every request with EIO
  // afterwards. Returns the number of writes lost, or -errno.
  int disk_fault(std::string_view disk, const DiskFault& fault);
  int disk_clear_faults(std::string_view disk);
  int disk_volatile_cache(std::string_view disk, bool on);
  long disk_power_cut(std::string_view disk, double keep = 0, uint64_t seed = 1);

 private:
  explicit Kernel(std::shared_ptr<kern::Kernel> k);
  std::shared_ptr<kern::Kernel> m_k;
};

// A syscall as the calling thread's task, in whichever instance it belongs to (for guest
// code, which need not know its kernel). -ESRCH when the thread is no task at all.
UML_API long syscall(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
                     long a5 = 0);

}  // namespace uml
