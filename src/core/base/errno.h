#pragma once
// Linux errno values (asm-generic/errno-base.h, errno.h; x86-64 uses the generic numbers)
// plus the kernel-internal restart codes (include/linux/errno.h).
//
// Enumerators drop the leading "E" because <errno.h> defines the E* names as macros in
// nearly every translation unit; EOVERFLOW becomes OVERFLOW_ because glibc's <math.h>
// defines OVERFLOW.

namespace uml::kern {

#define UML_ERRNO_LIST(X)                                            \
  X(PERM, 1) X(NOENT, 2) X(SRCH, 3) X(INTR, 4) X(IO, 5) X(NXIO, 6)  \
  X(TOOBIG, 7) X(NOEXEC, 8) X(BADF, 9) X(CHILD, 10) X(AGAIN, 11)     \
  X(NOMEM, 12) X(ACCES, 13) X(FAULT, 14) X(NOTBLK, 15) X(BUSY, 16)   \
  X(EXIST, 17) X(XDEV, 18) X(NODEV, 19) X(NOTDIR, 20) X(ISDIR, 21)   \
  X(INVAL, 22) X(NFILE, 23) X(MFILE, 24) X(NOTTY, 25) X(TXTBSY, 26)  \
  X(FBIG, 27) X(NOSPC, 28) X(SPIPE, 29) X(ROFS, 30) X(MLINK, 31)     \
  X(PIPE, 32) X(DOM, 33) X(RANGE, 34) X(DEADLK, 35)                   \
  X(NAMETOOLONG, 36) X(NOLCK, 37) X(NOSYS, 38) X(NOTEMPTY, 39)       \
  X(LOOP, 40) X(NOMSG, 42) X(IDRM, 43) X(NOSTR, 60) X(NODATA, 61)    \
  X(TIME, 62) X(NOLINK, 67) X(PROTO, 71) X(BADMSG, 74)               \
  X(OVERFLOW_, 75) X(BADFD, 77) X(ILSEQ, 84) X(RESTART, 85)          \
  X(USERS, 87) X(NOTSOCK, 88) X(DESTADDRREQ, 89) X(MSGSIZE, 90)      \
  X(PROTOTYPE, 91) X(NOPROTOOPT, 92) X(PROTONOSUPPORT, 93)           \
  X(SOCKTNOSUPPORT, 94) X(OPNOTSUPP, 95) X(PFNOSUPPORT, 96)          \
  X(AFNOSUPPORT, 97) X(ADDRINUSE, 98) X(ADDRNOTAVAIL, 99)            \
  X(NETDOWN, 100) X(NETUNREACH, 101) X(NETRESET, 102)                \
  X(CONNABORTED, 103) X(CONNRESET, 104) X(NOBUFS, 105) X(ISCONN, 106)\
  X(NOTCONN, 107) X(SHUTDOWN, 108) X(TIMEDOUT, 110)                  \
  X(CONNREFUSED, 111) X(HOSTDOWN, 112) X(HOSTUNREACH, 113)           \
  X(ALREADY, 114) X(INPROGRESS, 115) X(STALE, 116) X(UCLEAN, 117)    \
  X(DQUOT, 122) X(NOMEDIUM, 123) X(CANCELED, 125) X(NOKEY, 126)      \
  X(OWNERDEAD, 130) X(NOTRECOVERABLE, 131)                           \
  /* kernel-internal: never seen by the guest */                     \
  X(RESTARTSYS, 512) X(RESTARTNOINTR, 513) X(RESTARTNOHAND, 514)     \
  X(RESTART_RESTARTBLOCK, 516)

enum class Errno : int {
#define UML_ERRNO_ENUM(name, num) name = num,
  UML_ERRNO_LIST(UML_ERRNO_ENUM)
#undef UML_ERRNO_ENUM
};

// ENOTSUP and EWOULDBLOCK are aliases on Linux.
inline constexpr Errno NOTSUP = Errno::OPNOTSUPP;
inline constexpr Errno WOULDBLOCK = Errno::AGAIN;

// "EPERM" etc., or "E?" for a number outside the list. For logs.
const char* errno_name(Errno e);

constexpr int to_int(Errno e) { return static_cast<int>(e); }

// True for the restart codes that must never reach the guest.
constexpr bool is_restart_code(Errno e) { return to_int(e) >= 512 && to_int(e) <= 516; }

}  // namespace uml::kern
