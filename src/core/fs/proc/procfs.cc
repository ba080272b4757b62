#include "core/fs/proc/procfs.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/kernel/kernel.h"
#include "core/sched/scheduler.h"
#include "core/sched/sync.h"
#include "libuml/syscall_list.h"
#include "core/task/process_table.h"
#include "core/task/signal.h"
#include "core/task/task.h"
#include "core/vfs/file.h"
#include "core/vfs/file_ops.h"
#include "host/host.h"

namespace uml::kern {

namespace {

constexpr int64_t kUserHz = 100;  // clock ticks in stat's times (USER_HZ)
constexpr int CAP_SYS_PTRACE = 19;


std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  va_list ap2;
  va_copy(ap2, ap);
  const int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  std::string s;
  if (n < static_cast<int>(sizeof small)) {
    s.assign(small, static_cast<size_t>(n));
  } else {
    s.resize(static_cast<size_t>(n) + 1);
    vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<size_t>(n));
  }
  va_end(ap2);
  return s;
}

// /proc/mounts escapes the separators in paths (fs/proc_namespace.c: mangle).
std::string mangle(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') out += format("\\%03o", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

uint32_t dev_major(uint64_t d) { return static_cast<uint32_t>(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffull)); }
uint32_t dev_minor(uint64_t d) { return static_cast<uint32_t>((d & 0xff) | ((d >> 12) & ~0xffull)); }

class ProcSuper final : public SuperBlock {
 public:
  ProcSuper(Kernel& k, uint64_t dev) : SuperBlock("proc", dev, k.realtime()), m_kernel(k) {
    m_cache_negative = false;
    m_blocksize = 1024;  // proc_fill_super's s_blocksize
  }
  Kernel& kernel() const { return m_kernel; }
  void set_root_inode(RefPtr<Inode> r) { set_root(std::move(r)); }
  // The builder whose functions the inodes call lives as long as the superblock.
  void keep(std::shared_ptr<void> builder) { m_builder = std::move(builder); }
  abi::statfs statfs() override {
    abi::statfs s{};
    s.f_type = abi::PROC_SUPER_MAGIC_;
    s.f_bsize = 4096;
    s.f_frsize = 4096;
    s.f_namelen = abi::NAME_MAX_;
    return s;
  }

 private:
  Kernel& m_kernel;
  std::shared_ptr<void> m_builder;
};

using Generator = std::function<Result<std::string>(Task& reader)>;
using Writer = std::function<Result<void>(Task& writer, std::string_view text)>;

// An open generated file (single_open). The text is made at open (so that its errors are
// the open's), and made again as seq_read_iter makes it: at the first read (a file that
// shows the reader's own state, such as [pid]/syscall, shows it as of the read), on a
// read from offset 0 (pread at 0, or lseek to 0 then read), and on a read anywhere but
// where the last one ended; reads that go on from there continue the same text, so a
// file read in pieces stays consistent.
class SeqOps final : public FileOps {
 public:
  SeqOps(std::string text, Generator gen, Writer w)
      : m_text(std::move(text)), m_gen(std::move(gen)), m_write(std::move(w)) {}
  Result<size_t> read(File&, Actor& self, const IoBuffer& buf, uint64_t* pos) override {
    MutexGuard g(m_lock, self);
    if (m_first || *pos == 0 || *pos != m_read_pos) m_text = TRY(m_gen(Task::of(self)));
    m_first = false;
    if (*pos >= m_text.size()) {
      m_read_pos = *pos;
      return size_t{0};
    }
    const size_t n = std::min<size_t>(buf.size(), m_text.size() - *pos);
    const size_t k = buf.write_some(0, m_text.data() + *pos, n);
    if (k == 0 && n > 0) return Errno::FAULT;
    *pos += k;
    m_read_pos = *pos;
    return k;
  }
  Result<size_t> write(File&, Actor& self, const IoBuffer& buf, uint64_t*) override {
    if (!m_write) return Errno::INVAL;  // no write operation: vfs_write's EINVAL
    std::string text(std::min<size_t>(buf.size(), 4096), '\0');
    const size_t n = buf.read_some(0, text.data(), text.size());
    if (n == 0 && !text.empty()) return Errno::FAULT;
    text.resize(n);
    TRY(m_write(Task::of(self), text));
    return buf.size() > 4096 ? n : buf.size();
  }
  // seq_lseek: SEEK_SET and SEEK_CUR only.
  Result<int64_t> llseek(File&, uint64_t cur, int64_t off, int whence) override {
    int64_t base;
    if (whence == abi::SEEK_SET_) base = 0;
    else if (whence == abi::SEEK_CUR_) base = static_cast<int64_t>(cur);
    else return Errno::INVAL;
    if (base + off < 0) return Errno::INVAL;
    return base + off;
  }

 private:
  Mutex m_lock;
  std::string m_text;       // (m_lock)
  bool m_first = true;      // not read yet (m_lock)
  uint64_t m_read_pos = 0;  // where the last read ended (m_lock)
  Generator m_gen;
  Writer m_write;
};

class ProcFile final : public Inode {
 public:
  ProcFile(SuperBlock& sb, uint64_t ino, const InodeAttr& a, Generator g, Writer w)
      : Inode(sb, ino, a), m_gen(std::move(g)), m_write(std::move(w)) {}
  Result<std::shared_ptr<FileOps>> open_file(Actor& self, int) override {
    std::string text = TRY(m_gen(Task::of(self)));
    return std::shared_ptr<FileOps>(std::make_shared<SeqOps>(std::move(text), m_gen, m_write));
  }

 private:
  Generator m_gen;
  Writer m_write;
};

class ProcLink final : public Inode {
 public:
  using Target = std::function<Result<std::string>(Task& reader)>;
  using Magic = std::function<Result<Path>(Task&)>;
  ProcLink(SuperBlock& sb, uint64_t ino, const InodeAttr& a, Target target, Magic magic,
           std::function<bool()> valid)
      : Inode(sb, ino, a), m_target(std::move(target)), m_magic(std::move(magic)), m_valid(std::move(valid)) {}
  Result<std::string> readlink(Actor& self) override { return m_target(Task::of(self)); }
  bool is_magic_link() const override { return static_cast<bool>(m_magic); }
  Result<Path> follow_magic(Actor& self) override { return m_magic(Task::of(self)); }
  bool revalidate() override { return !m_valid || m_valid(); }

 private:
  Target m_target;
  Magic m_magic;
  std::function<bool()> m_valid;
};

struct ProcEntry {
  std::string name;
  uint8_t type;  // DT_*
};

class ProcDir final : public Inode {
 public:
  using List = std::function<std::vector<ProcEntry>()>;
  using Lookup = std::function<Result<RefPtr<Inode>>(std::string_view)>;
  ProcDir(SuperBlock& sb, uint64_t ino, const InodeAttr& a, List list, Lookup lookup,
          std::function<bool()> valid)
      : Inode(sb, ino, a), m_list(std::move(list)), m_lookup(std::move(lookup)), m_valid(std::move(valid)) {}
  Result<RefPtr<Inode>> lookup(Actor&, std::string_view name) override { return m_lookup(name); }
  Result<uint64_t> iterate(Actor&, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override {
    const std::vector<ProcEntry> entries = m_list();
    // Cookies 3.. index the list as it is now; entries are generated each time, like
    // Linux's proc_readdir, so a listing racing with process exit may skip or repeat one.
    for (uint64_t i = cookie < 3 ? 0 : cookie - 3; i < entries.size(); ++i) {
      const ProcEntry& e = entries[i];
      const uint64_t ino = 0x10000000 + std::hash<std::string>{}(e.name) % 0x10000000;
      if (!emit(DirEntry{e.name, ino, e.type, i + 4})) return i + 3;
    }
    return entries.size() + 3;
  }
  bool empty_dir(Actor&) override { return false; }
  bool revalidate() override { return !m_valid || m_valid(); }

 private:
  List m_list;
  Lookup m_lookup;
  std::function<bool()> m_valid;
};

constexpr uint8_t DT_DIR_ = 4, DT_REG_ = 8, DT_LNK_ = 10;

// A directory of fixed entries, each made on lookup.
struct Static {
  std::string name;
  uint8_t type;
  std::function<RefPtr<Inode>()> make;
};

bool parse_id(std::string_view s, int32_t* out) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > INT32_MAX) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

class ProcBuilder {
 public:
  explicit ProcBuilder(ProcSuper& sb) : m_sb(sb), m_k(sb.kernel()) {}

  RefPtr<Inode> file(uint32_t mode, Generator g, Writer w = {}, uint32_t uid = 0, uint32_t gid = 0) {
    return make_ref<ProcFile>(m_sb, m_sb.alloc_ino(), InodeAttr::fresh(m_sb.now(), abi::S_IFREG_ | mode, uid, gid),
                              std::move(g), std::move(w));
  }
  RefPtr<Inode> link(ProcLink::Target target, ProcLink::Magic magic = {}, uint32_t uid = 0,
                     uint32_t gid = 0, std::function<bool()> valid = {}) {
    return make_ref<ProcLink>(m_sb, m_sb.alloc_ino(), InodeAttr::fresh(m_sb.now(), abi::S_IFLNK_ | 0777, uid, gid),
                              std::move(target), std::move(magic), std::move(valid));
  }
  RefPtr<Inode> dir(uint32_t mode, ProcDir::List list, ProcDir::Lookup lookup,
                    std::function<bool()> valid = {}, uint32_t uid = 0, uint32_t gid = 0) {
    return make_ref<ProcDir>(m_sb, m_sb.alloc_ino(), InodeAttr::fresh(m_sb.now(), abi::S_IFDIR_ | mode, uid, gid),
                             std::move(list), std::move(lookup), std::move(valid));
  }
  // A directory of fixed entries, plus an optional dynamic part after them.
  RefPtr<Inode> static_dir(uint32_t mode, std::vector<Static> entries, ProcDir::List more = {},
                           ProcDir::Lookup more_lookup = {}, std::function<bool()> valid = {},
                           uint32_t uid = 0, uint32_t gid = 0) {
    auto shared = std::make_shared<std::vector<Static>>(std::move(entries));
    ProcDir::List list = [shared, more] {
      std::vector<ProcEntry> out;
      for (const auto& e : *shared) out.push_back({e.name, e.type});
      if (more) {
        std::vector<ProcEntry> extra = more();
        out.insert(out.end(), extra.begin(), extra.end());
      }
      return out;
    };
    ProcDir::Lookup lookup = [shared, more_lookup](std::string_view name) -> Result<RefPtr<Inode>> {
      for (const auto& e : *shared)
        if (e.name == name) return e.make();
      if (more_lookup) return more_lookup(name);
      return Errno::NOENT;
    };
    return dir(mode, std::move(list), std::move(lookup), std::move(valid), uid, gid);
  }

  RefPtr<Inode> root();

 private:
  std::optional<ProcessTable::ProcessSnapshot> snap(pid_t_ pid) { return m_k.procs().snapshot(pid); }
  Result<ProcessTable::ProcessSnapshot> need(pid_t_ pid) {
    auto s = snap(pid);
    if (!s) return Errno::SRCH;
    return std::move(*s);
  }
  // ptrace_may_access for reading another process's files and directories (the same
  // user, or CAP_SYS_PTRACE).
  static Result<void> may_inspect(Task& reader, const ProcessTable::ProcessSnapshot& s) {
    const Credentials& c = reader.creds();
    if (c.capable(CAP_SYS_PTRACE)) return {};
    if (c.fsuid == s.creds.uid && c.fsuid == s.creds.euid && c.fsuid == s.creds.suid) return {};
    return Errno::ACCES;
  }

  RefPtr<Inode> pid_dir(pid_t_ pid, pid_t_ tid);
  RefPtr<Inode> fd_dir(pid_t_ pid, bool info, uint32_t uid, uint32_t gid);
  std::string stat_text(const ProcessTable::ProcessSnapshot& s, pid_t_ tid, Task& reader);
  std::string status_text(const ProcessTable::ProcessSnapshot& s, pid_t_ tid, Task& reader);
  std::string mounts_text(const MountNamespace& ns, const Path& root, bool info);
  // The namespace of type (NsType) task t is in.
  Result<NsHandle> ns_handle(Task& t, uint32_t type);
  std::string meminfo_text();

  ProcSuper& m_sb;
  Kernel& m_k;
};

// The kernel function a task blocked in syscall nr waits in, as /proc/[pid]/wchan names it
// on Linux 6.1 (a pipe's read or write by the descriptor's file; a syscall with no entry
// here by its __do_sys_ wrapper).
std::string wchan_of(Task& t, long nr, const long* args) {
  auto on_pipe = [&] {
    RefPtr<File> f = t.files().get(static_cast<int>(args[0]));
    return f && f->inode().type() == abi::S_IFIFO_;
  };
  switch (nr) {
    case 0: case 17: case 19: case 295: return on_pipe() ? "pipe_read" : "wait_woken";
    case 1: case 18: case 20: case 296: return on_pipe() ? "pipe_write" : "wait_woken";
    case 7: case 271: return "do_sys_poll";
    case 23: case 270: return "do_select";
    case 232: case 281: case 441: return "do_epoll_wait";
    case 202: case 449: return "futex_wait_queue";
    case 35: case 230: return "hrtimer_nanosleep";
    case 61: case 247: return "do_wait";
    case 34: return "__do_sys_pause";
    case 130: return "sigsuspend";
    case 128: return "do_sigtimedwait";
    case 72: return "fcntl_setlk";
    case 73: return "locks_lock_inode_wait";
    case 2: case 257: case 437: return "wait_for_partner";  // a FIFO's other end
    default: break;
  }
  switch (nr) {
#define UML_PROC_NAME(n, name, arity, status, note, params) \
  case n: return "__do_sys_" #name;
    UML_SYSCALL_LIST(UML_PROC_NAME)
#undef UML_PROC_NAME
    default: return "0";
  }
}

char state_of(const ProcessTable::ProcessSnapshot& s, Task& reader) {
  if (s.zombie) return 'Z';
  return reader.pid() == s.pid ? 'R' : 'S';
}

std::string ProcBuilder::stat_text(const ProcessTable::ProcessSnapshot& s, pid_t_ tid, Task& reader) {
  const int64_t tick = abi::NSEC_PER_SEC / kUserHz;
  const int64_t start = (s.start_ns - m_k.boot_time_ns()) / tick;
  std::vector<std::string> f;
  f.push_back(std::to_string(tid));
  f.push_back("(" + s.comm + ")");
  f.push_back(std::string(1, state_of(s, reader)));
  for (int64_t v : {int64_t{s.ppid}, int64_t{s.pgid}, int64_t{s.sid}, int64_t{0} /*tty_nr*/, int64_t{-1} /*tpgid*/,
                    int64_t{0x400000} /*flags*/, int64_t{0}, int64_t{0}, int64_t{0}, int64_t{0} /*faults*/,
                    s.cpu_ns / tick /*utime*/, int64_t{0} /*stime*/, s.children_cpu_ns / tick, int64_t{0},
                    int64_t{20} /*priority*/, int64_t{0} /*nice*/, static_cast<int64_t>(s.tids.size()),
                    int64_t{0} /*itrealvalue*/, start, int64_t{0} /*vsize*/, int64_t{0} /*rss*/})
    f.push_back(std::to_string(v));
  f.push_back("18446744073709551615");  // rsslim
  // startcode .. wchan (10 fields), nswap, cnswap, exit_signal; then processor,
  // rt_priority, policy, delayacct_blkio_ticks, guest_time, cguest_time, 7 address fields
  // and exit_code (14).
  for (int i = 0; i < 12; ++i) f.push_back("0");
  f.push_back("17");  // SIGCHLD
  for (int i = 0; i < 14; ++i) f.push_back("0");
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) out += (i ? " " : "") + f[i];
  return out + "\n";  // 52 fields, as proc(5) lists them
}

std::string ProcBuilder::status_text(const ProcessTable::ProcessSnapshot& s, pid_t_ tid, Task& reader) {
  const char st = state_of(s, reader);
  const char* st_name = st == 'Z' ? "zombie" : st == 'R' ? "running" : "sleeping";
  const Credentials& c = s.creds;
  std::string groups;
  for (gid_t_ g : c.groups) groups += std::to_string(g) + " ";
  const uint32_t umask = s.fs ? s.fs->umask() : 022;
  const size_t fdsize = s.files ? std::max<size_t>(s.files->slot_count(), 64) : 0;
  std::string out = format("Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
                           s.comm.c_str(), umask, st, st_name, s.pid, tid, s.ppid);
  out += format("Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%zu\nGroups:\t%s\n", c.uid, c.euid,
                c.suid, c.fsuid, c.gid, c.egid, c.sgid, c.fsgid, fdsize, groups.c_str());
  Signals::StatusSets sig;
  if (RefPtr<Task> t = m_k.procs().task_ref(tid)) sig = Signals::status(*t);  // none: a zombie's
  out += format("Threads:\t%zu\nSigQ:\t0/0\nSigPnd:\t%016" PRIx64 "\nShdPnd:\t%016" PRIx64 "\nSigBlk:\t%016" PRIx64
                "\nSigIgn:\t%016" PRIx64 "\nSigCgt:\t%016" PRIx64 "\n",
                s.tids.size(), uint64_t{sig.pending}, uint64_t{sig.shared}, uint64_t{sig.blocked}, uint64_t{sig.ignored},
                uint64_t{sig.caught});
  out += format("CapInh:\t%016" PRIx64 "\nCapPrm:\t%016" PRIx64 "\nCapEff:\t%016" PRIx64
                "\nCapBnd:\t%016" PRIx64 "\nCapAmb:\t%016x\nNoNewPrivs:\t0\nSeccomp:\t0\n",
                c.cap_inheritable, c.cap_permitted, c.cap_effective, abi::CAP_FULL_SET, 0u);
  out += format("Cpus_allowed_list:\t0-%u\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
                m_k.sched().vcpu_count() - 1);
  return out;
}

Result<NsHandle> ProcBuilder::ns_handle(Task& t, uint32_t type) {
  NsHandle h;
  h.type = type;
  if (type == NS_UTS) {
    std::shared_ptr<UtsNamespace> uts = t.uts();
    h.inum = uts->inum();
    h.object = std::move(uts);
  } else if (type == NS_MNT) {
    RefPtr<MountNamespace> mnt = t.mnt_ns();
    if (!mnt) return Errno::NOENT;
    h.inum = mnt->inum();
    // The file holds a reference to the namespace, as an nsfs inode does.
    h.object = std::shared_ptr<const void>(mnt.leak(), [](const void* p) {
      static_cast<const MountNamespace*>(p)->unref();
    });
  } else {
    h.inum = m_k.single_ns_inum(type);
  }
  return h;
}

std::string ProcBuilder::mounts_text(const MountNamespace& ns, const Path& root, bool info) {
  std::string out;
  for (const auto& m : m_k.vfs().mounts(ns, root)) {
    const std::string super_opts = m.super_options.substr(2);  // after "rw"/"ro"
    if (info) {
      out += format("%" PRIu64 " %" PRIu64 " %u:%u %s %s %s%s%s - %s %s %s\n", m.id, m.parent_id,
                    dev_major(m.dev), dev_minor(m.dev), mangle(m.root).c_str(), mangle(m.mountpoint).c_str(),
                    m.mount_options.c_str(), m.optional.empty() ? "" : " ", m.optional.c_str(), m.fstype.c_str(),
                    mangle(m.source).c_str(), m.super_options.c_str());
    } else {
      out += format("%s %s %s %s%s 0 0\n", mangle(m.source).c_str(), mangle(m.mountpoint).c_str(),
                    m.fstype.c_str(), m.mount_options.c_str(), super_opts.c_str());
    }
  }
  return out;
}

std::string ProcBuilder::meminfo_text() {
  // FIXME: no memory accounting yet: all of mem= is reported free (as sysinfo does).
  const uint64_t kb = m_k.config().mem_bytes / 1024;
  std::string out;
  const std::pair<const char*, uint64_t> rows[] = {
      {"MemTotal", kb}, {"MemFree", kb}, {"MemAvailable", kb}, {"Buffers", 0}, {"Cached", 0},
      {"SwapCached", 0}, {"Active", 0}, {"Inactive", 0}, {"SwapTotal", 0}, {"SwapFree", 0},
      {"Dirty", 0}, {"Writeback", 0}, {"Shmem", 0}, {"Slab", 0}, {"CommitLimit", kb},
      {"Committed_AS", 0}, {"VmallocTotal", 0}, {"HugePages_Total", 0}};
  for (const auto& [name, v] : rows) out += format("%-16s%8" PRIu64 " kB\n", (std::string(name) + ":").c_str(), v);
  return out;
}

RefPtr<Inode> ProcBuilder::fd_dir(pid_t_ pid, bool info, uint32_t uid, uint32_t gid) {
  auto files_of = [this, pid]() -> Result<RefPtr<FdTable>> {
    auto s = snap(pid);
    if (!s || !s->files) return Errno::NOENT;
    return s->files;
  };
  ProcDir::List list = [files_of]() {
    std::vector<ProcEntry> out;
    auto files = files_of();
    if (!files) return out;
    for (const auto& [fd, f] : files.value()->open_files()) out.push_back({std::to_string(fd), DT_LNK_});
    return out;
  };
  ProcDir::Lookup lookup = [this, files_of, pid, info, uid, gid](std::string_view name) -> Result<RefPtr<Inode>> {
    int32_t fd = 0;
    if (!parse_id(name, &fd)) return Errno::NOENT;
    RefPtr<FdTable> files = TRY(files_of());
    if (!files->get(fd)) return Errno::NOENT;
    auto file_of = [files_of, fd]() -> Result<RefPtr<File>> {
      RefPtr<FdTable> t = TRY(files_of());
      RefPtr<File> f = t->get(fd);
      if (!f) return Errno::NOENT;
      return f;
    };
    auto valid = [file_of]() { return file_of().has_value(); };
    if (info) {
      return file(0400, [this, file_of, files_of, fd](Task& reader) -> Result<std::string> {
        RefPtr<File> f = TRY(file_of());
        RefPtr<FdTable> t = TRY(files_of());
        int flags = f->flags();
        if (auto ce = t->cloexec(fd); ce.has_value() && ce.value()) flags |= abi::O_CLOEXEC_;
        uint64_t pos;
        {
          MutexGuard g(f->pos_lock(), reader);
          pos = f->pos_locked();
        }
        (void)this;
        return format("pos:\t%" PRIu64 "\nflags:\t0%o\nmnt_id:\t%" PRIu64 "\nino:\t%" PRIu64 "\n", pos,
                      static_cast<unsigned>(flags), f->path().mnt->id(), f->inode().ino());
      }, {}, uid, gid);
    }
    return link(
        [this, file_of](Task& reader) -> Result<std::string> {
          RefPtr<File> f = TRY(file_of());
          return m_k.vfs().path_string(reader.fs().root(), f->path());
        },
        [this, file_of, pid](Task& t) -> Result<Path> {
          RefPtr<File> f = TRY(file_of());
          ProcessTable::ProcessSnapshot s = TRY(need(pid));
          TRY(may_inspect(t, s));
          return f->path();
        },
        uid, gid, valid);
  };
  return dir(0500, std::move(list), std::move(lookup), {}, uid, gid);
}

RefPtr<Inode> ProcBuilder::pid_dir(pid_t_ pid, pid_t_ tid) {
  auto s0 = snap(pid);
  const uint32_t uid = s0 ? s0->creds.euid : 0, gid = s0 ? s0->creds.egid : 0;
  auto valid = [this, pid, tid]() {
    auto s = snap(pid);
    return s && (tid == pid || std::find(s->tids.begin(), s->tids.end(), tid) != s->tids.end());
  };
  std::vector<Static> e;
  e.push_back({"stat", DT_REG_, [=, this] {
                 return file(0444, [this, pid, tid](Task& r) -> Result<std::string> {
                   return stat_text(TRY(need(pid)), tid, r);
                 }, {}, uid, gid);
               }});
  e.push_back({"status", DT_REG_, [=, this] {
                 return file(0444, [this, pid, tid](Task& r) -> Result<std::string> {
                   return status_text(TRY(need(pid)), tid, r);
                 }, {}, uid, gid);
               }});
  // task_current_syscall: the syscall the thread is blocked in, with its arguments; the
  // reader's own (this read); "running" for a thread that is not blocked. The stack and
  // instruction pointers, which an in-process task does not have apart from the host's,
  // read 0.
  e.push_back({"syscall", DT_REG_, [=, this] {
                 return file(0400, [this, pid, tid](Task& r) -> Result<std::string> {
                   if (may_inspect(r, TRY(need(pid)))) {
                   } else {
                     return Errno::PERM;  // lock_trace
                   }
                   RefPtr<Task> t = m_k.procs().task_ref(tid);
                   if (!t) return Errno::SRCH;
                   if (t.get() != &r && !t->parked()) return std::string("running\n");
                   long args[6];
                   const long nr = t->current_syscall(args);
                   if (nr < 0) return std::string("-1 0x0 0x0\n");
                   return format("%ld 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x0 0x0\n", nr, args[0], args[1], args[2],
                                 args[3], args[4], args[5]);
                 }, {}, uid, gid);
               }});
  // get_wchan: where a blocked thread waits; "0" (no newline) for a running one, and for
  // a reader that may not trace it.
  e.push_back({"wchan", DT_REG_, [=, this] {
                 return file(0444, [this, pid, tid](Task& r) -> Result<std::string> {
                   RefPtr<Task> t = m_k.procs().task_ref(tid);
                   if (!t || t.get() == &r || !t->parked() || !may_inspect(r, TRY(need(pid)))) return std::string("0");
                   long args[6];
                   const long nr = t->current_syscall(args);
                   return nr < 0 ? std::string("0") : wchan_of(*t, nr, args);
                 }, {}, uid, gid);
               }});
  // ns/: the namespaces the thread is in, as links that read as nsfs names them
  // ("mnt:[4026531841]") and open the namespace's nsfs file (setns's argument); both
  // need the right to inspect the process (proc_ns_get_link), and a thread that exited
  // has none (ENOENT).
  e.push_back({"ns", DT_DIR_, [=, this] {
                 std::vector<Static> ns;
                 const std::pair<const char*, uint32_t> kinds[] = {
                     {"cgroup", NS_CGROUP}, {"ipc", NS_IPC}, {"mnt", NS_MNT}, {"net", NS_NET},
                     {"pid", NS_PID}, {"pid_for_children", NS_PID}, {"time", NS_TIME},
                     {"time_for_children", NS_TIME}, {"user", NS_USER}, {"uts", NS_UTS}};
                 for (const auto& kind : kinds) {
                   const uint32_t type = kind.second;
                   ns.push_back({kind.first, DT_LNK_, [=, this] {
                                   auto handle = [this, pid, tid, type](Task& reader) -> Result<NsHandle> {
                                     TRY(may_inspect(reader, TRY(need(pid))));
                                     RefPtr<Task> t = m_k.procs().task_ref(tid);
                                     if (!t) return Errno::NOENT;
                                     return ns_handle(*t, type);
                                   };
                                   return link(
                                       [handle](Task& reader) -> Result<std::string> { return TRY(handle(reader)).name(); },
                                       [this, handle](Task& t) -> Result<Path> {
                                         return m_k.vfs().nsfs().path_of(TRY(handle(t)));
                                       },
                                       uid, gid, valid);
                                 }});
                 }
                 return static_dir(0511, std::move(ns), {}, {}, valid, uid, gid);
               }});
  e.push_back({"comm", DT_REG_, [=, this] {
                 return file(0644, [this, pid](Task&) -> Result<std::string> {
                   return TRY(need(pid)).comm + "\n";
                 }, {}, uid, gid);
               }});
  e.push_back({"cmdline", DT_REG_, [=, this] {
                 // Tasks are callables with no argv: the command line is the name.
                 return file(0444, [this, pid](Task&) -> Result<std::string> {
                   ProcessTable::ProcessSnapshot s = TRY(need(pid));
                   if (s.zombie) return std::string();
                   return s.comm + std::string(1, '\0');
                 }, {}, uid, gid);
               }});
  if (tid == pid) {
    e.push_back({"fd", DT_DIR_, [=, this] { return fd_dir(pid, false, uid, gid); }});
    e.push_back({"fdinfo", DT_DIR_, [=, this] { return fd_dir(pid, true, uid, gid); }});
    for (bool is_root : {false, true}) {
      e.push_back({is_root ? "root" : "cwd", DT_LNK_, [=, this] {
                     auto where = [this, pid, is_root]() -> Result<Path> {
                       ProcessTable::ProcessSnapshot s = TRY(need(pid));
                       if (!s.fs) return Errno::NOENT;
                       return is_root ? s.fs->root() : s.fs->cwd();
                     };
                     return link(
                         [this, where, pid](Task& reader) -> Result<std::string> {
                           TRY(may_inspect(reader, TRY(need(pid))));
                           return m_k.vfs().path_string(reader.fs().root(), TRY(where()));
                         },
                         [this, where, pid](Task& t) -> Result<Path> {
                           TRY(may_inspect(t, TRY(need(pid))));
                           return where();
                         },
                         uid, gid);
                   }});
    }
    for (bool info : {false, true}) {
      e.push_back({info ? "mountinfo" : "mounts", DT_REG_, [=, this] {
                     return file(0444, [this, pid, info](Task&) -> Result<std::string> {
                       ProcessTable::ProcessSnapshot s = TRY(need(pid));
                       RefPtr<Task> leader = m_k.procs().task_ref(pid);
                       RefPtr<MountNamespace> ns = leader ? leader->mnt_ns() : nullptr;
                       if (!s.fs || !ns) return Errno::INVAL;
                       return mounts_text(*ns, s.fs->root(), info);
                     }, {}, uid, gid);
                   }});
    }
    e.push_back({"task", DT_DIR_, [=, this] {
                   ProcDir::List list = [this, pid]() {
                     std::vector<ProcEntry> out;
                     if (auto s = snap(pid))
                       for (pid_t_ t : s->tids) out.push_back({std::to_string(t), DT_DIR_});
                     return out;
                   };
                   ProcDir::Lookup lookup = [this, pid](std::string_view name) -> Result<RefPtr<Inode>> {
                     int32_t t = 0;
                     if (!parse_id(name, &t)) return Errno::NOENT;
                     auto s = snap(pid);
                     if (!s || std::find(s->tids.begin(), s->tids.end(), t) == s->tids.end()) return Errno::NOENT;
                     return pid_dir(pid, t);
                   };
                   return dir(0555, std::move(list), std::move(lookup), {}, uid, gid);
                 }});
  }
  return static_dir(0555, std::move(e), {}, {}, valid, uid, gid);
}

RefPtr<Inode> ProcBuilder::root() {
  Kernel& k = m_k;
  std::vector<Static> e;
  e.push_back({"self", DT_LNK_, [this] {
                 return link([](Task& reader) -> Result<std::string> { return std::to_string(reader.pid()); });
               }});
  e.push_back({"thread-self", DT_LNK_, [this] {
                 return link([](Task& t) -> Result<std::string> {
                   return std::to_string(t.pid()) + "/task/" + std::to_string(t.tid());
                 });
               }});
  e.push_back({"mounts", DT_LNK_, [this] { return link([](Task&) -> Result<std::string> { return std::string("self/mounts"); }); }});
  e.push_back({"meminfo", DT_REG_, [this] {
                 return file(0444, [this](Task&) -> Result<std::string> { return meminfo_text(); });
               }});
  e.push_back({"uptime", DT_REG_, [this, &k] {
                 // FIXME: idle time is not tracked: it reads 0.
                 return file(0444, [&k](Task&) -> Result<std::string> {
                   const int64_t up = k.uptime_ns() / (abi::NSEC_PER_SEC / 100);
                   return format("%" PRId64 ".%02" PRId64 " 0.00\n", up / 100, up % 100);
                 });
               }});
  e.push_back({"loadavg", DT_REG_, [this, &k] {
                 // FIXME: load averages are not tracked: they read 0.00.
                 return file(0444, [&k](Task&) -> Result<std::string> {
                   return format("0.00 0.00 0.00 1/%zu %d\n", k.procs().task_count(), k.procs().last_pid());
                 });
               }});
  e.push_back({"version", DT_REG_, [this] {
                 return file(0444, [](Task&) -> Result<std::string> {
                   return format("Linux version %s (libuml) %s\n", Kernel::kRelease, Kernel::kVersion);
                 });
               }});
  e.push_back({"filesystems", DT_REG_, [this, &k] {
                 return file(0444, [&k](Task&) -> Result<std::string> {
                   std::string out;
                   for (const auto& line : k.vfs().filesystems()) out += line + "\n";
                   return out;
                 });
               }});
  e.push_back({"cmdline", DT_REG_, [this, &k] {
                 return file(0444, [&k](Task&) -> Result<std::string> { return k.config().to_cmdline() + "\n"; });
               }});
  e.push_back({"sys", DT_DIR_, [this] {
                 std::vector<Static> kernel_entries;
                 auto name_file = [this](bool host) {
                   return file(0644,
                       [host](Task& r) -> Result<std::string> {
                         const std::shared_ptr<UtsNamespace> uts = r.uts();  // the reader's (proc_do_uts_string)
                         return (host ? uts->hostname() : uts->domainname()) + "\n";
                       },
                       [host](Task& w, std::string_view text) -> Result<void> {
                         if (!w.creds().capable(abi::CAP_SYS_ADMIN)) return Errno::PERM;
                         if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
                         if (text.size() > 64) return Errno::INVAL;
                         if (host) w.uts()->set_hostname(text);
                         else w.uts()->set_domainname(text);
                         return {};
                       });
                 };
                 kernel_entries.push_back({"hostname", DT_REG_, [name_file] { return name_file(true); }});
                 kernel_entries.push_back({"domainname", DT_REG_, [name_file] { return name_file(false); }});
                 kernel_entries.push_back({"osrelease", DT_REG_, [this] {
                   return file(0444, [](Task&) -> Result<std::string> { return std::string(Kernel::kRelease) + "\n"; });
                 }});
                 kernel_entries.push_back({"ostype", DT_REG_, [this] {
                   return file(0444, [](Task&) -> Result<std::string> { return std::string("Linux\n"); });
                 }});
                 std::vector<Static> sys_entries;
                 sys_entries.push_back({"kernel", DT_DIR_, [this, kernel_entries] { return static_dir(0555, kernel_entries); }});
                 return static_dir(0555, std::move(sys_entries));
               }});
  ProcDir::List pids = [this]() {
    std::vector<ProcEntry> out;
    for (pid_t_ p : m_k.procs().pids()) out.push_back({std::to_string(p), DT_DIR_});
    return out;
  };
  ProcDir::Lookup pid_lookup = [this](std::string_view name) -> Result<RefPtr<Inode>> {
    int32_t id = 0;
    if (!parse_id(name, &id)) return Errno::NOENT;
    if (snap(id)) return pid_dir(id, id);
    // A thread's id works as a name too (hidden from the listing, as in Linux).
    if (const pid_t_ pid = m_k.procs().pid_of_thread(id)) return pid_dir(pid, id);
    return Errno::NOENT;
  };
  return static_dir(0555, std::move(e), std::move(pids), std::move(pid_lookup));
}

}  // namespace

RefPtr<SuperBlock> make_procfs(Kernel& k, uint64_t dev) {
  auto sb = make_ref<ProcSuper>(k, dev);
  auto b = std::make_shared<ProcBuilder>(*sb);
  sb->keep(b);
  sb->set_root_inode(b->root());
  return sb;
}

}  // namespace uml::kern
