/* libuml's C API. Instances, attachment of the calling thread, and syscalls by number
 * (UML_NR_*) or through one inline wrapper per syscall (uml_sys_getpid(k) ...). Results are
 * the raw Linux result or -errno. */
#ifndef LIBUML_UML_H
#define LIBUML_UML_H

#include <stddef.h>

#include <libuml/export.h>
#include <libuml/syscall_list.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uml_kernel uml_kernel;
typedef struct uml_attachment uml_attachment;

/* Boots an instance from a command line ("vcpus=2 hostname=g1"); NULL on failure with the
 * reason in err (if errlen > 0). */
UML_API uml_kernel* uml_boot(const char* cmdline, char* err, size_t errlen);
/* Shuts the instance down and frees it. */
UML_API void uml_destroy(uml_kernel* k);
/* Makes the calling thread a task of k until uml_detach; NULL on failure. */
UML_API uml_attachment* uml_attach(uml_kernel* k);
/* The same, as a new thread of the process pid of k (sharing its descriptors and private
 * futexes); NULL when there is no such live process. */
UML_API uml_attachment* uml_attach_thread(uml_kernel* k, int pid);
UML_API void uml_detach(uml_attachment* a);
UML_API long uml_syscall(uml_kernel* k, long nr, long a0, long a1, long a2, long a3, long a4,
                         long a5);
/* Copies the kernel log (dmesg text) into buf (NUL-terminated if len > 0); returns the
 * length it needs, without the NUL. */
UML_API size_t uml_dmesg(uml_kernel* k, char* buf, size_t len);
UML_API int uml_panicked(uml_kernel* k);

enum {
#define UML_C_NR(nr, name, arity, status, note, params) UML_NR_##name = nr,
  UML_SYSCALL_LIST(UML_C_NR)
#undef UML_C_NR
};

/* The wrappers' parameters and the call's arguments, from the list's (type, name...). */
#define UML_C_PARAMS_0()
#define UML_C_PARAMS_1(t0, n0) , t0 n0
#define UML_C_PARAMS_2(t0, n0, t1, n1) , t0 n0, t1 n1
#define UML_C_PARAMS_3(t0, n0, t1, n1, t2, n2) , t0 n0, t1 n1, t2 n2
#define UML_C_PARAMS_4(t0, n0, t1, n1, t2, n2, t3, n3) , t0 n0, t1 n1, t2 n2, t3 n3
#define UML_C_PARAMS_5(t0, n0, t1, n1, t2, n2, t3, n3, t4, n4) , t0 n0, t1 n1, t2 n2, t3 n3, t4 n4
#define UML_C_PARAMS_6(t0, n0, t1, n1, t2, n2, t3, n3, t4, n4, t5, n5) \
  , t0 n0, t1 n1, t2 n2, t3 n3, t4 n4, t5 n5
#define UML_C_ARGS_0() 0, 0, 0, 0, 0, 0
#define UML_C_ARGS_1(t0, n0) (long)(n0), 0, 0, 0, 0, 0
#define UML_C_ARGS_2(t0, n0, t1, n1) (long)(n0), (long)(n1), 0, 0, 0, 0
#define UML_C_ARGS_3(t0, n0, t1, n1, t2, n2) (long)(n0), (long)(n1), (long)(n2), 0, 0, 0
#define UML_C_ARGS_4(t0, n0, t1, n1, t2, n2, t3, n3) (long)(n0), (long)(n1), (long)(n2), (long)(n3), 0, 0
#define UML_C_ARGS_5(t0, n0, t1, n1, t2, n2, t3, n3, t4, n4) \
  (long)(n0), (long)(n1), (long)(n2), (long)(n3), (long)(n4), 0
#define UML_C_ARGS_6(t0, n0, t1, n1, t2, n2, t3, n3, t4, n4, t5, n5) \
  (long)(n0), (long)(n1), (long)(n2), (long)(n3), (long)(n4), (long)(n5)
/* uml_sys_open(k, "/etc/hostname", O_RDONLY, 0): pointers as pointers, no casts. */
#define UML_C_WRAPPER(nr, name, arity, status, note, params)                    \
  static inline long uml_sys_##name(uml_kernel* uml_k UML_C_PARAMS_##arity params) { \
    return uml_syscall(uml_k, nr, UML_C_ARGS_##arity params);                 \
  }
UML_SYSCALL_LIST(UML_C_WRAPPER)
#undef UML_C_WRAPPER

#ifdef __cplusplus
}
#endif

#endif
