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
#define UML_C_NR(nr, name, arity, status, note) UML_NR_##name = nr,
  UML_SYSCALL_LIST(UML_C_NR)
#undef UML_C_NR
};

#define UML_C_PARAMS_0
#define UML_C_PARAMS_1 , long a0
#define UML_C_PARAMS_2 , long a0, long a1
#define UML_C_PARAMS_3 , long a0, long a1, long a2
#define UML_C_PARAMS_4 , long a0, long a1, long a2, long a3
#define UML_C_PARAMS_5 , long a0, long a1, long a2, long a3, long a4
#define UML_C_PARAMS_6 , long a0, long a1, long a2, long a3, long a4, long a5
#define UML_C_ARGS_0 0, 0, 0, 0, 0, 0
#define UML_C_ARGS_1 a0, 0, 0, 0, 0, 0
#define UML_C_ARGS_2 a0, a1, 0, 0, 0, 0
#define UML_C_ARGS_3 a0, a1, a2, 0, 0, 0
#define UML_C_ARGS_4 a0, a1, a2, a3, 0, 0
#define UML_C_ARGS_5 a0, a1, a2, a3, a4, 0
#define UML_C_ARGS_6 a0, a1, a2, a3, a4, a5
#define UML_C_WRAPPER(nr, name, arity, status, note)                        \
  static inline long uml_sys_##name(uml_kernel* k UML_C_PARAMS_##arity) {   \
    return uml_syscall(k, nr, UML_C_ARGS_##arity);                          \
  }
UML_SYSCALL_LIST(UML_C_WRAPPER)
#undef UML_C_WRAPPER

#ifdef __cplusplus
}
#endif

#endif
