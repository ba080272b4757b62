#include "core/compose/composition.h"

#include "core/abi/process.h"
#include "core/fs/ext4/ext4.h"
#include "core/fs/proc/procfs.h"
#include "core/fs/tmpfs/tmpfs.h"
#include "core/task/task.h"
#include "drivers/block/cow_disk.h"
#include "drivers/block/file_disk.h"
#include "drivers/char/console.h"
#include "drivers/char/mem.h"

namespace uml::kern {

namespace {

class DefaultComposition final : public Composition {
 public:
  std::unique_ptr<ConsoleSink> make_console(Kernel&) const override {
    return std::make_unique<drivers::HostFdConsole>(2);  // the host's stderr
  }
  void register_filesystems(Kernel& k) const override;
  int open_disk(Kernel& k, const DiskSpec& spec, std::unique_ptr<BlockDriver>* driver, BlockDevice::Params* p,
                std::string* what, std::string* error) const override;
  bool mount_root(Kernel& k, std::string* why) const override;
};

// The filesystems mount(2) knows, and devtmpfs's one superblock with the device nodes.
void DefaultComposition::register_filesystems(Kernel& k) const {
  const uint64_t ram = k.config().mem_bytes;
  k.vfs().register_fs(Vfs::FsType{"tmpfs", true,
      [&k, ram](Task* t, std::string_view, unsigned long, std::string_view data) -> Result<RefPtr<SuperBlock>> {
        TmpfsOptions o;
        o.total_ram = ram;
        o.size_bytes = ram / 2;  // shmem's defaults: half of memory, and as many inodes as pages
        o.nr_inodes = ram / 2 / 4096;
        if (t) {
          o.uid = t->creds().fsuid;
          o.gid = t->creds().fsgid;
        }
        TRY(parse_tmpfs_options(data, o, false));
        return make_tmpfs("tmpfs", k.vfs().alloc_anon_dev(), k.realtime(), o);
      }});
  // devtmpfs: one superblock, whatever mounts show it (as in Linux).
  TmpfsOptions dev_opts;
  dev_opts.mode = 0755;
  dev_opts.total_ram = ram;
  k.set_devtmpfs(make_tmpfs("devtmpfs", 0x5, k.realtime(), dev_opts));
  drivers::CharDeviceEnv env;
  env.random_bytes = [&k](void* p, size_t n) { k.random_bytes(p, n); };
  env.console = k.console();
  Inode& dev_root = *k.devtmpfs()->root();
  KernelActor boot;
  for (const auto& node : drivers::register_char_devices(k.vfs(), env))
    (void)dev_root.create(boot, node.name, abi::S_IFCHR_ | node.mode, 0, 0, node.rdev, {});
  // What udev and systemd would add, and programs expect: /dev/fd and the std streams, and
  // /dev/shm for POSIX shared memory names.
  for (auto [name, target] : {std::pair{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
                              {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}})
    (void)dev_root.create(boot, name, abi::S_IFLNK_ | 0777, 0, 0, 0, target);
  (void)dev_root.create(boot, "shm", abi::S_IFDIR_ | 01777, 0, 0, 0, {});
  k.vfs().register_fs(Vfs::FsType{"devtmpfs", true,
      [&k](Task*, std::string_view, unsigned long, std::string_view) -> Result<RefPtr<SuperBlock>> {
        return k.devtmpfs();
      }});

  k.vfs().register_fs(Vfs::FsType{"proc", true,
      [&k](Task*, std::string_view, unsigned long, std::string_view) -> Result<RefPtr<SuperBlock>> {
        return make_procfs(k, k.vfs().alloc_anon_dev());
      }});
  register_ext4(k.vfs(), k.disks(), k.log(), k);
}

// The root: a disk's filesystem (root=/dev/ubdX), or a tmpfs with the directories the
// boot mounts go on; then /dev (devtmpfs), /proc (procfs) and /tmp (tmpfs).
bool DefaultComposition::mount_root(Kernel& k, std::string* why) const {
  KernelActor boot;  // the kernel mounts and makes directories itself
  const uint64_t ram = k.config().mem_bytes;
  if (!k.config().root.empty()) {
    auto idx = DiskTable::parse_name(k.config().root);
    auto bdev = idx ? k.disks().get(idx.value()) : nullptr;
    if (!bdev) {
      *why = "no disk " + k.config().root + " (add it with ubdX=FILE)";
      return false;
    }
    const std::string kind = k.config().rootfstype.empty() ? "ext4" : k.config().rootfstype;
    std::string reason;
    auto sb = mount_ext4(boot, bdev, kind, k.config().root_read_only ? abi::MS_RDONLY_ : 0, k.config().rootflags, k.log(), k, k.realtime(), &reason);
    if (!sb) {
      *why = "cannot mount " + k.config().root + " as " + kind + ": " + (reason.empty() ? errno_name(sb.error()) : reason);
      return false;
    }
    k.vfs().mount_root(std::move(sb.value()), "/dev/" + bdev->dev().name(), k.init_mnt_inum());
    k.log().log(KERN_INFO, "VFS: Mounted root (%s filesystem)%s on device %u:%u.", kind.c_str(),
              k.config().root_read_only ? " readonly" : "", DiskTable::kMajor, idx.value() * DiskTable::kMinorsPerDisk);
  } else {
    TmpfsOptions root_opts;
    root_opts.mode = 0755;
    root_opts.total_ram = ram;
    root_opts.size_bytes = ram / 2;
    k.vfs().mount_root(make_tmpfs("tmpfs", /*dev=*/0x15, k.realtime(), root_opts), "tmpfs", k.init_mnt_inum());
    Inode& root = *k.vfs().root().inode();
    for (auto [name, mode] : {std::pair{"dev", 0755u}, {"proc", 0555u}, {"tmp", 01777u}}) {
      auto r = root.create(boot, name, abi::S_IFDIR_ | mode, 0, 0, 0, {});
      if (r) k.vfs().root().dentry->set_child(name, r.value());
    }
    k.log().log(KERN_INFO, "VFS: mounted root (tmpfs)");
  }
  struct BootMount {
    const char* path;
    const char* fstype;
    unsigned long flags;
    const char* data;
  };
  for (const BootMount& b : {BootMount{"/dev", "devtmpfs", abi::MS_NOSUID_, ""},
                             BootMount{"/proc", "proc", abi::MS_NOSUID_ | abi::MS_NODEV_ | abi::MS_NOEXEC_, ""},
                             BootMount{"/tmp", "tmpfs", abi::MS_NOSUID_ | abi::MS_NODEV_, "mode=1777"}}) {
    if (auto r = k.vfs().mount_kernel(boot, b.path, b.fstype, b.flags, b.data); !r)
      k.log().log(KERN_ERR, "VFS: cannot mount %s on %s: %s", b.fstype, b.path, errno_name(r.error()));
  }
  return true;
}


// A copy-on-write overlay (ubdX=OVERLAY,BASE, or a file with an overlay's header), or a
// host file.
int DefaultComposition::open_disk(Kernel& k, const DiskSpec& spec, std::unique_ptr<BlockDriver>* driver,
                                  BlockDevice::Params* p, std::string* what, std::string* error) const {
  if (!spec.base.empty() || drivers::cow::is_overlay(spec.path)) {
    std::unique_ptr<drivers::CowDisk> cow;
    if (int r = drivers::CowDisk::open(spec.path, spec.base, spec.read_only, spec.lock, &k.sched(), &cow, error); r < 0)
      return r;
    p->size = cow->size();
    *what = spec.path + " (copy-on-write over " + (spec.base.empty() ? cow->header().base_path : spec.base) + ")";
    *driver = std::move(cow);
    return 0;
  }
  std::unique_ptr<drivers::FileDisk> disk;
  drivers::FileDisk::Options o;
  o.read_only = spec.read_only;
  o.direct = spec.direct;
  o.lock = spec.lock;
  o.sched = &k.sched();
  if (int r = drivers::FileDisk::open(spec.path, o, &disk); r < 0) return r;
  p->size = disk->size() & ~uint64_t{511};
  *what = spec.path + (disk->direct() ? " (direct)" : " (buffered)");
  *driver = std::move(disk);
  return 0;
}

}  // namespace

std::unique_ptr<const Composition> default_composition() { return std::make_unique<DefaultComposition>(); }

std::shared_ptr<Kernel> boot_instance(const KernelConfig& cfg, std::string* error) {
  return Kernel::boot(cfg, default_composition(), error);
}

}  // namespace uml::kern
