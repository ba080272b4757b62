#pragma once
// The host boundary (LKL's host_ops idea): everything libuml needs from the host kernel,
// and nothing else. Only src/host includes liburing, pthread or makes host syscalls;
// src/core and src/drivers reach the host through these interfaces.
//
// Blocking: functions say whether they may block the calling host thread. None of them
// know about guest tasks or fibers.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace uml::host {

// ---- clocks (never block) ---------------------------------------------------------------
int64_t monotonic_ns();   // CLOCK_MONOTONIC
int64_t realtime_ns();    // CLOCK_REALTIME
int64_t realtime_coarse_ns();  // CLOCK_REALTIME_COARSE: a tick's resolution, cheaper
int64_t boottime_ns();    // CLOCK_BOOTTIME
int64_t thread_cpu_ns();  // CPU time of the calling host thread
// Resolution of the host's coarse clocks (CLOCK_*_COARSE), in ns.
int64_t coarse_resolution_ns();

// ---- CPU --------------------------------------------------------------------------------
inline void cpu_relax() { __builtin_ia32_pause(); }
// Gives the host CPU to another host thread (sched_yield). Never blocks for long.
void yield_thread();

// ---- futex: how an application thread waits inside the kernel ---------------------------
// Blocks while *word == expected, until futex_wake, a spurious wake-up, or the absolute
// CLOCK_MONOTONIC deadline (deadline_ns < 0: none). Returns false on timeout.
bool futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t deadline_ns);
// Wakes up to n threads waiting on word. Never blocks.
void futex_wake(std::atomic<uint32_t>* word, int n);

// ---- stacks for fibers -------------------------------------------------------------------
struct Stack {
  void* base = nullptr;  // lowest usable address (just above the guard page)
  size_t size = 0;       // usable bytes
  void* top() const { return static_cast<char*>(base) + size; }
};
// Maps size bytes (rounded up to pages) of stack plus a guard page below it. Uses
// MADV_GUARD_INSTALL where the host has it (no extra VMA, so 100,000 stacks stay under
// vm.max_map_count), mprotect otherwise. Returns an empty Stack on failure (ENOMEM).
Stack map_stack(size_t size);
void unmap_stack(const Stack& s);

// ---- threads -----------------------------------------------------------------------------
class Thread {
 public:
  using Fn = void (*)(void* arg);
  Thread() = default;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  ~Thread();
  // Starts a host thread running fn(arg), named name (15 chars max). false on failure.
  bool start(Fn fn, void* arg, const char* name);
  // Waits for the thread to end. Blocks.
  void join();
  bool joinable() const { return m_started; }

 private:
  unsigned long m_handle = 0;
  bool m_started = false;
};

// ---- memory for kernel data (file pages) --------------------------------------------------
// size bytes of zeroed memory aligned to size (a power of two); with huge, asking for
// transparent huge pages (one fault maps the whole chunk where the host allows it). Null
// when out of memory.
void* map_chunk(size_t size, bool huge);
void unmap_chunk(void* p, size_t size);

// Bounds of the calling host thread's own stack (for sanitizer fiber annotations).
void current_thread_stack(void** base, size_t* size);

// ---- randomness ---------------------------------------------------------------------------
// Fills buf from the host's getrandom(). May block only before the host's pool is seeded.
void random_bytes(void* buf, size_t len);

// ---- host file descriptors used by drivers (console) --------------------------------------
// Writes all of len bytes to fd, retrying on EINTR and short writes. Blocks. -errno or 0.
int write_all(int fd, const void* data, size_t len);

// ---- memory ordering across threads --------------------------------------------------------
// Registers the process for expedited membarrier; false when the host cannot (then
// memory_barrier_all_threads must not be relied on).
bool membarrier_init();
// A full memory barrier on every running thread of the process (membarrier(2)), so their
// plain stores before it are visible to the caller after it.
void memory_barrier_all_threads();

// ---- process facts ------------------------------------------------------------------------
// Resident set size of the host process in bytes (from /proc/self/statm).
size_t resident_bytes();
// The host process's id (getpid, cached and refreshed in fork children; no syscall): an
// instance belongs to the process that booted it.
int process_id();
// fn runs in the child of every fork() of the host process, on its one thread, before
// fork returns there (pthread_atfork's child handler). May be called several times.
void at_fork_child(void (*fn)());

}  // namespace uml::host
