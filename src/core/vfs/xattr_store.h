#pragma once
// XattrStore: extended attributes kept in memory, for filesystems without an on-disk place
// for them (Linux's simple_xattrs, used by tmpfs). Names keep their insertion order, as
// listxattr shows them. Thread-safe; the VFS serialises writers with the inode's rwsem.

#include <string>
#include <string_view>
#include <vector>

#include "core/abi/fs.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"

namespace uml::kern {

class XattrStore {
 public:
  Result<std::string> get(std::string_view name) const {
    SpinGuard g(m_lock);
    for (const auto& [n, v] : m_items)
      if (n == name) return v;
    return Errno::NODATA;
  }
  Result<void> set(std::string_view name, std::string_view value, int flags) {
    SpinGuard g(m_lock);
    for (auto& [n, v] : m_items) {
      if (n != name) continue;
      if (flags & abi::XATTR_CREATE_) return Errno::EXIST;
      v.assign(value.data(), value.size());
      return {};
    }
    if (flags & abi::XATTR_REPLACE_) return Errno::NODATA;
    m_items.emplace_back(std::string(name), std::string(value));
    return {};
  }
  Result<void> remove(std::string_view name) {
    SpinGuard g(m_lock);
    for (auto it = m_items.begin(); it != m_items.end(); ++it) {
      if (it->first != name) continue;
      m_items.erase(it);
      return {};
    }
    return Errno::NODATA;
  }
  std::vector<std::string> list() const {
    SpinGuard g(m_lock);
    std::vector<std::string> out;
    out.reserve(m_items.size());
    for (const auto& item : m_items) out.push_back(item.first);
    return out;
  }

 private:
  mutable SpinLock m_lock;
  std::vector<std::pair<std::string, std::string>> m_items;
};

}  // namespace uml::kern
