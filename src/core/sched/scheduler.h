#pragma once
// The scheduler: vCPU host threads running guest tasks as fibers, and the one park/unpark
// mechanism every blocking primitive is built on.
//
// Lock order (outermost first):
//   WaitQueue::m_lock  >  Vcpu::m_timer_lock  >  Scheduler::m_pool_lock
// (timer callbacks run with no lock held)
// Run queues take no lock: a vCPU's local queue is touched only by its own thread; other
// threads hand it work through its lock-free inbox.
//
// Design (docs/design.md, "Execution model"):
// - A SchedEntity is what can wait: a fiber (carried by a vCPU) or an application thread
//   attached to the kernel (carried by itself; it waits on a host futex).
// - park/unpark follow a permit protocol (state Running/Parked/Notified): an unpark that
//   comes before the park is remembered, so no wake-up is ever lost, and a park is committed
//   only after the fiber's context is saved (a post-switch action run by the next context),
//   so nobody can resume a half-saved fiber. Spurious wake-ups are possible: waiters loop.
// - A woken fiber goes to the waker's vCPU when the waker is one (no cross-thread wake-up,
//   the ~25 µs the host charges for waking an idle thread); otherwise to its last vCPU's
//   inbox, and that vCPU is kicked only if it is asleep.
// - Load balance by work requesting rather than stealing: an idle vCPU posts a request on a
//   busy one, which hands over half of its queue at its next scheduling point. The owner's
//   queue operations then need no atomics, which keeps a yield near the cost of the raw
//   context switch. A vCPU whose task never reaches a scheduling point serves no request;
//   that task holds its vCPU anyway (cooperative scheduling).
// - Idle vCPUs spin briefly (kIdleSpinNs) before sleeping in io_uring. A sleeping vCPU
//   cannot ask for work, so a vCPU with surplus hands half of its queue to a sleeping peer
//   at its next maintenance and kicks it (the one case worth a cross-thread wake-up).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/intrusive_list.h"
#include "core/base/ring_queue.h"
#include "core/base/spinlock.h"
#include "core/sched/context.h"
#include "core/sched/time_source.h"
#include "core/sched/timer_heap.h"
#include "host/fault.h"
#include "host/host.h"
#include "host/reactor.h"
#include "host/sched_clock.h"

namespace uml::kern {

class Scheduler;
class Vcpu;

class SchedEntity {
 public:
  // Parked (blocked) right now: what /proc shows as sleeping. A racy snapshot.
  bool parked() const { return m_park.load(std::memory_order_acquire) != kRunning; }

  enum class Carrier : uint8_t { Fiber, HostThread };
  enum : uint32_t { kRunning = 0, kParked = 1, kNotified = 2 };

  explicit SchedEntity(Carrier c) : m_carrier(c) {}
  virtual ~SchedEntity() = default;
  SchedEntity(const SchedEntity&) = delete;
  SchedEntity& operator=(const SchedEntity&) = delete;

  Carrier carrier() const { return m_carrier; }
  // Its instance's monotonic clock (the host's for an entity of no instance), on which
  // its park deadlines are.
  int64_t monotonic_ns() const { return m_time ? m_time->monotonic_ns() : host::monotonic_ns(); }
  bool is_fiber() const { return m_carrier == Carrier::Fiber; }
  Vcpu* vcpu() const { return m_vcpu; }

  // CPU time charged to this fiber (ns): sampled at its parks, exits and syscall ticks, as
  // Linux's tick accounting samples; a yield does not read the clock.
  int64_t runtime_ns() const { return host::sched_clock::to_ns(m_runtime.load(std::memory_order_relaxed)); }

  // The vCPUs it may run on (bit i: vCPU i; sched_setaffinity). Wake-ups, work requests
  // and offers never put it elsewhere.
  uint64_t affinity() const { return m_affinity.load(std::memory_order_relaxed); }
  bool allowed_on(unsigned vcpu) const { return vcpu >= 64 || ((affinity() >> vcpu) & 1); }

  // Set when a wait should end early (a kill, or a signal to handle). Interruptible
  // waits return RESTARTSYS when it is set (the syscall exit turns it into EINTR or a restart).
  std::atomic<bool> m_interrupt{false};

 protected:
  // The fiber's body, on its own stack. Must not throw.
  virtual void fiber_main() = 0;
  // After the fiber switched away for the last time and its stack was released: drop the
  // scheduler's hold on the object. Runs on the vCPU, on the next context's stack.
  virtual void fiber_released() = 0;
  // The fiber overflowed its stack (it hit the guard page) and will never run again: end
  // whatever it stood for. Runs on the vCPU's signal stack; must not park.
  virtual void fiber_crashed() {}
  // A kernel invariant broke while this entity ran (VERIFY): panic its instance. The
  // default tells the scheduler it runs on, if any. Any lock may be held: must not park
  // or take locks other than leaf ones.
  virtual void on_bug(const char* msg) noexcept;

 private:
  friend class Scheduler;
  friend class Vcpu;

  std::atomic<uint32_t> m_park{kRunning};  // also the futex word of an attached thread
  Carrier m_carrier;
  Vcpu* m_vcpu = nullptr;
  ctx::fcontext_t m_ctx = nullptr;
  host::Stack m_stack;
  ctx::SanitizerState m_san;
  SchedEntity* m_inbox_next = nullptr;
  std::atomic<uint64_t> m_runtime{0};  // sched_clock ticks
  std::atomic<uint64_t> m_affinity{~uint64_t{0}};

 protected:
  const TimeSource* m_time = nullptr;  // set by an instance's task
};

// A stand-in entity for a host thread that is no task but must wait in the kernel (an
// application thread joining a task, a disk hot-plug from the API): it parks on a host
// futex as an attached thread does.
class HostWaiter final : public SchedEntity {
 public:
  HostWaiter() : SchedEntity(Carrier::HostThread) {}

 private:
  void fiber_main() override {}
  void fiber_released() override {}
};

// What the next context must do once the switch is complete. It travels as the transfer's
// data pointer: the leaving entity (nullptr: the vCPU's scheduler context) with the kind
// in its low bits (SchedEntity is 8-byte aligned), so a switch stores nothing extra.
struct SwitchAction {
  enum Kind : uintptr_t { None = 0, CommitPark = 1, Exit = 2, Migrate = 3 };
  static void* encode(SchedEntity* from, Kind k) {
    return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(from) | k);
  }
  static SchedEntity* from(void* data) {
    return reinterpret_cast<SchedEntity*>(reinterpret_cast<uintptr_t>(data) & ~uintptr_t{7});
  }
  static Kind kind(void* data) { return static_cast<Kind>(reinterpret_cast<uintptr_t>(data) & 7); }
};
static_assert(alignof(SchedEntity) >= 8);

// Work a vCPU runs in its own loop, for what only that host thread may do (its io_uring
// ring is single-issuer: registering files with it, for one).
struct VcpuWork {
  void (*fn)(VcpuWork* w, host::Reactor& ring) = nullptr;
  void* arg = nullptr;
  VcpuWork* next = nullptr;
};

class Vcpu {
 public:
  Vcpu(Scheduler& s, unsigned index) : m_sched(s), m_index(index) {}
  unsigned index() const { return m_index; }
  Scheduler& scheduler() const { return m_sched; }
  host::Reactor& reactor() { return *m_reactor; }

  // Timers of this vCPU; callable from any thread. A timer's callback runs on the vCPU
  // without its timer lock held (it may take other locks and re-arm the timer).
  void add_timer(Timer* t);
  // true if t was still queued (it will not fire); false if it already fired. Waits for a
  // callback of t that is running, so t may be freed afterwards; a callback must not cancel
  // its own timer.
  bool cancel_timer(Timer* t);

 private:
  friend class Scheduler;
  friend class SchedEntity;
  static void thread_main(void* self);
  void run();
  void idle();
  void maintenance();
  void run_timers();
  void drain_inbox();
  void serve_steal_request();
  void request_steal();
  void offer_work();
  [[gnu::always_inline]] inline SchedEntity* pick_next();
  void push_local(SchedEntity* e) {
    m_local.push_back(e);
    m_nr_local.store(static_cast<uint32_t>(m_local.size()), std::memory_order_relaxed);
  }
  SchedEntity* pop_local() {
    SchedEntity* e = m_local.pop_front();
    m_nr_local.store(static_cast<uint32_t>(m_local.size()), std::memory_order_relaxed);
    return e;
  }
  // pick_next's pop: m_nr_local is left to the caller (a yield puts one back at once).
  SchedEntity* pop_local_unaccounted() { return m_local.pop_front(); }
  void publish_local_size() {
    m_nr_local.store(static_cast<uint32_t>(m_local.size()), std::memory_order_relaxed);
  }
  void push_inbox(SchedEntity* e);
  void kick();
  void post(VcpuWork* w);
  void run_posted();
  [[gnu::always_inline]] inline void on_resume(ctx::transfer_t t);
  // Charges the time since the last accounting point to `cur`.
  void account(SchedEntity* cur) {
    const uint64_t now = host::sched_clock::ticks();
    // Only the vCPU running cur writes its runtime: no read-modify-write needed. The host
    // thread may have moved to another CPU: a TSC a little behind charges nothing.
    const int64_t span = static_cast<int64_t>(now - m_acct_last);
    if (cur && span > 0)
      cur->m_runtime.store(cur->m_runtime.load(std::memory_order_relaxed) + static_cast<uint64_t>(span),
                           std::memory_order_relaxed);
    m_acct_last = now;
  }
  [[gnu::always_inline]] static inline void switch_to(Vcpu* here, SchedEntity* from, SchedEntity* to,
                                                     SwitchAction::Kind kind);
  static void fiber_entry(ctx::transfer_t t);

  // Owner-only state first; what other threads write sits on its own cache lines.
  Scheduler& m_sched;
  const unsigned m_index;
  host::Thread m_thread;
  std::unique_ptr<host::Reactor> m_reactor;
  RingQueue<SchedEntity> m_local;
  alignas(64) std::atomic<uint32_t> m_nr_local{0};  // read by idle peers
  alignas(64) std::atomic<SchedEntity*> m_inbox{nullptr};
  std::atomic<VcpuWork*> m_work{nullptr};
  std::atomic<Vcpu*> m_steal_request{nullptr};
  std::atomic<bool> m_sleeping{false};
  std::atomic<bool> m_stop{false};
  alignas(64) SpinLock m_timer_lock;
  TimerHeap m_timers GUARDED_BY(m_timer_lock);
  Timer* m_running_timer GUARDED_BY(m_timer_lock) = nullptr;  // whose callback runs now
  std::atomic<int64_t> m_next_timer{-1};
  ctx::fcontext_t m_sched_ctx = nullptr;
  ctx::SanitizerState m_sched_san;
  ctx::StackBounds m_sched_stack;
  std::vector<host::Stack> m_stack_cache;
  std::atomic<uint64_t> m_switches{0};  // written by the owner only
  uint32_t m_syscalls = 0;
  SchedEntity* m_slice_owner = nullptr;
  uint64_t m_slice_start = 0;  // sched_clock ticks
  uint64_t m_acct_last = 0;    // sched_clock ticks
  int m_start_error = 0;
  int m_uring_error = 0;  // why the host refused a ring, when the poll reactor stands in
  std::atomic<uint32_t> m_started{0};  // 0 starting, 1 running, 2 failed
};

struct SchedulerConfig {
  unsigned vcpus = 1;
  size_t default_stack_size = 256 * 1024;
  int64_t quantum_ns = 2'000'000;
  unsigned ring_entries = 256;
  // reactor=: io_uring, the poll reactor, or (Auto) io_uring where the host allows it.
  host::ReactorKind reactor = host::ReactorKind::Auto;
  // clock=fake: time moves only when advanced (TimeSource).
  bool fake_clock = false;
};

class Scheduler {
 public:
  static constexpr int64_t kIdleSpinNs = 50'000;
  static constexpr unsigned kSyscallsPerTick = 32;

  explicit Scheduler(const SchedulerConfig& cfg);
  // The instance's clocks: every deadline its timers and parks take is on time().monotonic_ns().
  TimeSource& time() { return m_time; }
  const TimeSource& time() const { return m_time; }
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the vCPU threads and their rings. 0 or -errno.
  int start();
  // Stops and joins the vCPU threads. Every fiber must have exited first.
  void stop();

  const SchedulerConfig& config() const { return m_cfg; }
  unsigned vcpu_count() const { return static_cast<unsigned>(m_vcpus.size()); }
  // After start(): the reactor kind the vCPUs run, and (Auto fell back to poll) why the
  // host refused io_uring (-errno), else 0.
  host::ReactorKind reactor_kind() const { return m_vcpus.empty() ? m_cfg.reactor : m_vcpus[0]->m_reactor->kind(); }
  int reactor_fallback_error() const { return m_vcpus.empty() ? 0 : m_vcpus[0]->m_uring_error; }
  Vcpu& vcpu(unsigned i) { return *m_vcpus[i]; }

  // Gives a fiber entity its stack and context and makes it runnable. 0 or -ENOMEM.
  int start_fiber(SchedEntity& e, size_t stack_size);

  // Blocks the calling entity (which must be `self`) until unpark, a spurious wake-up, or
  // the absolute CLOCK_MONOTONIC deadline (< 0: none). Returns false only on timeout.
  static bool park(SchedEntity& self, int64_t deadline_ns = -1);
  // Wakes e if parked, or leaves it a permit so its next park returns at once. Any thread.
  static void unpark(SchedEntity& e);
  // Lets other runnable fibers of this vCPU run; sched_yield on an attached thread.
  static void yield(SchedEntity& self);
  // sched_setaffinity: the vCPUs e may run on (a non-empty subset of this scheduler's). A
  // fiber setting its own moves to an allowed vCPU at once; another entity moves at its next
  // wake-up.
  static void set_affinity(SchedEntity& self, SchedEntity& e, uint64_t mask);
  // The fiber's last switch (called by the fiber's own trampoline). Never returns.
  [[noreturn]] static void exit_fiber(SchedEntity& self);
  // The quantum check on syscall entry: yields when the fiber has held its vCPU too long.
  void syscall_tick(SchedEntity& self) {
    if (self.is_fiber() && ++self.m_vcpu->m_syscalls >= kSyscallsPerTick) tick(self);
  }

  // Charges the fiber's CPU time up to now (before its exit is accounted).
  static void account(SchedEntity& self) {
    if (self.is_fiber()) self.m_vcpu->account(&self);
  }

  // Readies an application thread to carry a task (its signal stack, for fault
  // containment); returns whether it set something up that release_host_thread must undo.
  static bool prepare_host_thread();
  static void release_host_thread(bool prepared);

  // The entity running on the calling host thread (a fiber, or an attached thread), or null.
  static SchedEntity* current();
  // The same, or on a host thread that is neither (boot, the API's callers, shutdown) a
  // waiter of that thread's own, so code that may block has an entity to block as.
  static SchedEntity& current_or_host();
  static void set_current_thread_entity(SchedEntity* e);
  // The io_uring ring of the vCPU the calling host thread is (from a fiber or the vCPU's
  // own loop: timer callbacks, completions), or null on any other thread.
  static host::Reactor* current_reactor();
  // Whether a fiber that just queued host I/O on its ring may leave it unsubmitted: other
  // fibers are runnable on its vCPU, and their I/O goes with it in one io_uring_enter (the
  // ring is submitted when the vCPU runs out of fibers, at its periodic maintenance, and on
  // syscall ticks). false from anything else (submit now).
  static bool may_batch_io();
  // Runs fn(ring) on every vCPU's own thread and waits (self parks); nothing when the vCPUs
  // are not running. fn must not block.
  void run_on_each_vcpu(SchedEntity& self, void (*fn)(void* arg, host::Reactor& ring), void* arg);
  // Runs w on a vCPU's own thread soon, without waiting (nothing when none runs). Any
  // thread; takes no lock.
  void post_work(VcpuWork* w);
  // Who hears of a broken invariant on this scheduler's threads that no task was running
  // (set by the instance: its panic). Must not park.
  void set_bug_handler(void (*fn)(void* arg, const char* msg), void* arg) {
    m_bug_fn = fn;
    m_bug_arg = arg;
  }
  void bug(const char* msg) noexcept;
  // The process's bug hook (core/base/verify.h): the current entity's, else the current
  // vCPU's scheduler's.
  static void on_bug(const char* msg) noexcept;
  // Arms t on the calling thread's vCPU; false when the caller is no vCPU.
  static bool add_timer_here(Timer* t, int64_t delay_ns);

  // Counters for tests and /proc.
  uint64_t context_switches() const;

 private:
  friend class Vcpu;
  static void make_runnable(SchedEntity& e);
  static void on_host_fault(void* addr, void* sp);
  void tick(SchedEntity& self);
  host::Stack alloc_stack(size_t size);
  void release_stack(Vcpu* here, const host::Stack& s);

  SchedulerConfig m_cfg;
  TimeSource m_time;
  bool m_align_fp = false;  // MXCSR frame layout verified
  void (*m_bug_fn)(void*, const char*) = nullptr;
  void* m_bug_arg = nullptr;
  std::vector<std::unique_ptr<Vcpu>> m_vcpus;
  std::atomic<unsigned> m_next_vcpu{0};
  SpinLock m_pool_lock;
  std::vector<host::Stack> m_stack_pool;
  bool m_running = false;
};

}  // namespace uml::kern
