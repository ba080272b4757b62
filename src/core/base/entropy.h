#pragma once
// Entropy: where kernel code below the instance gets random bytes (an ext4 inode's
// generation, later TCP sequence numbers): the instance's generator (Kernel::random_bytes,
// reproducible with seed=), never the host's directly.

#include <cstddef>
#include <cstdint>

namespace uml::kern {

class Entropy {
 public:
  virtual void random_bytes(void* buf, size_t len) = 0;
  uint32_t random_u32() {
    uint32_t v;
    random_bytes(&v, sizeof v);
    return v;
  }

 protected:
  ~Entropy() = default;
};

}  // namespace uml::kern
