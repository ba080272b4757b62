#pragma once
// The memory devices and the console (Linux's drivers/char/mem.c, random.c, tty's console):
// /dev/null, zero, full, random, urandom (major 1), tty and console (major 5).

#include <cstddef>
#include <functional>

#include "core/base/klog.h"
#include "core/vfs/vfs.h"

namespace uml::drivers {

struct CharDeviceEnv {
  std::function<void(void*, size_t)> random_bytes;  // the instance's generator
  kern::ConsoleSink* console = nullptr;              // where /dev/console writes go (or none)
};

// Registers the devices with vfs and returns the nodes devtmpfs shows: name, mode, rdev.
struct DeviceNode {
  const char* name;
  uint32_t mode;
  uint64_t rdev;
};
std::vector<DeviceNode> register_char_devices(kern::Vfs& vfs, const CharDeviceEnv& env);

}  // namespace uml::drivers
