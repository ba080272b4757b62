#pragma once
// Clang's thread-safety analysis (-Wthread-safety): which lock guards a member, which a
// function needs held, and which functions take and give back a lock. The compiler checks
// every access to an annotated member; CI builds with clang and -Werror=thread-safety.
// Other compilers see nothing.

#if defined(__clang__)
#define UML_TSA(x) __attribute__((x))
#else
#define UML_TSA(x)
#endif

#define CAPABILITY(name) UML_TSA(capability(name))
#define SCOPED_CAPABILITY UML_TSA(scoped_lockable)
#define GUARDED_BY(lock) UML_TSA(guarded_by(lock))
#define PT_GUARDED_BY(lock) UML_TSA(pt_guarded_by(lock))
#define REQUIRES(...) UML_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) UML_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) UML_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) UML_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) UML_TSA(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) UML_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS UML_TSA(no_thread_safety_analysis)
