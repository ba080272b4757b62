#include "core/cred/credentials.h"

#include <algorithm>

namespace uml::kern {

Credentials Credentials::for_user(uid_t_ uid, gid_t_ gid) {
  Credentials c;
  c.uid = c.euid = c.suid = c.fsuid = uid;
  c.gid = c.egid = c.sgid = c.fsgid = gid;
  if (uid != 0) c.cap_permitted = c.cap_effective = 0;
  return c;
}

bool Credentials::in_group(gid_t_ g) const {
  return g == fsgid || std::binary_search(groups.begin(), groups.end(), g);
}

// security/commoncap.c: cap_emulate_setxuid.
void Credentials::fix_caps_after_uid_change(const Credentials& old) {
  const bool old_any_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
  const bool new_any_root = uid == 0 || euid == 0 || suid == 0;
  if (old_any_root && !new_any_root) {
    cap_permitted = 0;
    cap_effective = 0;
  }
  if (old.euid == 0 && euid != 0) cap_effective = 0;
  if (old.euid != 0 && euid == 0) cap_effective = cap_permitted;
  // fsuid follows euid in the set*uid calls (cap_task_fix_setuid, LSM_SETID_FS part).
  if (old.fsuid == 0 && fsuid != 0) cap_effective &= ~abi::CAP_FS_MASK;
  if (old.fsuid != 0 && fsuid == 0) cap_effective |= cap_permitted & abi::CAP_FS_MASK;
}

Result<void> Credentials::setuid(uid_t_ id) {
  if (id == kInvalidId) return Errno::INVAL;
  const Credentials old = *this;
  if (capable(abi::CAP_SETUID)) {
    uid = suid = id;
  } else if (id != old.uid && id != old.suid) {
    return Errno::PERM;
  }
  euid = fsuid = id;
  fix_caps_after_uid_change(old);
  return {};
}

Result<void> Credentials::setreuid(uid_t_ r, uid_t_ e) {
  const Credentials old = *this;
  const bool priv = capable(abi::CAP_SETUID);
  if (r != kInvalidId && r != old.uid && r != old.euid && !priv) return Errno::PERM;
  if (e != kInvalidId && e != old.uid && e != old.euid && e != old.suid && !priv)
    return Errno::PERM;
  if (r != kInvalidId) uid = r;
  if (e != kInvalidId) euid = e;
  if (r != kInvalidId || (e != kInvalidId && e != old.uid)) suid = euid;
  fsuid = euid;
  fix_caps_after_uid_change(old);
  return {};
}

Result<void> Credentials::setresuid(uid_t_ r, uid_t_ e, uid_t_ s) {
  const Credentials old = *this;
  auto allowed = [&](uid_t_ v) {
    return v == kInvalidId || v == old.uid || v == old.euid || v == old.suid;
  };
  if (!capable(abi::CAP_SETUID) && !(allowed(r) && allowed(e) && allowed(s))) return Errno::PERM;
  if (r != kInvalidId) uid = r;
  if (e != kInvalidId) euid = e;
  if (s != kInvalidId) suid = s;
  fsuid = euid;
  fix_caps_after_uid_change(old);
  return {};
}

Result<void> Credentials::setgid(gid_t_ id) {
  if (id == kInvalidId) return Errno::INVAL;
  if (capable(abi::CAP_SETGID)) {
    gid = sgid = id;
  } else if (id != gid && id != sgid) {
    return Errno::PERM;
  }
  egid = fsgid = id;
  return {};
}

Result<void> Credentials::setregid(gid_t_ r, gid_t_ e) {
  const gid_t_ old_gid = gid, old_egid = egid, old_sgid = sgid;
  const bool priv = capable(abi::CAP_SETGID);
  if (r != kInvalidId && r != old_gid && r != old_egid && !priv) return Errno::PERM;
  if (e != kInvalidId && e != old_gid && e != old_egid && e != old_sgid && !priv)
    return Errno::PERM;
  if (r != kInvalidId) gid = r;
  if (e != kInvalidId) egid = e;
  if (r != kInvalidId || (e != kInvalidId && e != old_gid)) sgid = egid;
  fsgid = egid;
  return {};
}

Result<void> Credentials::setresgid(gid_t_ r, gid_t_ e, gid_t_ s) {
  auto allowed = [&](gid_t_ v) { return v == kInvalidId || v == gid || v == egid || v == sgid; };
  if (!capable(abi::CAP_SETGID) && !(allowed(r) && allowed(e) && allowed(s))) return Errno::PERM;
  if (r != kInvalidId) gid = r;
  if (e != kInvalidId) egid = e;
  if (s != kInvalidId) sgid = s;
  fsgid = egid;
  return {};
}

Result<void> Credentials::setgroups(std::vector<gid_t_> g) {
  if (!capable(abi::CAP_SETGID)) return Errno::PERM;
  if (g.size() > static_cast<size_t>(abi::NGROUPS_MAX_)) return Errno::INVAL;
  std::sort(g.begin(), g.end());
  groups = std::move(g);
  return {};
}

}  // namespace uml::kern
