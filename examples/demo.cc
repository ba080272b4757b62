// The main demo: boot an instance, run guest tasks on its vCPUs, show what they did.
//
//   build/examples/uml-demo ["vcpus=2 hostname=demo"]

#include <libuml/libuml.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace sys = uml::sys;

int main(int argc, char** argv) {
  const char* cmdline = argc > 1 ? argv[1] : "vcpus=2 hostname=demo loglevel=4";
  auto t0 = std::chrono::steady_clock::now();
  auto k = uml::Kernel::boot(cmdline);
  auto boot_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  printf("booted instance \"%s\" with %u vCPU(s) in %.0f us\n", k->config().hostname.c_str(),
         k->stats().vcpus, boot_us);

  std::mutex out;  // guest tasks print to the host's stdout; keep their lines whole
  // A guest "shell": spawns workers (its children), each reporting who it is, then reaps them
  // with wait4 as a Linux parent would.
  auto shell = k->spawn([&] {
    struct utsname u;
    sys::uname(&u);
    {
      std::lock_guard g(out);
      printf("[pid %ld] %s %s %s on node %s, ppid %ld\n", sys::getpid(), u.sysname, u.release,
             u.machine, u.nodename, sys::getppid());
    }
    for (int i = 1; i <= 4; ++i) {
      auto h = uml::syscall(SYS_getpid);  // just to show the generic entry
      (void)h;
    }
    uml::Kernel* kp = k.get();
    for (int i = 1; i <= 4; ++i) {
      kp->spawn([&, i] {
        timespec ts{0, 2'000'000L * i};
        sys::nanosleep(&ts, nullptr);
        char name[16] = {};
        sys::prctl(16 /* PR_GET_NAME */, name);
        std::lock_guard g(out);
        printf("  [pid %ld, ppid %ld, pgid %ld] worker %d slept %d ms, exiting with %d\n",
               sys::getpid(), sys::getppid(), sys::getpgrp(), i, 2 * i, i * 10);
        return i * 10;
      }, {.name = "worker"});
    }
    for (;;) {
      int status = 0;
      long pid = sys::wait4(-1, &status, 0, nullptr);
      if (pid < 0) {
        std::lock_guard g(out);
        printf("[pid %ld] wait4: no more children (%s)\n", sys::getpid(),
               pid == -ECHILD ? "ECHILD" : "?");
        break;
      }
      std::lock_guard g(out);
      printf("[pid %ld] reaped child %ld: exit status %d\n", sys::getpid(), pid, WEXITSTATUS(status));
    }
    return 0;
  }, {.name = "shell"});
  printf("shell (pid %d) exited with status %d\n", shell.pid(), WEXITSTATUS(shell.wait()));

  // Pipes and signals between guest processes: a child reads a line from a pipe and
  // answers; its parent stops and continues it, then ends it with SIGTERM.
  auto jobs = k->spawn([&] {
    int down[2], up[2];
    sys::pipe2(down, 0);
    sys::pipe2(up, 0);
    auto child = k->spawn([&]() -> int {
      char buf[32] = {};
      const long n = sys::read(down[0], buf, sizeof buf - 1);  // blocks; stopped meanwhile
      char reply[64];
      const int len = snprintf(reply, sizeof reply, "got %ld bytes: %s", n, buf);
      sys::write(up[1], reply, static_cast<size_t>(len));
      for (;;) sys::pause();  // until a signal ends it
    });
    int status = 0;
    sys::kill(child.pid(), SIGSTOP);
    sys::wait4(child.pid(), &status, WUNTRACED, nullptr);
    const bool stopped = WIFSTOPPED(status);
    sys::kill(child.pid(), SIGCONT);
    sys::write(down[1], "hello", 5);
    char reply[64] = {};
    sys::read(up[0], reply, sizeof reply - 1);
    sys::kill(child.pid(), SIGTERM);
    sys::wait4(child.pid(), &status, 0, nullptr);
    std::lock_guard g(out);
    printf("[pid %ld] child %d was %s, replied \"%s\", and ended by %s\n", sys::getpid(), child.pid(),
           stopped ? "stopped and continued" : "?", reply,
           WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? "SIGTERM" : "?");
    return 0;
  }, {.name = "jobs"});
  jobs.wait();

  // A disk: a host file hot-added as /dev/ubdb, written by a guest task through the page
  // cache and fsync'ed, then read by the host; then a copy-on-write overlay over the same
  // file as /dev/ubdc, whose writes leave the file alone.
  {
    char dir[] = "/var/tmp/uml-demo-XXXXXX";
    if (mkdtemp(dir)) {
      const std::string img = std::string(dir) + "/disk.img", cow = std::string(dir) + "/disk.cow";
      if (FILE* f = fopen(img.c_str(), "w")) {
        std::vector<char> zeros(1 << 20, 0);
        for (int i = 0; i < 8; ++i) fwrite(zeros.data(), 1, zeros.size(), f);
        fclose(f);
      }
      const int added = k->add_disk({.index = 1, .path = img});
      const int added_cow = k->add_disk({.index = 2, .path = cow, .base = img});
      auto disk = k->spawn([&] {
        const char msg[] = "written by a guest task";
        const long fd = uml::syscall(SYS_open, reinterpret_cast<long>("/dev/ubdb"), O_RDWR);
        uint64_t size = 0;
        uml::syscall(SYS_ioctl, fd, 0x80081272 /* BLKGETSIZE64 */, reinterpret_cast<long>(&size));
        const long w = uml::syscall(SYS_pwrite64, fd, reinterpret_cast<long>(msg), sizeof msg, 1 << 20);
        const long s = uml::syscall(SYS_fsync, fd);
        const long cfd = uml::syscall(SYS_open, reinterpret_cast<long>("/dev/ubdc"), O_RDWR);
        const long cw = uml::syscall(SYS_pwrite64, cfd, reinterpret_cast<long>("overlay"), 7, 0);
        uml::syscall(SYS_fsync, cfd);
        char back[32] = {};
        uml::syscall(SYS_pread64, cfd, reinterpret_cast<long>(back), sizeof msg, 1 << 20);
        uml::syscall(SYS_close, fd);
        uml::syscall(SYS_close, cfd);
        std::lock_guard g(out);
        printf("[pid %ld] /dev/ubdb is %llu MiB; pwrite %ld, fsync %ld; /dev/ubdc (copy-on-write) "
               "pwrite %ld and it reads \"%s\" through to the base\n",
               sys::getpid(), static_cast<unsigned long long>(size >> 20), w, s, cw, back);
        return 0;
      }, {.name = "disk"});
      disk.wait();
      k->remove_disk("ubdc");
      k->remove_disk("ubdb");
      char host[32] = {}, first[8] = {};
      if (FILE* f = fopen(img.c_str(), "r")) {
        fseek(f, 1 << 20, SEEK_SET);
        if (fread(host, 1, sizeof host - 1, f) == 0) host[0] = 0;
        fseek(f, 0, SEEK_SET);
        if (fread(first, 1, 7, f) == 0) first[0] = 0;
        fclose(f);
      }
      printf("disks added: %d, %d; the host file now reads \"%s\", and its first bytes are %s\n", added,
             added_cow, host, first[0] == 0 ? "still zero (the overlay took the write)" : "changed?");
      remove(cow.c_str());
      remove(img.c_str());
      rmdir(dir);
    }
  }

  // An application thread attached as a task: its syscalls run on its own stack.
  {
    auto me = k->attach({.name = "main"});
    constexpr int N = 1'000'000;
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < N; ++i) k->syscall(SYS_getppid);
    double guest_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / N;
    a = std::chrono::steady_clock::now();
    for (int i = 0; i < N; ++i) ::syscall(SYS_getppid);
    double host_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / N;
    printf("attached thread is pid %d; getppid: %.1f ns in the guest vs %.1f ns on the host\n",
           me.pid(), guest_ns, host_ns);
    const long r = k->syscall(SYS_kexec_load);
    printf("an unimplemented syscall (kexec_load) returns %ld (%s)\n", r, r == -ENOSYS ? "-ENOSYS" : "?");
  }

  // Many instances side by side: boot 100 more, each running a task, then shut them down.
  {
    std::vector<std::unique_ptr<uml::Kernel>> more;
    std::vector<double> boot_us_each;
    for (int i = 0; i < 100; ++i) {
      auto a = std::chrono::steady_clock::now();
      more.push_back(uml::Kernel::boot("console=none hostname=g" + std::to_string(i)));
      boot_us_each.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    }
    int ok = 0;
    for (auto& m : more) ok += WEXITSTATUS(m->spawn([] { return sys::getpid() == 2 ? 1 : 0; }).wait());
    for (auto& m : more) m->shutdown();
    std::sort(boot_us_each.begin(), boot_us_each.end());
    printf("booted 100 more instances (median boot %.0f us); in each, the first task was pid 2: %d/100\n",
           boot_us_each[50], ok);
  }

  auto st = k->stats();
  printf("context switches so far: %llu\n", static_cast<unsigned long long>(st.context_switches));
  printf("--- kernel log ---\n%s", k->dmesg().c_str());
  k->shutdown();
  printf("shut down cleanly\n");
  return 0;
}
