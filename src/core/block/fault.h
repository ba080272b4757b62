#pragma once
// Fault injection for a disk (Linux's fail_make_request and dm-flakey/dm-log-writes ideas,
// in the block layer so that every driver gets it). Set through the API or the boot
// options; inactive, it costs one load per request.
//
// - Rules: the Nth matching read or write (or every one, or those touching a sector range)
//   fails with EIO, is torn (a prefix of its sectors is written, then it fails with EIO),
//   is cut short (the prefix is written and the write reports success: a disk that loses
//   writes), or is delayed.
// - Volatile cache: writes complete at once but are only held in memory until a flush (or
//   a FUA/preflush write) writes them through, in order, as a disk's write cache does;
//   reads see them. A power cut then throws away what was not flushed (or writes a random
//   subset of it, as a real cache may have), and the disk fails every request with EIO
//   afterwards: a crash-consistency test reboots an instance on the same file and checks
//   what it finds.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "core/base/spinlock.h"

namespace uml::kern {

class BlockDevice;
struct BlockRequest;
class SchedEntity;

struct FaultRule {
  enum class Op : uint8_t { Read, Write, Any };
  enum class Action : uint8_t { Error, Torn, Short, Delay };
  Op op = Op::Any;
  Action action = Action::Error;
  uint64_t nth = 1;    // fires from the nth matching request on (1: the next one)
  uint64_t times = 1;  // how many times it fires (0: every match from the nth on)
  uint64_t first_sector = 0, sectors = ~uint64_t{0};  // requests touching this range match
  int64_t delay_ns = 0;
};

struct PowerCutResult {
  uint64_t dropped = 0, kept = 0;  // unflushed writes lost / written anyway
};

class FaultInjector {
 public:
  explicit FaultInjector(BlockDevice& dev) : m_dev(dev) {}
  ~FaultInjector();

  void add_rule(const FaultRule& r);
  void clear_rules();
  // Only while the cache is empty (at add time, or after a flush). false otherwise.
  bool set_volatile_cache(bool on);
  bool volatile_cache() const { return m_volatile.load(std::memory_order_acquire); }
  // Waits for requests with the driver to finish, then drops (or keeps a fraction `keep` of,
  // chosen by seed) the unflushed writes; the disk is dead from then on.
  PowerCutResult power_cut(SchedEntity& self, double keep, uint64_t seed);
  bool dead() const { return m_dead.load(std::memory_order_acquire); }
  uint64_t fired() const { return m_fired.load(std::memory_order_relaxed); }

  bool active() const { return m_active.load(std::memory_order_acquire); }
  // The queue hands each dispatched request here first: true when the injector took it
  // (it completes it through BlockDevice::complete itself).
  bool intercept(BlockRequest& rq);
  // A read finished with the driver: the cached writes it overlaps are laid over it.
  void on_read_done(BlockRequest& rq, int res);

 private:
  struct Record {
    uint64_t off;
    std::vector<char> data;
    bool destaged = false;
    uint64_t retired_epoch = 0;
  };
  struct Internal;
  void update_active();
  const FaultRule* match_locked(const BlockRequest& rq, size_t* index);
  // After the rules: to the volatile cache, or to the driver.
  void proceed(BlockRequest& rq);
  // A round writes the cached records in order, then flushes the driver, then completes the
  // flushes (and barrier writes) that were waiting when it started.
  bool start_round_locked();
  void pump();
  void step_done(Internal* in, int res);
  void free_retired_locked();
  void torn(BlockRequest& rq, int result);

  BlockDevice& m_dev;
  SpinLock m_lock;
  std::vector<FaultRule> m_rules;
  std::vector<uint64_t> m_seen, m_fires;  // per rule: matches seen, times fired
  std::atomic<bool> m_active{false}, m_volatile{false}, m_dead{false};
  std::atomic<uint64_t> m_fired{0};
  // The volatile cache.
  std::deque<Record> m_records;          // oldest first
  uint64_t m_epoch = 1;                  // bumped at each record's retirement
  std::map<uint64_t, uint32_t> m_reads;  // start epoch -> overlay reads in flight
  std::vector<BlockRequest*> m_flush_waiting, m_flush_round;
  bool m_round_running = false;
  bool m_round_flushing = false;         // its last step (the driver flush) is issued
  bool m_step_in_flight = false;
  size_t m_round_left = 0;               // records the running round still writes
  int m_round_err = 0;
  uint64_t m_destaging = 0;              // in-flight internal requests (power cut waits)
  std::atomic<uint32_t> m_pumping{0};
};

}  // namespace uml::kern
