#pragma once
// A doubly linked intrusive list. An object joins a list through a ListNode member; the list
// never owns or frees its elements. Not thread-safe: the owner's lock guards it.

#include <cstddef>

#include "core/base/verify.h"

namespace uml::kern {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  void* obj = nullptr;  // the element that holds this node; set on insertion
  bool linked() const { return next != nullptr; }
};

template <typename T, ListNode T::*Node>
class IntrusiveList {
 public:
  IntrusiveList() { m_head.prev = m_head.next = &m_head; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return m_head.next == &m_head; }
  size_t size() const { return m_size; }

  // Adding an element that is on a list already is a kernel bug, and adds nothing.
  void push_back(T& t) {
    if (!VERIFY(!(t.*Node).linked())) return;
    (t.*Node).obj = &t;
    insert_before(&m_head, &(t.*Node));
  }
  void push_front(T& t) {
    if (!VERIFY(!(t.*Node).linked())) return;
    (t.*Node).obj = &t;
    insert_before(m_head.next, &(t.*Node));
  }
  T* front() const { return empty() ? nullptr : owner(m_head.next); }
  T* pop_front() {
    if (empty()) return nullptr;
    T* t = owner(m_head.next);
    remove(*t);
    return t;
  }
  // Removing an element that is on no list is a kernel bug, and removes nothing.
  void remove(T& t) {
    ListNode* n = &(t.*Node);
    if (!VERIFY(n->linked() && n->prev->next == n && n->next->prev == n)) return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    --m_size;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (ListNode* n = m_head.next; n != &m_head;) {
      ListNode* next = n->next;  // f may remove the element
      f(*owner(n));
      n = next;
    }
  }
  // As for_each, stopping once f returns true.
  template <typename F>
  void for_each_until(F&& f) const {
    for (ListNode* n = m_head.next; n != &m_head;) {
      ListNode* next = n->next;
      if (f(*owner(n))) return;
      n = next;
    }
  }

 private:
  static T* owner(ListNode* n) { return static_cast<T*>(n->obj); }
  void insert_before(ListNode* pos, ListNode* n) {
    n->next = pos;
    n->prev = pos->prev;
    pos->prev->next = n;
    pos->prev = n;
    ++m_size;
  }

  ListNode m_head;
  size_t m_size = 0;
};

}  // namespace uml::kern
