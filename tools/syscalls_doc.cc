// Prints docs/syscalls.md from <libuml/syscall_list.h>: the one list of what libuml
// implements. A test compares the committed file with this output.

#include <libuml/syscall_list.h>

#include <cstdio>
#include <cstring>

namespace {
struct Row {
  int nr;
  const char* name;
  int arity;
  const char* status;
  const char* note;
};
#define UML_DOC_ROW(nr, name, arity, status, note, params) {nr, #name, arity, #status, note},
constexpr Row kRows[] = {UML_SYSCALL_LIST(UML_DOC_ROW)};
}  // namespace

int main() {
  int impl = 0, part = 0, none = 0;
  for (const Row& r : kRows) {
    if (!strcmp(r.status, "IMPL")) ++impl;
    else if (!strcmp(r.status, "PART")) ++part;
    else ++none;
  }
  printf("# System calls\n\n");
  printf("Generated from `include/libuml/syscall_list.h` by `uml-syscalls-doc`; do not edit.\n");
  printf("Regenerate with `meson compile -C build update-syscalls-doc`.\n\n");
  printf("Linux x86-64 numbering. **%d** implemented, **%d** partly (see the notes), **%d** return "
         "`-ENOSYS` (logged once per instance).\n\n", impl, part, none);
  printf("| nr | name | args | status | notes |\n|---:|---|---:|---|---|\n");
  for (const Row& r : kRows) {
    const char* st = !strcmp(r.status, "IMPL") ? "implemented"
                     : !strcmp(r.status, "PART") ? "partial" : "ENOSYS";
    printf("| %d | %s | %d | %s | %s |\n", r.nr, r.name, r.arity, st, r.note);
  }
  return 0;
}
