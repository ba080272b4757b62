/* The list of every Linux x86-64 system call libuml knows, by number.
 *
 *   X(number, name, arity, status, note, params)
 *
 * params: the arguments as (type, name, type, name...), from Linux's prototypes
 * (include/linux/syscalls.h): a path or name is `const char*`, any other pointer `void*`
 * (`const void*` when the kernel only reads it), every other argument `long` (the
 * register's width).
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
  X(0, read, 3, PART, "files, pipes and FIFOs, character devices, procfs and event files; no sockets yet", (long, fd, void*, buf, long, count)) \
  X(1, write, 3, PART, "as read", (long, fd, const void*, buf, long, count)) \
  X(2, open, 3, PART, "sockets and block devices have nothing to open yet (ENXIO)", (const char*, filename, long, flags, long, mode)) \
  X(3, close, 1, IMPL, "", (long, fd)) \
  X(4, stat, 2, IMPL, "", (const char*, filename, void*, statbuf)) \
  X(5, fstat, 2, IMPL, "", (long, fd, void*, statbuf)) \
  X(6, lstat, 2, IMPL, "", (const char*, filename, void*, statbuf)) \
  X(7, poll, 3, IMPL, "", (void*, ufds, long, nfds, long, timeout)) \
  X(8, lseek, 3, IMPL, "", (long, fd, long, offset, long, whence)) \
  X(9, mmap, 6, NONE, "", (void*, addr, long, len, long, prot, long, flags, long, fd, long, off)) \
  X(10, mprotect, 3, NONE, "", (long, start, long, len, long, prot)) \
  X(11, munmap, 2, NONE, "", (long, addr, long, len)) \
  X(12, brk, 1, NONE, "", (long, brk)) \
  X(13, rt_sigaction, 4, PART, "handlers are host functions run at the syscall exit; SA_ONSTACK ones on the sigaltstack", (long, sig, const void*, act, void*, oact, long, sigsetsize)) \
  X(14, rt_sigprocmask, 4, IMPL, "", (long, how, void*, set, void*, oset, long, sigsetsize)) \
  X(15, rt_sigreturn, 0, NONE, "", ()) \
  X(16, ioctl, 3, PART, "FIOCLEX, FIONCLEX, FIONREAD, FS_IOC_GETFLAGS/SETFLAGS and FS_IOC_FSGETXATTR (ext4, tmpfs: immutable, append-only, noatime, nodump, and sync on ext4, enforced), FICLONE/FICLONERANGE/FIDEDUPERANGE (EOPNOTSUPP: no shared extents), the block devices' BLK* (docs/block.md) and the character devices' (RNDGETENTCNT); no terminals yet", (long, fd, long, cmd, long, arg)) \
  X(17, pread64, 4, IMPL, "", (long, fd, void*, buf, long, count, long, pos)) \
  X(18, pwrite64, 4, IMPL, "", (long, fd, const void*, buf, long, count, long, pos)) \
  X(19, readv, 3, IMPL, "", (long, fd, const void*, vec, long, vlen)) \
  X(20, writev, 3, IMPL, "", (long, fd, const void*, vec, long, vlen)) \
  X(21, access, 2, IMPL, "", (const char*, filename, long, mode)) \
  X(22, pipe, 1, IMPL, "", (void*, fildes)) \
  X(23, select, 5, IMPL, "", (long, n, void*, inp, void*, outp, void*, exp, void*, tvp)) \
  X(24, sched_yield, 0, IMPL, "", ()) \
  X(25, mremap, 5, NONE, "", (long, addr, long, old_len, long, new_len, long, flags, long, new_addr)) \
  X(26, msync, 3, NONE, "", (long, start, long, len, long, flags)) \
  X(27, mincore, 3, NONE, "", (long, start, long, len, void*, vec)) \
  X(28, madvise, 3, NONE, "", (long, start, long, len, long, behavior)) \
  X(29, shmget, 3, NONE, "", (long, key, long, size, long, flag)) \
  X(30, shmat, 3, NONE, "", (long, shmid, void*, shmaddr, long, shmflg)) \
  X(31, shmctl, 3, NONE, "", (long, shmid, long, cmd, void*, buf)) \
  X(32, dup, 1, IMPL, "", (long, fildes)) \
  X(33, dup2, 2, IMPL, "", (long, oldfd, long, newfd)) \
  X(34, pause, 0, IMPL, "", ()) \
  X(35, nanosleep, 2, IMPL, "", (void*, rqtp, void*, rmtp)) \
  X(36, getitimer, 2, IMPL, "ITIMER_REAL; ITIMER_VIRTUAL and ITIMER_PROF both count the process's CPU time (no user/system split)", (long, which, void*, value)) \
  X(37, alarm, 1, IMPL, "", (long, seconds)) \
  X(38, setitimer, 3, IMPL, "ITIMER_REAL; ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) on the process's CPU time, checked at its syscalls", (long, which, void*, value, void*, ovalue)) \
  X(39, getpid, 0, IMPL, "", ()) \
  X(40, sendfile, 4, IMPL, "", (long, out_fd, long, in_fd, void*, offset, long, count)) \
  X(41, socket, 3, NONE, "", (long, family, long, type, long, protocol)) \
  X(42, connect, 3, NONE, "", (long, fd, const void*, addr, long, addrlen)) \
  X(43, accept, 3, NONE, "", (long, fd, void*, addr, void*, addrlen)) \
  X(44, sendto, 6, NONE, "", (long, fd, const void*, buf, long, len, long, flags, const void*, addr, long, addrlen)) \
  X(45, recvfrom, 6, NONE, "", (long, fd, void*, buf, long, len, long, flags, void*, addr, void*, addrlen)) \
  X(46, sendmsg, 3, NONE, "", (long, fd, void*, msg, long, flags)) \
  X(47, recvmsg, 3, NONE, "", (long, fd, void*, msg, long, flags)) \
  X(48, shutdown, 2, NONE, "", (long, fd, long, how)) \
  X(49, bind, 3, NONE, "", (long, fd, const void*, addr, long, addrlen)) \
  X(50, listen, 2, NONE, "", (long, fd, long, backlog)) \
  X(51, getsockname, 3, NONE, "", (long, fd, void*, addr, void*, addrlen)) \
  X(52, getpeername, 3, NONE, "", (long, fd, void*, addr, void*, addrlen)) \
  X(53, socketpair, 4, NONE, "", (long, family, long, type, long, protocol, void*, sv)) \
  X(54, setsockopt, 5, NONE, "", (long, fd, long, level, long, optname, void*, optval, long, optlen)) \
  X(55, getsockopt, 5, NONE, "", (long, fd, long, level, long, optname, void*, optval, void*, optlen)) \
  X(56, clone, 5, NONE, "", (long, flags, void*, newsp, void*, parent_tid, void*, child_tid, long, tls)) \
  X(57, fork, 0, NONE, "", ()) \
  X(58, vfork, 0, NONE, "", ()) \
  X(59, execve, 3, NONE, "", (const char*, filename, const void*, argv, const void*, envp)) \
  X(60, exit, 1, IMPL, "", (long, error_code)) \
  X(61, wait4, 4, PART, "stopped and continued children are never reported until job control exists; rusage carries CPU times only", (long, pid, void*, stat_addr, long, options, void*, ru)) \
  X(62, kill, 2, IMPL, "", (long, pid, long, sig)) \
  X(63, uname, 1, IMPL, "", (void*, name)) \
  X(64, semget, 3, NONE, "", (long, key, long, nsems, long, semflg)) \
  X(65, semop, 3, NONE, "", (long, semid, void*, sops, long, nsops)) \
  X(66, semctl, 4, NONE, "", (long, semid, long, semnum, long, cmd, long, arg)) \
  X(67, shmdt, 1, NONE, "", (void*, shmaddr)) \
  X(68, msgget, 2, NONE, "", (long, key, long, msgflg)) \
  X(69, msgsnd, 4, NONE, "", (long, msqid, void*, msgp, long, msgsz, long, msgflg)) \
  X(70, msgrcv, 5, NONE, "", (long, msqid, void*, msgp, long, msgsz, long, msgtyp, long, msgflg)) \
  X(71, msgctl, 3, NONE, "", (long, msqid, long, cmd, void*, buf)) \
  X(72, fcntl, 3, PART, "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, record locks (F_*LK*, F_OFD_*), F_GETPIPE_SZ, F_SETPIPE_SZ; leases, seals and the rest return EINVAL", (long, fd, long, cmd, long, arg)) \
  X(73, flock, 2, IMPL, "", (long, fd, long, cmd)) \
  X(74, fsync, 1, IMPL, "a disk: its cached pages written and waited for, a writeback error reported once per open file, then a flush; an ext4 file: its pages, its inode table block, then a flush; tmpfs has nothing to write back", (long, fd)) \
  X(75, fdatasync, 1, IMPL, "as fsync", (long, fd)) \
  X(76, truncate, 2, IMPL, "", (const char*, path, long, length)) \
  X(77, ftruncate, 2, IMPL, "", (long, fd, long, length)) \
  X(78, getdents, 3, NONE, "", (long, fd, void*, dirent, long, count)) \
  X(79, getcwd, 2, IMPL, "", (void*, buf, long, size)) \
  X(80, chdir, 1, IMPL, "", (const char*, filename)) \
  X(81, fchdir, 1, IMPL, "", (long, fd)) \
  X(82, rename, 2, IMPL, "", (const char*, oldname, const char*, newname)) \
  X(83, mkdir, 2, IMPL, "", (const char*, pathname, long, mode)) \
  X(84, rmdir, 1, IMPL, "", (const char*, pathname)) \
  X(85, creat, 2, IMPL, "", (const char*, pathname, long, mode)) \
  X(86, link, 2, IMPL, "", (const char*, oldname, const char*, newname)) \
  X(87, unlink, 1, IMPL, "", (const char*, pathname)) \
  X(88, symlink, 2, IMPL, "", (const char*, target, const char*, linkpath)) \
  X(89, readlink, 3, IMPL, "", (const char*, path, void*, buf, long, bufsiz)) \
  X(90, chmod, 2, IMPL, "", (const char*, filename, long, mode)) \
  X(91, fchmod, 2, IMPL, "", (long, fd, long, mode)) \
  X(92, chown, 3, IMPL, "", (const char*, filename, long, user, long, group)) \
  X(93, fchown, 3, IMPL, "", (long, fd, long, user, long, group)) \
  X(94, lchown, 3, IMPL, "", (const char*, filename, long, user, long, group)) \
  X(95, umask, 1, IMPL, "", (long, mask)) \
  X(96, gettimeofday, 2, IMPL, "", (void*, tv, void*, tz)) \
  X(97, getrlimit, 2, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported", (long, resource, void*, rlim)) \
  X(98, getrusage, 2, PART, "CPU times only (fiber time is sampled at parks, exits and syscall ticks); other fields 0", (long, who, void*, ru)) \
  X(99, sysinfo, 1, PART, "load averages are 0; freeram is mem= minus what the kernel has accounted", (void*, info)) \
  X(100, times, 1, NONE, "", (void*, tbuf)) \
  X(101, ptrace, 4, NONE, "", (long, request, long, pid, long, addr, long, data)) \
  X(102, getuid, 0, IMPL, "", ()) \
  X(103, syslog, 3, NONE, "", (long, type, void*, buf, long, len)) \
  X(104, getgid, 0, IMPL, "", ()) \
  X(105, setuid, 1, IMPL, "", (long, uid)) \
  X(106, setgid, 1, IMPL, "", (long, gid)) \
  X(107, geteuid, 0, IMPL, "", ()) \
  X(108, getegid, 0, IMPL, "", ()) \
  X(109, setpgid, 2, IMPL, "", (long, pid, long, pgid)) \
  X(110, getppid, 0, IMPL, "", ()) \
  X(111, getpgrp, 0, IMPL, "", ()) \
  X(112, setsid, 0, IMPL, "", ()) \
  X(113, setreuid, 2, IMPL, "", (long, ruid, long, euid)) \
  X(114, setregid, 2, IMPL, "", (long, rgid, long, egid)) \
  X(115, getgroups, 2, IMPL, "", (long, gidsetsize, void*, grouplist)) \
  X(116, setgroups, 2, IMPL, "", (long, gidsetsize, void*, grouplist)) \
  X(117, setresuid, 3, IMPL, "", (long, ruid, long, euid, long, suid)) \
  X(118, getresuid, 3, IMPL, "", (void*, ruid, void*, euid, void*, suid)) \
  X(119, setresgid, 3, IMPL, "", (long, rgid, long, egid, long, sgid)) \
  X(120, getresgid, 3, IMPL, "", (void*, rgid, void*, egid, void*, sgid)) \
  X(121, getpgid, 1, IMPL, "", (long, pid)) \
  X(122, setfsuid, 1, NONE, "", (long, uid)) \
  X(123, setfsgid, 1, NONE, "", (long, gid)) \
  X(124, getsid, 1, IMPL, "", (long, pid)) \
  X(125, capget, 2, NONE, "", (long, header, long, dataptr)) \
  X(126, capset, 2, NONE, "", (long, header, long, data)) \
  X(127, rt_sigpending, 2, IMPL, "", (void*, set, long, sigsetsize)) \
  X(128, rt_sigtimedwait, 4, IMPL, "", (const void*, uthese, void*, uinfo, const void*, uts, long, sigsetsize)) \
  X(129, rt_sigqueueinfo, 3, IMPL, "", (long, pid, long, sig, void*, uinfo)) \
  X(130, rt_sigsuspend, 2, IMPL, "", (void*, unewset, long, sigsetsize)) \
  X(131, sigaltstack, 2, IMPL, "SA_ONSTACK handlers run on it (the task switches stacks for the call); SS_AUTODISARM", (const void*, uss, void*, uoss)) \
  X(132, utime, 2, IMPL, "", (void*, filename, void*, times)) \
  X(133, mknod, 3, PART, "every node is created; sockets and block devices cannot be opened yet (ENXIO)", (const char*, filename, long, mode, long, dev)) \
  X(134, uselib, 1, NONE, "", (const char*, library)) \
  X(135, personality, 1, NONE, "", (long, personality)) \
  X(136, ustat, 2, NONE, "", (long, dev, void*, ubuf)) \
  X(137, statfs, 2, IMPL, "", (const char*, path, void*, buf)) \
  X(138, fstatfs, 2, IMPL, "", (long, fd, void*, buf)) \
  X(139, sysfs, 3, NONE, "", (long, option, long, arg1, long, arg2)) \
  X(140, getpriority, 2, NONE, "", (long, which, long, who)) \
  X(141, setpriority, 3, NONE, "", (long, which, long, who, long, niceval)) \
  X(142, sched_setparam, 2, NONE, "", (long, pid, void*, param)) \
  X(143, sched_getparam, 2, NONE, "", (long, pid, void*, param)) \
  X(144, sched_setscheduler, 3, NONE, "", (long, pid, long, policy, void*, param)) \
  X(145, sched_getscheduler, 1, NONE, "", (long, pid)) \
  X(146, sched_get_priority_max, 1, NONE, "", (long, policy)) \
  X(147, sched_get_priority_min, 1, NONE, "", (long, policy)) \
  X(148, sched_rr_get_interval, 2, NONE, "", (long, pid, void*, interval)) \
  X(149, mlock, 2, NONE, "", (long, start, long, len)) \
  X(150, munlock, 2, NONE, "", (long, start, long, len)) \
  X(151, mlockall, 1, NONE, "", (long, flags)) \
  X(152, munlockall, 0, NONE, "", ()) \
  X(153, vhangup, 0, NONE, "", ()) \
  X(154, modify_ldt, 3, NONE, "", (long, func, void*, ptr, long, bytecount)) \
  X(155, pivot_root, 2, NONE, "", (const char*, new_root, const char*, put_old)) \
  X(156, _sysctl, 0, NONE, "", ()) \
  X(157, prctl, 5, PART, "PR_SET_NAME and PR_GET_NAME; other options return EINVAL", (long, option, long, arg2, long, arg3, long, arg4, long, arg5)) \
  X(158, arch_prctl, 2, NONE, "", (long, option, long, addr)) \
  X(159, adjtimex, 1, NONE, "", (void*, txc_p)) \
  X(160, setrlimit, 2, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported", (long, resource, void*, rlim)) \
  X(161, chroot, 1, IMPL, "", (const char*, filename)) \
  X(162, sync, 0, IMPL, "every disk's cache written back, then every disk flushed", ()) \
  X(163, acct, 1, NONE, "", (const char*, name)) \
  X(164, settimeofday, 2, IMPL, "", (void*, tv, void*, tz)) \
  X(165, mount, 5, PART, "tmpfs, devtmpfs, proc; bind (MS_REC), remount (per mount with MS_BIND), MS_MOVE; propagation flags are accepted, every mount behaves as private", (void*, dev_name, void*, dir_name, void*, type, long, flags, void*, data)) \
  X(166, umount2, 2, IMPL, "", (const char*, target, long, flags)) \
  X(167, swapon, 2, NONE, "", (const char*, specialfile, long, swap_flags)) \
  X(168, swapoff, 1, NONE, "", (const char*, specialfile)) \
  X(169, reboot, 4, NONE, "", (long, magic1, long, magic2, long, cmd, void*, arg)) \
  X(170, sethostname, 2, IMPL, "", (void*, name, long, len)) \
  X(171, setdomainname, 2, IMPL, "", (void*, name, long, len)) \
  X(172, iopl, 1, NONE, "", (long, level)) \
  X(173, ioperm, 3, NONE, "", (long, from, long, num, long, on)) \
  X(174, create_module, 0, NONE, "", ()) \
  X(175, init_module, 3, NONE, "", (void*, umod, long, len, const char*, uargs)) \
  X(176, delete_module, 2, NONE, "", (const char*, name_user, long, flags)) \
  X(177, get_kernel_syms, 0, NONE, "", ()) \
  X(178, query_module, 0, NONE, "", ()) \
  X(179, quotactl, 4, NONE, "", (long, cmd, const char*, special, long, id, void*, addr)) \
  X(180, nfsservctl, 0, NONE, "", ()) \
  X(181, getpmsg, 0, NONE, "", ()) \
  X(182, putpmsg, 0, NONE, "", ()) \
  X(183, afs_syscall, 0, NONE, "", ()) \
  X(184, tuxcall, 0, NONE, "", ()) \
  X(185, security, 0, NONE, "", ()) \
  X(186, gettid, 0, IMPL, "", ()) \
  X(187, readahead, 3, NONE, "", (long, fd, long, offset, long, count)) \
  X(188, setxattr, 5, IMPL, "", (const char*, path, const char*, name, const void*, value, long, size, long, flags)) \
  X(189, lsetxattr, 5, IMPL, "", (const char*, path, const char*, name, const void*, value, long, size, long, flags)) \
  X(190, fsetxattr, 5, IMPL, "", (long, fd, const char*, name, const void*, value, long, size, long, flags)) \
  X(191, getxattr, 4, IMPL, "", (const char*, path, const char*, name, void*, value, long, size)) \
  X(192, lgetxattr, 4, IMPL, "", (const char*, path, const char*, name, void*, value, long, size)) \
  X(193, fgetxattr, 4, IMPL, "", (long, fd, const char*, name, void*, value, long, size)) \
  X(194, listxattr, 3, IMPL, "", (const char*, path, void*, list, long, size)) \
  X(195, llistxattr, 3, IMPL, "", (const char*, path, void*, list, long, size)) \
  X(196, flistxattr, 3, IMPL, "", (long, fd, void*, list, long, size)) \
  X(197, removexattr, 2, IMPL, "", (const char*, path, const char*, name)) \
  X(198, lremovexattr, 2, IMPL, "", (const char*, path, const char*, name)) \
  X(199, fremovexattr, 2, IMPL, "", (long, fd, const char*, name)) \
  X(200, tkill, 2, IMPL, "", (long, pid, long, sig)) \
  X(201, time, 1, IMPL, "", (void*, tloc)) \
  X(202, futex, 6, IMPL, "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET, LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI (owner-died on exit; FIFO handover, no priorities to inherit), private and shared", (void*, uaddr, long, op, long, val, const void*, utime, void*, uaddr2, long, val3)) \
  X(203, sched_setaffinity, 3, PART, "CPUs are the instance vCPUs; an attached thread keeps the mask but runs where the host puts it", (long, pid, long, len, void*, user_mask_ptr)) \
  X(204, sched_getaffinity, 3, IMPL, "", (long, pid, long, len, void*, user_mask_ptr)) \
  X(205, set_thread_area, 1, NONE, "", (void*, u_info)) \
  X(206, io_setup, 2, NONE, "", (long, nr_reqs, void*, ctx)) \
  X(207, io_destroy, 1, NONE, "", (long, ctx)) \
  X(208, io_getevents, 5, NONE, "", (long, ctx_id, long, min_nr, long, nr, void*, events, void*, timeout)) \
  X(209, io_submit, 3, NONE, "", (long, ctx_id, long, nr, void*, iocbpp)) \
  X(210, io_cancel, 3, NONE, "", (long, ctx_id, void*, iocb, void*, result)) \
  X(211, get_thread_area, 1, NONE, "", (void*, u_info)) \
  X(212, lookup_dcookie, 3, NONE, "", (long, cookie64, void*, buf, long, len)) \
  X(213, epoll_create, 1, IMPL, "", (long, size)) \
  X(214, epoll_ctl_old, 0, NONE, "", ()) \
  X(215, epoll_wait_old, 0, NONE, "", ()) \
  X(216, remap_file_pages, 5, NONE, "", (long, start, long, size, long, prot, long, pgoff, long, flags)) \
  X(217, getdents64, 3, IMPL, "", (long, fd, void*, dirent, long, count)) \
  X(218, set_tid_address, 1, NONE, "", (void*, tidptr)) \
  X(219, restart_syscall, 0, NONE, "", ()) \
  X(220, semtimedop, 4, NONE, "", (long, semid, void*, sops, long, nsops, const void*, timeout)) \
  X(221, fadvise64, 4, NONE, "", (long, fd, long, offset, long, len, long, advice)) \
  X(222, timer_create, 3, PART, "CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI and the alarm clocks; CPU-time clocks give EOPNOTSUPP", (long, which_clock, void*, timer_event_spec, void*, created_timer_id)) \
  X(223, timer_settime, 4, IMPL, "", (long, timer_id, long, flags, const void*, new_setting, void*, old_setting)) \
  X(224, timer_gettime, 2, IMPL, "", (long, timer_id, void*, setting)) \
  X(225, timer_getoverrun, 1, IMPL, "", (long, timer_id)) \
  X(226, timer_delete, 1, IMPL, "", (long, timer_id)) \
  X(227, clock_settime, 2, IMPL, "", (long, which_clock, const void*, tp)) \
  X(228, clock_gettime, 2, IMPL, "", (long, which_clock, void*, tp)) \
  X(229, clock_getres, 2, IMPL, "", (long, which_clock, void*, tp)) \
  X(230, clock_nanosleep, 4, PART, "CLOCK_PROCESS_CPUTIME_ID and the alarm clocks return EOPNOTSUPP; absolute realtime sleeps do not follow later changes of the clock (it cannot be set yet)", (long, which_clock, long, flags, const void*, rqtp, void*, rmtp)) \
  X(231, exit_group, 1, IMPL, "", (long, error_code)) \
  X(232, epoll_wait, 4, IMPL, "", (long, epfd, void*, events, long, maxevents, long, timeout)) \
  X(233, epoll_ctl, 4, IMPL, "", (long, epfd, long, op, long, fd, void*, event)) \
  X(234, tgkill, 3, IMPL, "", (long, tgid, long, pid, long, sig)) \
  X(235, utimes, 2, IMPL, "", (void*, filename, void*, utimes)) \
  X(236, vserver, 0, NONE, "", ()) \
  X(237, mbind, 6, NONE, "", (long, start, long, len, long, mode, const void*, nmask, long, maxnode, long, flags)) \
  X(238, set_mempolicy, 3, NONE, "", (long, mode, const void*, nmask, long, maxnode)) \
  X(239, get_mempolicy, 5, NONE, "", (void*, policy, void*, nmask, long, maxnode, long, addr, long, flags)) \
  X(240, mq_open, 4, NONE, "", (const char*, name, long, oflag, long, mode, void*, attr)) \
  X(241, mq_unlink, 1, NONE, "", (const char*, name)) \
  X(242, mq_timedsend, 5, NONE, "", (long, mqdes, const void*, msg_ptr, long, msg_len, long, msg_prio, const void*, abs_timeout)) \
  X(243, mq_timedreceive, 5, NONE, "", (long, mqdes, void*, msg_ptr, long, msg_len, void*, msg_prio, const void*, abs_timeout)) \
  X(244, mq_notify, 2, NONE, "", (long, mqdes, const void*, notification)) \
  X(245, mq_getsetattr, 3, NONE, "", (long, mqdes, const void*, mqstat, void*, omqstat)) \
  X(246, kexec_load, 4, NONE, "", (long, entry, long, nr_segments, void*, segments, long, flags)) \
  X(247, waitid, 5, PART, "P_PIDFD returns EBADF (no pidfds yet); stopped and continued children as wait4", (long, which, long, pid, void*, infop, long, options, void*, ru)) \
  X(248, add_key, 5, NONE, "", (const char*, _type, const char*, _description, const void*, _payload, long, plen, long, destringid)) \
  X(249, request_key, 4, NONE, "", (const char*, _type, const char*, _description, const char*, _callout_info, long, destringid)) \
  X(250, keyctl, 5, NONE, "", (long, cmd, long, arg2, long, arg3, long, arg4, long, arg5)) \
  X(251, ioprio_set, 3, NONE, "", (long, which, long, who, long, ioprio)) \
  X(252, ioprio_get, 2, NONE, "", (long, which, long, who)) \
  X(253, inotify_init, 0, NONE, "", ()) \
  X(254, inotify_add_watch, 3, NONE, "", (long, fd, const char*, path, long, mask)) \
  X(255, inotify_rm_watch, 2, NONE, "", (long, fd, long, wd)) \
  X(256, migrate_pages, 4, NONE, "", (long, pid, long, maxnode, const void*, from, const void*, to)) \
  X(257, openat, 4, PART, "as open", (long, dfd, const char*, filename, long, flags, long, mode)) \
  X(258, mkdirat, 3, IMPL, "", (long, dfd, const char*, pathname, long, mode)) \
  X(259, mknodat, 4, PART, "as mknod", (long, dfd, const char*, filename, long, mode, long, dev)) \
  X(260, fchownat, 5, IMPL, "", (long, dfd, const char*, filename, long, user, long, group, long, flag)) \
  X(261, futimesat, 3, IMPL, "", (long, dfd, const char*, filename, void*, utimes)) \
  X(262, newfstatat, 4, IMPL, "", (long, dfd, const char*, filename, void*, statbuf, long, flag)) \
  X(263, unlinkat, 3, IMPL, "", (long, dfd, const char*, pathname, long, flag)) \
  X(264, renameat, 4, IMPL, "", (long, olddfd, const char*, oldname, long, newdfd, const char*, newname)) \
  X(265, linkat, 5, IMPL, "", (long, olddfd, const char*, oldname, long, newdfd, const char*, newname, long, flags)) \
  X(266, symlinkat, 3, IMPL, "", (const char*, oldname, long, newdfd, const char*, newname)) \
  X(267, readlinkat, 4, IMPL, "", (long, dfd, const char*, path, void*, buf, long, bufsiz)) \
  X(268, fchmodat, 3, IMPL, "", (long, dfd, const char*, filename, long, mode)) \
  X(269, faccessat, 3, IMPL, "", (long, dfd, const char*, filename, long, mode)) \
  X(270, pselect6, 6, IMPL, "", (long, n, void*, inp, void*, outp, void*, exp, void*, tsp, void*, sig)) \
  X(271, ppoll, 5, IMPL, "", (void*, ufds, long, nfds, void*, tsp, const void*, sigmask, long, sigsetsize)) \
  X(272, unshare, 1, PART, "CLONE_FS, CLONE_FILES, CLONE_NEWUTS, CLONE_NEWNS (and the no-op thread flags); the IPC, network, PID, user, cgroup and time namespaces exist once per instance and give EINVAL", (long, unshare_flags)) \
  X(273, set_robust_list, 2, NONE, "", (void*, head, long, len)) \
  X(274, get_robust_list, 3, NONE, "", (long, pid, void*, head_ptr, void*, len_ptr)) \
  X(275, splice, 6, IMPL, "", (long, fd_in, void*, off_in, long, fd_out, void*, off_out, long, len, long, flags)) \
  X(276, tee, 4, IMPL, "", (long, fdin, long, fdout, long, len, long, flags)) \
  X(277, sync_file_range, 4, NONE, "", (long, fd, long, offset, long, nbytes, long, flags)) \
  X(278, vmsplice, 4, NONE, "", (long, fd, const void*, iov, long, nr_segs, long, flags)) \
  X(279, move_pages, 6, NONE, "", (long, pid, long, nr_pages, const void*, pages, const void*, nodes, void*, status, long, flags)) \
  X(280, utimensat, 4, IMPL, "", (long, dfd, const char*, filename, void*, utimes, long, flags)) \
  X(281, epoll_pwait, 6, IMPL, "", (long, epfd, void*, events, long, maxevents, long, timeout, const void*, sigmask, long, sigsetsize)) \
  X(282, signalfd, 3, IMPL, "", (long, ufd, void*, user_mask, long, sizemask)) \
  X(283, timerfd_create, 2, IMPL, "", (long, clockid, long, flags)) \
  X(284, eventfd, 1, IMPL, "", (long, count)) \
  X(285, fallocate, 4, PART, "tmpfs: allocation, KEEP_SIZE and PUNCH_HOLE (as Linux shmem); block devices: PUNCH_HOLE and ZERO_RANGE; other modes EOPNOTSUPP", (long, fd, long, mode, long, offset, long, len)) \
  X(286, timerfd_settime, 4, IMPL, "", (long, ufd, long, flags, const void*, utmr, void*, otmr)) \
  X(287, timerfd_gettime, 2, IMPL, "", (long, ufd, void*, otmr)) \
  X(288, accept4, 4, NONE, "", (long, fd, void*, addr, void*, addrlen, long, flags)) \
  X(289, signalfd4, 4, IMPL, "", (long, ufd, void*, user_mask, long, sizemask, long, flags)) \
  X(290, eventfd2, 2, IMPL, "", (long, count, long, flags)) \
  X(291, epoll_create1, 1, IMPL, "", (long, flags)) \
  X(292, dup3, 3, IMPL, "", (long, oldfd, long, newfd, long, flags)) \
  X(293, pipe2, 2, IMPL, "", (void*, fildes, long, flags)) \
  X(294, inotify_init1, 1, NONE, "", (long, flags)) \
  X(295, preadv, 5, IMPL, "", (long, fd, const void*, vec, long, vlen, long, pos_l, long, pos_h)) \
  X(296, pwritev, 5, IMPL, "", (long, fd, const void*, vec, long, vlen, long, pos_l, long, pos_h)) \
  X(297, rt_tgsigqueueinfo, 4, IMPL, "", (long, tgid, long, pid, long, sig, void*, uinfo)) \
  X(298, perf_event_open, 5, NONE, "", (void*, attr_uptr, long, pid, long, cpu, long, group_fd, long, flags)) \
  X(299, recvmmsg, 5, NONE, "", (long, fd, void*, msg, long, vlen, long, flags, void*, timeout)) \
  X(300, fanotify_init, 2, NONE, "", (long, flags, long, event_f_flags)) \
  X(301, fanotify_mark, 5, NONE, "", (long, fanotify_fd, long, flags, long, mask, long, dfd, const char*, pathname)) \
  X(302, prlimit64, 4, PART, "NOFILE, NPROC and FSIZE are enforced (FSIZE with SIGXFSZ and EFBIG); the others are stored and reported", (long, pid, long, resource, const void*, new_rlim, void*, old_rlim)) \
  X(303, name_to_handle_at, 5, NONE, "", (long, dfd, const char*, name, void*, handle, void*, mnt_id, long, flag)) \
  X(304, open_by_handle_at, 3, NONE, "", (long, mountdirfd, void*, handle, long, flags)) \
  X(305, clock_adjtime, 2, NONE, "", (long, which_clock, void*, tx)) \
  X(306, syncfs, 1, IMPL, "ext4: every file's pages and the disk's cache written back, then a flush; the memory filesystems have nothing to write back", (long, fd)) \
  X(307, sendmmsg, 4, NONE, "", (long, fd, void*, msg, long, vlen, long, flags)) \
  X(308, setns, 2, PART, "mount and UTS namespaces; the instance's single IPC, network, PID, cgroup and time namespaces (a no-op) and user namespace (EINVAL); no pidfds", (long, fd, long, nstype)) \
  X(309, getcpu, 3, PART, "the vCPU of a fiber; 0 for an attached thread", (void*, cpu, void*, node, void*, cache)) \
  X(310, process_vm_readv, 6, NONE, "", (long, pid, const void*, lvec, long, liovcnt, const void*, rvec, long, riovcnt, long, flags)) \
  X(311, process_vm_writev, 6, NONE, "", (long, pid, const void*, lvec, long, liovcnt, const void*, rvec, long, riovcnt, long, flags)) \
  X(312, kcmp, 5, NONE, "", (long, pid1, long, pid2, long, type, long, idx1, long, idx2)) \
  X(313, finit_module, 3, NONE, "", (long, fd, const char*, uargs, long, flags)) \
  X(314, sched_setattr, 3, NONE, "", (long, pid, void*, attr, long, flags)) \
  X(315, sched_getattr, 4, NONE, "", (long, pid, void*, attr, long, size, long, flags)) \
  X(316, renameat2, 5, PART, "RENAME_WHITEOUT returns EINVAL", (long, olddfd, const char*, oldname, long, newdfd, const char*, newname, long, flags)) \
  X(317, seccomp, 3, NONE, "", (long, op, long, flags, void*, uargs)) \
  X(318, getrandom, 3, IMPL, "", (void*, buf, long, count, long, flags)) \
  X(319, memfd_create, 2, NONE, "", (const char*, uname_ptr, long, flags)) \
  X(320, kexec_file_load, 5, NONE, "", (long, kernel_fd, long, initrd_fd, long, cmdline_len, const char*, cmdline_ptr, long, flags)) \
  X(321, bpf, 3, NONE, "", (long, cmd, void*, attr, long, size)) \
  X(322, execveat, 5, NONE, "", (long, dfd, const char*, filename, const void*, argv, const void*, envp, long, flags)) \
  X(323, userfaultfd, 1, NONE, "", (long, flags)) \
  X(324, membarrier, 3, NONE, "", (long, cmd, long, flags, long, cpu_id)) \
  X(325, mlock2, 3, NONE, "", (long, start, long, len, long, flags)) \
  X(326, copy_file_range, 6, IMPL, "", (long, fd_in, void*, off_in, long, fd_out, void*, off_out, long, len, long, flags)) \
  X(327, preadv2, 6, PART, "RWF_* flags are accepted and have no effect", (long, fd, const void*, vec, long, vlen, long, pos_l, long, pos_h, long, flags)) \
  X(328, pwritev2, 6, PART, "as preadv2", (long, fd, const void*, vec, long, vlen, long, pos_l, long, pos_h, long, flags)) \
  X(329, pkey_mprotect, 4, NONE, "", (long, start, long, len, long, prot, long, pkey)) \
  X(330, pkey_alloc, 2, NONE, "", (long, flags, long, init_val)) \
  X(331, pkey_free, 1, NONE, "", (long, pkey)) \
  X(332, statx, 5, PART, "no STATX_ATTR_* attributes", (long, dfd, const char*, path, long, flags, long, mask, void*, buffer)) \
  X(333, io_pgetevents, 6, NONE, "", (long, ctx_id, long, min_nr, long, nr, void*, events, void*, timeout, const void*, sig)) \
  X(334, rseq, 4, NONE, "", (void*, rseq, long, rseq_len, long, flags, long, sig)) \
  X(424, pidfd_send_signal, 4, NONE, "", (long, pidfd, long, sig, void*, info, long, flags)) \
  X(425, io_uring_setup, 2, NONE, "", (long, entries, void*, p)) \
  X(426, io_uring_enter, 6, NONE, "", (long, fd, long, to_submit, long, min_complete, long, flags, const void*, argp, long, argsz)) \
  X(427, io_uring_register, 4, NONE, "", (long, fd, long, op, void*, arg, long, nr_args)) \
  X(428, open_tree, 3, NONE, "", (long, dfd, const char*, path, long, flags)) \
  X(429, move_mount, 5, NONE, "", (long, from_dfd, const char*, from_path, long, to_dfd, const char*, to_path, long, ms_flags)) \
  X(430, fsopen, 2, NONE, "", (const char*, fs_name, long, flags)) \
  X(431, fsconfig, 5, NONE, "", (long, fs_fd, long, cmd, const char*, key, const void*, value, long, aux)) \
  X(432, fsmount, 3, NONE, "", (long, fs_fd, long, flags, long, ms_flags)) \
  X(433, fspick, 3, NONE, "", (long, dfd, const char*, path, long, flags)) \
  X(434, pidfd_open, 2, NONE, "", (long, pid, long, flags)) \
  X(435, clone3, 2, NONE, "", (void*, uargs, long, size)) \
  X(436, close_range, 3, PART, "CLOSE_RANGE_UNSHARE does not unshare a table shared by threads", (long, fd, long, max_fd, long, flags)) \
  X(437, openat2, 4, PART, "RESOLVE_CACHED walks normally (never EAGAIN for an uncached name)", (long, dfd, const char*, filename, void*, how, long, size)) \
  X(438, pidfd_getfd, 3, NONE, "", (long, pidfd, long, fd, long, flags)) \
  X(439, faccessat2, 4, IMPL, "", (long, dfd, const char*, filename, long, mode, long, flags)) \
  X(440, process_madvise, 5, NONE, "", (long, pidfd, const void*, vec, long, vlen, long, behavior, long, flags)) \
  X(441, epoll_pwait2, 6, IMPL, "", (long, epfd, void*, events, long, maxevents, const void*, timeout, const void*, sigmask, long, sigsetsize)) \
  X(442, mount_setattr, 5, NONE, "", (long, dfd, const char*, path, long, flags, void*, uattr, long, usize)) \
  X(443, quotactl_fd, 4, NONE, "", (long, fd, long, cmd, long, id, void*, addr)) \
  X(444, landlock_create_ruleset, 3, NONE, "", (const void*, attr, long, size, long, flags)) \
  X(445, landlock_add_rule, 4, NONE, "", (long, ruleset_fd, long, rule_type, const void*, rule_attr, long, flags)) \
  X(446, landlock_restrict_self, 2, NONE, "", (long, ruleset_fd, long, flags)) \
  X(447, memfd_secret, 1, NONE, "", (long, flags)) \
  X(448, process_mrelease, 2, NONE, "", (long, pidfd, long, flags)) \
  X(449, futex_waitv, 5, IMPL, "", (void*, waiters, long, nr_futexes, long, flags, void*, timeout, long, clockid)) \
  X(450, set_mempolicy_home_node, 4, NONE, "", (long, start, long, len, long, home_node, long, flags)) \
  X(451, cachestat, 4, NONE, "", (long, fd, void*, cstat_range, void*, cstat, long, flags)) \
  X(452, fchmodat2, 4, NONE, "", (long, dfd, const char*, filename, long, mode, long, flags)) \
  X(453, map_shadow_stack, 3, NONE, "", (long, addr, long, size, long, flags)) \
  X(454, futex_wake, 4, NONE, "", (void*, uaddr, long, mask, long, nr, long, flags)) \
  X(455, futex_wait, 6, NONE, "", (void*, uaddr, long, val, long, mask, long, flags, void*, timeout, long, clockid)) \
  X(456, futex_requeue, 4, NONE, "", (void*, waiters, long, flags, long, nr_wake, long, nr_requeue)) \
  X(457, statmount, 4, NONE, "", (const void*, req, void*, buf, long, bufsize, long, flags)) \
  X(458, listmount, 4, NONE, "", (const void*, req, void*, mnt_ids, long, nr_mnt_ids, long, flags)) \
  X(459, lsm_get_self_attr, 4, NONE, "", (long, attr, void*, ctx, void*, size, long, flags)) \
  X(460, lsm_set_self_attr, 4, NONE, "", (long, attr, void*, ctx, long, size, long, flags)) \
  X(461, lsm_list_modules, 3, NONE, "", (void*, ids, void*, size, long, flags)) \
  X(462, mseal, 3, NONE, "", (long, start, long, len, long, flags)) \
  X(463, setxattrat, 6, NONE, "", (long, dfd, const char*, pathname, long, at_flags, const char*, name, const void*, uargs, long, usize)) \
  X(464, getxattrat, 6, NONE, "", (long, dfd, const char*, pathname, long, at_flags, const char*, name, void*, uargs, long, usize)) \
  X(465, listxattrat, 5, NONE, "", (long, dfd, const char*, pathname, long, at_flags, void*, list, long, size)) \
  X(466, removexattrat, 4, NONE, "", (long, dfd, const char*, pathname, long, at_flags, const char*, name)) \
  X(467, open_tree_attr, 5, NONE, "", (long, dfd, const char*, filename, long, flags, void*, uattr, long, usize))

#endif
