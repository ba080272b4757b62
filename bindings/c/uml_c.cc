// The C API (include/libuml/uml.h) over the C++ API.

#include <libuml/kernel.h>
#include <libuml/uml.h>

#include <cstring>

struct uml_kernel {
  std::unique_ptr<uml::Kernel> k;
};
struct uml_attachment {
  uml::Attachment a;
};

extern "C" {

uml_kernel* uml_boot(const char* cmdline, char* err, size_t errlen) {
  try {
    auto* h = new uml_kernel;
    try {
      h->k = uml::Kernel::boot(std::string_view(cmdline ? cmdline : ""));
    } catch (...) {
      delete h;
      throw;
    }
    return h;
  } catch (const std::exception& e) {
    if (err && errlen) {
      strncpy(err, e.what(), errlen - 1);
      err[errlen - 1] = '\0';
    }
    return nullptr;
  }
}

void uml_destroy(uml_kernel* k) {
  if (!k) return;
  try {
    k->k->shutdown();
  } catch (...) {
  }
  delete k;
}

uml_attachment* uml_attach(uml_kernel* k) {
  try {
    return new uml_attachment{k->k->attach()};
  } catch (...) {
    return nullptr;
  }
}

uml_attachment* uml_attach_thread(uml_kernel* k, int pid) {
  try {
    uml::AttachOptions o;
    o.thread_of = pid;
    return new uml_attachment{k->k->attach(o)};
  } catch (...) {
    return nullptr;
  }
}

void uml_detach(uml_attachment* a) { delete a; }

long uml_syscall(uml_kernel* k, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  return k->k->syscall(nr, a0, a1, a2, a3, a4, a5);
}

size_t uml_dmesg(uml_kernel* k, char* buf, size_t len) {
  std::string s = k->k->dmesg();
  if (buf && len) {
    size_t n = std::min(len - 1, s.size());
    memcpy(buf, s.data(), n);
    buf[n] = '\0';
  }
  return s.size();
}

int uml_panicked(uml_kernel* k) { return k->k->panicked() ? 1 : 0; }

}  // extern "C"
