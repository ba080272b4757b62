#include "core/base/rcu.h"

#include <mutex>
#include <vector>

#include "core/base/spinlock.h"
#include "host/host.h"
#include "host/sanitizer.h"

namespace uml::kern::rcu {

std::atomic<size_t> detail::g_retired{0};

struct Reader {
  std::atomic<uint64_t> epoch{0};  // 0: outside; else the global epoch seen at entry
  unsigned nesting = 0;            // this thread only
  Reader* next = nullptr;
};

namespace {

struct Retired {
  void* p;
  void (*fn)(void*);
  uint64_t epoch;
};

struct Domain {
  Domain() {
#ifndef UML_TSAN
    asymmetric = host::membarrier_init();
#endif
  }
  bool asymmetric = false;           // readers rely on membarrier, not on a fence
  std::atomic<uint64_t> epoch{1};
  std::mutex readers_lock;           // the registry; a writer holds it while scanning
  std::vector<Reader*> readers;
  SpinLock retired_lock;
  std::vector<Retired> retired;  // its size is also in detail::g_retired, read without the lock
  std::mutex reclaim_lock;           // one reclaimer at a time
};

Domain& domain() {
  static Domain* d = new Domain;  // never destroyed: threads may outlive static destructors
  return *d;
}

struct Registration {
  Reader reader;
  Registration() {
    Domain& d = domain();
    std::lock_guard<std::mutex> g(d.readers_lock);
    d.readers.push_back(&reader);
  }
  ~Registration() {
    Domain& d = domain();
    std::lock_guard<std::mutex> g(d.readers_lock);
    for (auto& r : d.readers)
      if (r == &reader) {
        r = d.readers.back();
        d.readers.pop_back();
        break;
      }
  }
};

// Frees what every reader has moved past. Returns how many remain.
size_t reclaim(Domain& d) {
  std::lock_guard<std::mutex> one(d.reclaim_lock);
  // A new epoch: readers entering from now on cannot reach anything retired before.
  const uint64_t now = d.epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
  // Readers' entries become visible: by membarrier, or by their own full barrier.
  if (d.asymmetric) host::memory_barrier_all_threads();
  uint64_t oldest = now;  // the oldest epoch a reader is still in
  {
    std::lock_guard<std::mutex> g(d.readers_lock);
    for (Reader* r : d.readers) {
      const uint64_t e = r->epoch.load(std::memory_order_seq_cst);
      if (e != 0 && e < oldest) oldest = e;
    }
  }
  std::vector<Retired> ready;
  size_t left;
  {
    SpinGuard g(d.retired_lock);
    // Retired at epoch e: unreachable for readers that entered at e + 1 or later.
    auto keep = d.retired.begin();
    for (auto it = d.retired.begin(); it != d.retired.end(); ++it) {
      if (it->epoch < oldest) ready.push_back(*it);
      else *keep++ = *it;
    }
    d.retired.erase(keep, d.retired.end());
    left = d.retired.size();
    detail::g_retired.store(left, std::memory_order_relaxed);
  }
  for (const Retired& r : ready) r.fn(r.p);  // may retire more (a parent dentry)
  return left;
}

}  // namespace

Reader& this_reader() {
  thread_local Registration reg;
  return reg.reader;
}

ReadGuard::ReadGuard() : m_reader(this_reader()) {
  if (m_reader.nesting++ == 0) {
    Domain& d = domain();
    const uint64_t e = d.epoch.load(std::memory_order_relaxed);
    // The entry must be visible before the reads that follow: membarrier on the writer
    // side orders it, else a full barrier here (an exchange: a locked instruction).
    if (d.asymmetric) {
      m_reader.epoch.store(e, std::memory_order_relaxed);
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      m_reader.epoch.exchange(e, std::memory_order_seq_cst);
    }
  }
}

ReadGuard::~ReadGuard() {
  if (--m_reader.nesting == 0) m_reader.epoch.store(0, std::memory_order_release);
}

void retire(void* p, void (*fn)(void*)) {
  Domain& d = domain();
  SpinGuard g(d.retired_lock);
  d.retired.push_back({p, fn, d.epoch.load(std::memory_order_acquire)});
  detail::g_retired.store(d.retired.size(), std::memory_order_relaxed);
}

void detail::reclaim_batch() {
  Domain& d = domain();
  if (this_reader().nesting != 0) return;
  std::unique_lock<std::mutex> one(d.reclaim_lock, std::try_to_lock);  // one at a time is enough
  if (!one.owns_lock()) return;
  one.unlock();
  reclaim(d);
}

void synchronize() {
  Domain& d = domain();
  const uint64_t target = d.epoch.load(std::memory_order_acquire);
  auto done = [&] {
    SpinGuard g(d.retired_lock);
    for (const Retired& r : d.retired)
      if (r.epoch <= target) return false;
    return true;
  };
  for (int spins = 0; !done(); ++spins) {
    reclaim(d);
    if (spins > 2) host::yield_thread();  // a reader is inside a section: let it finish
  }
}

size_t pending() {
  Domain& d = domain();
  SpinGuard g(d.retired_lock);
  return d.retired.size();
}

}  // namespace uml::kern::rcu
