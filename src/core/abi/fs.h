#pragma once
// Guest ABI: files and filesystems (Linux x86-64: asm-generic/fcntl.h, linux/stat.h,
// asm/stat.h, linux/fcntl.h, linux/openat2.h, asm-generic/statfs.h, linux/fs.h). Names carry
// a trailing underscore where the host's libc defines the same name as a macro.

#include <cstddef>
#include <cstdint>

namespace uml::abi {

// open(2) flags (octal, as in asm-generic/fcntl.h).
inline constexpr int O_ACCMODE_ = 00000003;
inline constexpr int O_RDONLY_ = 00000000;
inline constexpr int O_WRONLY_ = 00000001;
inline constexpr int O_RDWR_ = 00000002;
inline constexpr int O_CREAT_ = 00000100;
inline constexpr int O_EXCL_ = 00000200;
inline constexpr int O_NOCTTY_ = 00000400;
inline constexpr int O_TRUNC_ = 00001000;
inline constexpr int O_APPEND_ = 00002000;
inline constexpr int O_NONBLOCK_ = 00004000;
inline constexpr int O_DSYNC_ = 00010000;
inline constexpr int O_ASYNC_ = 00020000;
inline constexpr int O_DIRECT_ = 00040000;
inline constexpr int O_LARGEFILE_ = 00100000;
inline constexpr int O_DIRECTORY_ = 00200000;
inline constexpr int O_NOFOLLOW_ = 00400000;
inline constexpr int O_NOATIME_ = 01000000;
inline constexpr int O_CLOEXEC_ = 02000000;
inline constexpr int O_SYNC_ = 04010000;  // __O_SYNC | O_DSYNC
inline constexpr int O_PATH_ = 010000000;
inline constexpr int O_TMPFILE_ = 020200000;  // __O_TMPFILE | O_DIRECTORY

// File types and permission bits (linux/stat.h).
inline constexpr uint32_t S_IFMT_ = 0170000;
inline constexpr uint32_t S_IFSOCK_ = 0140000;
inline constexpr uint32_t S_IFLNK_ = 0120000;
inline constexpr uint32_t S_IFREG_ = 0100000;
inline constexpr uint32_t S_IFBLK_ = 0060000;
inline constexpr uint32_t S_IFDIR_ = 0040000;
inline constexpr uint32_t S_IFCHR_ = 0020000;
inline constexpr uint32_t S_IFIFO_ = 0010000;
inline constexpr uint32_t S_ISUID_ = 04000;
inline constexpr uint32_t S_ISGID_ = 02000;
inline constexpr uint32_t S_ISVTX_ = 01000;
inline constexpr uint32_t S_IALLUGO_ = 07777;

// getdents64 d_type values (DT_*): the file type bits shifted down.
constexpr uint8_t dtype_of(uint32_t mode) { return static_cast<uint8_t>((mode & S_IFMT_) >> 12); }

// *at() (linux/fcntl.h).
inline constexpr int AT_FDCWD_ = -100;
inline constexpr int AT_SYMLINK_NOFOLLOW_ = 0x100;
inline constexpr int AT_EACCESS_ = 0x200;
inline constexpr int AT_REMOVEDIR_ = 0x200;
inline constexpr int AT_SYMLINK_FOLLOW_ = 0x400;
inline constexpr int AT_NO_AUTOMOUNT_ = 0x800;
inline constexpr int AT_EMPTY_PATH_ = 0x1000;
inline constexpr int AT_STATX_SYNC_TYPE_ = 0x6000;

// openat2 (linux/openat2.h).
struct open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
static_assert(sizeof(open_how) == 24);
inline constexpr uint64_t RESOLVE_NO_XDEV_ = 0x01;
inline constexpr uint64_t RESOLVE_NO_MAGICLINKS_ = 0x02;
inline constexpr uint64_t RESOLVE_NO_SYMLINKS_ = 0x04;
inline constexpr uint64_t RESOLVE_BENEATH_ = 0x08;
inline constexpr uint64_t RESOLVE_IN_ROOT_ = 0x10;
inline constexpr uint64_t RESOLVE_CACHED_ = 0x20;

// lseek whence.
inline constexpr int SEEK_SET_ = 0, SEEK_CUR_ = 1, SEEK_END_ = 2, SEEK_DATA_ = 3, SEEK_HOLE_ = 4;

// renameat2 flags.
inline constexpr unsigned RENAME_NOREPLACE_ = 1u << 0;
inline constexpr unsigned RENAME_EXCHANGE_ = 1u << 1;
inline constexpr unsigned RENAME_WHITEOUT_ = 1u << 2;

// utimensat special values.
inline constexpr int64_t UTIME_NOW_ = (1l << 30) - 1;
inline constexpr int64_t UTIME_OMIT_ = (1l << 30) - 2;

// struct stat as x86-64's asm/stat.h lays it out (what newfstatat and fstat fill).
struct stat {
  uint64_t st_dev;
  uint64_t st_ino;
  uint64_t st_nlink;
  uint32_t st_mode;
  uint32_t st_uid;
  uint32_t st_gid;
  int32_t __pad0;
  uint64_t st_rdev;
  int64_t st_size;
  int64_t st_blksize;
  int64_t st_blocks;  // 512-byte units
  int64_t st_atime_sec;
  uint64_t st_atime_nsec;
  int64_t st_mtime_sec;
  uint64_t st_mtime_nsec;
  int64_t st_ctime_sec;
  uint64_t st_ctime_nsec;
  int64_t __unused[3];
};
static_assert(sizeof(stat) == 144);

// statx (linux/stat.h).
struct statx_timestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t __reserved;
};
struct statx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t __spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor;
  uint32_t stx_dev_major, stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align, stx_dio_offset_align;
  uint64_t __spare3[12];
};
static_assert(sizeof(statx) == 256);
inline constexpr uint32_t STATX_TYPE_ = 0x1, STATX_MODE_ = 0x2, STATX_NLINK_ = 0x4,
                          STATX_UID_ = 0x8, STATX_GID_ = 0x10, STATX_ATIME_ = 0x20,
                          STATX_MTIME_ = 0x40, STATX_CTIME_ = 0x80, STATX_INO_ = 0x100,
                          STATX_SIZE_ = 0x200, STATX_BLOCKS_ = 0x400, STATX_BASIC_STATS_ = 0x7ff,
                          STATX_BTIME_ = 0x800, STATX_MNT_ID_ = 0x1000;

// getdents64 record header; d_name follows, NUL-terminated, padded to 8 bytes.
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};
static_assert(sizeof(linux_dirent64) == 24);  // 19 bytes of header, padded

// statfs (asm-generic/statfs.h, 64-bit).
struct statfs {
  int64_t f_type;
  int64_t f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  int64_t f_spare[4];
};
static_assert(sizeof(statfs) == 120);
inline constexpr int64_t TMPFS_MAGIC_ = 0x01021994;
inline constexpr int64_t PROC_SUPER_MAGIC_ = 0x9fa0;

// statfs f_flags (ST_*).
inline constexpr int64_t ST_RDONLY_ = 1, ST_NOSUID_ = 2, ST_NODEV_ = 4, ST_NOEXEC_ = 8,
                         ST_VALID_ = 0x20, ST_NOATIME_ = 1024, ST_NODIRATIME_ = 2048,
                         ST_RELATIME_ = 4096;

// mount(2) flags (linux/mount.h) and umount2(2) flags.
inline constexpr unsigned long MS_RDONLY_ = 1, MS_NOSUID_ = 2, MS_NODEV_ = 4, MS_NOEXEC_ = 8,
                               MS_SYNCHRONOUS_ = 16, MS_REMOUNT_ = 32, MS_MANDLOCK_ = 64,
                               MS_DIRSYNC_ = 128, MS_NOSYMFOLLOW_ = 256, MS_NOATIME_ = 1024,
                               MS_NODIRATIME_ = 2048, MS_BIND_ = 4096, MS_MOVE_ = 8192,
                               MS_REC_ = 16384, MS_SILENT_ = 32768, MS_POSIXACL_ = 1ul << 16,
                               MS_UNBINDABLE_ = 1ul << 17, MS_PRIVATE_ = 1ul << 18,
                               MS_SLAVE_ = 1ul << 19, MS_SHARED_ = 1ul << 20,
                               MS_RELATIME_ = 1ul << 21, MS_KERNMOUNT_ = 1ul << 22,
                               MS_I_VERSION_ = 1ul << 23, MS_STRICTATIME_ = 1ul << 24,
                               MS_LAZYTIME_ = 1ul << 25, MS_NOUSER_ = 1ul << 31,
                               MS_MGC_VAL_ = 0xC0ED0000, MS_MGC_MSK_ = 0xffff0000;
inline constexpr int MNT_FORCE_ = 1, MNT_DETACH_ = 2, MNT_EXPIRE_ = 4, UMOUNT_NOFOLLOW_ = 8;

// Extended attributes (linux/xattr.h, limits.h).
inline constexpr int XATTR_CREATE_ = 1, XATTR_REPLACE_ = 2;
inline constexpr size_t XATTR_NAME_MAX_ = 255, XATTR_SIZE_MAX_ = 65536, XATTR_LIST_MAX_ = 65536;

// fallocate(2) modes (linux/falloc.h).
inline constexpr int FALLOC_FL_KEEP_SIZE_ = 0x01, FALLOC_FL_PUNCH_HOLE_ = 0x02,
                     FALLOC_FL_NO_HIDE_STALE_ = 0x04, FALLOC_FL_COLLAPSE_RANGE_ = 0x08,
                     FALLOC_FL_ZERO_RANGE_ = 0x10, FALLOC_FL_INSERT_RANGE_ = 0x20,
                     FALLOC_FL_UNSHARE_RANGE_ = 0x40;

// Advisory locks: flock(2) operations and fcntl's struct flock (asm-generic/fcntl.h).
inline constexpr int LOCK_SH_ = 1, LOCK_EX_ = 2, LOCK_NB_ = 4, LOCK_UN_ = 8;
inline constexpr int F_RDLCK_ = 0, F_WRLCK_ = 1, F_UNLCK_ = 2;
inline constexpr int F_GETLK_ = 5, F_SETLK_ = 6, F_SETLKW_ = 7, F_OFD_GETLK_ = 36,
                     F_OFD_SETLK_ = 37, F_OFD_SETLKW_ = 38;
struct flock {
  int16_t l_type;
  int16_t l_whence;
  int64_t l_start;
  int64_t l_len;
  int32_t l_pid;
};
static_assert(sizeof(flock) == 32);

// Device numbers as stat shows them (glibc's makedev encoding).
constexpr uint64_t makedev_(uint32_t major, uint32_t minor) {
  return (static_cast<uint64_t>(major & 0xfffff000u) << 32) | ((major & 0xfffu) << 8) |
         (static_cast<uint64_t>(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}

inline constexpr int NAME_MAX_ = 255;
inline constexpr int PATH_MAX_ = 4096;
inline constexpr int MAXSYMLINKS_ = 40;

// Inode flags (chattr(1), <linux/fs.h>): FS_IOC_GETFLAGS and FS_IOC_SETFLAGS take an int.
inline constexpr uint32_t FS_SYNC_FL_ = 0x00000008, FS_IMMUTABLE_FL_ = 0x00000010, FS_APPEND_FL_ = 0x00000020,
                          FS_NODUMP_FL_ = 0x00000040, FS_NOATIME_FL_ = 0x00000080;
inline constexpr unsigned FS_IOC_GETFLAGS_ = 0x80086601, FS_IOC_SETFLAGS_ = 0x40086602;
// FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR's struct fsxattr, and its xflags.
struct fsxattr {
  uint32_t fsx_xflags;
  uint32_t fsx_extsize;
  uint32_t fsx_nextents;
  uint32_t fsx_projid;
  uint32_t fsx_cowextsize;
  unsigned char fsx_pad[8];
};
static_assert(sizeof(fsxattr) == 28);
inline constexpr unsigned FS_IOC_FSGETXATTR_ = 0x801c581f, FS_IOC_FSSETXATTR_ = 0x401c5820;
inline constexpr uint32_t FS_XFLAG_IMMUTABLE_ = 0x8, FS_XFLAG_APPEND_ = 0x10, FS_XFLAG_SYNC_ = 0x20,
                          FS_XFLAG_NOATIME_ = 0x40, FS_XFLAG_NODUMP_ = 0x80;
// Reflinks (FICLONE, FICLONERANGE, FIDEDUPERANGE): <linux/fs.h>.
inline constexpr unsigned FICLONE_ = 0x40049409, FICLONERANGE_ = 0x4020940d, FIDEDUPERANGE_ = 0xc0189436;
struct file_clone_range {
  int64_t src_fd;
  uint64_t src_offset, src_length, dest_offset;
};
static_assert(sizeof(file_clone_range) == 32);

}  // namespace uml::abi
