/* The list of every Linux x86-64 system call libuml knows, by number.
 *
 *   X(number, name, arity, status, note)
 *
 * status: IMPL (Linux semantics), PART (implemented, with the gaps the note names), NONE
 * (returns -ENOSYS, logged once per instance). This one list is expanded into the dispatch
 * table (src/core/syscalls), the C++ wrappers (<libuml/sys.h>), the C numbers and wrappers
 * (<libuml/uml.h>) and docs/syscalls.md, so what is supported cannot drift between them.
 * Numbers and arities are Linux's (arch/x86/entry/syscalls/syscall_64.tbl, SYSCALL_DEFINEn).
 *
 * This header is C and C++. */
#ifndef LIBUML_SYSCALL_LIST_H
#define LIBUML_SYSCALL_LIST_H

#define UML_SYSCALL_MAX 468

#define UML_SYSCALL_LIST(X) \
  X(0, read, 3, PART, "files, pipes and FIFOs, character devices, procfs and event files; no sockets yet") \
  X(1, write, 3, PART, "as read") \
  X(2, open, 3, PART, "sockets and block devices have nothing to open yet (ENXIO)") \
  X(3, close, 1, IMPL, "") \
  X(4, stat, 2, IMPL, "") \
  X(5, fstat, 2, IMPL, "") \
  X(6, lstat, 2, IMPL, "") \
  X(7, poll, 3, IMPL, "") \
  X(8, lseek, 3, IMPL, "") \
  X(9, mmap, 6, NONE, "") \
  X(10, mprotect, 3, NONE, "") \
  X(11, munmap, 2, NONE, "") \
  X(12, brk, 1, NONE, "") \
  X(13, rt_sigaction, 4, PART, "handlers are host functions run at the syscall exit; SA_ONSTACK ones on the sigaltstack") \
  X(14, rt_sigprocmask, 4, IMPL, "") \
  X(15, rt_sigreturn, 0, NONE, "") \
  X(16, ioctl, 3, PART, "FIOCLEX, FIONCLEX, FIONREAD, FS_IOC_GETFLAGS/SETFLAGS and FS_IOC_FSGETXATTR (ext4, tmpfs: immutable, append-only, noatime, nodump, and sync on ext4, enforced), FICLONE/FICLONERANGE/FIDEDUPERANGE (EOPNOTSUPP: no shared extents), the block devices' BLK* (docs/block.md) and the character devices' (RNDGETENTCNT); no terminals yet") \
  X(17, pread64, 4, IMPL, "") \
  X(18, pwrite64, 4, IMPL, "") \
  X(19, readv, 3, IMPL, "") \
  X(20, writev, 3, IMPL, "") \
  X(21, access, 2, IMPL, "") \
  X(22, pipe, 1, IMPL, "") \
  X(23, select, 5, IMPL, "") \
  X(24, sched_yield, 0, IMPL, "") \
  X(25, mremap, 5, NONE, "") \
  X(26, msync, 3, NONE, "") \
  X(27, mincore, 3, NONE, "") \
  X(28, madvise, 3, NONE, "") \
  X(29, shmget, 3, NONE, "") \
  X(30, shmat, 3, NONE, "") \
  X(31, shmctl, 3, NONE, "") \
  X(32, dup, 1, IMPL, "") \
  X(33, dup2, 2, IMPL, "") \
  X(34, pause, 0, IMPL, "") \
  X(35, nanosleep, 2, IMPL, "") \
  X(36, getitimer, 2, IMPL, "ITIMER_REAL; ITIMER_VIRTUAL and ITIMER_PROF both count the process's CPU time (no user/system split)") \
  X(37, alarm, 1, IMPL, "") \
  X(38, setitimer, 3, IMPL, "ITIMER_REAL; ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) on the process's CPU time, checked at its syscalls") \
  X(39, getpid, 0, IMPL, "") \
  X(40, sendfile, 4, IMPL, "") \
  X(41, socket, 3, NONE, "") \
  X(42, connect, 3, NONE, "") \
  X(43, accept, 3, NONE, "") \
  X(44, sendto, 6, NONE, "") \
  X(45, recvfrom, 6, NONE, "") \
  X(46, sendmsg, 3, NONE, "") \
  X(47, recvmsg, 3, NONE, "") \
  X(48, shutdown, 2, NONE, "") \
  X(49, bind, 3, NONE, "") \
  X(50, listen, 2, NONE, "") \
  X(51, getsockname, 3, NONE, "") \
  X(52, getpeername, 3, NONE, "") \
  X(53, socketpair, 4, NONE, "") \
  X(54, setsockopt, 5, NONE, "") \
  X(55, getsockopt, 5, NONE, "") \
  X(56, clone, 5, NONE, "") \
  X(57, fork, 0, NONE, "") \
  X(58, vfork, 0, NONE, "") \
  X(59, execve, 3, NONE, "") \
  X(60, exit, 1, IMPL, "") \
  X(61, wait4, 4, PART, "stopped and continued children are never reported until job control exists; rusage carries CPU times only") \
  X(62, kill, 2, IMPL, "") \
  X(63, uname, 1, IMPL, "") \
  X(64, semget, 3, NONE, "") \
  X(65, semop, 3, NONE, "") \
  X(66, semctl, 4, NONE, "") \
  X(67, shmdt, 1, NONE, "") \
  X(68, msgget, 2, NONE, "") \
  X(69, msgsnd, 4, NONE, "") \
  X(70, msgrcv, 5, NONE, "") \
  X(71, msgctl, 3, NONE, "") \
  X(72, fcntl, 3, PART, "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, record locks (F_*LK*, F_OFD_*), F_GETPIPE_SZ, F_SETPIPE_SZ; leases, seals and the rest return EINVAL") \
  X(73, flock, 2, IMPL, "") \
  X(74, fsync, 1, IMPL, "a disk: its cached pages written and waited for, a writeback error reported once per open file, then a flush; an ext4 file: its pages, its inode table block, then a flush; tmpfs has nothing to write back") \
  X(75, fdatasync, 1, IMPL, "as fsync") \
  X(76, truncate, 2, IMPL, "") \
  X(77, ftruncate, 2, IMPL, "") \
  X(78, getdents, 3, NONE, "") \
  X(79, getcwd, 2, IMPL, "") \
  X(80, chdir, 1, IMPL, "") \
  X(81, fchdir, 1, IMPL, "") \
  X(82, rename, 2, IMPL, "") \
  X(83, mkdir, 2, IMPL, "") \
  X(84, rmdir, 1, IMPL, "") \
  X(85, creat, 2, IMPL, "") \
  X(86, link, 2, IMPL, "") \
  X(87, unlink, 1, IMPL, "") \
  X(88, symlink, 2, IMPL, "") \
  X(89, readlink, 3, IMPL, "") \
  X(90, chmod, 2, IMPL, "") \
  X(91, fchmod, 2, IMPL, "") \
  X(92, chown, 3, IMPL, "") \
  X(93, fchown, 3, IMPL, "") \
  X(94, lchown, 3, IMPL, "") \
  X(95, umask, 1, IMPL, "") \
  X(96, gettimeofday, 2, IMPL, "") \
  X(97, getrlimit, 2, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported") \
  X(98, getrusage, 2, PART, "CPU times only (fiber time is sampled at parks, exits and syscall ticks); other fields 0") \
  X(99, sysinfo, 1, PART, "load averages are 0; freeram is mem= minus what the kernel has accounted") \
  X(100, times, 1, NONE, "") \
  X(101, ptrace, 4, NONE, "") \
  X(102, getuid, 0, IMPL, "") \
  X(103, syslog, 3, NONE, "") \
  X(104, getgid, 0, IMPL, "") \
  X(105, setuid, 1, IMPL, "") \
  X(106, setgid, 1, IMPL, "") \
  X(107, geteuid, 0, IMPL, "") \
  X(108, getegid, 0, IMPL, "") \
  X(109, setpgid, 2, IMPL, "") \
  X(110, getppid, 0, IMPL, "") \
  X(111, getpgrp, 0, IMPL, "") \
  X(112, setsid, 0, IMPL, "") \
  X(113, setreuid, 2, IMPL, "") \
  X(114, setregid, 2, IMPL, "") \
  X(115, getgroups, 2, IMPL, "") \
  X(116, setgroups, 2, IMPL, "") \
  X(117, setresuid, 3, IMPL, "") \
  X(118, getresuid, 3, IMPL, "") \
  X(119, setresgid, 3, IMPL, "") \
  X(120, getresgid, 3, IMPL, "") \
  X(121, getpgid, 1, IMPL, "") \
  X(122, setfsuid, 1, NONE, "") \
  X(123, setfsgid, 1, NONE, "") \
  X(124, getsid, 1, IMPL, "") \
  X(125, capget, 2, NONE, "") \
  X(126, capset, 2, NONE, "") \
  X(127, rt_sigpending, 2, IMPL, "") \
  X(128, rt_sigtimedwait, 4, IMPL, "") \
  X(129, rt_sigqueueinfo, 3, IMPL, "") \
  X(130, rt_sigsuspend, 2, IMPL, "") \
  X(131, sigaltstack, 2, IMPL, "SA_ONSTACK handlers run on it (the task switches stacks for the call); SS_AUTODISARM") \
  X(132, utime, 2, IMPL, "") \
  X(133, mknod, 3, PART, "every node is created; sockets and block devices cannot be opened yet (ENXIO)") \
  X(134, uselib, 1, NONE, "") \
  X(135, personality, 1, NONE, "") \
  X(136, ustat, 2, NONE, "") \
  X(137, statfs, 2, IMPL, "") \
  X(138, fstatfs, 2, IMPL, "") \
  X(139, sysfs, 3, NONE, "") \
  X(140, getpriority, 2, NONE, "") \
  X(141, setpriority, 3, NONE, "") \
  X(142, sched_setparam, 2, NONE, "") \
  X(143, sched_getparam, 2, NONE, "") \
  X(144, sched_setscheduler, 3, NONE, "") \
  X(145, sched_getscheduler, 1, NONE, "") \
  X(146, sched_get_priority_max, 1, NONE, "") \
  X(147, sched_get_priority_min, 1, NONE, "") \
  X(148, sched_rr_get_interval, 2, NONE, "") \
  X(149, mlock, 2, NONE, "") \
  X(150, munlock, 2, NONE, "") \
  X(151, mlockall, 1, NONE, "") \
  X(152, munlockall, 0, NONE, "") \
  X(153, vhangup, 0, NONE, "") \
  X(154, modify_ldt, 3, NONE, "") \
  X(155, pivot_root, 2, NONE, "") \
  X(156, _sysctl, 0, NONE, "") \
  X(157, prctl, 5, PART, "PR_SET_NAME and PR_GET_NAME; other options return EINVAL") \
  X(158, arch_prctl, 2, NONE, "") \
  X(159, adjtimex, 1, NONE, "") \
  X(160, setrlimit, 2, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported") \
  X(161, chroot, 1, IMPL, "") \
  X(162, sync, 0, IMPL, "every disk's cache written back, then every disk flushed") \
  X(163, acct, 1, NONE, "") \
  X(164, settimeofday, 2, IMPL, "") \
  X(165, mount, 5, PART, "tmpfs, devtmpfs, proc; bind (MS_REC), remount (per mount with MS_BIND), MS_MOVE; propagation flags are accepted, every mount behaves as private") \
  X(166, umount2, 2, IMPL, "") \
  X(167, swapon, 2, NONE, "") \
  X(168, swapoff, 1, NONE, "") \
  X(169, reboot, 4, NONE, "") \
  X(170, sethostname, 2, IMPL, "") \
  X(171, setdomainname, 2, IMPL, "") \
  X(172, iopl, 1, NONE, "") \
  X(173, ioperm, 3, NONE, "") \
  X(174, create_module, 0, NONE, "") \
  X(175, init_module, 3, NONE, "") \
  X(176, delete_module, 2, NONE, "") \
  X(177, get_kernel_syms, 0, NONE, "") \
  X(178, query_module, 0, NONE, "") \
  X(179, quotactl, 4, NONE, "") \
  X(180, nfsservctl, 0, NONE, "") \
  X(181, getpmsg, 0, NONE, "") \
  X(182, putpmsg, 0, NONE, "") \
  X(183, afs_syscall, 0, NONE, "") \
  X(184, tuxcall, 0, NONE, "") \
  X(185, security, 0, NONE, "") \
  X(186, gettid, 0, IMPL, "") \
  X(187, readahead, 3, NONE, "") \
  X(188, setxattr, 5, IMPL, "") \
  X(189, lsetxattr, 5, IMPL, "") \
  X(190, fsetxattr, 5, IMPL, "") \
  X(191, getxattr, 4, IMPL, "") \
  X(192, lgetxattr, 4, IMPL, "") \
  X(193, fgetxattr, 4, IMPL, "") \
  X(194, listxattr, 3, IMPL, "") \
  X(195, llistxattr, 3, IMPL, "") \
  X(196, flistxattr, 3, IMPL, "") \
  X(197, removexattr, 2, IMPL, "") \
  X(198, lremovexattr, 2, IMPL, "") \
  X(199, fremovexattr, 2, IMPL, "") \
  X(200, tkill, 2, IMPL, "") \
  X(201, time, 1, IMPL, "") \
  X(202, futex, 6, IMPL, "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET, LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI (owner-died on exit; FIFO handover, no priorities to inherit), private and shared") \
  X(203, sched_setaffinity, 3, PART, "CPUs are the instance vCPUs; an attached thread keeps the mask but runs where the host puts it") \
  X(204, sched_getaffinity, 3, IMPL, "") \
  X(205, set_thread_area, 1, NONE, "") \
  X(206, io_setup, 2, NONE, "") \
  X(207, io_destroy, 1, NONE, "") \
  X(208, io_getevents, 5, NONE, "") \
  X(209, io_submit, 3, NONE, "") \
  X(210, io_cancel, 3, NONE, "") \
  X(211, get_thread_area, 1, NONE, "") \
  X(212, lookup_dcookie, 3, NONE, "") \
  X(213, epoll_create, 1, IMPL, "") \
  X(214, epoll_ctl_old, 0, NONE, "") \
  X(215, epoll_wait_old, 0, NONE, "") \
  X(216, remap_file_pages, 5, NONE, "") \
  X(217, getdents64, 3, IMPL, "") \
  X(218, set_tid_address, 1, NONE, "") \
  X(219, restart_syscall, 0, NONE, "") \
  X(220, semtimedop, 4, NONE, "") \
  X(221, fadvise64, 4, NONE, "") \
  X(222, timer_create, 3, PART, "CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI and the alarm clocks; CPU-time clocks give EOPNOTSUPP") \
  X(223, timer_settime, 4, IMPL, "") \
  X(224, timer_gettime, 2, IMPL, "") \
  X(225, timer_getoverrun, 1, IMPL, "") \
  X(226, timer_delete, 1, IMPL, "") \
  X(227, clock_settime, 2, IMPL, "") \
  X(228, clock_gettime, 2, IMPL, "") \
  X(229, clock_getres, 2, IMPL, "") \
  X(230, clock_nanosleep, 4, PART, "CLOCK_PROCESS_CPUTIME_ID and the alarm clocks return EOPNOTSUPP; absolute realtime sleeps do not follow later changes of the clock (it cannot be set yet)") \
  X(231, exit_group, 1, IMPL, "") \
  X(232, epoll_wait, 4, IMPL, "") \
  X(233, epoll_ctl, 4, IMPL, "") \
  X(234, tgkill, 3, IMPL, "") \
  X(235, utimes, 2, IMPL, "") \
  X(236, vserver, 0, NONE, "") \
  X(237, mbind, 6, NONE, "") \
  X(238, set_mempolicy, 3, NONE, "") \
  X(239, get_mempolicy, 5, NONE, "") \
  X(240, mq_open, 4, NONE, "") \
  X(241, mq_unlink, 1, NONE, "") \
  X(242, mq_timedsend, 5, NONE, "") \
  X(243, mq_timedreceive, 5, NONE, "") \
  X(244, mq_notify, 2, NONE, "") \
  X(245, mq_getsetattr, 3, NONE, "") \
  X(246, kexec_load, 4, NONE, "") \
  X(247, waitid, 5, PART, "P_PIDFD returns EBADF (no pidfds yet); stopped and continued children as wait4") \
  X(248, add_key, 5, NONE, "") \
  X(249, request_key, 4, NONE, "") \
  X(250, keyctl, 5, NONE, "") \
  X(251, ioprio_set, 3, NONE, "") \
  X(252, ioprio_get, 2, NONE, "") \
  X(253, inotify_init, 0, NONE, "") \
  X(254, inotify_add_watch, 3, NONE, "") \
  X(255, inotify_rm_watch, 2, NONE, "") \
  X(256, migrate_pages, 4, NONE, "") \
  X(257, openat, 4, PART, "as open") \
  X(258, mkdirat, 3, IMPL, "") \
  X(259, mknodat, 4, PART, "as mknod") \
  X(260, fchownat, 5, IMPL, "") \
  X(261, futimesat, 3, IMPL, "") \
  X(262, newfstatat, 4, IMPL, "") \
  X(263, unlinkat, 3, IMPL, "") \
  X(264, renameat, 4, IMPL, "") \
  X(265, linkat, 5, IMPL, "") \
  X(266, symlinkat, 3, IMPL, "") \
  X(267, readlinkat, 4, IMPL, "") \
  X(268, fchmodat, 3, IMPL, "") \
  X(269, faccessat, 3, IMPL, "") \
  X(270, pselect6, 6, IMPL, "") \
  X(271, ppoll, 5, IMPL, "") \
  X(272, unshare, 1, PART, "CLONE_FS, CLONE_FILES, CLONE_NEWUTS, CLONE_NEWNS (and the no-op thread flags); the IPC, network, PID, user, cgroup and time namespaces exist once per instance and give EINVAL") \
  X(273, set_robust_list, 2, NONE, "") \
  X(274, get_robust_list, 3, NONE, "") \
  X(275, splice, 6, IMPL, "") \
  X(276, tee, 4, IMPL, "") \
  X(277, sync_file_range, 4, NONE, "") \
  X(278, vmsplice, 4, NONE, "") \
  X(279, move_pages, 6, NONE, "") \
  X(280, utimensat, 4, IMPL, "") \
  X(281, epoll_pwait, 6, IMPL, "") \
  X(282, signalfd, 3, IMPL, "") \
  X(283, timerfd_create, 2, IMPL, "") \
  X(284, eventfd, 1, IMPL, "") \
  X(285, fallocate, 4, PART, "tmpfs: allocation, KEEP_SIZE and PUNCH_HOLE (as Linux shmem); block devices: PUNCH_HOLE and ZERO_RANGE; other modes EOPNOTSUPP") \
  X(286, timerfd_settime, 4, IMPL, "") \
  X(287, timerfd_gettime, 2, IMPL, "") \
  X(288, accept4, 4, NONE, "") \
  X(289, signalfd4, 4, IMPL, "") \
  X(290, eventfd2, 2, IMPL, "") \
  X(291, epoll_create1, 1, IMPL, "") \
  X(292, dup3, 3, IMPL, "") \
  X(293, pipe2, 2, IMPL, "") \
  X(294, inotify_init1, 1, NONE, "") \
  X(295, preadv, 5, IMPL, "") \
  X(296, pwritev, 5, IMPL, "") \
  X(297, rt_tgsigqueueinfo, 4, IMPL, "") \
  X(298, perf_event_open, 5, NONE, "") \
  X(299, recvmmsg, 5, NONE, "") \
  X(300, fanotify_init, 2, NONE, "") \
  X(301, fanotify_mark, 5, NONE, "") \
  X(302, prlimit64, 4, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported") \
  X(303, name_to_handle_at, 5, NONE, "") \
  X(304, open_by_handle_at, 3, NONE, "") \
  X(305, clock_adjtime, 2, NONE, "") \
  X(306, syncfs, 1, IMPL, "ext4: every file's pages and the disk's cache written back, then a flush; the memory filesystems have nothing to write back") \
  X(307, sendmmsg, 4, NONE, "") \
  X(308, setns, 2, PART, "mount and UTS namespaces; the instance's single IPC, network, PID, cgroup and time namespaces (a no-op) and user namespace (EINVAL); no pidfds") \
  X(309, getcpu, 3, PART, "the vCPU of a fiber; 0 for an attached thread") \
  X(310, process_vm_readv, 6, NONE, "") \
  X(311, process_vm_writev, 6, NONE, "") \
  X(312, kcmp, 5, NONE, "") \
  X(313, finit_module, 3, NONE, "") \
  X(314, sched_setattr, 3, NONE, "") \
  X(315, sched_getattr, 4, NONE, "") \
  X(316, renameat2, 5, PART, "RENAME_WHITEOUT returns EINVAL") \
  X(317, seccomp, 3, NONE, "") \
  X(318, getrandom, 3, IMPL, "") \
  X(319, memfd_create, 2, NONE, "") \
  X(320, kexec_file_load, 5, NONE, "") \
  X(321, bpf, 3, NONE, "") \
  X(322, execveat, 5, NONE, "") \
  X(323, userfaultfd, 1, NONE, "") \
  X(324, membarrier, 3, NONE, "") \
  X(325, mlock2, 3, NONE, "") \
  X(326, copy_file_range, 6, IMPL, "") \
  X(327, preadv2, 6, PART, "RWF_* flags are accepted and have no effect") \
  X(328, pwritev2, 6, PART, "as preadv2") \
  X(329, pkey_mprotect, 4, NONE, "") \
  X(330, pkey_alloc, 2, NONE, "") \
  X(331, pkey_free, 1, NONE, "") \
  X(332, statx, 5, PART, "no STATX_ATTR_* attributes") \
  X(333, io_pgetevents, 6, NONE, "") \
  X(334, rseq, 4, NONE, "") \
  X(424, pidfd_send_signal, 4, NONE, "") \
  X(425, io_uring_setup, 2, NONE, "") \
  X(426, io_uring_enter, 6, NONE, "") \
  X(427, io_uring_register, 4, NONE, "") \
  X(428, open_tree, 3, NONE, "") \
  X(429, move_mount, 5, NONE, "") \
  X(430, fsopen, 2, NONE, "") \
  X(431, fsconfig, 5, NONE, "") \
  X(432, fsmount, 3, NONE, "") \
  X(433, fspick, 3, NONE, "") \
  X(434, pidfd_open, 2, NONE, "") \
  X(435, clone3, 2, NONE, "") \
  X(436, close_range, 3, PART, "CLOSE_RANGE_UNSHARE does not unshare a table shared by threads") \
  X(437, openat2, 4, PART, "RESOLVE_CACHED walks normally (never EAGAIN for an uncached name)") \
  X(438, pidfd_getfd, 3, NONE, "") \
  X(439, faccessat2, 4, IMPL, "") \
  X(440, process_madvise, 5, NONE, "") \
  X(441, epoll_pwait2, 6, IMPL, "") \
  X(442, mount_setattr, 5, NONE, "") \
  X(443, quotactl_fd, 4, NONE, "") \
  X(444, landlock_create_ruleset, 3, NONE, "") \
  X(445, landlock_add_rule, 4, NONE, "") \
  X(446, landlock_restrict_self, 2, NONE, "") \
  X(447, memfd_secret, 1, NONE, "") \
  X(448, process_mrelease, 2, NONE, "") \
  X(449, futex_waitv, 5, IMPL, "") \
  X(450, set_mempolicy_home_node, 4, NONE, "") \
  X(451, cachestat, 4, NONE, "") \
  X(452, fchmodat2, 4, NONE, "") \
  X(453, map_shadow_stack, 3, NONE, "") \
  X(454, futex_wake, 4, NONE, "") \
  X(455, futex_wait, 6, NONE, "") \
  X(456, futex_requeue, 4, NONE, "") \
  X(457, statmount, 4, NONE, "") \
  X(458, listmount, 4, NONE, "") \
  X(459, lsm_get_self_attr, 4, NONE, "") \
  X(460, lsm_set_self_attr, 4, NONE, "") \
  X(461, lsm_list_modules, 3, NONE, "") \
  X(462, mseal, 3, NONE, "") \
  X(463, setxattrat, 6, NONE, "") \
  X(464, getxattrat, 6, NONE, "") \
  X(465, listxattrat, 5, NONE, "") \
  X(466, removexattrat, 4, NONE, "") \
  X(467, open_tree_attr, 5, NONE, "")

#endif
