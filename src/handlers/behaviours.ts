/**
 * The behaviour catalogue: what changed inside syscalls both kernels have, when, who it
 * breaks, and what cr-shim does about it. The plan reads each row's traps (argument values
 * sent to a handler) from here and docs/BEHAVIOUR.md is printed from it, so the docs say
 * what the code does. Rows whose `support` is 'unsupported' are known breaks cr-shim does not
 * translate yet; they are listed so nobody has to rediscover them.
 */
import type { Arch } from '../arch.js';
import { compareReleases } from '../tables/release.js';
import type { ArgRule } from '../plan/types.js';
import type { Support } from './types.js';
import { O_DIRECT, OPENAT2_NONOTIFY_UNTIL, TMPFS_DIRECT_IO_SINCE } from './open-compat.js';
import { FILE_RW_HINT_CMDS, FILE_RW_HINT_REMOVED } from './fcntl-rw-hint.js';
import { STATX_BTIME, TMPFS_BTIME_SINCE } from './statx-mask.js';

/** SOL_SOCKET and the SO_* numbers of <asm-generic/socket.h> (x86_64). */
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SO_PASSSEC = 34;
const SO_TXREHASH = 74;
const SO_PASSPIDFD = 76;
/** <linux/prctl.h>: 'Yama' as a number. */
const PR_SET_PTRACER = 0x59616d61;
/** <asm-generic/mman-common.h> */
const MADV_HWPOISON = 100;
const MADV_SOFT_OFFLINE = 101;
/** <asm-generic/ioctls.h> */
const TIOCSTI = 0x5412;

/** A set of argument values of one syscall that a row sends to its handler. */
export type Trap = {
  syscall: string;
  arg: number;
  /** Applies only when this other argument equals `equals`. */
  when?: { arg: number; equals: number };
  handler: string;
} & (
  /** The argument is one of these values. */
  | { values: number[] }
  /** The argument has one of these bits set (flags, masks). */
  | { bits: number }
);

/**
 * openat2's flags are in a struct BPF cannot read: its size argument (never 0 in a call the
 * kernel takes; size 0 is EINVAL before anything is read) has some bit set in every call, so
 * this sends them all.
 */
const OPENAT2_EVERY_CALL = { syscall: 'openat2', arg: 3, bits: 0xffffffff } as const;

export interface BehaviourFacts {
  arch: Arch;
  /** The persona's mainline release. */
  personaRelease: string;
  /** Options given on the command line that turn rows on (`run --allow-tiocsti`: "tiocsti"). */
  options: ReadonlySet<string>;
  /** Features this host's build lacks (host/build-features.ts ids); none given: it lacks none. */
  hostLacks?: ReadonlySet<string>;
}

export interface Behaviour {
  id: string;
  title: string;
  /** The first release with the new behaviour; personas before it get the old one. */
  changedIn: string;
  /** What changed, as the kernel's commit put it. */
  what: string;
  /** Who it breaks. */
  breaks: string;
  /** What cr-shim does. */
  shim: string;
  support: Support;
  traps?: Trap[];
  /** An option that must be given for the row to apply (a known hole). */
  option?: string;
  /**
   * A feature of the host's build (host/build-features.ts) whose absence the row answers for:
   * the row applies to every persona when the host lacks it, and never otherwise.
   */
  hostLacks?: string;
}

export const BEHAVIOURS: readonly Behaviour[] = [
  {
    id: 'argument-values',
    title: 'Option values newer than the persona',
    changedIn: 'each value\'s release (tables/args/x86_64.json)',
    what: 'prctl options, fcntl commands, madvise advice, getrandom flags, the mapping types of mmap (MAP_DROPPABLE), socket families and SOL_SOCKET options are added release by release; a kernel answers a value it does not know with EINVAL (EAFNOSUPPORT, ENOPROTOOPT).',
    breaks: 'programs that probe for a feature by trying it (PR_GET_AUXV, F_DUPFD_QUERY, MADV_GUARD_INSTALL, GRND_INSECURE) take the new path under an old persona, and notice they are not on their kernel.',
    shim: 'the filter answers a value the persona\'s kernel did not know with that kernel\'s errno, in BPF (no round trip); only the numbers with such a rule run the argument checks, every other call stays in the kernel\'s action cache. A value whose release the public data leaves open (between two Debian releases\' headers, undated by man-pages) is let through.',
    support: 'partial',
  },
  {
    id: 'sockopt-restricted',
    title: 'SO_PASSCRED, SO_PASSSEC, SO_PASSPIDFD and SO_TXREHASH on sockets that do not use them',
    changedIn: '6.16',
    what: 'the series "af_unix: Introduce SO_PASSRIGHTS" made setsockopt and getsockopt at SOL_SOCKET fail with EOPNOTSUPP for SO_PASSCRED and SO_PASSSEC on sockets other than unix, netlink and bluetooth, for SO_PASSPIDFD (6.5) on sockets other than unix, and for SO_TXREHASH (5.18) on sockets other than TCP ("tcp: Restrict SO_TXREHASH to TCP socket."); before, every socket took them: the flags were accepted, stored and read back (and had no effect), and SO_TXREHASH took -1 to 1 (-1: the net.core.txrehash default).',
    breaks: 'CRIU before 4.2 (it dumps every socket\'s SO_PASSCRED) and systemd versions that set it on every socket they pass; programs that set SO_PASSPIDFD or SO_TXREHASH on whatever socket they hold.',
    shim: 'under personas before 6.16, setsockopt and getsockopt of these four options at SOL_SOCKET go to the supervisor (a value the persona did not know is refused first, in BPF: SO_PASSPIDFD before 6.5, SO_TXREHASH before 5.18, as far as the argument tables date them): on a socket 6.16 still takes the option on, the call runs unchanged; on any other the value is checked as the old kernel did (EINVAL for an optlen under 4 or an SO_TXREHASH outside -1 to 1, EFAULT for a bad pointer), stored per socket and read back; a socket never set reads 0, except SO_TXREHASH on an internet socket, which reads net.core.txrehash as inet_create() copied it (the supervisor\'s network namespace\'s value, not the socket\'s).',
    support: 'full',
    traps: [
      { syscall: 'setsockopt', arg: 2, values: [SO_PASSCRED, SO_PASSSEC, SO_TXREHASH, SO_PASSPIDFD], when: { arg: 1, equals: SOL_SOCKET }, handler: 'sockopt-restricted' },
      { syscall: 'getsockopt', arg: 2, values: [SO_PASSCRED, SO_PASSSEC, SO_TXREHASH, SO_PASSPIDFD], when: { arg: 1, equals: SOL_SOCKET }, handler: 'sockopt-restricted' },
    ],
  },
  {
    id: 'host-build-lacks',
    title: 'Calls this host\'s kernel was built without (modules, kexec)',
    changedIn: 'this host\'s build',
    what: 'a kernel built without CONFIG_MODULES or CONFIG_KEXEC answers init_module, finit_module, delete_module and kexec_load with ENOSYS (a COND_SYSCALL stub) whoever calls, where the persona\'s kernel checked a privileged caller\'s arguments first.',
    breaks: 'installers and tests that probe for module or kexec support by the errno they get (EFAULT, ENOEXEC, ENOENT, EINVAL).',
    shim: 'handlers make the persona\'s checks in its order (capability, flags, descriptor, ELF header, segment count, architecture); what passes them answers EPERM, as with kernel.modules_disabled or kexec_load_disabled; delete_module answers ENOENT, no module being loaded. Applies to every persona when the host lacks the call (see docs/SUPPORTED.md).',
    support: 'partial',
  },
  {
    id: 'yama-ptracer',
    title: 'prctl(PR_SET_PTRACER) on a host without the Yama LSM',
    changedIn: 'this host\'s build',
    what: 'PR_SET_PTRACER (3.4) is answered by the Yama LSM (security/yama/yama_lsm.c); a kernel without Yama, or with it left out of lsm=, falls through to prctl()\'s default and answers EINVAL. Debian\'s, Ubuntu\'s and Fedora\'s kernels have Yama.',
    breaks: 'programs that allow a debugger or crash handler to attach with PR_SET_PTRACER and treat a failure as fatal or log it (Chromium\'s and Firefox\'s crash reporters, Wine, gdb helpers).',
    shim: 'when the host lacks Yama (no /proc/sys/kernel/yama), prctl(PR_SET_PTRACER) goes to the supervisor under every persona that knew it, which answers as yama_task_prctl() did: 0 for arg2 0, PR_SET_PTRACER_ANY or a pid that exists in the caller\'s pid namespace, EINVAL for any other. Nothing is recorded, and that is honest: without Yama the host\'s ptrace policy is the classic one (ptrace_may_access() alone), which already allows what the exception would have. A pid that exists only in a pid namespace nested below the caller\'s is not found (EINVAL). prctl then has two handlers (strict mode\'s and this one), so its trapped calls are picked per call in TypeScript rather than answered in C; --mechanism sigsys keeps this host\'s EINVAL (its in-process library has no such handler).',
    support: 'full',
    hostLacks: 'yama',
    traps: [{ syscall: 'prctl', arg: 0, values: [PR_SET_PTRACER], handler: 'yama-ptracer' }],
  },
  {
    id: 'memory-failure-advice',
    title: 'madvise(MADV_HWPOISON, MADV_SOFT_OFFLINE) on a host built without CONFIG_MEMORY_FAILURE',
    changedIn: 'this host\'s build',
    what: 'a kernel built without CONFIG_MEMORY_FAILURE refuses both advice values with EINVAL (madvise_behavior_valid()); a kernel with it (Debian\'s) checked the range first (EINVAL for an unaligned start or a wrapping range, 0 for an empty one) and then CAP_SYS_ADMIN (EPERM) before it poisoned or offlined pages.',
    breaks: 'memory-error test suites and tools that probe for the advice with an empty range (mce-test, stress-ng\'s madvise stressor) and take EINVAL for a kernel without the feature.',
    shim: 'when the host lacks it (madvise(0, 0, MADV_HWPOISON) answers EINVAL), both values go to the supervisor under every persona that knew them, which makes those checks (the capability in the initial user namespace); a call that passes them is one that would inject a memory error, which this host\'s kernel cannot do: it goes on to the kernel, which answers EINVAL.',
    support: 'partial',
    hostLacks: 'memory-failure',
    traps: [{ syscall: 'madvise', arg: 2, values: [MADV_HWPOISON, MADV_SOFT_OFFLINE], handler: 'madvise-memory-failure' }],
  },
  {
    id: 'sysctl-removed',
    title: 'sysctl files removed from /proc/sys (tcp_tw_recycle, the sched_* tunables)',
    changedIn: 'each file\'s release (tables/sysctl-removed.json)',
    what: 'net.ipv4.tcp_tw_recycle was removed in 4.12; the CONFIG_SCHED_DEBUG tunables kernel.sched_latency_ns, sched_min_granularity_ns, sched_wakeup_granularity_ns, sched_migration_cost_ns, sched_nr_migrate, sched_tunable_scaling and numa_balancing_scan_* moved to debugfs in 5.13. Opening them fails with ENOENT.',
    breaks: '`sysctl -w` of such a file fails, so `sysctl -p` (and systemd-sysctl, tuned) of an old profile stops with an error; tools that read a tunable to size themselves fail.',
    shim: 'under `run`, the program\'s private mount namespace gets the files its persona had: a read gives the old default (the sched_* latencies scaled by CPU count as the old kernel did), a write is accepted and kept in that namespace for the program\'s life, read back by the program and its children; it changes nothing in the host\'s kernel, which has no such setting (the debugfs files are not touched). The directory holding them is a read-only tmpfs of bind mounts of the real entries, taken in the launcher\'s network namespace: a program that enters another network namespace reads net.ipv4 values of the first, and one that looks can tell (statfs of the directory says tmpfs, /proc/self/mountinfo lists the cover). _sysctl(2) of their binary names (NET_TCP_TW_RECYCLE) reads and writes the same files (only files on run\'s own staging tmpfs: a file the program binds there is never touched with the supervisor\'s privilege). Under restore, attach and `run --dumpable` (no mount namespace of cr-shim\'s own: the supervisor answers the program\'s opens) an open that fails with ENOENT and names one of these files (its directory, opened as the task from its cwd, dirfd or root, /proc/self/root included, is the procfs directory that held it) is answered with a new description of the file\'s stand-in, a writable memfd the supervisor keeps for the tree: a read gives the old default or what the tree last wrote, a write is accepted (O_TRUNC empties it first, as `sysctl -w`, `sysctl -p` and a shell\'s `>` ask), after the old kernel\'s check of the table\'s mode (owner root; euid 0, or CAP_NET_ADMIN for net/ files, gets the owner\'s bits: an unprivileged write fails with EACCES; O_CREAT|O_EXCL is EEXIST, O_DIRECTORY ENOTDIR); fstat of it shows a memfd. stat, lstat, newfstatat, statx, access, faccessat, faccessat2, readlink and readlinkat of these paths (on ia32 stat64, lstat64, fstatat64 and the same others) answer as the old procfs did (a 0-byte regular file with the table\'s mode; readlink EINVAL); to find them, every such call goes through the native loop, which sends those whose last path component is one of these names to the supervisor and lets the others continue in the kernel: one round trip per stat, access and readlink call of the tree under personas before 5.13 (measured on a loaded 2-core VM: 20000 `test -e` in dash took 0.64 s under `run --dumpable --kernel 5.12` against 0.32 s under 5.13, about 16 µs a call). --mechanism ptrace answers the same way, except that an unprivileged task cannot read the stand-in (ptrace hands an fd over as a path to the supervisor\'s /proc/PID/fd, which it may not open); --mechanism sigsys does not cover them. Not covered there: a directory listing (getdents) does not show them; an O_PATH open of them gets this host\'s ENOENT (SECCOMP_IOCTL_NOTIF_ADDFD cannot hand over an O_PATH file, so O_PATH opens run in the kernel); ia32\'s old stat and lstat (struct compat_stat; the ia32 answers are checked in process, not with an ia32 program, which this host cannot run); _sysctl(2) of their binary names (ENOENT); a task in another user namespace gets the others\' bits (the old kernel gave a network namespace\'s root the owner\'s bits for its net/ files); the stat calls resolve a relative path from the task\'s cwd or dirfd but follow symlinks of the directory part in the supervisor\'s view (opens resolve entirely as the task); a value is stored as written, not parsed (the old kernel refused a non-number with EINVAL), and a write without O_TRUNC over a longer value leaves the old tail, as under `run`. What the tree wrote is gone with the supervisor: it is not in a CRIU image, and a tree restored again reads the old default. A root task may write any amount (the memfd grows; under `run` the staging tmpfs holds 1 MiB; the old kernel took a page).',
    support: 'partial',
  },
  {
    id: 'fcntl-file-rw-hint',
    title: 'fcntl F_GET_FILE_RW_HINT and F_SET_FILE_RW_HINT (per open file write hints)',
    changedIn: FILE_RW_HINT_REMOVED,
    what: 'the per open file write-life hints (4.13) were removed in 5.18 (commit 7b12e49669c9 "fs: remove fs.f_write_hint": no driver used them); fcntl answers the two commands with EINVAL like any unknown command. F_GET_RW_HINT and F_SET_RW_HINT (per inode) stay.',
    breaks: 'storage engines that set a hint per open file and check the answer (RocksDB and other LSM stores probe it; fio\'s write_hint option).',
    shim: 'under personas before 5.18 fcntl with either command goes to the supervisor, which makes 5.10\'s checks (the descriptor, EBADF; the u64 at arg unreadable, EFAULT; for F_SET a hint outside RWH_WRITE_LIFE_NOT_SET..RWH_WRITE_LIFE_EXTREME, EINVAL) and keeps the hint per open file description: it holds no descriptor of its own (that would keep the file open and its locks held), but records where the hint was set (the task and descriptor, and the file\'s device and inode) and finds it again with kcmp(KCMP_FILE), which says whether two descriptors share one open file description: a dup, a descriptor inherited across fork or passed over a socket reads the hint back; every descriptor found to share it is remembered as well; a description without a hint of its own reads the inode\'s (F_SET_RW_HINT, which this kernel keeps), as 5.10\'s file_write_hint() did, so a new open of the file reads RWH_WRITE_LIFE_NOT_SET unless the inode has one. Not kept: a hint whose every remembered descriptor was closed (or whose tasks exited) while another descriptor of the description lives on reads the inode\'s; the hint has no effect on I/O (5.10\'s drivers did not use it either); nothing is in a CRIU image.',
    support: 'partial',
    traps: [{ syscall: 'fcntl', arg: 1, values: [...FILE_RW_HINT_CMDS], handler: 'fcntl-rw-hint' }],
  },
  {
    id: 'o-direct-tmpfs',
    title: 'O_DIRECT on tmpfs and memfd',
    changedIn: TMPFS_DIRECT_IO_SINCE,
    what: 'tmpfs (shmem) learned O_DIRECT in 6.6 (commit e88e0d366f9c "tmpfs: trivial support for direct IO"); before, do_dentry_open() refused an open with O_DIRECT of any file whose mapping is shmem\'s (a tmpfs file, a memfd reopened through /proc/self/fd, a device node on devtmpfs) with EINVAL, after the permission checks and after O_CREAT made the file.',
    breaks: 'programs that probe for O_DIRECT support with a test file and fall back to buffered I/O (databases, dd oflag=direct, qemu\'s cache=none checks, test suites that run in /tmp on tmpfs) take the direct path under an old persona.',
    shim: 'under personas before 6.6, open and openat with O_DIRECT (decided in BPF on the flags argument: every other open stays in the kernel\'s action cache) and every openat2 (its flags are in a struct BPF cannot read) go to the supervisor, which performs the open as the task (its root, cwd or dirfd, credentials and umask: native/identity-open.c, the same open as proc-identity\'s) and answers EINVAL when the file it opened is on tmpfs and not a block device; otherwise the task gets the descriptor. Nothing is learned with the supervisor\'s privilege: a path the task cannot open gets the task\'s own error. Cost: an open without O_DIRECT stays in BPF (openat loops measured the same under 6.1 and 6.6, about 7 µs an open with close on a loaded 2-core VM); an O_DIRECT open and every openat2 take one round trip through the native loop (about 130 µs an O_DIRECT open, against 7 µs natively). Differences: O_TRUNC|O_DIRECT of a tmpfs file empties it before the EINVAL (5.10 checked O_DIRECT first); --trace and the ptrace and sigsys mechanisms, which cannot open as the task, let these opens through.',
    support: 'partial',
    traps: [
      { syscall: 'open', arg: 1, bits: O_DIRECT, handler: 'proc-identity' },
      { syscall: 'openat', arg: 2, bits: O_DIRECT, handler: 'proc-identity' },
      { ...OPENAT2_EVERY_CALL, handler: 'proc-identity' },
    ],
  },
  {
    id: 'openat2-fmode-nonotify',
    title: 'openat2 with __FMODE_NONOTIFY in how.flags',
    changedIn: OPENAT2_NONOTIFY_UNTIL,
    what: 'include/linux/fcntl.h VALID_OPEN_FLAGS held __FMODE_NONOTIFY, so openat2 (5.6) accepted that bit in how.flags (bit 26, 0x4000000, in 5.10 and 6.1; bit 25 in Debian\'s 6.12.y, which carries 6.14\'s fsnotify rework) and the open file sent no fsnotify events; later kernels dropped it from the open flags and refuse it with EINVAL (open and openat ignore it on both).',
    breaks: 'few programs: the bit was meant for fanotify\'s own opens; a program that passes a flags word with it set gets EINVAL from openat2 under an old persona.',
    shim: 'under personas before 6.13 every openat2 goes to the supervisor, which performs it as the task (as for o-direct-tmpfs) without the persona\'s __FMODE_NONOTIFY bit: the call succeeds as it did there. The file opened still sends fsnotify events (inotify and fanotify watchers see its accesses, which the old kernel hid: giving that to any process was the hole), and F_GETFL does not show the bit. Which release dropped the bit is not pinned here: personas from 6.13 on get this host\'s answer.',
    support: 'partial',
    traps: [{ ...OPENAT2_EVERY_CALL, handler: 'proc-identity' }],
  },
  {
    id: 'statx-mask',
    title: 'statx reporting mask bits the persona\'s kernel did not know, and birth times tmpfs did not keep',
    // The row's own trap is tmpfs's birth time; the unknown bits are routed by the argument
    // policy for statx-mask (plan/arg-rules.ts), under every persona that lacks one.
    changedIn: TMPFS_BTIME_SINCE,
    what: 'statx (4.11) reports in stx_mask the fields a filesystem filled among those asked for; later kernels fill fields older ones did not know (STATX_MNT_ID 5.8, STATX_DIOALIGN 6.1, STATX_MNT_ID_UNIQUE 6.8, STATX_SUBVOL 6.10, STATX_WRITE_ATOMIC 6.11, ...). tmpfs reports STATX_BTIME since 5.18 (commit f7cd16a55837 "tmpfs: support for file creation time").',
    breaks: 'programs that take a reported bit as proof of the kernel\'s support (a mount id they then look up, a birth time they trust) see a field the persona\'s kernel never filled.',
    shim: 'calls whose mask asks for a bit the persona\'s kernel did not know (BPF on the mask argument), and under personas before 5.18 calls asking STATX_BTIME, go to the supervisor; every other statx stays in the kernel\'s action cache. The native loop makes the call as the task would: the path is opened O_PATH from the task\'s root, cwd or dirfd with its credentials (the open proc-identity uses; O_PATH needs what stat needs, search permission along the path), then stat\'ed with its credentials too (a filesystem may check them at getattr, as FUSE does), asked without the bits the persona ignored; with AT_EMPTY_PATH and an empty path the task\'s descriptor itself is stat\'ed. The struct written back has stx_mask cleared of the bits the persona did not know, and of STATX_BTIME for a tmpfs file under personas before 5.18, their fields zeroed. A call the task could not make (a path it cannot search, a bad descriptor) or with flags the kernel refuses runs in the kernel, which answers with the task\'s own error: nothing is learned with the supervisor\'s privilege. Under restore, attach and `run --dumpable` with personas before 5.13 every statx goes to the removed sysctl files\' stat handler (row sysctl-removed) already: what it leaves to the kernel and asks such a bit is answered the same way. Not covered: --trace and --mechanism ptrace answer only statx of a descriptor (on the supervisor\'s pidfd_getfd duplicate of it) and let path-based calls through; --mechanism sigsys does not cover it.',
    support: 'partial',
    traps: [{ syscall: 'statx', arg: 3, bits: STATX_BTIME, handler: 'statx-mask' }],
  },
  {
    id: 'new-flags-ignored',
    title: 'Flags an old kernel ignored or treated otherwise (O_TMPFILE, MAP_FIXED_NOREPLACE, statx mask bits)',
    changedIn: 'each flag\'s release (tables/args/x86_64.json)',
    what: 'open(2) and mmap(2) ignore flags they do not know; O_TMPFILE (3.11) creates a file where 3.10 opened the directory, MAP_FIXED_NOREPLACE (4.17) fails with EEXIST where 4.14 took the address as a hint; statx (4.11) reports mask bits added later (6.8, 6.10): behaviour row statx-mask.',
    breaks: 'programs with a fallback for the old answer take the new path.',
    shim: 'nothing yet for open and mmap: the argument tables say which flags each release knew, but no single argument decides the old answer, so a handler is needed (planned); statx: behaviour row statx-mask.',
    support: 'unsupported',
  },
  {
    id: 'read-implies-exec',
    title: 'READ_IMPLIES_EXEC for 64-bit binaries without PT_GNU_STACK',
    changedIn: '5.8',
    what: 'a 64-bit ELF without a PT_GNU_STACK header no longer gets READ_IMPLIES_EXEC: readable mappings are not executable.',
    breaks: 'old binaries that run code from a RW mapping die with SIGSEGV.',
    shim: 'at every exec the exec watcher (handlers/exec-vdso.ts, native/exec-watch.c; notify mechanism) stops the new image before its first instruction and, when kernels before 5.8 gave it READ_IMPLIES_EXEC (a 64-bit ELF without PT_GNU_STACK, or with an executable one), sets it with an injected personality() call: this kernel clears it at exec whatever was set before. At restore (CRIU brings a task back without it, checked on 6.18), cr-shim-vdso sets it in every thread of such a process (the flag is per thread) while the tree is held, before the filter goes in. Not at attach: the tree runs and its threads may sit in calls whose restart an injection would lose. Mappings the kernel made during the exec (the stack, the brk heap) keep the protections this kernel gave them.',
    support: 'partial',
  },
  {
    id: 'sendfile-no-splice',
    title: 'sendfile and splice from files without splice support',
    changedIn: '5.10',
    what: 'sendfile(2) and splice(2) from a file whose operations lack splice_read (/proc/self/status, stat, cmdline, environ, maps and other seq files) fail with EINVAL (commit 36e2c7421f02); before, the kernel read such a file with its read operation.',
    breaks: 'programs that sendfile /proc files to a socket, pipe or file (web servers serving status pages, log shippers).',
    shim: 'under personas before 5.10, sendfile and splice (x86_64; on ia32 sendfile, sendfile64 and splice) go to the supervisor: it checks without side effects whether in_fd\'s file lacks splice_read (a 0-byte pread, then a 1-byte splice at a private offset into its own pipe); if not, the kernel runs the call; if so, it reads through its duplicate of in_fd (pidfd_getfd, the same open file) and writes to out_fd, honouring sendfile\'s offset pointer (file position untouched) or the file position (advanced), count and MAX_RW_COUNT, until EOF or a short write; splice only into a pipe, one pass. Cost: one round trip for every sendfile and splice, also from regular files (BPF sees numbers, not files): measured on a 2-core VM, a 64-byte sendfile from a regular file took about 80 µs under 5.4 against 5 to 11 µs natively; from /proc/self/status, about 170 µs. A write that would block waits in the supervisor\'s handler thread, so other translated calls of the tree wait with it. The copy reads with the supervisor\'s credentials: a procfs file that checks its reader at read time rather than at open (/proc/PID/stat\'s wchan and stack fields for another user\'s task) can show what the task itself would not have read. ia32: sendfile\'s offset is a 32-bit compat_off_t and a copy through it stops at 2^31-1 (MAX_NON_LFS: EOVERFLOW at that offset), sendfile64\'s a 64-bit loff_t, counts are 32 bits; the ia32 routes are checked in the BPF emulator and the handler\'s ia32 layouts on this kernel in process, not with an ia32 program (this host boots with 32-bit emulation off).',
    support: 'partial',
  },
  {
    id: 'tiocsti',
    title: 'TIOCSTI (push a byte into a terminal\'s input) for callers without CAP_SYS_ADMIN',
    changedIn: '6.2',
    what: 'with dev.tty.legacy_tiocsti=0 (6.2, commit 83efeeeb3d04; the default of CONFIG_LEGACY_TIOCSTI=n kernels), ioctl(TIOCSTI) fails with EIO for a caller without CAP_SYS_ADMIN; before, any process could push input into its controlling terminal (EPERM for another terminal).',
    breaks: 'terminal tools that type for the user: csh/tcsh filename completion, mail clients and editors that push keystrokes (e.g. old versions of sudo\'s and su\'s helpers, some screen readers and macro tools).',
    shim: 'a known hole, off unless `run --allow-tiocsti` is given: TIOCSTI is what lets a program type commands into the shell that started it, which is why 6.2 turned it off. With the option, under personas before 6.2 and when legacy_tiocsti is 0, the supervisor makes the old checks (the descriptor is the task\'s controlling terminal, else EPERM; the byte readable, else EFAULT) and performs the ioctl on its duplicate of the descriptor with its own CAP_SYS_ADMIN; with legacy_tiocsti at 1, a privileged task or a descriptor that is not a terminal, the kernel answers. Not kept across dump and restore (restore and attach have no such option).',
    support: 'partial',
    option: 'tiocsti',
    traps: [{ syscall: 'ioctl', arg: 1, values: [TIOCSTI], handler: 'tiocsti' }],
  },
  {
    id: 'gid-map-setgroups',
    title: 'Writing gid_map without first writing "deny" to setgroups',
    changedIn: '3.19',
    what: 'a process without CAP_SETGID over the parent user namespace may map its own gid in /proc/PID/gid_map only after writing "deny" to /proc/PID/setgroups (3.19, commit 66d2f338ee4c "userns: Allow setting gid_maps without privilege when setgroups is disabled", the fix for CVE-2014-8989); otherwise the write fails with EPERM. Before, the write was accepted and setgroups(2) stayed allowed in the namespace.',
    breaks: 'sandboxes and container tools older than 2015 that set up an unprivileged user namespace (old LXC, Chromium\'s and Firefox\'s sandboxes, bubblewrap before 0.1): their gid_map write fails.',
    shim: 'nothing, deliberately (unsupported). The check is made by write(2) on the gid_map file, and a filter sees numbers, not files: trapping it would send every write of every program to the supervisor. Trapping the open instead costs a round trip for every open (run keeps opens untrapped), and even then the only way to let the write through is for the supervisor to write "deny" to the task\'s setgroups first, which makes setgroups(2) in that namespace fail with EPERM where the old kernel allowed it: one break traded for another. Allowing setgroups there is the CVE-2014-8989 hole itself (a user dropping a group that a negative ACL denies), and the kernel has no setting that brings it back.',
    support: 'unsupported',
  },
];

/**
 * Does `row` apply to this persona? Rows with a release apply before it; a row for a feature
 * of the host's build whenever the host lacks it; an optional row only when asked for.
 */
export function behaviourApplies(row: Behaviour, f: BehaviourFacts): boolean {
  if (row.option !== undefined && !f.options.has(row.option)) return false;
  if (row.hostLacks !== undefined) return f.hostLacks?.has(row.hostLacks) ?? false;
  if (!/^\d+\.\d+(\.\d+)?$/.test(row.changedIn)) return false;
  return compareReleases(f.personaRelease, row.changedIn) < 0;
}

/** The argument rules behaviour rows add to one syscall: their traps, each sending matches to its handler. */
export function behaviourRules(syscall: string, f: BehaviourFacts): ArgRule[] {
  // The traps' numbers are x86_64's; other ABIs get none yet.
  if (f.arch !== 'x86_64') return [];
  const out: ArgRule[] = [];
  const seen = new Set<string>();
  for (const row of BEHAVIOURS) {
    if (!behaviourApplies(row, f)) continue;
    for (const t of row.traps ?? []) {
      if (t.syscall !== syscall) continue;
      // Two rows may trap the same values for one handler (openat2 for o-direct-tmpfs and openat2-fmode-nonotify): one check.
      const key = JSON.stringify(['values' in t ? t.values : t.bits, t.arg, t.when, t.handler]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        arg: t.arg,
        match: 'values' in t ? { kind: 'in', values: [...t.values].sort((a, b) => a - b) } : { kind: 'anyBit', mask: t.bits },
        ...(t.when ? { when: t.when } : {}),
        action: { kind: 'notify', handler: t.handler },
        reason: row.hostLacks !== undefined ? `${row.title}: the host lacks ${row.hostLacks}` : `${row.title}: before ${row.changedIn}`,
      });
    }
  }
  return out;
}

/** Every handler id the catalogue names: a test checks each exists in makeHandlers. */
export function behaviourHandlerIds(): string[] {
  return [...new Set(BEHAVIOURS.flatMap((b) => (b.traps ?? []).map((t) => t.handler)))].sort();
}

