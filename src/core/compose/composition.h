#pragma once
// The composition root: what a libuml instance is made of. tmpfs, devtmpfs (with the
// memory devices, the console and the links udev would make), procfs and ext2/3/4 for
// mount(2); host files and copy-on-write overlays as disks; the host's stderr as the
// console; a tmpfs or a disk's filesystem as /, with /dev, /proc and /tmp on it. It is the
// one folder that knows both the kernel and every filesystem and driver.

#include <memory>

#include "core/kernel/kernel.h"

namespace uml::kern {

std::unique_ptr<const Composition> default_composition();

// Boots an instance made of the default composition (Kernel::boot).
std::shared_ptr<Kernel> boot_instance(const KernelConfig& cfg, std::string* error);

}  // namespace uml::kern
