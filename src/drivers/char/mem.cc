#include "drivers/char/mem.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace uml::drivers {

namespace {

using kern::Errno;
using kern::File;
using kern::FileOps;
using kern::IoBuffer;
using kern::Result;
using kern::Actor;

// /dev/null: reads end at once, writes vanish.
class NullDev final : public FileOps {
 public:
  Result<size_t> read(File&, Actor&, const IoBuffer&, uint64_t*) override { return size_t{0}; }
  Result<size_t> write(File&, Actor&, const IoBuffer& buf, uint64_t*) override { return buf.size(); }
};

// Fills buf from a generator a chunk at a time; a fault ends it (FAULT if nothing moved).
template <typename Fill>
Result<size_t> fill_buffer(const IoBuffer& buf, Fill&& fill) {
  char chunk[4096];
  size_t done = 0;
  while (done < buf.size()) {
    const size_t n = std::min(sizeof chunk, buf.size() - done);
    fill(chunk, n);
    const size_t k = buf.write_some(done, chunk, n);
    done += k;
    if (k < n) break;
  }
  if (done == 0 && buf.size() > 0) return Errno::FAULT;
  return done;
}

// /dev/zero (and /dev/full, whose writes find no space).
class ZeroDev final : public FileOps {
 public:
  explicit ZeroDev(bool full) : m_full(full) {}
  Result<size_t> read(File&, Actor&, const IoBuffer& buf, uint64_t*) override {
    return fill_buffer(buf, [](char* p, size_t n) { memset(p, 0, n); });
  }
  Result<size_t> write(File&, Actor&, const IoBuffer& buf, uint64_t*) override {
    if (m_full) return Errno::NOSPC;
    return buf.size();
  }

 private:
  const bool m_full;
};

// /dev/random and /dev/urandom: the instance's ChaCha20 generator (never blocking, as
// Linux's random has been since 5.6); writes are accepted and not credited.
class RandomDev final : public FileOps {
 public:
  explicit RandomDev(std::function<void(void*, size_t)> gen) : m_gen(std::move(gen)) {}
  Result<size_t> read(File&, Actor&, const IoBuffer& buf, uint64_t*) override {
    return fill_buffer(buf, [&](char* p, size_t n) { m_gen(p, n); });
  }
  Result<size_t> write(File&, Actor&, const IoBuffer& buf, uint64_t*) override { return buf.size(); }
  Result<long> ioctl(File&, Actor&, unsigned cmd, uintptr_t arg) override {
    constexpr unsigned RNDGETENTCNT = 0x80045200;
    if (cmd != RNDGETENTCNT) return Errno::INVAL;  // random_ioctl's answer to the unknown
    const int32_t bits = 256;                        // a fully seeded pool
    if (!IoBuffer::user(arg, sizeof bits).write_from(0, &bits, sizeof bits)) return Errno::FAULT;
    return 0;
  }

 private:
  std::function<void(void*, size_t)> m_gen;
};

// /dev/console: output to the instance console; input reads as end-of-file (no console
// input yet: docs/differences.md). A stream: no seeking, no pread.
class ConsoleDev final : public FileOps {
 public:
  explicit ConsoleDev(kern::ConsoleSink* sink) : m_sink(sink) {}
  Result<size_t> read(File&, Actor&, const IoBuffer&, uint64_t*) override { return size_t{0}; }
  Result<size_t> write(File&, Actor&, const IoBuffer& buf, uint64_t*) override {
    std::string text(buf.size(), '\0');
    const size_t n = buf.read_some(0, text.data(), text.size());
    if (n == 0 && buf.size() > 0) return Errno::FAULT;
    text.resize(n);
    if (m_sink) m_sink->write(text);
    return n;
  }
  Result<int64_t> llseek(File&, uint64_t, int64_t, int) override { return Errno::SPIPE; }
  bool positional() const override { return false; }

 private:
  kern::ConsoleSink* m_sink;
};

}  // namespace

std::vector<DeviceNode> register_char_devices(kern::Vfs& vfs, const CharDeviceEnv& env) {
  using uml::abi::makedev_;
  auto shared = [](std::shared_ptr<FileOps> ops) {
    return [ops]() -> Result<std::shared_ptr<FileOps>> { return ops; };
  };
  vfs.register_chrdev(makedev_(1, 3), shared(std::make_shared<NullDev>()));
  vfs.register_chrdev(makedev_(1, 5), shared(std::make_shared<ZeroDev>(false)));
  vfs.register_chrdev(makedev_(1, 7), shared(std::make_shared<ZeroDev>(true)));
  auto random = std::make_shared<RandomDev>(env.random_bytes);
  vfs.register_chrdev(makedev_(1, 8), shared(random));
  vfs.register_chrdev(makedev_(1, 9), shared(random));
  vfs.register_chrdev(makedev_(5, 1), shared(std::make_shared<ConsoleDev>(env.console)));
  // /dev/tty is the caller's controlling terminal; no task has one yet (tty_open: ENXIO).
  vfs.register_chrdev(makedev_(5, 0), []() -> Result<std::shared_ptr<FileOps>> { return Errno::NXIO; });
  return {
      {"null", 0666, makedev_(1, 3)},   {"zero", 0666, makedev_(1, 5)},
      {"full", 0666, makedev_(1, 7)},   {"random", 0666, makedev_(1, 8)},
      {"urandom", 0666, makedev_(1, 9)}, {"tty", 0666, makedev_(5, 0)},
      {"console", 0600, makedev_(5, 1)},
  };
}

}  // namespace uml::drivers
