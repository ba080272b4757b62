#include "host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace uml::host {

static int64_t read_clock(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
int64_t realtime_ns() { return read_clock(CLOCK_REALTIME); }
int64_t realtime_coarse_ns() { return read_clock(CLOCK_REALTIME_COARSE); }
int64_t boottime_ns() { return read_clock(CLOCK_BOOTTIME); }
int64_t thread_cpu_ns() { return read_clock(CLOCK_THREAD_CPUTIME_ID); }

int64_t coarse_resolution_ns() {
  timespec ts;
  clock_getres(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void yield_thread() { sched_yield(); }


bool futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t deadline_ns) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  timespec ts;
  timespec* tsp = nullptr;
  if (deadline_ns >= 0) {
    ts.tv_sec = deadline_ns / 1'000'000'000;
    ts.tv_nsec = deadline_ns % 1'000'000'000;
    tsp = &ts;
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline.
  long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_BITSET_PRIVATE,
                   expected, tsp, nullptr, FUTEX_BITSET_MATCH_ANY);
  return !(r == -1 && errno == ETIMEDOUT);
}

void futex_wake(std::atomic<uint32_t>* word, int n) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr,
          0);
}

static size_t page_size() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

Stack map_stack(size_t size) {
  const size_t page = page_size();
  size = (size + page - 1) & ~(page - 1);
  const size_t total = size + page;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return {};
  // Lightweight guard regions (Linux 6.13+) leave the VMA whole; fall back to mprotect.
  if (madvise(p, page, MADV_GUARD_INSTALL) != 0 && mprotect(p, page, PROT_NONE) != 0) {
    munmap(p, total);
    return {};
  }
  return Stack{static_cast<char*>(p) + page, size};
}

void* map_chunk(size_t size, bool huge) {
  // Over-allocate, then trim to the alignment.
  void* raw = mmap(nullptr, size * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (base + size - 1) & ~(static_cast<uintptr_t>(size) - 1);
  if (aligned > base) munmap(raw, aligned - base);
  const uintptr_t end = base + size * 2;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  if (huge) madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void unmap_chunk(void* p, size_t size) { munmap(p, size); }

void unmap_stack(const Stack& s) {
  if (!s.base) return;
  const size_t page = page_size();
  munmap(static_cast<char*>(s.base) - page, s.size + page);
}


struct ThreadStart {
  Thread::Fn fn;
  void* arg;
  char name[16];
};

static void* thread_main(void* p) {
  ThreadStart st = *static_cast<ThreadStart*>(p);
  delete static_cast<ThreadStart*>(p);
  pthread_setname_np(pthread_self(), st.name);
  st.fn(st.arg);
  return nullptr;
}

Thread::~Thread() {
  if (m_started) join();
}

bool Thread::start(Fn fn, void* arg, const char* name) {
  auto* st = new ThreadStart{fn, arg, {}};
  strncpy(st->name, name, sizeof(st->name) - 1);
  pthread_t t;
  if (pthread_create(&t, nullptr, thread_main, st) != 0) {
    delete st;
    return false;
  }
  m_handle = t;
  m_started = true;
  return true;
}

void Thread::join() {
  if (!m_started) return;
  pthread_join(static_cast<pthread_t>(m_handle), nullptr);
  m_started = false;
}

void current_thread_stack(void** base, size_t* size) {
  pthread_attr_t attr;
  *base = nullptr;
  *size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  pthread_attr_getstack(&attr, base, size);
  pthread_attr_destroy(&attr);
}

void random_bytes(void* buf, size_t len) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t r = getrandom(p, len, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail otherwise on a supported kernel; fall back to urandom.
      int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
      if (fd < 0) abort();
      r = read(fd, p, len);
      close(fd);
      if (r <= 0) abort();
    }
    p += r;
    len -= static_cast<size_t>(r);
  }
}

int write_all(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t r = write(fd, p, len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += r;
    len -= static_cast<size_t>(r);
  }
  return 0;
}

bool membarrier_init() {
  const long cmds = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void memory_barrier_all_threads() { ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0); }

size_t resident_bytes() {
  FILE* f = fopen("/proc/self/statm", "re");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  return n == 2 ? resident * page_size() : 0;
}

namespace {
// The process's id, read once and again in each fork child: getpid is a real syscall
// (glibc caches nothing), and spawn, attach and detach ask on every call.
std::atomic<int> g_pid{static_cast<int>(getpid())};
void refresh_pid() { g_pid.store(static_cast<int>(getpid()), std::memory_order_relaxed); }
[[maybe_unused]] const int g_pid_hook = pthread_atfork(nullptr, nullptr, &refresh_pid);
}  // namespace

int process_id() { return g_pid.load(std::memory_order_relaxed); }

void at_fork_child(void (*fn)()) { pthread_atfork(nullptr, nullptr, fn); }

}  // namespace uml::host
