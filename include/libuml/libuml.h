#pragma once
// libuml: a Linux-compatible kernel as a library. The whole C++ API.
#include <libuml/config.h>
#include <libuml/kernel.h>
#include <libuml/sys.h>
