#include "drivers/char/console.h"

#include "host/host.h"

namespace uml::drivers {

void HostFdConsole::write(std::string_view text) {
  (void)host::write_all(m_fd, text.data(), text.size());
}

}  // namespace uml::drivers
