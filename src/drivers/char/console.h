#pragma once
// The instance console: kernel log lines (and later a guest tty) written to a host file
// descriptor, like UML's con=fd:N. Writes go through the host layer and may block on the
// host fd.

#include <string_view>

#include "core/base/klog.h"

namespace uml::drivers {

class HostFdConsole final : public kern::ConsoleSink {
 public:
  explicit HostFdConsole(int fd) : m_fd(fd) {}
  void write(std::string_view text) override;

 private:
  int m_fd;
};

}  // namespace uml::drivers
