#pragma once
// RingQueue: a FIFO of pointers in a power-of-two circular buffer that grows as needed.
// Single-owner, no synchronisation: a vCPU's local run queue, where a push and a pop must
// cost one store and one load (a linked list costs four or five).

#include <cstddef>
#include <cstdint>
#include <memory>

namespace uml::kern {

template <typename T>
class RingQueue {
 public:
  RingQueue() : m_buf(new T*[kInitial]), m_mask(kInitial - 1) {}
  bool empty() const { return m_head == m_tail; }
  size_t size() const { return static_cast<size_t>(m_tail - m_head); }
  void push_back(T* v) {
    if (__builtin_expect(size() == m_mask + 1, 0)) grow();
    m_buf[m_tail++ & m_mask] = v;
  }
  T* pop_front() {
    if (empty()) return nullptr;
    return m_buf[m_head++ & m_mask];
  }

 private:
  static constexpr size_t kInitial = 64;
  void grow() {
    const size_t n = m_mask + 1;
    std::unique_ptr<T*[]> bigger(new T*[2 * n]);
    for (size_t i = 0; i < n; ++i) bigger[i] = m_buf[(m_head + i) & m_mask];
    m_buf = std::move(bigger);
    m_head = 0;
    m_tail = n;
    m_mask = 2 * n - 1;
  }
  std::unique_ptr<T*[]> m_buf;
  size_t m_mask;
  uint64_t m_head = 0;
  uint64_t m_tail = 0;
};

}  // namespace uml::kern
