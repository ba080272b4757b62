#include "core/poll/epoll.h"

#include <cstddef>

#include "core/vfs/file.h"

namespace uml::kern {

using namespace abi;

namespace {

constexpr uint32_t kPrivateBits = EPOLLWAKEUP_ | EPOLLONESHOT_ | EPOLLET_ | EPOLLEXCLUSIVE_;
constexpr uint32_t kInOut = EPOLLIN_ | EPOLLOUT_;
constexpr uint32_t kExclusiveOk = kInOut | EPOLLERR_ | EPOLLHUP_ | EPOLLWAKEUP_ | EPOLLET_ | EPOLLEXCLUSIVE_;

Epoll* epoll_of(File& f) { return dynamic_cast<Epoll*>(f.ops()); }

}  // namespace

// A file's items in every epoll, and the instance's links lock they are under.
struct EpollLinks {
  SpinLock* lock;
  IntrusiveList<Epoll::Item, &Epoll::Item::file_node> items;
};

Epoll::~Epoll() {
  SpinGuard links(m_links_lock);
  SpinGuard g(m_mtx);
  while (!m_items.empty()) remove_item_locked(*m_items.begin()->second);
}

size_t Epoll::size() {
  SpinGuard g(m_mtx);
  return m_items.size();
}

void Epoll::release_file(File& f) {
  // The file's last reference: no epoll_ctl can add to it now, so the links (and their
  // lock, set when they were made) stay as they are until taken here.
  EpollLinks* l = f.m_ep_links.load(std::memory_order_acquire);
  if (!l) return;
  SpinGuard links(*l->lock);
  while (Item* it = l->items.front()) {
    SpinGuard g(it->ep->m_mtx);
    it->ep->remove_item_locked(*it);
  }
  f.m_ep_links.store(nullptr, std::memory_order_relaxed);
  delete l;
}

void Epoll::remove_item_locked(Item& it) {
  for (auto& e : it.entries) e->wq->remove_callback(e->waiter);
  {
    SpinGuard r(m_ready_lock);
    if (it.ready_node.linked()) {
      m_ready.remove(it);
      m_ready_count.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  if (EpollLinks* l = it.file->m_ep_links.load(std::memory_order_relaxed); l && it.file_node.linked())
    l->items.remove(it);
  m_items.erase({it.file, it.fd});  // frees it
}

// ep_poll_callback: a file's queue was woken with these events (0: any).
bool Epoll::wake_callback(Waiter& w, uint32_t key) {
  Entry* e = reinterpret_cast<Entry*>(reinterpret_cast<char*>(&w) - offsetof(Entry, waiter));
  Item& it = *e->item;
  Epoll& ep = *it.ep;
  const uint32_t events = it.events.load(std::memory_order_acquire);
  if (!(events & ~kPrivateBits)) return false;  // a one-shot item already reported
  if (key && !(key & events)) return false;
  ep.make_ready(it);
  bool woke = ep.m_wq.wake(1) > 0;
  ep.m_poll_wq.wake_poll(EPOLLIN_);
  if (!woke) return false;
  if (!(events & EPOLLEXCLUSIVE_)) return true;
  switch (key & kInOut) {
    case EPOLLIN_: return events & EPOLLIN_;
    case EPOLLOUT_: return events & EPOLLOUT_;
    case 0: return true;
    default: return true;
  }
}

void Epoll::make_ready(Item& it) {
  SpinGuard r(m_ready_lock);
  if (it.on_ready) return;
  it.on_ready = true;
  m_ready.push_back(it);
  m_ready_count.fetch_add(1, std::memory_order_release);
}

uint32_t Epoll::poll_item(Item& it, PollTable* pt) {
  return it.file->ops() ? it.file->ops()->poll(*it.file, pt) : kDefaultPollMask;
}

void Epoll::register_item(Item& it) {
  struct Register final : PollTable {
    Item* item;
    void wait(WaitQueue& wq) override {
      const bool excl = item->events.load(std::memory_order_relaxed) & EPOLLEXCLUSIVE_;
      auto e = std::make_unique<Entry>(item, &wq, excl);
      wq.add_callback(e->waiter);
      item->entries.push_back(std::move(e));
    }
  } reg;
  reg.item = &it;
  const uint32_t mask = poll_item(it, &reg);
  if (mask & it.events.load(std::memory_order_relaxed)) {
    make_ready(it);
    m_wq.wake(1);
    m_poll_wq.wake_poll(EPOLLIN_);
  }
}

// Whether target is this epoll or is reached through its items (a loop), or the nesting
// would pass kMaxNests (ep_loop_check).
bool Epoll::reaches(const Epoll* target, int depth) const {
  if (this == target) return true;
  if (depth > kMaxNests) return true;
  for (const auto& [key, it] : m_items) {
    if (Epoll* inner = epoll_of(*it->file)) {
      SpinGuard g(inner->m_mtx);
      if (inner->reaches(target, depth + 1)) return true;
    }
  }
  return false;
}

Result<void> Epoll::ctl(int op, File& file, int fd, uint32_t events, uint64_t data) {
  if (op != EPOLL_CTL_DEL_ && (events & EPOLLEXCLUSIVE_)) {
    if (op == EPOLL_CTL_MOD_) return Errno::INVAL;
    if (op == EPOLL_CTL_ADD_ && (epoll_of(file) || (events & ~kExclusiveOk))) return Errno::INVAL;
  }
  Epoll* inner = op == EPOLL_CTL_ADD_ ? epoll_of(file) : nullptr;
  SpinGuard links(m_links_lock);
  if (inner) {
    // Adding an epoll: no loop back to us, and no deeper nesting than Linux allows.
    SpinGuard g(inner->m_mtx);
    if (inner->reaches(this, 1)) return Errno::LOOP;
  }
  SpinGuard g(m_mtx);
  auto found = m_items.find({&file, fd});
  Item* it = found == m_items.end() ? nullptr : found->second.get();
  switch (op) {
    case EPOLL_CTL_ADD_: {
      if (it) return Errno::EXIST;
      auto item = std::make_unique<Item>();
      item->ep = this;
      item->file = &file;
      item->fd = fd;
      item->events.store(events | EPOLLERR_ | EPOLLHUP_, std::memory_order_relaxed);
      item->data = data;
      Item& ref = *item;
      m_items[{&file, fd}] = std::move(item);
      EpollLinks* l = file.m_ep_links.load(std::memory_order_relaxed);
      if (!l) {
        l = new EpollLinks{&m_links_lock, {}};
        file.m_ep_links.store(l, std::memory_order_release);
      }
      l->items.push_back(ref);
      register_item(ref);
      return {};
    }
    case EPOLL_CTL_DEL_:
      if (!it) return Errno::NOENT;
      remove_item_locked(*it);
      return {};
    case EPOLL_CTL_MOD_: {
      if (!it) return Errno::NOENT;
      if (it->events.load(std::memory_order_relaxed) & EPOLLEXCLUSIVE_) return Errno::INVAL;
      it->data = data;
      it->events.store(events | EPOLLERR_ | EPOLLHUP_, std::memory_order_release);
      // ep_modify: a file already ready is reported at once.
      if (poll_item(*it, nullptr) & (events | EPOLLERR_ | EPOLLHUP_)) {
        make_ready(*it);
        m_wq.wake(1);
        m_poll_wq.wake_poll(EPOLLIN_);
      }
      return {};
    }
    default:
      return Errno::INVAL;
  }
}

// ep_send_events: report what the ready items hold now.
Result<int> Epoll::wait(SchedEntity& self, const IoBuffer& out, int max, int64_t deadline) {
  for (;;) {
    int n = 0;
    bool fault = false;
    if (m_ready_count.load(std::memory_order_acquire)) {
      SpinGuard g(m_mtx);
      IntrusiveList<Item, &Item::ready_node> batch;
      {
        SpinGuard r(m_ready_lock);
        while (Item* it = m_ready.pop_front()) batch.push_back(*it);  // still on_ready
        m_ready_count.store(0, std::memory_order_relaxed);
      }
      std::vector<Item*> again;  // level-triggered: back on the list
      while (Item* it = batch.pop_front()) {
        if (n >= max || fault) {
          SpinGuard r(m_ready_lock);
          m_ready.push_back(*it);
          m_ready_count.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        {
          SpinGuard r(m_ready_lock);
          it->on_ready = false;
        }
        const uint32_t want = it->events.load(std::memory_order_acquire);
        const uint32_t revents = poll_item(*it, nullptr) & want;
        if (!revents) continue;
        const epoll_event ev{revents, it->data};
        if (!out.write_from(static_cast<size_t>(n) * sizeof ev, &ev, sizeof ev)) {
          fault = true;
          make_ready(*it);
          continue;
        }
        ++n;
        if (want & EPOLLONESHOT_) {
          it->events.store(want & kPrivateBits, std::memory_order_release);
        } else if (!(want & EPOLLET_)) {
          again.push_back(it);
        }
      }
      for (Item* it : again) make_ready(*it);
      // ep_done_scan: what is still ready (level-triggered items put back, items past
      // max) is the next waiter's to report: wake it, or it would sleep on a ready list.
      if (m_ready_count.load(std::memory_order_acquire)) m_wq.wake(1);
    }
    if (n > 0) return n;
    if (fault) return Errno::FAULT;
    if (deadline == 0) return 0;
    if (self.m_interrupt.load(std::memory_order_acquire)) return Errno::INTR;
    WaitOptions opt;
    opt.deadline_ns = deadline;
    opt.interruptible = true;
    Result<void> r = m_wq.wait_event(self, [&] { return m_ready_count.load(std::memory_order_acquire) != 0; }, opt);
    if (!r) {
      if (r.error() == Errno::TIMEDOUT) deadline = 0;  // one last look
      else return Errno::INTR;
    }
  }
}

// ep_eventpoll_poll: readable when an item on the ready list is really ready.
uint32_t Epoll::ready_events(int depth) {
  if (depth > kMaxNests) return 0;
  SpinGuard g(m_mtx);
  std::vector<Item*> ready;
  {
    SpinGuard r(m_ready_lock);
    m_ready.for_each([&](Item& it) { ready.push_back(&it); });
  }
  for (Item* it : ready) {
    if (poll_item(*it, nullptr) & it->events.load(std::memory_order_acquire)) return EPOLLIN_ | 0x040;
  }
  return 0;
}

uint32_t Epoll::poll(File&, PollTable* pt) {
  if (pt) pt->wait(m_poll_wq);
  return ready_events(0);
}

}  // namespace uml::kern
