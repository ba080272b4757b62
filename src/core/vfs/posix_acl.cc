#include "core/vfs/posix_acl.h"

#include "core/base/byteorder.h"
#include "core/cred/credentials.h"
#include "core/vfs/inode.h"

namespace uml::kern {

namespace {

const uint8_t* bytes(std::string_view v, size_t off) { return reinterpret_cast<const uint8_t*>(v.data()) + off; }

}  // namespace

std::string parse_posix_acl(std::string_view value, PosixAcl* out) {
  constexpr uint32_t kVersion = 2;  // POSIX_ACL_XATTR_VERSION
  if (value.size() < 4 || (value.size() - 4) % 8 != 0) return "bad ACL size";
  if (le32(bytes(value, 0)) != kVersion) return "bad ACL version";
  PosixAcl acl;
  // posix_acl_valid: owner, named users, owning group, named groups, mask, other; the mask
  // only and always where named entries are.
  int state = PosixAcl::UserObj;
  bool needs_mask = false;
  for (size_t off = 4; off < value.size(); off += 8) {
    const PosixAcl::Entry e{le16(bytes(value, off)), le16(bytes(value, off + 2)), le32(bytes(value, off + 4))};
    if (e.perm & ~7u) return "bad ACL permission";
    switch (e.tag) {
      case PosixAcl::UserObj:
        if (state != PosixAcl::UserObj) return "ACL entries out of order";
        state = PosixAcl::User;
        break;
      case PosixAcl::User:
        if (state != PosixAcl::User) return "ACL entries out of order";
        needs_mask = true;
        break;
      case PosixAcl::GroupObj:
        if (state != PosixAcl::User) return "ACL entries out of order";
        state = PosixAcl::Group;
        break;
      case PosixAcl::Group:
        if (state != PosixAcl::Group) return "ACL entries out of order";
        needs_mask = true;
        break;
      case PosixAcl::Mask:
        if (state != PosixAcl::Group) return "ACL entries out of order";
        state = PosixAcl::Other;
        break;
      case PosixAcl::Other:
        if (!(state == PosixAcl::Other || (state == PosixAcl::Group && !needs_mask)))
          return needs_mask ? "ACL with named entries but no mask" : "ACL entries out of order";
        state = 0;
        break;
      default:
        return "bad ACL tag";
    }
    acl.entries.push_back(e);
  }
  if (state != 0) return "ACL without an entry for others";
  *out = std::move(acl);
  return {};
}

Result<void> posix_acl_permission(const Credentials& c, const PosixAcl& acl, const InodeAttr& a, int mask) {
  const auto& es = acl.entries;
  const uint16_t want = static_cast<uint16_t>(mask & 7);
  // Linux keeps the mask (or, without one, the owning group's entry), the owner's and the
  // others' entries equal to the mode's bits (posix_acl_chmod on every chmod): the mode is
  // what they hold.
  bool has_mask = false;
  for (const PosixAcl::Entry& e : es) has_mask |= e.tag == PosixAcl::Mask;
  auto perm_of = [&](const PosixAcl::Entry& e) -> uint16_t {
    switch (e.tag) {
      case PosixAcl::UserObj: return static_cast<uint16_t>((a.mode >> 6) & 7);
      case PosixAcl::Mask: return static_cast<uint16_t>((a.mode >> 3) & 7);
      case PosixAcl::GroupObj: return has_mask ? e.perm : static_cast<uint16_t>((a.mode >> 3) & 7);
      case PosixAcl::Other: return static_cast<uint16_t>(a.mode & 7);
      default: return e.perm;
    }
  };
  bool found = false;
  for (size_t i = 0; i < es.size(); ++i) {
    PosixAcl::Entry e = es[i];
    e.perm = perm_of(e);
    bool masked = false;
    switch (e.tag) {
      case PosixAcl::UserObj:
        if (c.fsuid == a.uid) return (e.perm & want) == want ? Result<void>{} : Result<void>(Errno::ACCES);
        continue;
      case PosixAcl::User:
        if (c.fsuid != e.id) continue;
        masked = true;
        break;
      case PosixAcl::GroupObj:
      case PosixAcl::Group:
        if (!c.in_group(e.tag == PosixAcl::GroupObj ? a.gid : e.id)) continue;
        found = true;
        if ((e.perm & want) != want) continue;
        masked = true;
        break;
      case PosixAcl::Mask:
        continue;
      case PosixAcl::Other:
        if (found) return Errno::ACCES;
        return (e.perm & want) == want ? Result<void>{} : Result<void>(Errno::ACCES);
      default:
        return Errno::IO;
    }
    if (masked) {  // a named or group entry: the mask after it limits it
      for (size_t m = i + 1; m < es.size(); ++m)
        if (es[m].tag == PosixAcl::Mask)
          return (e.perm & perm_of(es[m]) & want) == want ? Result<void>{} : Result<void>(Errno::ACCES);
      return (e.perm & want) == want ? Result<void>{} : Result<void>(Errno::ACCES);
    }
  }
  return Errno::IO;
}

}  // namespace uml::kern
