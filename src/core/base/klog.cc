#include "core/base/klog.h"

#include <cstdio>

#include "host/host.h"

namespace uml::kern {

void Klog::log(int level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}

void Klog::vlog(int level, const char* fmt, va_list ap) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n < 0) return;
  write(level, std::string_view(buf, static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1));
}

void Klog::write(int level, std::string_view text) {
  if (level < KERN_EMERG) level = KERN_EMERG;
  if (level > KERN_DEBUG) level = KERN_DEBUG;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  LogEntry e{0, host::monotonic_ns() - m_boot_ns, level, std::string(text)};
  SpinGuard g(m_lock);
  e.seq = m_next_seq++;
  m_bytes += e.text.size() + sizeof(LogEntry);
  if (m_console && level < m_console_level) {
    std::string line = format(e);
    line += '\n';
    m_console->write(line);
  }
  m_records.push_back(std::move(e));
  while (m_bytes > m_capacity && m_records.size() > 1) {
    m_bytes -= m_records.front().text.size() + sizeof(LogEntry);
    m_records.pop_front();
  }
}

std::vector<LogEntry> Klog::records() const {
  SpinGuard g(m_lock);
  return {m_records.begin(), m_records.end()};
}

std::string Klog::format(const LogEntry& e) {
  char stamp[48];
  snprintf(stamp, sizeof(stamp), "[%5lld.%06lld] ", static_cast<long long>(e.time_ns / 1'000'000'000),
           static_cast<long long>((e.time_ns / 1000) % 1'000'000));
  return stamp + e.text;
}

std::string Klog::dmesg() const {
  std::string out;
  SpinGuard g(m_lock);
  for (const LogEntry& e : m_records) {
    out += format(e);
    out += '\n';
  }
  return out;
}


}  // namespace uml::kern
