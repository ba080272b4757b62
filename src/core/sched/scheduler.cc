#include "core/sched/scheduler.h"

#include "core/base/verify.h"

#include <cstdio>
#include <cerrno>
#include <exception>

namespace uml::kern {

namespace {
// The entity this host thread is running, and the vCPU it is, if any. Per host thread (the
// carrier's identity), not kernel state: a thread may serve several kernels over time.
// initial-exec keeps the access a single %fs-relative load inside libuml.so.
thread_local SchedEntity* t_current __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local Vcpu* t_vcpu __attribute__((tls_model("initial-exec"))) = nullptr;

void wake_timer(Timer* t) {
  Scheduler::unpark(*static_cast<SchedEntity*>(t->arg));
}

// The child of a fork() of the host process: its one thread is no task of any instance
// (the instances' vCPUs did not come along), whatever the parent's thread carried.
void forget_carrier_after_fork() {
  t_current = nullptr;
  t_vcpu = nullptr;
}
// Process-wide by nature (a fork is of the whole process): registered once, at load.
[[maybe_unused]] const bool g_fork_hook = (host::at_fork_child(&forget_carrier_after_fork), true);
}  // namespace

// Not inlined, so that a fiber that migrated between host threads never reuses a TLS
// address computed on the previous one.
__attribute__((noinline)) host::Reactor* Scheduler::current_reactor() {
  return t_vcpu ? t_vcpu->m_reactor.get() : nullptr;
}

__attribute__((noinline)) bool Scheduler::may_batch_io() {
  SchedEntity* e = t_current;
  return e && e->is_fiber() && t_vcpu && e->m_vcpu == t_vcpu && !t_vcpu->m_local.empty();
}

__attribute__((noinline)) bool Scheduler::add_timer_here(Timer* t, int64_t delay_ns) {
  if (!t_vcpu) return false;
  t->deadline = t_vcpu->m_sched.m_time.monotonic_ns() + delay_ns;  // on its instance's clock
  t_vcpu->add_timer(t);
  return true;
}

__attribute__((noinline)) SchedEntity* Scheduler::current() {
  __asm__ volatile("" ::: "memory");
  return t_current;
}

SchedEntity& Scheduler::current_or_host() {
  if (SchedEntity* e = current()) return *e;
  // One per host thread: a thread waits for one thing at a time. It belongs to no
  // instance, and holds nothing between waits.
  thread_local HostWaiter w;
  return w;
}

__attribute__((noinline)) void Scheduler::set_current_thread_entity(SchedEntity* e) {
  t_current = e;
}

// ---- Vcpu ----------------------------------------------------------------------------------

// The switch path, inlined into its callers (yield and park are the hot ones).

inline SchedEntity* Vcpu::pick_next() {
  uint64_t n = m_switches.load(std::memory_order_relaxed) + 1;
  m_switches.store(n, std::memory_order_relaxed);
  if ((n & 63) == 0) {
    maintenance();
  } else if (m_inbox.load(std::memory_order_relaxed)) {
    drain_inbox();
  }
  return pop_local_unaccounted();
}

inline void Vcpu::on_resume(ctx::transfer_t t) {
  SchedEntity* prev = SwitchAction::from(t.data);
  if (!prev) {
    m_sched_ctx = t.fctx;
    return;
  }
  switch (SwitchAction::kind(t.data)) {
    case SwitchAction::None:
      prev->m_ctx = t.fctx;
      break;
    case SwitchAction::CommitPark: {
      prev->m_ctx = t.fctx;  // saved before anyone may see it parked
      uint32_t expected = SchedEntity::kRunning;
      if (!prev->m_park.compare_exchange_strong(expected, SchedEntity::kParked,
                                                std::memory_order_acq_rel)) {
        // An unpark came while it was switching out: run it again instead.
        prev->m_park.store(SchedEntity::kRunning, std::memory_order_relaxed);
        push_local(prev);
      }
      break;
    }
    case SwitchAction::Migrate: {
      // Saved: now it may run on the vCPU it moves to (set in prev->m_vcpu).
      prev->m_ctx = t.fctx;
      Vcpu* target = prev->m_vcpu;
      target->push_inbox(prev);
      target->kick();
      break;
    }
    case SwitchAction::Exit: {
      host::Stack stack = prev->m_stack;
      prev->m_stack = {};
      prev->m_ctx = nullptr;
      ctx::sanitizer_destroy(prev->m_san);
      m_sched.release_stack(this, stack);
      prev->fiber_released();
      break;
    }
  }
}

inline void Vcpu::switch_to(Vcpu* here, SchedEntity* from, SchedEntity* to, SwitchAction::Kind kind) {
  ctx::fcontext_t target;
  ctx::SanitizerState* to_san;
  ctx::StackBounds to_stack;
  if (to) {
    target = to->m_ctx;
    to->m_ctx = nullptr;
    to->m_vcpu = here;
    to_san = &to->m_san;
    to_stack = {to->m_stack.base, to->m_stack.size};
  } else {
    target = here->m_sched_ctx;
    here->m_sched_ctx = nullptr;
    to_san = &here->m_sched_san;
    to_stack = here->m_sched_stack;
  }
  t_current = to;
  ctx::SanitizerState& from_san = from ? from->m_san : here->m_sched_san;
  if (here->m_sched.m_align_fp) ctx::align_fp_flags(target);
  ctx::before_switch(from_san, *to_san, to_stack, kind == SwitchAction::Exit);
  ctx::transfer_t t = ctx::jump_fcontext(target, SwitchAction::encode(from, kind));
  // Running again as `from`, possibly on another vCPU.
  ctx::after_switch(from_san);
  Vcpu* now = from ? from->m_vcpu : here;
  now->on_resume(t);
}


void Vcpu::thread_main(void* self) { static_cast<Vcpu*>(self)->run(); }

void Vcpu::run() {
  t_vcpu = this;
  const bool fault_stack = host::thread_fault_stack_setup();
  void* base;
  size_t size;
  host::current_thread_stack(&base, &size);
  m_sched_stack = {base, size};
  ctx::sanitizer_create(m_sched_san, /*thread_own=*/true);
  int err = 0;
  m_reactor = host::Reactor::create(m_sched.m_cfg.ring_entries, &err, m_sched.m_cfg.reactor, &m_uring_error);
  if (!m_reactor) {
    m_start_error = err;
    m_started.store(2, std::memory_order_release);
    host::futex_wake(&m_started, 1);
    t_vcpu = nullptr;
    return;
  }
  m_started.store(1, std::memory_order_release);
  host::futex_wake(&m_started, 1);

  for (;;) {
    maintenance();
    if (SchedEntity* e = pop_local()) {
      m_acct_last = host::sched_clock::ticks();  // idle time is nobody's
      switch_to(this, nullptr, e, SwitchAction::None);
      continue;
    }
    if (m_stop.load(std::memory_order_acquire)) break;
    idle();
  }
  for (const host::Stack& s : m_stack_cache) host::unmap_stack(s);
  m_stack_cache.clear();
  // The reactor outlives the thread: stop() may still wake it; it is freed after the join.
  ctx::sanitizer_destroy(m_sched_san);
  if (fault_stack) host::thread_fault_stack_teardown();
  t_vcpu = nullptr;
}

void Vcpu::idle() {
  request_steal();
  const int64_t start = host::monotonic_ns();
  for (unsigned i = 1;; ++i) {
    if (m_inbox.load(std::memory_order_relaxed) || !m_local.empty() ||
        m_work.load(std::memory_order_relaxed) || m_stop.load(std::memory_order_relaxed))
      return;
    if ((i & 63) == 0) {
      m_reactor->poll();
      run_timers();
      serve_steal_request();
      if ((i & 1023) == 0) request_steal();
      if (!m_local.empty()) return;
      if (host::monotonic_ns() - start > Scheduler::kIdleSpinNs) break;
    }
    host::cpu_relax();
  }
  m_sleeping.store(true, std::memory_order_seq_cst);
  const TimeSource& time = m_sched.m_time;
  const int64_t next = m_next_timer.load(std::memory_order_acquire);
  if (m_inbox.load(std::memory_order_seq_cst) || m_work.load(std::memory_order_seq_cst) ||
      m_stop.load(std::memory_order_seq_cst) || (time.fake() && next >= 0 && next <= time.monotonic_ns())) {
    m_sleeping.store(false, std::memory_order_relaxed);
    return;
  }
  // Fake time passes only by an advance, which kicks this vCPU: no timeout then.
  m_reactor->wait(time.fake() ? -1 : next);
  m_sleeping.store(false, std::memory_order_relaxed);
}

void Vcpu::maintenance() {
  if (m_work.load(std::memory_order_relaxed)) run_posted();
  drain_inbox();
  m_reactor->poll();
  run_timers();
  serve_steal_request();
  offer_work();
}

void Vcpu::offer_work() {
  if (m_local.size() < 2) return;
  for (auto& other : m_sched.m_vcpus) {
    Vcpu* v = other.get();
    if (v == this || !v->m_sleeping.load(std::memory_order_relaxed)) continue;
    size_t give = m_local.size() / 2;
    while (give--) {
      SchedEntity* e = pop_local();
      if (!e->allowed_on(v->m_index)) {  // pinned here: it stays
        push_local(e);
        continue;
      }
      e->m_vcpu = v;
      v->push_inbox(e);
    }
    v->kick();
    return;
  }
}

void Vcpu::push_inbox(SchedEntity* e) {
  SchedEntity* head = m_inbox.load(std::memory_order_relaxed);
  do {
    e->m_inbox_next = head;
  } while (!m_inbox.compare_exchange_weak(head, e, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
}

void Vcpu::drain_inbox() {
  SchedEntity* list = m_inbox.exchange(nullptr, std::memory_order_acquire);
  // The inbox is a LIFO stack; reverse it to keep wake-up order.
  SchedEntity* rev = nullptr;
  while (list) {
    SchedEntity* next = list->m_inbox_next;
    list->m_inbox_next = rev;
    rev = list;
    list = next;
  }
  while (rev) {
    SchedEntity* next = rev->m_inbox_next;
    rev->m_inbox_next = nullptr;
    push_local(rev);
    rev = next;
  }
}

void Vcpu::post(VcpuWork* w) {
  VcpuWork* head = m_work.load(std::memory_order_relaxed);
  do {
    w->next = head;
  } while (!m_work.compare_exchange_weak(head, w, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (t_vcpu != this) {  // a sleeping vCPU wakes for it
    m_sleeping.store(false, std::memory_order_seq_cst);
    m_reactor->wake();
  }
}

void Vcpu::run_posted() {
  VcpuWork* list = m_work.exchange(nullptr, std::memory_order_acquire);
  while (list) {
    VcpuWork* next = list->next;  // fn may free its item
    list->fn(list, *m_reactor);
    list = next;
  }
}

void Scheduler::run_on_each_vcpu(SchedEntity& self, void (*fn)(void* arg, host::Reactor& ring), void* arg) {
  if (!m_running) return;
  struct Item {
    VcpuWork work;
    void (*fn)(void*, host::Reactor&);
    void* arg;
    std::atomic<size_t>* left;
    SchedEntity* self;
  };
  std::atomic<size_t> left{m_vcpus.size()};
  std::vector<Item> items(m_vcpus.size());
  for (size_t i = 0; i < m_vcpus.size(); ++i) {
    Item& it = items[i];
    it.fn = fn;
    it.arg = arg;
    it.left = &left;
    it.self = &self;
    it.work.arg = &it;
    it.work.fn = [](VcpuWork* w, host::Reactor& ring) {
      auto* it = static_cast<Item*>(w->arg);
      it->fn(it->arg, ring);
      SchedEntity* who = it->self;
      if (it->left->fetch_sub(1, std::memory_order_acq_rel) == 1) unpark(*who);
    };
    m_vcpus[i]->post(&it.work);
  }
  while (left.load(std::memory_order_acquire) != 0) park(self);
}

void Vcpu::kick() {
  if (m_sleeping.load(std::memory_order_seq_cst) &&
      m_sleeping.exchange(false, std::memory_order_acq_rel))
    m_reactor->wake();
}

void Vcpu::request_steal() {
  const auto& all = m_sched.m_vcpus;
  const size_t n = all.size();
  for (size_t k = 1; k < n; ++k) {
    Vcpu* v = all[(m_index + k) % n].get();
    if (v->m_nr_local.load(std::memory_order_relaxed) > 0) {
      Vcpu* none = nullptr;
      v->m_steal_request.compare_exchange_strong(none, this, std::memory_order_acq_rel);
      return;
    }
  }
}

void Vcpu::serve_steal_request() {
  if (!m_steal_request.load(std::memory_order_relaxed)) return;
  Vcpu* thief = m_steal_request.exchange(nullptr, std::memory_order_acq_rel);
  if (!thief || thief == this) return;
  size_t give = (m_local.size() + 1) / 2;
  if (give == 0) return;
  while (give--) {
    SchedEntity* e = pop_local();
    if (!e->allowed_on(thief->m_index)) {
      push_local(e);
      continue;
    }
    e->m_vcpu = thief;
    thief->push_inbox(e);
  }
  thief->kick();
}

void Vcpu::add_timer(Timer* t) {
  bool earliest;
  {
    SpinGuard g(m_timer_lock);
    t->owner = this;
    t->fired = false;
    earliest = m_timers.add(t);
    m_next_timer.store(m_timers.next_deadline(), std::memory_order_release);
  }
  if (earliest && t_vcpu != this) kick();
}

bool Vcpu::cancel_timer(Timer* t) {
  bool removed = false;
  for (;;) {
    {
      SpinGuard g(m_timer_lock);
      if (t->queued()) {
        m_timers.remove(t);
        m_next_timer.store(m_timers.next_deadline(), std::memory_order_release);
        removed = true;
      }
      if (m_running_timer != t) return removed;
    }
    // Its callback runs right now (it may even re-arm it): wait for it to finish.
    host::cpu_relax();
  }
}

void Vcpu::run_timers() {
  int64_t next = m_next_timer.load(std::memory_order_acquire);
  if (next < 0) return;
  int64_t now = m_sched.m_time.monotonic_ns();
  if (next > now) return;
  m_timer_lock.lock();
  while (Timer* t = m_timers.pop_expired(now)) {
    t->fired = true;
    m_running_timer = t;
    // The callback runs without the lock, so it may take any lock and re-arm its timer;
    // cancel_timer waits for it. A sleeper's Timer may be gone once its owner runs again.
    m_timer_lock.unlock();
    t->fire(t);
    m_timer_lock.lock();
    m_running_timer = nullptr;
  }
  m_next_timer.store(m_timers.next_deadline(), std::memory_order_release);
  m_timer_lock.unlock();
}

void Vcpu::fiber_entry(ctx::transfer_t t) {
  SchedEntity* self = t_current;  // set by the switch that started this fiber
  ctx::after_switch(self->m_san);
  self->m_vcpu->on_resume(t);
  self->fiber_main();
  Scheduler::exit_fiber(*self);
}

// ---- Scheduler -----------------------------------------------------------------------------

namespace ctx {
namespace {
struct StackCall {
  void (*fn)(void*);
  void* arg;
  fcontext_t back = nullptr;
  SanitizerState caller, callee;
  StackBounds caller_stack;
  std::exception_ptr error;
};

void stack_call_entry(transfer_t t) {
  auto* c = static_cast<StackCall*>(t.data);
  c->back = t.fctx;
#ifdef UML_ASAN
  __sanitizer_finish_switch_fiber(c->callee.fake_stack, &c->caller_stack.bottom, &c->caller_stack.size);
#endif
  try {
    c->fn(c->arg);
  } catch (...) {
    c->error = std::current_exception();
  }
  before_switch(c->callee, c->caller, c->caller_stack, /*from_exits=*/true);
  jump_fcontext(c->back, nullptr);
  __builtin_unreachable();
}
}  // namespace

void call_on_stack(void* base, size_t size, void (*fn)(void*), void* arg) {
  StackCall c{fn, arg};
  auto top = reinterpret_cast<uintptr_t>(base) + size;
  top &= ~uintptr_t{15};
  const size_t usable = top - reinterpret_cast<uintptr_t>(base);
  fcontext_t callee = make_fcontext(reinterpret_cast<void*>(top), usable, stack_call_entry);
  sanitizer_create(c.caller, /*thread_own=*/true);
  sanitizer_create(c.callee, /*thread_own=*/false);
  before_switch(c.caller, c.callee, StackBounds{base, usable}, /*from_exits=*/false);
  jump_fcontext(callee, &c);
  after_switch(c.caller);
  sanitizer_destroy(c.callee);
  if (c.error) std::rethrow_exception(c.error);
}

bool mxcsr_frame_layout_ok() {
  alignas(64) char probe[1024];
  fcontext_t f = make_fcontext(probe + sizeof(probe), sizeof(probe), [](transfer_t) {});
  return *static_cast<uint32_t*>(f) == read_mxcsr();
}
}  // namespace ctx

Scheduler::Scheduler(const SchedulerConfig& cfg)
    : m_cfg(cfg), m_time(cfg.fake_clock), m_align_fp(ctx::mxcsr_frame_layout_ok()) {
  if (m_cfg.vcpus == 0) m_cfg.vcpus = 1;
  host::sched_clock::init();  // before any vCPU takes a tick
  for (unsigned i = 0; i < m_cfg.vcpus; ++i) m_vcpus.push_back(std::make_unique<Vcpu>(*this, i));
  // Fake time moved: a sleeping vCPU wakes to run the timers now due (a running one runs
  // them at its next maintenance).
  m_time.on_advance([this] {
    for (auto& v : m_vcpus)
      if (v->m_started.load(std::memory_order_acquire) == 1) v->kick();
  });
}



Scheduler::~Scheduler() {
  stop();
  for (const host::Stack& s : m_stack_pool) host::unmap_stack(s);
}

// A fault on a vCPU thread: if the running fiber's stack pointer or the fault address is
// in or below its guard page, the fiber overflowed its stack. It can never run again: end
// its task and switch away for good (never returning into the signal handler).
void Scheduler::on_host_fault(void* addr, void* sp) {
  SchedEntity* e = t_current;
  if (!e || !e->is_fiber() || !e->m_stack.base || t_vcpu != e->m_vcpu) return;
  const auto base = reinterpret_cast<uintptr_t>(e->m_stack.base);
  const auto a = reinterpret_cast<uintptr_t>(addr);
  const auto s = reinterpret_cast<uintptr_t>(sp);
  constexpr uintptr_t kGuard = 4096, kBelow = 1 << 20;
  const bool guard_hit = a >= base - kGuard && a < base;
  const bool sp_below = s < base && s >= base - kBelow;
  if (!guard_hit && !sp_below) return;
  e->fiber_crashed();
  exit_fiber(*e);
}

bool Scheduler::prepare_host_thread() {
  host::fault_handling_install();  // the application may have replaced it since boot
  return host::thread_fault_stack_setup();
}
void Scheduler::release_host_thread(bool prepared) {
  if (prepared) host::thread_fault_stack_teardown();
}

void SchedEntity::on_bug(const char* msg) noexcept {
  if (m_vcpu) m_vcpu->m_sched.bug(msg);
  else fprintf(stderr, "libuml: %s (outside any instance)\n", msg);
}

void Scheduler::bug(const char* msg) noexcept {
  if (m_bug_fn) m_bug_fn(m_bug_arg, msg);
  else fprintf(stderr, "libuml: %s\n", msg);
}

void Scheduler::on_bug(const char* msg) noexcept {
  if (SchedEntity* e = current()) e->on_bug(msg);
  else if (t_vcpu) t_vcpu->m_sched.bug(msg);
  else fprintf(stderr, "libuml: %s (outside any instance)\n", msg);
}

void Scheduler::post_work(VcpuWork* w) {
  if (!m_running || m_vcpus.empty()) return;
  m_vcpus[0]->post(w);
}

int Scheduler::start() {
  host::fault_handling_install();  // guarded copies: EFAULT for unmapped guest pointers
  set_bug_hook(&Scheduler::on_bug);
#if !defined(UML_ASAN) && !defined(UML_TSAN)
  // Under the sanitizers their own reports of a stack overflow are the better ones.
  host::set_overflow_hook(&Scheduler::on_host_fault);
#endif
  int err = 0;
  for (auto& v : m_vcpus) {
    char name[16];
    snprintf(name, sizeof(name), "uml-vcpu%u", v->m_index);
    if (!v->m_thread.start(&Vcpu::thread_main, v.get(), name)) {
      err = -EAGAIN;
      break;
    }
    uint32_t s;
    while ((s = v->m_started.load(std::memory_order_acquire)) == 0)
      host::futex_wait(&v->m_started, 0, -1);
    if (s == 2) {
      err = v->m_start_error ? v->m_start_error : -ENOMEM;
      v->m_thread.join();
      break;
    }
  }
  m_running = true;
  if (err) stop();
  return err;
}

void Scheduler::stop() {
  if (!m_running) return;
  for (auto& v : m_vcpus) {
    v->m_stop.store(true, std::memory_order_seq_cst);
    if (v->m_started.load(std::memory_order_acquire) == 1 && v->m_thread.joinable())
      v->m_reactor->wake();
  }
  // Every thread first: a vCPU still running may kick a peer that has already stopped, so
  // no ring goes before the last thread is joined.
  for (auto& v : m_vcpus) v->m_thread.join();
  for (auto& v : m_vcpus) v->m_reactor.reset();
  m_running = false;
}

host::Stack Scheduler::alloc_stack(size_t size) {
  if (size == m_cfg.default_stack_size) {
    Vcpu* here = t_vcpu;
    if (here && &here->m_sched == this && !here->m_stack_cache.empty()) {
      host::Stack s = here->m_stack_cache.back();
      here->m_stack_cache.pop_back();
      return s;
    }
    SpinGuard g(m_pool_lock);
    if (!m_stack_pool.empty()) {
      host::Stack s = m_stack_pool.back();
      m_stack_pool.pop_back();
      return s;
    }
  }
  return host::map_stack(size);
}

void Scheduler::release_stack(Vcpu* here, const host::Stack& s) {
  if (!s.base) return;
  ctx::sanitizer_release_stack(s.base, s.size);
  if (s.size == m_cfg.default_stack_size) {
    if (here->m_stack_cache.size() < 64) {
      here->m_stack_cache.push_back(s);
      return;
    }
    SpinGuard g(m_pool_lock);
    if (m_stack_pool.size() < 1024) {
      m_stack_pool.push_back(s);
      return;
    }
  }
  host::unmap_stack(s);
}

int Scheduler::start_fiber(SchedEntity& e, size_t stack_size) {
  if (!VERIFY(e.is_fiber())) return -EINVAL;
  host::Stack s = alloc_stack(stack_size ? stack_size : m_cfg.default_stack_size);
  if (!s.base) return -ENOMEM;
  e.m_stack = s;
  e.m_ctx = ctx::make_fcontext(s.top(), s.size, &Vcpu::fiber_entry);
  ctx::sanitizer_create(e.m_san, /*thread_own=*/false);
  e.m_park.store(SchedEntity::kRunning, std::memory_order_relaxed);
  Vcpu* here = t_vcpu;
  if (here && &here->m_sched == this) {
    e.m_vcpu = here;
    here->push_local(&e);
  } else {
    Vcpu* v = m_vcpus[m_next_vcpu.fetch_add(1, std::memory_order_relaxed) % m_vcpus.size()].get();
    e.m_vcpu = v;
    v->push_inbox(&e);
    v->kick();
  }
  return 0;
}

void Scheduler::make_runnable(SchedEntity& e) {
  Vcpu* here = t_vcpu;
  if (here && &here->m_sched == &e.m_vcpu->m_sched && e.allowed_on(here->m_index)) {
    here->push_local(&e);  // the waker's vCPU: no cross-thread wake-up
    return;
  }
  Vcpu* v = e.m_vcpu;
  if (!e.allowed_on(v->m_index)) {
    Scheduler& s = v->m_sched;
    for (auto& cand : s.m_vcpus)
      if (e.allowed_on(cand->m_index)) {
        v = cand.get();
        break;
      }
    e.m_vcpu = v;
  }
  v->push_inbox(&e);
  v->kick();
}

void Scheduler::set_affinity(SchedEntity& self, SchedEntity& e, uint64_t mask) {
  e.m_affinity.store(mask, std::memory_order_relaxed);
  if (&e != &self || !self.is_fiber() || self.allowed_on(self.m_vcpu->m_index)) return;
  // Move now: switch away, and let the next context hand us to an allowed vCPU.
  Vcpu* v = self.m_vcpu;
  Vcpu* target = nullptr;
  for (auto& cand : v->m_sched.m_vcpus)
    if (self.allowed_on(cand->m_index)) {
      target = cand.get();
      break;
    }
  if (!target) return;
  v->account(&self);
  self.m_vcpu = target;
  SchedEntity* next = v->pick_next();
  v->publish_local_size();
  Vcpu::switch_to(v, &self, next, SwitchAction::Migrate);
}

bool Scheduler::park(SchedEntity& self, int64_t deadline_ns) {
  // Only the entity itself parks, so it is running (or holds a permit) now.
  if (!VERIFY(self.m_park.load(std::memory_order_relaxed) != SchedEntity::kParked)) return true;
  uint32_t expected = SchedEntity::kNotified;
  // Only an unpark makes kNotified, and only the owner leaves it: a plain load tells.
  if (self.m_park.load(std::memory_order_relaxed) == SchedEntity::kNotified &&
      self.m_park.compare_exchange_strong(expected, SchedEntity::kRunning,
                                          std::memory_order_acq_rel))
    return true;  // consumed a permit

  if (!self.is_fiber()) {
    expected = SchedEntity::kRunning;
    if (!self.m_park.compare_exchange_strong(expected, SchedEntity::kParked,
                                             std::memory_order_acq_rel)) {
      self.m_park.store(SchedEntity::kRunning, std::memory_order_relaxed);
      return true;
    }
    for (;;) {
      const int64_t until = self.m_time ? self.m_time->host_wait_deadline(deadline_ns) : deadline_ns;
      bool in_time = host::futex_wait(&self.m_park, SchedEntity::kParked, until);
      if (self.m_park.load(std::memory_order_acquire) != SchedEntity::kParked) return true;
      if (!in_time && self.m_time && self.m_time->fake() && self.monotonic_ns() < deadline_ns) continue;
      if (!in_time) {
        expected = SchedEntity::kParked;
        if (self.m_park.compare_exchange_strong(expected, SchedEntity::kRunning,
                                                std::memory_order_acq_rel))
          return false;
        return true;
      }
    }
  }

  Vcpu* v = self.m_vcpu;
  v->account(&self);
  Timer timer;
  if (deadline_ns >= 0) {
    timer.deadline = deadline_ns;
    timer.fire = &wake_timer;
    timer.arg = &self;
    v->add_timer(&timer);
  }
  SchedEntity* next = v->pick_next();
  v->publish_local_size();
  Vcpu::switch_to(v, &self, next, SwitchAction::CommitPark);
  if (deadline_ns >= 0) return timer.owner->cancel_timer(&timer);
  return true;
}

void Scheduler::unpark(SchedEntity& e) {
  uint32_t s = e.m_park.load(std::memory_order_acquire);
  for (;;) {
    if (s == SchedEntity::kNotified) return;
    if (s == SchedEntity::kRunning) {
      if (e.m_park.compare_exchange_weak(s, SchedEntity::kNotified, std::memory_order_acq_rel))
        return;
      continue;
    }
    if (e.m_park.compare_exchange_weak(s, SchedEntity::kRunning, std::memory_order_acq_rel)) {
      if (e.is_fiber()) make_runnable(e); else host::futex_wake(&e.m_park, 1);
      return;
    }
  }
}

void Scheduler::yield(SchedEntity& self) {
  if (!self.is_fiber()) {
    host::yield_thread();
    return;
  }
  Vcpu* v = self.m_vcpu;
  SchedEntity* next = v->pick_next();
  if (!next) return;
  v->m_local.push_back(&self);  // one out, one in: m_nr_local is unchanged
  Vcpu::switch_to(v, &self, next, SwitchAction::None);
}

void Scheduler::exit_fiber(SchedEntity& self) {
  Vcpu* v = self.m_vcpu;
  v->account(&self);
  SchedEntity* next = v->pick_next();
  v->publish_local_size();
  Vcpu::switch_to(v, &self, next, SwitchAction::Exit);
  __builtin_unreachable();
}

void Scheduler::tick(SchedEntity& self) {
  Vcpu* v = self.m_vcpu;
  v->m_syscalls = 0;
  v->maintenance();
  v->account(&self);
  const uint64_t now = v->m_acct_last;
  if (v->m_slice_owner != &self) {
    v->m_slice_owner = &self;
    v->m_slice_start = now;
  } else if (host::sched_clock::to_ns(now - v->m_slice_start) >= m_cfg.quantum_ns) {
    v->m_slice_owner = nullptr;
    yield(self);
  }
}

uint64_t Scheduler::context_switches() const {
  uint64_t n = 0;
  for (const auto& v : m_vcpus) n += v->m_switches.load(std::memory_order_relaxed);
  return n;
}

}  // namespace uml::kern
