// Vfs: space and in-kernel copies — fallocate, sendfile, copy_file_range (fs/open.c,
// fs/read_write.c).

#include <vector>

#include "core/task/task.h"
#include "core/vfs/vfs.h"

namespace uml::kern {

namespace {
// One mode at a time, plus KEEP_SIZE (Linux 6.12's FALLOC_FL_MODE_MASK rules; the host
// kernel is the reference). WRITE_ZEROES is 0x80.
constexpr int kFallocModeMask = abi::FALLOC_FL_PUNCH_HOLE_ | abi::FALLOC_FL_COLLAPSE_RANGE_ |
                                abi::FALLOC_FL_ZERO_RANGE_ | abi::FALLOC_FL_INSERT_RANGE_ |
                                abi::FALLOC_FL_UNSHARE_RANGE_ | 0x80;
constexpr size_t kMaxRw = 0x7ffff000;  // MAX_RW_COUNT
}  // namespace

// fs/open.c: vfs_fallocate, checks in Linux's order.
Result<void> Vfs::fallocate(Task& t, File& f, int mode, int64_t off, int64_t len) {
  if (off < 0 || len <= 0) return Errno::INVAL;
  if (mode & ~(kFallocModeMask | abi::FALLOC_FL_KEEP_SIZE_)) return Errno::OPNOTSUPP;
  switch (mode & kFallocModeMask) {
    case 0:
    case abi::FALLOC_FL_UNSHARE_RANGE_:
    case abi::FALLOC_FL_ZERO_RANGE_:
      break;
    case abi::FALLOC_FL_PUNCH_HOLE_:
      if (!(mode & abi::FALLOC_FL_KEEP_SIZE_)) return Errno::OPNOTSUPP;
      break;
    case abi::FALLOC_FL_COLLAPSE_RANGE_:
    case abi::FALLOC_FL_INSERT_RANGE_:
    case 0x80:
      if (mode & abi::FALLOC_FL_KEEP_SIZE_) return Errno::OPNOTSUPP;
      break;
    default:
      return Errno::OPNOTSUPP;
  }
  if (!f.writable()) return Errno::BADF;
  Inode& i = f.inode();
  if (i.append_only() && (mode & ~abi::FALLOC_FL_KEEP_SIZE_)) return Errno::PERM;  // only appending
  if (i.immutable()) return Errno::PERM;
  const uint32_t type = i.type();
  if (type == abi::S_IFIFO_) return Errno::SPIPE;
  if (type == abi::S_IFDIR_) return Errno::ISDIR;
  if (type != abi::S_IFREG_ && type != abi::S_IFBLK_) return Errno::NODEV;
  if (off > INT64_MAX - len) return Errno::FBIG;
  if (type == abi::S_IFBLK_) return f.ops() ? f.ops()->fallocate(f, t, mode, off, len) : Result<void>(Errno::NODEV);
  MutexGuard g(i.rwsem(), t);
  TRY(i.fallocate(t, mode, static_cast<uint64_t>(off), static_cast<uint64_t>(len)));
  file_remove_privs(t.creds(), i);  // file_modified, as a write
  return {};
}

// Moves up to count bytes from in to out through a kernel buffer, at *in_off and *out_off
// or at the files' positions when those are null. Stops at end of input or a short write;
// an error after some bytes moved reports the bytes.
Result<size_t> Vfs::transfer(Task& t, File& in, int64_t* in_off, File& out, int64_t* out_off,
                             size_t count) {
  std::vector<char> chunk(std::min<size_t>(count, 64 * 1024));
  size_t done = 0;
  while (done < count) {
    const size_t want = std::min(chunk.size(), count - done);
    const IoBuffer kbuf = IoBuffer::kernel(chunk.data(), want);
    auto r = in_off ? in.pread(t, kbuf, static_cast<uint64_t>(*in_off)) : in.read(t, kbuf);
    if (!r.has_value()) {
      if (done) break;
      return r.error();
    }
    const size_t got = r.value();
    if (got == 0) break;
    const IoBuffer wbuf = IoBuffer::kernel(chunk.data(), got);
    auto w = out_off ? out.pwrite(t, wbuf, static_cast<uint64_t>(*out_off)) : out.write(t, wbuf);
    if (!w.has_value()) {
      if (done) break;
      return w.error();
    }
    const size_t put = w.value();
    if (in_off) *in_off += static_cast<int64_t>(put);
    else if (put < got) TRY(in.lseek(t, -static_cast<int64_t>(got - put), abi::SEEK_CUR_));
    if (out_off) *out_off += static_cast<int64_t>(put);
    done += put;
    if (put < got) break;
  }
  return done;
}

// fs/read_write.c: do_sendfile.
Result<size_t> Vfs::sendfile(Task& t, File& out, File& in, int64_t* offset, size_t count) {
  if (!in.readable()) return Errno::BADF;
  if (offset && *offset < 0) return Errno::INVAL;
  if (!out.writable()) return Errno::BADF;
  // The input must be something a splice can read: a regular file or a device.
  if (!in.inode().is_reg() && !in.ops()) return Errno::INVAL;
  if (out.flags() & abi::O_APPEND_) return Errno::INVAL;
  if (count > kMaxRw) count = kMaxRw;
  if (count == 0) return size_t{0};
  return transfer(t, in, offset, out, nullptr, count);
}

// fs/read_write.c: vfs_copy_file_range and generic_copy_file_checks.
Result<size_t> Vfs::copy_file_range(Task& t, File& in, int64_t* in_off, File& out,
                                    int64_t* out_off, size_t len, unsigned flags) {
  if (flags != 0) return Errno::INVAL;
  if (!in.readable() || !out.writable()) return Errno::BADF;
  if (out.flags() & abi::O_APPEND_) return Errno::BADF;
  Inode& ii = in.inode();
  Inode& oi = out.inode();
  if (ii.is_dir() || oi.is_dir()) return Errno::ISDIR;
  if (!ii.is_reg() || !oi.is_reg()) return Errno::INVAL;
  int64_t pos_in, pos_out;
  if (in_off) {
    pos_in = *in_off;
  } else {
    pos_in = TRY(in.lseek(t, 0, abi::SEEK_CUR_));
  }
  if (out_off) {
    pos_out = *out_off;
  } else {
    pos_out = TRY(out.lseek(t, 0, abi::SEEK_CUR_));
  }
  if (pos_in < 0 || pos_out < 0) return Errno::INVAL;
  if (len > static_cast<size_t>(INT64_MAX) - static_cast<size_t>(pos_in) ||
      len > static_cast<size_t>(INT64_MAX) - static_cast<size_t>(pos_out))
    return Errno::OVERFLOW_;
  // The same file: the ranges must not overlap.
  if (&ii == &oi && pos_out + static_cast<int64_t>(len) > pos_in && pos_in + static_cast<int64_t>(len) > pos_out)
    return Errno::INVAL;
  if (len == 0) return size_t{0};
  // Without a filesystem copy, only within one superblock (a splice); else EXDEV.
  if (&ii.sb() != &oi.sb()) return Errno::XDEV;
  if (len > kMaxRw) len = kMaxRw;
  const uint64_t size_in = ii.attr().size;
  if (static_cast<uint64_t>(pos_in) >= size_in) return size_t{0};
  len = std::min<size_t>(len, size_in - static_cast<uint64_t>(pos_in));
  const size_t n = TRY(transfer(t, in, &pos_in, out, &pos_out, len));
  if (in_off) *in_off = pos_in;
  else TRY(in.lseek(t, pos_in, abi::SEEK_SET_));
  if (out_off) *out_off = pos_out;
  else TRY(out.lseek(t, pos_out, abi::SEEK_SET_));
  return n;
}

}  // namespace uml::kern
