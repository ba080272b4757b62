#pragma once
// epoll (Linux's fs/eventpoll.c): an interest set of (file, fd) items and a ready list.
//
// Each item registers a callback waiter on the queues its file's poll names. A wake-up puts
// the item on the ready list (unless the key says the events are not ones it wants) and
// wakes one epoll_wait sleeper; epoll_wait re-polls only the items on the ready list, so its
// cost follows the number ready, not the number watched. Level-triggered items go back on
// the list after being reported; edge-triggered ones wait for the next wake-up; one-shot
// ones are disabled until EPOLL_CTL_MOD.
//
// Lifetime: an item does not hold its file. The file's last reference removes its items
// (File::~File, Linux's eventpoll_release) and the epoll's removes the rest; a process-wide
// lock orders both against epoll_ctl.
//
// Lock order: ep_links lock > Epoll::m_mtx > WaitQueue locks > Epoll::m_ready_lock.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/abi/poll.h"
#include "core/base/intrusive_list.h"
#include "core/base/io_buffer.h"
#include "core/base/result.h"
#include "core/base/spinlock.h"
#include "core/sched/wait_queue.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class File;


class Epoll final : public FileOps {
 public:
  static constexpr int kMaxNests = 4;  // EP_MAX_NESTS

  // links_lock orders epoll_ctl against the teardown of files and epolls (Linux's
  // epnested_mutex and the file's f_lock, in one): one per instance, shared by all its
  // epolls, since a file may be in several of them.
  explicit Epoll(SpinLock& links_lock) : m_links_lock(links_lock) {}
  ~Epoll() override;

  // epoll_ctl on (file, fd). Errors: EXIST, NOENT, INVAL (EPOLLEXCLUSIVE misuse), LOOP.
  Result<void> ctl(int op, File& file, int fd, uint32_t events, uint64_t data);
  // Copies up to max ready events to out; waits until one is ready, the deadline
  // (monotonic; < 0 none, 0 no wait) or a signal (INTR). Returns the count.
  Result<int> wait(SchedEntity& self, const IoBuffer& out, int max, int64_t deadline);

  // FileOps: an epoll is readable when one of its items is ready (nested epoll).
  Result<size_t> read(File&, Actor&, const IoBuffer&, uint64_t*) override { return Errno::INVAL; }
  Result<size_t> write(File&, Actor&, const IoBuffer&, uint64_t*) override { return Errno::INVAL; }
  uint32_t poll(File& f, PollTable* pt) override;
  bool pollable() const override { return true; }

  // The file's last reference: its items leave every epoll (File::~File).
  static void release_file(File& f);
  size_t size();

 private:
  SpinLock& m_links_lock;
  struct Item;
  struct Entry {
    Entry(Item* it, WaitQueue* q, bool exclusive) : waiter(&Epoll::wake_callback, exclusive), item(it), wq(q) {}
    Waiter waiter;  // first: the callback finds the Entry from it
    Item* item;
    WaitQueue* wq;
  };
  struct Item {
    Epoll* ep = nullptr;
    File* file = nullptr;
    int fd = -1;
    std::atomic<uint32_t> events{0};
    uint64_t data = 0;
    std::vector<std::unique_ptr<Entry>> entries;
    ListNode ready_node;  // m_ready (m_ready_lock)
    bool on_ready = false;  // on m_ready or being reported (m_ready_lock)
    ListNode file_node;  // the file's epoll links (ep_links lock)
  };
  friend struct EpollLinks;

  static bool wake_callback(Waiter& w, uint32_t key);
  uint32_t poll_item(Item& it, PollTable* pt);
  void register_item(Item& it);
  void remove_item_locked(Item& it);  // m_mtx and the links lock held
  void make_ready(Item& it);
  uint32_t ready_events(int depth);
  bool reaches(const Epoll* target, int depth) const;

  SpinLock m_mtx;  // the interest set
  std::map<std::pair<File*, int>, std::unique_ptr<Item>> m_items;
  SpinLock m_ready_lock;
  IntrusiveList<Item, &Item::ready_node> m_ready;
  std::atomic<uint32_t> m_ready_count{0};
  WaitQueue m_wq;       // epoll_wait sleepers
  WaitQueue m_poll_wq;  // pollers of the epoll file itself
};

// The epoll items watching one file (File::m_ep_links).
struct EpollLinks;

}  // namespace uml::kern
