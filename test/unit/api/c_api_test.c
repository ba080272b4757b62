/* The C API, compiled as C and linked against libuml.so (so it also checks the exports). */
#include <libuml/uml.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EXPECT(cond)                                             \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                  \
    }                                                            \
  } while (0)

int main(void) {
  char err[256] = "";
  EXPECT(uml_boot("vcpus=zero", err, sizeof(err)) == NULL);
  EXPECT(strstr(err, "vcpus") != NULL);

  uml_kernel* k = uml_boot("console=none hostname=c-api", err, sizeof(err));
  EXPECT(k != NULL);
  EXPECT(uml_syscall(k, UML_NR_getpid, 0, 0, 0, 0, 0, 0) == -ESRCH); /* not attached */
  uml_attachment* a = uml_attach(k);
  EXPECT(a != NULL);
  long pid = uml_sys_getpid(k);
  EXPECT(pid > 1);
  EXPECT(uml_sys_getppid(k) == 1);
  EXPECT(uml_syscall(k, UML_NR_getpid, 0, 0, 0, 0, 0, 0) == pid);
  EXPECT(uml_sys_swapon(k, 0, 0) == -ENOSYS);
  uml_detach(a);
  size_t need = uml_dmesg(k, NULL, 0);
  EXPECT(need > 0);
  char log[8192];
  uml_dmesg(k, log, sizeof(log));
  EXPECT(strstr(log, "Linux version") != NULL);
  EXPECT(uml_panicked(k) == 0);
  uml_destroy(k);
  printf("1 passed, 0 failed\n");
  return 0;
}
