#pragma once
// Task credentials (Linux's struct cred): real/effective/saved/filesystem ids, supplementary
// groups and capability sets. uid 0 starts with every capability; the set*id rules and the
// capability transitions are Linux's (kernel/sys.c, security/commoncap.c
// cap_emulate_setxuid), so e.g. a task that drops all of its uids from 0 loses its
// capabilities for good, and one that keeps a saved uid 0 can regain them.

#include <cstdint>
#include <vector>

#include "core/abi/process.h"
#include "core/base/result.h"

namespace uml::kern {

using uid_t_ = uint32_t;
using gid_t_ = uint32_t;
inline constexpr uint32_t kInvalidId = 0xffffffffu;  // (uid_t)-1: "unchanged" / invalid

struct Credentials {
  uid_t_ uid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t_ gid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t_> groups;  // sorted, as Linux keeps them
  uint64_t cap_permitted = abi::CAP_FULL_SET;
  uint64_t cap_effective = abi::CAP_FULL_SET;
  uint64_t cap_inheritable = 0;

  static Credentials for_user(uid_t_ uid, gid_t_ gid);
  bool capable(int cap) const { return (cap_effective >> cap) & 1; }
  bool in_group(gid_t_ g) const;  // fsgid or a supplementary group

  Result<void> setuid(uid_t_ uid);
  Result<void> setreuid(uid_t_ ruid, uid_t_ euid);
  Result<void> setresuid(uid_t_ ruid, uid_t_ euid, uid_t_ suid);
  Result<void> setgid(gid_t_ gid);
  Result<void> setregid(gid_t_ rgid, gid_t_ egid);
  Result<void> setresgid(gid_t_ rgid, gid_t_ egid, gid_t_ sgid);
  Result<void> setgroups(std::vector<gid_t_> groups);

 private:
  void fix_caps_after_uid_change(const Credentials& old);
};

}  // namespace uml::kern
