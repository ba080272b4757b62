#pragma once
// Intrusive reference counting for shared kernel objects (tasks, thread groups, and later
// inodes, files, sockets). RefPtr<T> owns one reference. "Last close" style hooks are a
// separate concern of each object; this only frees memory.

#include <atomic>
#include <cstdint>
#include <utility>

#include "core/base/verify.h"

namespace uml::kern {

template <typename T>
class RefCounted {
 public:
  // A new reference to an object someone holds: taking one from a count of zero (an object
  // on its way out: try_ref is for that) or past 2^31 (a leak in a loop) is a kernel bug.
  void ref() const {
    const uint32_t old = m_refs.fetch_add(1, std::memory_order_relaxed);
    VERIFY(old != 0 && old < kMaxRefs);
  }
  // The last reference frees the object, or hands it to T::rc_destroy when T has one
  // (objects that lock-free readers may still see are freed after an RCU grace period).
  // Dropping a reference nobody held is a kernel bug, and frees nothing.
  void unref() const {
    const uint32_t old = m_refs.fetch_sub(1, std::memory_order_acq_rel);
    if (old != 1) {
      if (!VERIFY(old != 0 && old <= kMaxRefs)) m_refs.store(0, std::memory_order_relaxed);
      return;
    }
    const T* self = static_cast<const T*>(this);
    if constexpr (requires { T::rc_destroy(self); }) T::rc_destroy(self);
    else delete self;
  }
  // A reference from a pointer found without one (under RCU): fails once the count has
  // reached zero, since the object is then on its way out.
  bool try_ref() const {
    uint32_t c = m_refs.load(std::memory_order_relaxed);
    do {
      if (c == 0) return false;
    } while (!m_refs.compare_exchange_weak(c, c + 1, std::memory_order_acquire, std::memory_order_relaxed));
    return true;
  }
  uint32_t ref_count() const { return m_refs.load(std::memory_order_relaxed); }
  static constexpr uint32_t kMaxRefs = 1u << 31;

 protected:
  RefCounted() = default;
  ~RefCounted() = default;

 private:
  mutable std::atomic<uint32_t> m_refs{1};
};

template <typename T>
class RefPtr {
 public:
  RefPtr() = default;
  RefPtr(std::nullptr_t) {}  // NOLINT
  // Adopts the creation reference of a freshly built object.
  static RefPtr adopt(T* p) { RefPtr r; r.m_ptr = p; return r; }
  explicit RefPtr(T* p) : m_ptr(p) { if (p) p->ref(); }
  // Takes a reference try_ref already counted.
  static RefPtr adopt_ref(T* p) { return adopt(p); }
  RefPtr(const RefPtr& o) : m_ptr(o.m_ptr) { if (m_ptr) m_ptr->ref(); }
  RefPtr(RefPtr&& o) noexcept : m_ptr(std::exchange(o.m_ptr, nullptr)) {}
  template <typename U>
  RefPtr(RefPtr<U>&& o) noexcept : m_ptr(o.leak()) {}  // NOLINT
  ~RefPtr() { if (m_ptr) m_ptr->unref(); }
  RefPtr& operator=(RefPtr o) noexcept { std::swap(m_ptr, o.m_ptr); return *this; }

  T* get() const { return m_ptr; }
  T* operator->() const { return m_ptr; }
  T& operator*() const { return *m_ptr; }
  explicit operator bool() const { return m_ptr != nullptr; }
  T* leak() { return std::exchange(m_ptr, nullptr); }
  bool operator==(const RefPtr& o) const { return m_ptr == o.m_ptr; }

 private:
  T* m_ptr = nullptr;
};

template <typename T, typename... A>
RefPtr<T> make_ref(A&&... a) {
  return RefPtr<T>::adopt(new T(std::forward<A>(a)...));
}

}  // namespace uml::kern
