#pragma once
// SuperBlock: one mounted filesystem instance (Linux's struct super_block).

#include <atomic>
#include <cstdint>
#include <string>

#include "core/abi/fs.h"
#include "core/base/ref_counted.h"
#include "core/vfs/inode.h"

namespace uml::kern {

class SuperBlock : public RefCounted<SuperBlock> {
 public:
  SuperBlock(std::string fstype, uint64_t dev) : m_fstype(std::move(fstype)), m_dev(dev) {}
  virtual ~SuperBlock() = default;

  const std::string& fstype() const { return m_fstype; }
  uint64_t dev() const { return m_dev; }
  uint64_t alloc_ino() { return m_next_ino.fetch_add(1, std::memory_order_relaxed); }
  const RefPtr<Inode>& root() const { return m_root; }
  virtual abi::statfs statfs() = 0;

 protected:
  std::string m_fstype;
  uint64_t m_dev;
  std::atomic<uint64_t> m_next_ino{2};  // 1 is never used; the root gets 2, as ext4's does
  RefPtr<Inode> m_root;
};

}  // namespace uml::kern
