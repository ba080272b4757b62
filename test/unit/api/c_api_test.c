/* The C API, compiled as C and linked against libuml.so (so it also checks the exports). */
#include <libuml/uml.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
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
  EXPECT(uml_sys_swapon(k, NULL, 0) == -ENOSYS);
  /* Pointers are passed as pointers, with no cast (an int-conversion is an error here, as
   * GCC 14 makes it by default). */
  long fd = uml_sys_open(k, "/tmp/c-api", O_CREAT | O_RDWR, 0600);
  EXPECT(fd >= 0);
  const char msg[] = "hello";
  EXPECT(uml_sys_write(k, fd, msg, sizeof msg - 1) == 5);
  char back[8] = {0};
  EXPECT(uml_sys_pread64(k, fd, back, 5, 0) == 5);
  EXPECT(memcmp(back, "hello", 5) == 0);
  struct stat st;
  EXPECT(uml_sys_fstat(k, fd, &st) == 0);
  EXPECT(st.st_size == 5);
  EXPECT(uml_sys_newfstatat(k, AT_FDCWD, "/tmp/c-api", &st, 0) == 0);
  EXPECT(uml_sys_close(k, fd) == 0);
  int fds[2];
  EXPECT(uml_sys_pipe2(k, fds, O_CLOEXEC) == 0);
  const unsigned char byte = 'x';  /* a byte buffer of any char type */
  EXPECT(uml_sys_write(k, fds[1], &byte, 1) == 1);
  EXPECT(uml_sys_read(k, fds[0], back, sizeof back) == 1);
  struct timespec ts = {0, 1000};
  EXPECT(uml_sys_nanosleep(k, &ts, NULL) == 0);
  struct utsname u;
  EXPECT(uml_sys_uname(k, &u) == 0);
  EXPECT(strcmp(u.nodename, "c-api") == 0);
  EXPECT(uml_sys_read(k, 12345, back, 1) == -EBADF);
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
