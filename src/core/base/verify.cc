#include "core/base/verify.h"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace uml::kern {

namespace {
std::atomic<BugHook> g_bug_hook{nullptr};
}  // namespace

void set_bug_hook(BugHook hook) noexcept { g_bug_hook.store(hook, std::memory_order_release); }

void report_bug(const char* file, int line, const char* what) noexcept {
  const char* base = strrchr(file, '/');
  char msg[512];
  snprintf(msg, sizeof msg, "kernel BUG at %s:%d: %s", base ? base + 1 : file, line, what);
  if (BugHook h = g_bug_hook.load(std::memory_order_acquire)) {
    h(msg);
  } else {
    fprintf(stderr, "libuml: %s (outside any instance)\n", msg);
  }
}

}  // namespace uml::kern
