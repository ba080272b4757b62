#pragma once
// RCU: lock-free readers, deferred frees (Linux's RCU, as epoch-based reclamation).
//
// A reader brackets its lock-free traversal with a ReadGuard; it must not block, park or
// yield inside. A writer unlinks an object so new readers cannot find it, then retires it:
// the object is freed once every reader that might still hold it has left its read section.
//
// Readers pay a store and a compiler barrier; the writer side pays a membarrier(2) per
// grace period (the "memb" flavour of userspace RCU), batched over many retired objects.
// Without membarrier (or under ThreadSanitizer, which cannot see it) readers use a full
// fence instead.
//
// The reader registry and the epoch are process-wide, like the allocator they stand in for:
// an object retired by one instance is never visible to another, so sharing the grace
// periods only batches them.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace uml::kern::rcu {

struct Reader;
Reader& this_reader();

// Enters (nests) a read section on this thread.
class ReadGuard {
 public:
  ReadGuard();
  ~ReadGuard();
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

 private:
  Reader& m_reader;
};

// Frees p with fn(p) after a grace period. Any thread, under any lock: it only queues.
void retire(void* p, void (*fn)(void*));
namespace detail {
extern std::atomic<size_t> g_retired;  // objects retired and not yet freed
inline constexpr size_t kBatch = 256;  // retirements between grace periods
void reclaim_batch();
}  // namespace detail

// A point where the calling thread holds no locks and no read section (a syscall's end):
// frees what is due if enough has queued. One load when nothing is.
inline void quiescent() {
  if (__builtin_expect(detail::g_retired.load(std::memory_order_relaxed) >= detail::kBatch, 0))
    detail::reclaim_batch();
}

template <typename T>
void retire_delete(const T* p) {
  retire(const_cast<T*>(p), [](void* q) { delete static_cast<T*>(q); });
}

// Waits until everything retired before the call is freed (tests, shutdown). Must not be
// called inside a read section.
void synchronize();

// Objects retired and not yet freed (tests, statistics).
size_t pending();

}  // namespace uml::kern::rcu
