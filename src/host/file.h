#pragma once
// Host files behind guest disks: open with the best I/O mode the host file system allows,
// learn the size and the direct-I/O alignment, and plain synchronous I/O for callers that are
// not vCPU threads (attached application threads, tools). vCPUs use the Reactor instead.
//
// Blocking: every function here may block the calling host thread on the host's storage.

#include <cstddef>
#include <cstdint>
#include <string>

namespace uml::host {

struct IoVec {
  void* base;
  size_t len;
};

struct DiskFileInfo {
  int fd = -1;
  bool direct = false;        // opened O_DIRECT (reads and writes must be aligned)
  bool read_only = false;
  uint64_t size = 0;          // bytes (a block device's size for a device node)
  uint32_t dio_mem_align = 512;     // direct I/O: buffer address alignment
  uint32_t dio_offset_align = 512;  // direct I/O: offset and length alignment
  uint64_t dev = 0, ino = 0;        // identity (st_dev, st_ino)
  int64_t mtime_ns = 0;
  bool locked = false;  // holds the lock open_disk_file was asked for
};

// Whom a disk's host file is shared with while it is open (QEMU's image locking): a
// writer takes an exclusive lock, a reader a shared one, as open file description locks
// (F_OFD_SETLK over the whole file), so two writers, or a writer and a reader, never have
// one image at once, in one process or in two. None: no lock (a probe of the header).
enum class DiskLock { None, ForAccess };

// Opens path for a disk: read-write unless read_only. With want_direct, tries O_DIRECT first
// and falls back to buffered I/O when the file system refuses it (tmpfs, some FUSE). With
// lock, takes the lock its access needs without waiting: EBUSY when another open file holds
// a conflicting one; a file system without locks (ENOLCK, EOPNOTSUPP) opens unlocked
// (out->locked false). 0 or -errno. Close with close_disk_file.
int open_disk_file(const std::string& path, bool read_only, bool want_direct, DiskFileInfo* out,
                   DiskLock lock = DiskLock::ForAccess);
// Creates a new file (EEXIST if path exists), open read-write. fd or -errno.
int create_new_file(const std::string& path, uint32_t mode);
// Creates (or truncates) a file of size bytes, sparse. 0 or -errno.
int create_sparse_file(const std::string& path, uint64_t size, uint32_t mode);
// Size, identity and modification time of an open file. 0 or -errno.
int stat_disk_file(int fd, DiskFileInfo* out);
void close_file(int fd);
// Lets the disk's lock go, then closes it (fd -1 after). The lock is let go explicitly: an
// io_uring ring that had the file registered may hold the open file, and with it the lock,
// for a while after the ring is gone (the host frees its files asynchronously).
void close_disk_file(DiskFileInfo& f);

// Synchronous transfers at off; the whole count, or a short count at end of file, or -errno.
int64_t preadv_file(int fd, const IoVec* iov, int n, uint64_t off);
int64_t pwritev_file(int fd, const IoVec* iov, int n, uint64_t off);
int64_t pread_full(int fd, void* buf, size_t len, uint64_t off);
int64_t pwrite_full(int fd, const void* buf, size_t len, uint64_t off);
int fsync_file(int fd, bool datasync);
// fallocate(2) modes the disks use.
enum class Fallocate { PunchHole, ZeroRange };
int fallocate_file(int fd, Fallocate mode, uint64_t off, uint64_t len);
int truncate_file(int fd, uint64_t size);

// Memory aligned for direct I/O (align a power of two), or null. Free with free_aligned.
void* alloc_aligned(size_t align, size_t size);
void free_aligned(void* p);

}  // namespace uml::host
