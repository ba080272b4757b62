#include "host/file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>

namespace uml::host {

int stat_disk_file(int fd, DiskFileInfo* out) {
  struct statx sx {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_DIOALIGN, &sx) != 0) return -errno;
  out->size = sx.stx_size;
  if (S_ISBLK(sx.stx_mode)) {
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) return -errno;
    out->size = bytes;
  }
  out->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  out->ino = sx.stx_ino;
  out->mtime_ns = static_cast<int64_t>(sx.stx_mtime.tv_sec) * 1'000'000'000 + sx.stx_mtime.tv_nsec;
  if ((sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
    out->dio_mem_align = sx.stx_dio_mem_align;
    out->dio_offset_align = sx.stx_dio_offset_align;
  }
  return 0;
}

namespace {
// An OFD lock over the whole file: shared (F_RDLCK) or exclusive (F_WRLCK), without waiting.
int lock_whole_file(int fd, bool exclusive) {
  struct flock fl {};
  fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
  return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
}
}  // namespace

int open_disk_file(const std::string& path, bool read_only, bool want_direct, DiskFileInfo* out, DiskLock lock) {
  const int acc = read_only ? O_RDONLY : O_RDWR;
  int fd = -1;
  bool direct = false;
  if (want_direct) {
    fd = open(path.c_str(), acc | O_CLOEXEC | O_DIRECT);
    if (fd >= 0) direct = true;
    else if (errno != EINVAL) return -errno;  // EINVAL: the file system has no O_DIRECT
  }
  if (fd < 0) fd = open(path.c_str(), acc | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
    const int err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    close(fd);
    return err;
  }
  DiskFileInfo info;
  info.fd = fd;
  info.direct = direct;
  info.read_only = read_only;
  if (int r = stat_disk_file(fd, &info); r != 0) {
    close(fd);
    return r;
  }
  if (lock == DiskLock::ForAccess) {
    const int r = lock_whole_file(fd, !read_only);
    if (r == -EBUSY || (r < 0 && r != -ENOLCK && r != -EOPNOTSUPP && r != -EINVAL)) {
      close(fd);
      return r;
    }
    info.locked = r == 0;
  }
  // A direct alignment the host does not report (older kernels, some file systems) is taken
  // to be the logical block size: 512 bytes works on every device we know of; probe 4096.
  if (direct && !(info.dio_offset_align)) info.dio_offset_align = 512;
  *out = info;
  return 0;
}

int create_new_file(const std::string& path, uint32_t mode) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  return fd < 0 ? -errno : fd;
}

int create_sparse_file(const std::string& path, uint64_t size, uint32_t mode) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  int r = ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : -errno;
  close(fd);
  return r;
}

void close_disk_file(DiskFileInfo& f) {
  if (f.fd < 0) return;
  if (f.locked) {
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    (void)fcntl(f.fd, F_OFD_SETLK, &fl);
    f.locked = false;
  }
  close(f.fd);
  f.fd = -1;
}

void close_file(int fd) {
  if (fd >= 0) close(fd);
}

namespace {
template <typename Op>
int64_t full_vec(Op op, const IoVec* iov, int n, uint64_t off) {
  iovec v[64];
  int64_t done = 0;
  int i = 0;
  size_t skip = 0;  // bytes of iov[i] already done
  while (i < n) {
    int k = 0;
    for (int j = i; j < n && k < 64; ++j, ++k) {
      v[k].iov_base = static_cast<char*>(iov[j].base) + (j == i ? skip : 0);
      v[k].iov_len = iov[j].len - (j == i ? skip : 0);
    }
    ssize_t r = op(v, k, static_cast<off_t>(off + static_cast<uint64_t>(done)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return done ? done : -errno;
    }
    if (r == 0) return done;  // end of file
    done += r;
    size_t left = static_cast<size_t>(r) + skip;
    while (i < n && left >= iov[i].len) {
      left -= iov[i].len;
      ++i;
    }
    skip = left;
  }
  return done;
}
}  // namespace

int64_t preadv_file(int fd, const IoVec* iov, int n, uint64_t off) {
  return full_vec([fd](iovec* v, int k, off_t o) { return preadv(fd, v, k, o); }, iov, n, off);
}

int64_t pwritev_file(int fd, const IoVec* iov, int n, uint64_t off) {
  return full_vec([fd](iovec* v, int k, off_t o) { return pwritev(fd, v, k, o); }, iov, n, off);
}

int64_t pread_full(int fd, void* buf, size_t len, uint64_t off) {
  IoVec v{buf, len};
  return preadv_file(fd, &v, 1, off);
}

int64_t pwrite_full(int fd, const void* buf, size_t len, uint64_t off) {
  IoVec v{const_cast<void*>(buf), len};
  return pwritev_file(fd, &v, 1, off);
}

int fsync_file(int fd, bool datasync) {
  return (datasync ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : -errno;
}

int fallocate_file(int fd, Fallocate mode, uint64_t off, uint64_t len) {
  const int m = mode == Fallocate::PunchHole ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                                              : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
  return fallocate(fd, m, static_cast<off_t>(off), static_cast<off_t>(len)) == 0 ? 0 : -errno;
}

int truncate_file(int fd, uint64_t size) {
  return ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : -errno;
}

void* alloc_aligned(size_t align, size_t size) {
  void* p = nullptr;
  if (posix_memalign(&p, align, size) != 0) return nullptr;
  return p;
}

void free_aligned(void* p) { free(p); }

}  // namespace uml::host
