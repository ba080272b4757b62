#pragma once
// Which sanitizer this build runs under: UML_ASAN and UML_TSAN, defined for GCC
// (__SANITIZE_*__) and for clang (__has_feature; clang 14 does not define the GCC macros).
// Code that must tell the sanitizers about fibers, or work around them, tests these.

#if defined(__SANITIZE_ADDRESS__)
#define UML_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UML_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define UML_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UML_TSAN 1
#endif
#endif
