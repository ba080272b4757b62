#include "drivers/block/host_io.h"

#include <algorithm>

#include "core/base/errno.h"
#include "core/sched/scheduler.h"

namespace uml::drivers {

int FixedFile::fd_for(host::Reactor& r) {
  {
    kern::SpinGuard g(m_lock);
    for (const auto& [ring, slot] : m_slots)
      if (ring == &r) return slot >= 0 ? host::Reactor::fixed_file(slot) : m_fd;
  }
  const int slot = r.register_file(m_fd);  // this ring's thread: no one else touches it
  kern::SpinGuard g(m_lock);
  m_slots.emplace_back(&r, slot < 0 ? -1 : slot);
  return slot >= 0 ? host::Reactor::fixed_file(slot) : m_fd;
}

void FixedFile::release() {
  {
    kern::SpinGuard g(m_lock);
    if (m_slots.empty()) return;
  }
  if (m_sched) {
    m_sched->run_on_each_vcpu(kern::Scheduler::current_or_host(), [](void* arg, host::Reactor& ring) {
      auto* f = static_cast<FixedFile*>(arg);
      kern::SpinGuard g(f->m_lock);
      for (const auto& [r, slot] : f->m_slots)
        if (r == &ring && slot >= 0) ring.unregister_file(slot);
    }, this);
  }
  kern::SpinGuard g(m_lock);
  m_slots.clear();
}

void HostOp::start() {
  const unsigned n = static_cast<unsigned>(iov.size());
  if (host::Reactor* r = kern::Scheduler::current_reactor()) {
    const int fd = fixed ? fixed->fd_for(*r) : this->fd;
    bool ok = false;
    const int slot = region && n == 1 && !dsync ? r->buffer_slot(region, region_len) : -1;
    switch (kind) {
      case Kind::Read:
        ok = slot >= 0 ? r->read_fixed(fd, iov[0].base, static_cast<unsigned>(iov[0].len), off, slot, this)
                       : r->readv(fd, iov.data(), n, off, this);
        break;
      case Kind::Write:
        ok = slot >= 0 ? r->write_fixed(fd, iov[0].base, static_cast<unsigned>(iov[0].len), off, slot, this)
                       : r->writev(fd, iov.data(), n, off, dsync, this);
        break;
      case Kind::Sync: ok = r->fsync(fd, true, this); break;
      case Kind::Punch: ok = r->fallocate(fd, host::Fallocate::PunchHole, off, len, this); break;
      case Kind::Zero: ok = r->fallocate(fd, host::Fallocate::ZeroRange, off, len, this); break;
    }
    if (ok) {
      if (!kern::Scheduler::may_batch_io()) r->submit();
      return;
    }
    // The ring is full even after a flush to the host: this one synchronously.
  }
  int64_t res = 0;
  switch (kind) {
    case Kind::Read: res = host::preadv_file(fd, iov.data(), static_cast<int>(n), off); break;
    case Kind::Write:
      res = host::pwritev_file(fd, iov.data(), static_cast<int>(n), off);
      if (res >= 0 && dsync) {
        if (int f = host::fsync_file(fd, true); f < 0) res = f;
      }
      break;
    case Kind::Sync: res = host::fsync_file(fd, true); break;
    case Kind::Punch: res = host::fallocate_file(fd, host::Fallocate::PunchHole, off, len); break;
    case Kind::Zero: res = host::fallocate_file(fd, host::Fallocate::ZeroRange, off, len); break;
  }
  complete(static_cast<int32_t>(std::clamp<int64_t>(res, INT32_MIN, INT32_MAX)));
}

void HostOp::complete(int32_t res) {
  if (res < 0) return done(this, res);
  if (kind != Kind::Read && kind != Kind::Write) return done(this, 0);
  if (res == 0) return done(this, -to_int(kern::Errno::IO));  // the host file ended early
  size_t skip = static_cast<size_t>(res);
  size_t i = 0;
  while (i < iov.size() && skip >= iov[i].len) skip -= iov[i++].len;
  if (i == iov.size()) return done(this, 0);
  // A short transfer: the rest, from where it stopped (still within the same region).
  off += static_cast<uint64_t>(res);
  iov.erase(iov.begin(), iov.begin() + static_cast<long>(i));
  iov[0].base = static_cast<char*>(iov[0].base) + skip;
  iov[0].len -= skip;
  start();
}

}  // namespace uml::drivers
