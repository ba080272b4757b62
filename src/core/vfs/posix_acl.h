#pragma once
// POSIX access ACLs (Linux's fs/posix_acl.c): the system.posix_acl_access value, parsed and
// checked as Linux's permission check does.
//
// The value is the generic xattr format (posix_acl_xattr_header: version 2, then entries of
// tag, permission and id); a filesystem that stores ACLs differently (ext4's compact form)
// converts to it. An ACL is used once valid (posix_acl_valid): one owner, owning group and
// other entry, a mask wherever named users or groups appear, entries in Linux's order.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace uml::kern {

struct Credentials;
struct InodeAttr;

struct PosixAcl {
  enum Tag : uint16_t { UserObj = 0x01, User = 0x02, GroupObj = 0x04, Group = 0x08, Mask = 0x10, Other = 0x20 };
  struct Entry {
    uint16_t tag;
    uint16_t perm;  // rwx as 4, 2, 1
    uint32_t id;    // User and Group entries' uid or gid
  };
  std::vector<Entry> entries;
};

// Parses and validates a system.posix_acl_access value: "" or what is wrong with it.
std::string parse_posix_acl(std::string_view value, PosixAcl* out);

// posix_acl_permission: whether the ACL grants mask (MAY_*) to c, for a file owned by a.uid
// and a.gid. The owner was checked against the mode bits before (acl_permission_check). The
// mask, owner and other entries are taken from a.mode, which Linux keeps them equal to.
Result<void> posix_acl_permission(const Credentials& c, const PosixAcl& acl, const InodeAttr& a, int mask);

}  // namespace uml::kern
