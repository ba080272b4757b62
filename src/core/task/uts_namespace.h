#pragma once
// A UTS namespace (Linux's struct uts_namespace): the host name and NIS domain name that
// uname shows and sethostname sets. Every task has one (its nsproxy's); a new task shares
// its creator's, and unshare(CLONE_NEWUTS) gives the caller a copy of its own. The
// instance's first one is the "initial" namespace, named by Linux's inode number for it.
//
// Thread-safe; never parks.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/spinlock.h"

namespace uml::kern {

class UtsNamespace {
 public:
  static constexpr uint64_t kInitInum = 0xEFFFFFFEu;  // PROC_UTS_INIT_INO
  UtsNamespace(std::string host, std::string domain, uint64_t inum)
      : m_host(std::move(host)), m_domain(std::move(domain)), m_inum(inum) {}

  std::string hostname() const {
    SpinGuard g(m_lock);
    return m_host;
  }
  std::string domainname() const {
    SpinGuard g(m_lock);
    return m_domain;
  }
  void set_hostname(std::string_view s) {
    SpinGuard g(m_lock);
    m_host = s;
  }
  void set_domainname(std::string_view s) {
    SpinGuard g(m_lock);
    m_domain = s;
  }
  // What /proc/[pid]/ns/uts names it by (its nsfs inode number).
  uint64_t inum() const { return m_inum; }
  // copy_utsname: a new namespace with these names, numbered inum.
  std::shared_ptr<UtsNamespace> copy(uint64_t inum) const {
    SpinGuard g(m_lock);
    return std::make_shared<UtsNamespace>(m_host, m_domain, inum);
  }

 private:
  mutable SpinLock m_lock;
  std::string m_host, m_domain;
  const uint64_t m_inum;
};

}  // namespace uml::kern
