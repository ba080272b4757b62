// Futexes: futex, futex_waitv (kernel/futex/syscalls.c).

#include <algorithm>
#include <array>

#include "core/abi/time.h"
#include "core/ipc/futex.h"
#include "core/syscalls/abi_conv.h"
#include "core/syscalls/dispatch.h"
#include "core/time/clock.h"
#include "core/syscalls/user.h"
#include "host/host.h"

namespace uml::kern {

namespace {

constexpr int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
              FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8,
              FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_WAIT_REQUEUE_PI = 11,
              FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13;
constexpr int FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

// A timeout argument as an absolute CLOCK_MONOTONIC deadline: relative for FUTEX_WAIT,
// absolute (monotonic, or realtime with FUTEX_CLOCK_REALTIME) for FUTEX_WAIT_BITSET.
Result<int64_t> deadline_of(const Task& t, long addr, bool absolute, bool realtime) {
  if (!addr) return int64_t{-1};
  const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(addr)));
  if (!timespec_valid(ts)) return Errno::INVAL;
  const int64_t ns = to_ns_saturated(ts);
  const int64_t now = t.monotonic_ns();
  if (!absolute) return now + ns;
  if (!realtime) return ns;
  return now + (ns - t.kernel().realtime().now());  // a realtime instant on the monotonic clock
}

// futex_wait_restart: the same wait, until the same absolute deadline.
Result<long> futex_wait_restart(Task& t, RestartBlock& rb) {
  const void* owner = rb.arg[3] ? static_cast<const void*>(&t.group()) : nullptr;
  const FutexKey key{rb.arg[0], owner};
  Result<void> r = t.kernel().futexes().wait(t, key, static_cast<uint32_t>(rb.arg[1]),
                                              static_cast<uint32_t>(rb.arg[2]), rb.deadline);
  if (r) return 0;
  if (r.error() == Errno::RESTARTSYS) return Errno::RESTART_RESTARTBLOCK;
  return r.error();
}

// attach_to_pi_owner's question: is there a live task with this tid?
bool task_alive(void* k, uint32_t tid) {
  return static_cast<Kernel*>(k)->procs().task_ref(static_cast<pid_t_>(tid)) != nullptr;
}

}  // namespace

Result<long> sys_futex(Task& t, const SyscallArgs& a) {
  const auto uaddr = static_cast<uintptr_t>(a.a[0]);
  const int op = static_cast<int>(a.a[1]);
  const auto val = static_cast<uint32_t>(a.a[2]);
  const int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const bool realtime = op & FUTEX_CLOCK_REALTIME;
  if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
    return Errno::NOSYS;
  // Private futexes are per process; shared ones, in a shared address space, per address.
  const void* owner = (op & FUTEX_PRIVATE_FLAG) ? static_cast<const void*>(&t.group()) : nullptr;
  const FutexKey key{uaddr, owner};
  const FutexKey key2{static_cast<uintptr_t>(a.a[4]), owner};
  FutexTable& ft = t.kernel().futexes();
  auto aligned = [](uintptr_t p) { return p % 4 == 0; };
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const uint32_t bitset = cmd == FUTEX_WAIT ? FutexTable::kBitsetAll : static_cast<uint32_t>(a.a[5]);
      if (!bitset) return Errno::INVAL;
      if (!aligned(uaddr)) return Errno::INVAL;
      const int64_t deadline = TRY(deadline_of(t, a.a[3], cmd == FUTEX_WAIT_BITSET, realtime));
      if (!user_range_ok(uaddr, 4)) return Errno::FAULT;
      Result<void> r = ft.wait(t, key, val, bitset, deadline);
      if (r) return 0;
      // Interrupted: without a timeout the call restarts under SA_RESTART; with one it
      // restarts only when no handler ran, toward the same deadline (signal(7)).
      if (r.error() == Errno::RESTARTSYS && deadline >= 0) {
        RestartBlock& rb = t.restart_block();
        rb.fn = &futex_wait_restart;
        rb.deadline = deadline;
        rb.arg[0] = uaddr;
        rb.arg[1] = val;
        rb.arg[2] = bitset;
        rb.arg[3] = (op & FUTEX_PRIVATE_FLAG) != 0;
        return Errno::RESTART_RESTARTBLOCK;
      }
      return r.error();
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const uint32_t bitset = cmd == FUTEX_WAKE ? FutexTable::kBitsetAll : static_cast<uint32_t>(a.a[5]);
      if (!bitset) return Errno::INVAL;
      if (!aligned(uaddr)) return Errno::INVAL;
      return ft.wake(key, val, bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      const auto n2 = static_cast<int32_t>(a.a[3]);
      if (static_cast<int32_t>(val) < 0 || n2 < 0) return Errno::INVAL;
      if (!aligned(uaddr) || !aligned(key2.addr)) return Errno::INVAL;
      const uint32_t cmp = static_cast<uint32_t>(a.a[5]);
      return ft.requeue(key, key2, val, static_cast<unsigned>(n2), cmd == FUTEX_CMP_REQUEUE ? &cmp : nullptr);
    }
    case FUTEX_WAKE_OP: {
      if (!aligned(uaddr) || !aligned(key2.addr)) return Errno::INVAL;
      return ft.wake_op(key, key2, val, static_cast<uint32_t>(a.a[3]), static_cast<uint32_t>(a.a[5]));
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      if (!aligned(uaddr)) return Errno::INVAL;
      // FUTEX_LOCK_PI's timeout is an absolute CLOCK_REALTIME time; LOCK_PI2's is
      // monotonic unless FUTEX_CLOCK_REALTIME says otherwise.
      const int64_t deadline =
          cmd == FUTEX_TRYLOCK_PI ? -1 : TRY(deadline_of(t, a.a[3], true, cmd == FUTEX_LOCK_PI || realtime));
      TRY(ft.lock_pi(t, static_cast<uint32_t>(t.tid()), key, deadline, cmd == FUTEX_TRYLOCK_PI, &task_alive,
                     &t.kernel()));
      return 0;
    }
    case FUTEX_UNLOCK_PI:
      if (!aligned(uaddr)) return Errno::INVAL;
      TRY(ft.unlock_pi(static_cast<uint32_t>(t.tid()), key));
      return 0;
    case FUTEX_WAIT_REQUEUE_PI: {
      if (!aligned(uaddr) || !aligned(key2.addr)) return Errno::INVAL;
      const int64_t deadline = TRY(deadline_of(t, a.a[3], true, realtime));
      TRY(ft.wait_requeue_pi(t, static_cast<uint32_t>(t.tid()), key, val, key2, deadline));
      return 0;
    }
    case FUTEX_CMP_REQUEUE_PI: {
      const auto n2 = static_cast<int32_t>(a.a[3]);
      if (static_cast<int32_t>(val) < 0 || n2 < 0) return Errno::INVAL;
      if (!aligned(uaddr) || !aligned(key2.addr)) return Errno::INVAL;
      return ft.cmp_requeue_pi(key, key2, val, static_cast<unsigned>(n2), static_cast<uint32_t>(a.a[5]),
                               &task_alive, &t.kernel());
    }
    default: return Errno::NOSYS;
  }
}

}  // namespace uml::kern

namespace uml::kern {

namespace {
struct FutexWaitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};
constexpr uint32_t FUTEX2_SIZE_U32 = 0x02, FUTEX2_SIZE_MASK = 0x03, FUTEX2_NUMA = 0x04,
                   FUTEX2_MPOL = 0x08, FUTEX2_PRIVATE = 128;
}  // namespace

// kernel/futex/syscalls.c: futex_waitv, in its order of checks. The timeout is absolute,
// on CLOCK_MONOTONIC or CLOCK_REALTIME.
Result<long> sys_futex_waitv(Task& t, const SyscallArgs& a) {
  const auto uwaiters = static_cast<uintptr_t>(a.a[0]);
  const auto n = static_cast<unsigned>(a.a[1]);
  if (static_cast<unsigned>(a.a[2]) != 0) return Errno::INVAL;
  if (n == 0 || n > FutexTable::kMaxWaitv || !uwaiters) return Errno::INVAL;
  int64_t deadline = -1;
  if (a.a[3]) {
    const int clock = static_cast<int>(a.a[4]);
    if (clock != abi::CLOCK_REALTIME_ && clock != abi::CLOCK_MONOTONIC_) return Errno::INVAL;
    const abi::timespec ts = TRY(copy_from_user(UserPtr<abi::timespec>(a.a[3])));
    const int64_t ns = to_ns_saturated(ts);
    const int64_t now = t.monotonic_ns();
    deadline = clock == abi::CLOCK_MONOTONIC_ ? ns : now + (ns - t.kernel().realtime().now());
    deadline = std::max<int64_t>(deadline, 0);
  }
  std::array<FutexKey, FutexTable::kMaxWaitv> keys;
  std::array<uint32_t, FutexTable::kMaxWaitv> vals;
  for (unsigned i = 0; i < n; ++i) {
    const FutexWaitv w = TRY(copy_from_user(UserPtr<FutexWaitv>(static_cast<long>(uwaiters + i * sizeof(FutexWaitv)))));
    if ((w.flags & ~(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE)) || w.reserved) return Errno::INVAL;
    if ((w.flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32 || (w.flags & (FUTEX2_NUMA | FUTEX2_MPOL))) return Errno::INVAL;
    if (w.val > UINT32_MAX) return Errno::INVAL;
    if (w.uaddr % 4) return Errno::INVAL;
    keys[i] = FutexKey{static_cast<uintptr_t>(w.uaddr),
                       (w.flags & FUTEX2_PRIVATE) ? static_cast<const void*>(&t.group()) : nullptr};
    vals[i] = static_cast<uint32_t>(w.val);
  }
  return TRY(t.kernel().futexes().wait_multiple(t, keys.data(), vals.data(), n, deadline));
}

}  // namespace uml::kern
