#pragma once
// The kernel log: a dmesg-like ring buffer of records with monotonic timestamps (since the
// instance booted) and Linux's levels. Bounded in bytes; the oldest records go first.
// Records below the console level are also written to the console sink, if one is wired
// (Linux's console_loglevel rule: a record is printed when level < console level).
//
// Thread-safe; never parks (spinlock), so it can be called from any context.

#include <cstdarg>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/spinlock.h"

namespace uml::kern {

enum LogLevel : int {
  KERN_EMERG = 0,
  KERN_ALERT = 1,
  KERN_CRIT = 2,
  KERN_ERR = 3,
  KERN_WARNING = 4,
  KERN_NOTICE = 5,
  KERN_INFO = 6,
  KERN_DEBUG = 7,
};

struct LogEntry {
  uint64_t seq;
  int64_t time_ns;  // since boot
  int level;
  std::string text;
};

// Where console output goes (a driver: host fd, a buffer...). write must not park.
class ConsoleSink {
 public:
  virtual ~ConsoleSink() = default;  // the instance owns its console
  virtual void write(std::string_view text) = 0;
};

class Klog {
 public:
  explicit Klog(size_t capacity_bytes = 256 * 1024) : m_capacity(capacity_bytes) {}

  void set_boot_time(int64_t mono_ns) { m_boot_ns = mono_ns; }
  void set_console(ConsoleSink* sink, int console_level) {
    SpinGuard g(m_lock);
    m_console = sink;
    m_console_level = console_level;
  }
  int console_level() const { return m_console_level; }

  void log(int level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void vlog(int level, const char* fmt, va_list ap);
  void write(int level, std::string_view text);

  std::vector<LogEntry> records() const;
  // Every record as dmesg prints it: "[    1.234567] text".
  std::string dmesg() const;
  static std::string format(const LogEntry& e);

 private:
  mutable SpinLock m_lock;
  std::deque<LogEntry> m_records;
  size_t m_bytes = 0;
  size_t m_capacity;
  uint64_t m_next_seq = 0;
  int64_t m_boot_ns = 0;
  ConsoleSink* m_console = nullptr;
  int m_console_level = KERN_WARNING;
};

}  // namespace uml::kern
