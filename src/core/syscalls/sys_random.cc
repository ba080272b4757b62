// Randomness: getrandom, from the instance's ChaCha20 generator (always seeded, so the
// blocking and GRND_INSECURE distinctions of Linux's pool never arise).

#include "core/abi/process.h"
#include "core/syscalls/dispatch.h"
#include "core/syscalls/user.h"

namespace uml::kern {

Result<long> sys_getrandom(Task& t, const SyscallArgs& a) {
  const uintptr_t buf = static_cast<uintptr_t>(a.a[0]);
  size_t len = static_cast<size_t>(a.a[1]);
  const auto flags = static_cast<uint32_t>(a.a[2]);
  if (flags & ~(abi::GRND_NONBLOCK_ | abi::GRND_RANDOM_ | abi::GRND_INSECURE_)) return Errno::INVAL;
  if ((flags & (abi::GRND_INSECURE_ | abi::GRND_RANDOM_)) == (abi::GRND_INSECURE_ | abi::GRND_RANDOM_))
    return Errno::INVAL;
  constexpr size_t kMaxRw = 0x7ffff000;  // MAX_RW_COUNT
  if (len > kMaxRw) len = kMaxRw;
  if (!user_range_ok(buf, len)) return Errno::FAULT;
  size_t done = 0;  // a fault after some bytes returns what was written, as Linux does
  uint8_t chunk[4096];
  while (done < len) {
    // Like Linux, a long request stops early (with what it has) when the task is interrupted.
    if (done > 0 && t.m_interrupt.load(std::memory_order_relaxed)) break;
    size_t n = std::min(len - done, sizeof(chunk));
    t.kernel().random_bytes(chunk, n);
    if (!copy_to_user(buf + done, chunk, n)) {
      if (done == 0) return Errno::FAULT;
      break;
    }
    done += n;
  }
  return static_cast<long>(done);
}

}  // namespace uml::kern
