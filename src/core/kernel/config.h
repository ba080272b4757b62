#pragma once
// The instance configuration is the public uml::Config (include/libuml/config.h); its
// command-line parser lives in config.cc so the core owns the rules it enforces.

#include <libuml/config.h>

namespace uml::kern {
using KernelConfig = uml::Config;
}  // namespace uml::kern
