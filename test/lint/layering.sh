#!/bin/sh
# docs/design.md's rules that a grep can check:
# - only src/host talks to the host kernel (includes liburing, pthread, host syscall headers);
# - arrows point down: host knows nothing of the kernel; drivers never reach into syscalls
#   or the API; core never includes the public API's implementation.
# - no syscall handler outside src/core/syscalls.
set -u
top=${1:-$(dirname "$0")/../..}
cd "$top" || exit 2
fail=0
report() { echo "layering: $1"; fail=1; }

host_headers='<(liburing\.h|pthread\.h|unistd\.h|fcntl\.h|sched\.h|signal\.h|poll\.h|sys/[a-z_]+\.h|linux/[a-z_]+\.h)>'
hits=$(grep -rnE "#include $host_headers" src/core src/drivers 2>/dev/null)
[ -n "$hits" ] && report "host headers outside src/host:
$hits"
hits=$(grep -rnE '(^|[^:a-z_])(::)?(syscall|mmap|munmap|madvise|clock_gettime|pthread_[a-z_]+|io_uring_[a-z_]+)\(' src/core src/drivers 2>/dev/null | grep -v '^\S*:\s*//' | grep -vE 'Kernel::syscall|long syscall\(|dispatch_syscall|->syscall\(|\.syscall\(')
[ -n "$hits" ] && report "host calls outside src/host:
$hits"
hits=$(grep -rnE '#include "(core|drivers|api)/' src/host 2>/dev/null)
[ -n "$hits" ] && report "src/host includes the kernel:
$hits"
hits=$(grep -rnE '#include "(core/syscalls|api)/' src/drivers 2>/dev/null)
[ -n "$hits" ] && report "drivers reach up into syscalls or the API:
$hits"
hits=$(grep -rnE '#include "api/' src/core 2>/dev/null)
[ -n "$hits" ] && report "core includes the API layer:
$hits"
hits=$(grep -rlE 'Result<long> sys_[a-z0-9_]+\(Task&' src | grep -v '^src/core/syscalls/')
[ -n "$hits" ] && report "syscall handlers outside src/core/syscalls: $hits"
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
