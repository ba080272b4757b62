#pragma once
// Result<T>: a value or an Errno, in the spirit of SerenityOS's ErrorOr and close to
// std::expected's API (has_value, value, error, operator bool) so it can be swapped for it.
// Kernel code does not throw: failures travel as Result, and become -errno in one place,
// at syscall exit.

#include <cassert>
#include <new>
#include <type_traits>
#include <utility>

#include "core/base/errno.h"

namespace uml::kern {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(Errno e) : m_ok(false) { new (&m_err) Errno(e); }  // NOLINT: implicit by design
  template <typename U = T, typename = std::enable_if_t<std::is_constructible_v<T, U&&>>>
  Result(U&& v) : m_ok(true) {  // NOLINT: implicit by design
    new (&m_val) T(std::forward<U>(v));
  }
  Result(const Result& o) : m_ok(o.m_ok) {
    if (m_ok) new (&m_val) T(o.m_val); else new (&m_err) Errno(o.m_err);
  }
  Result(Result&& o) noexcept : m_ok(o.m_ok) {
    if (m_ok) new (&m_val) T(std::move(o.m_val)); else new (&m_err) Errno(o.m_err);
  }
  Result& operator=(Result o) noexcept {
    this->~Result();
    new (this) Result(std::move(o));
    return *this;
  }
  ~Result() {
    if (m_ok) m_val.~T();
  }

  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  T& value() & { assert(m_ok); return m_val; }
  const T& value() const& { assert(m_ok); return m_val; }
  T&& value() && { assert(m_ok); return std::move(m_val); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  Errno error() const { assert(!m_ok); return m_err; }

 private:
  bool m_ok;
  union {
    T m_val;
    Errno m_err;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Errno e) : m_ok(false), m_err(e) {}  // NOLINT: implicit by design
  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  void value() const { assert(m_ok); }
  Errno error() const { assert(!m_ok); return m_err; }

 private:
  bool m_ok = true;
  Errno m_err = Errno::PERM;
};

// Propagate the error of a Result-returning expression, or yield its value.
#define TRY(expr)                                 \
  ({                                              \
    auto _uml_try = (expr);                       \
    if (!_uml_try.has_value()) return _uml_try.error(); \
    std::move(_uml_try).value();                  \
  })

}  // namespace uml::kern
