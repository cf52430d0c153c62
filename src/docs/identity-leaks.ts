/**
 * Every known way for a program to learn the host's kernel release around the
 * persona, what cr-shim does about each under run and under restore/attach,
 * and why: the leak table of docs/SUPPORTED.md. test/handlers/cases/identity-leaks.json
 * holds the same vectors as verdicts the tests check on the real kernel.
 */
export interface IdentityLeak {
  vector: string;
  /** `cr-shim run` (identity files bind-mounted in a private mount namespace). */
  run: string;
  /** restore, attach and `run --dumpable` (the native loop performs every open). */
  supervised: string;
  why: string;
}

const HANDLED = 'handled';
const NOT_COVERED = 'not covered';

export const IDENTITY_LEAKS: readonly IdentityLeak[] = [
  {
    vector: 'open of /proc/version, /proc/sys/kernel/{osrelease,version,ostype}, by any path: a symlink to them, `..` after a symlink, /proc/self/cwd/..., /proc/self/fd/DIRFD/...',
    run: HANDLED, supervised: HANDLED,
    why: 'run: every path that resolves to the file reaches the bind mount. Supervised: the supervisor opens the path as the task (its root, cwd, dirfd, /proc/self as the task\'s own) and decides by the device and inode of what it opened',
  },
  {
    vector: 'open with O_PATH, then reopen through /proc/self/fd/N or /dev/fd/N',
    run: HANDLED, supervised: HANDLED,
    why: 'run: the O_PATH fd is the bind mount. Supervised: the reopen follows the task\'s magic link with the task\'s credentials, then the same inode check',
  },
  {
    vector: 'open with O_RDWR, O_WRONLY or O_RDONLY|O_CREAT as root',
    run: `${HANDLED} (EROFS for write access)`, supervised: `${HANDLED} (the persona's text, read-only)`,
    why: 'nothing of the host is read; the answers differ from a real kernel\'s (which opens /proc/version O_RDWR for root and refuses a write-open of a sysctl file with EACCES)',
  },
  {
    vector: 'another thread rewriting the path between the check and the open',
    run: HANDLED, supervised: HANDLED,
    why: 'run: no check, nothing to race. Supervised: no check-then-use; the decision is made on the file already opened, and that fd is what the task gets (SECCOMP_ADDFD_FLAG_SEND). Tested with 3000 racing opens',
  },
  {
    vector: 'io_uring (IORING_OP_OPENAT, READ, ...), whose requests never pass through seccomp',
    run: HANDLED, supervised: HANDLED,
    why: 'io_uring_setup answers EPERM for personas that have it, as a kernel with kernel.io_uring_disabled=2 does (programs such as libuv fall back to plain calls). --allow-io-uring lets rings be made: under run a ring still sees the bind mounts (its workers resolve paths in the program\'s mount namespace), under restore and attach it reads the host\'s files',
  },
  {
    vector: 'the vDSO\'s ELF note "Linux", type 0 (LINUX_VERSION_CODE), read by glibc before 2.35 in ld.so and by eBPF loaders',
    run: HANDLED, supervised: HANDLED,
    why: 'the kernel maps its vDSO afresh at every exec, so execve and execveat go to the supervisor, whose exec watcher (cr-shim-exec-watch) seizes the task with ptrace before letting the call go on and, at PTRACE_EVENT_EXEC, writes the persona\'s code (KERNEL_VERSION(a, b, min(c, 255)); a Debian build\'s upstream sublevel) through /proc/PID/mem, which copies the page for that process alone, before the program\'s first instruction; restore writes every process before the tree resumes (CRIU maps this host\'s vDSO afresh), and so does the service for the CRIU plugin\'s restores (containers) while CRIU still holds each process; attach writes every process once the filter is in. Not covered: a task another tracer holds (a debugger) execs with the host\'s note, as do ia32 images and the ptrace and sigsys mechanisms. After a failed exec the task stays traced by the watcher until its next exec, a signal or its exit (a PATH search ends at the exec that succeeds)'
  },
  {
    vector: 'proc mounted anew (mount -t proc) by a program with CAP_SYS_ADMIN',
    run: NOT_COVERED, supervised: NOT_COVERED,
    why: 'a new proc superblock has no bind mounts and other inodes than the ones the supervisor compares against; doing better means trapping mount(2) and overlaying the new mount from inside the task\'s namespace',
  },
  {
    vector: 'a non-recursive bind mount of /proc in a new mount namespace (CAP_SYS_ADMIN)',
    run: NOT_COVERED, supervised: HANDLED,
    why: 'run: the identity bind mounts are submounts of /proc, which a non-recursive bind leaves behind. Supervised: the bind shares proc\'s superblock, so the inode check holds',
  },
  {
    vector: 'umount /proc/version by a program with CAP_SYS_ADMIN',
    run: NOT_COVERED, supervised: 'not applicable',
    why: 'the bind mounts are not locked (that needs a user namespace, which would change the program\'s uids)',
  },
  {
    vector: '/proc/PID/root/proc/version of a process outside the program\'s mount namespace (needs ptrace read access to it, e.g. root reading /proc/1/root)',
    run: NOT_COVERED, supervised: HANDLED,
    why: 'run: that root is the host\'s mount namespace, without the bind mounts. Supervised: the same procfs inode, so the check holds',
  },
  {
    vector: '/proc/config.gz (its header line "Linux/x86 R Kernel Configuration"), /sys/kernel/notes (the "Linux" build-string note), the kernel log banner (dmesg, /dev/kmsg, syslog(2))',
    run: NOT_COVERED, supervised: NOT_COVERED,
    why: 'not identity files of the persona: rewriting a gzip stream or an ELF note, and filtering the kernel log, are not done yet; the log needs CAP_SYSLOG or kernel.dmesg_restrict=0',
  },
  {
    vector: 'telling that the files are not procfs: fstat (st_size, st_dev), statfs (TMPFS_MAGIC, memfd), /proc/self/mountinfo (run shows the bind mounts)',
    run: NOT_COVERED, supervised: NOT_COVERED,
    why: 'shows that cr-shim is there, not the host\'s release',
  },
];
