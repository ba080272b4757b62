#pragma once
// poll and select (Linux's fs/select.c): one pass over the files registers the task on each
// file's queues; later passes only look. The task sleeps until one of those queues is woken,
// its deadline passes, or a signal comes.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/ref_counted.h"
#include "core/base/result.h"
#include "core/sched/wait_queue.h"
#include "core/vfs/file_ops.h"

namespace uml::kern {

class File;

// One task's poll table: a callback waiter on every queue it was registered on.
class PollWaiters final : public PollTable {
 public:
  explicit PollWaiters(SchedEntity& self) : m_self(self) {}
  ~PollWaiters();
  PollWaiters(const PollWaiters&) = delete;
  PollWaiters& operator=(const PollWaiters&) = delete;

  void wait(WaitQueue& wq) override;
  // Parks until a queue is woken, the deadline (monotonic; < 0 none), or an interruption;
  // false on timeout.
  bool sleep(int64_t deadline);

 private:
  struct Entry {
    explicit Entry(PollWaiters* o, WaitQueue* q) : waiter(&PollWaiters::woken, false), owner(o), wq(q) {}
    Waiter waiter;  // first: the callback finds the Entry from it
    PollWaiters* owner;
    WaitQueue* wq;
  };
  static bool woken(Waiter& w, uint32_t key);

  SchedEntity& m_self;
  std::vector<std::unique_ptr<Entry>> m_entries;
  std::atomic<bool> m_triggered{false};
};

struct PollRequest {
  RefPtr<File> file;       // null: no file (skipped)
  uint32_t events = 0;     // what counts as ready
  uint32_t mask = 0;       // what the file reported
};

// Polls until a request is ready (mask & events), the deadline (0: one look), or an
// interruption (INTR). Returns how many are ready.
Result<int> poll_files(SchedEntity& self, std::vector<PollRequest>& reqs, int64_t deadline);

}  // namespace uml::kern
