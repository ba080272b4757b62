/* The C API, compiled as C and linked against libuml.so (so it also checks the exports). */
#include <libuml/uml.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define EXPECT(cond)                                             \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                  \
    }                                                            \
  } while (0)

struct joiner {
  uml_kernel* k;
  long pid, got_pid, got_tid;
  int attached;
};

static void* join_process(void* arg) {
  struct joiner* j = arg;
  uml_attachment* a = uml_attach_thread(j->k, (int)j->pid);
  j->attached = a != NULL;
  if (a) {
    j->got_pid = uml_sys_getpid(j->k);
    j->got_tid = uml_sys_gettid(j->k);
    uml_detach(a);
  }
  return NULL;
}

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
  /* Another thread joins this process as its thread. */
  struct joiner j = {k, pid, 0, 0, 0};
  pthread_t th;
  EXPECT(pthread_create(&th, NULL, join_process, &j) == 0);
  pthread_join(th, NULL);
  EXPECT(j.attached);
  EXPECT(j.got_pid == pid);
  EXPECT(j.got_tid != uml_sys_gettid(k));
  uml_detach(a);
  EXPECT(uml_attach_thread(k, 99999) == NULL); /* no such process */
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
