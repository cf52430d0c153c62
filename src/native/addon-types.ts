/**
 * The contract of native/notify-loop.c, the Node-API binding of native/notify-core.c
 * (build/Release/cr_shim_notify.node).
 * src/native/addon.ts is the only module that loads the .node file; everything
 * else imports these types.
 *
 * The loop: `recv` blocks (call it from a worker thread, never the main thread)
 * in poll() + SECCOMP_IOCTL_NOTIF_RECV on the listener. Notifications whose
 * (arch, nr) has a native action are answered in C without returning to JS and
 * counted in `stats`; the first notification that needs JS is returned.
 *
 * One loop can poll several listeners (a restored or attached tree has one
 * filter, so one listener, per process): `open` takes the first, `addListener`
 * more. A NotifyHandle names a loop and one of its listeners; every
 * notification carries the handle of the listener it came from, and
 * respond/idValid/addFdAndSend must be given that handle. The loop-wide calls
 * (addListener, setActions, recv, stats, stop, close) accept any handle of the loop.
 */

/** Native verdict kinds: the same names and values as enum native_kind in native/native-verdict.h (test/native/verdict-kinds.unit.test.ts). */
export const NativeKind = {
  /** Return the notification to JS (the default for every number not set). */
  defer: 0,
  /** SECCOMP_USER_NOTIF_FLAG_CONTINUE: let the kernel run the call as asked. */
  continue: 1,
  /** Fail the call with -errno. */
  errno: 2,
  /**
   * Write `bytes` into the tracee at args[arg] (process_vm_writev, which honours
   * page protections like copy_to_user), then return `val`; EFAULT if the write fails.
   * NOTIF_ID_VALID is checked before writing, so a reused pid is never written.
   */
  writeArg: 3,
  /**
   * Read the NUL-terminated path at args[arg]; if its last component is one of
   * `names` (trailing slashes ignored), defer to JS, else continue. An unreadable
   * path (or one longer than PATH_MAX) is deferred so that JS produces the EFAULT.
   * A cheap pre-filter for /proc emulation, not a security check: CONTINUE
   * re-reads the path, which another thread may have changed.
   */
  pathWatch: 4,
  /**
   * uname: write the persona's utsname (`bytes`: the template, `width` bytes per field,
   * then the UNAME26 release field and the PER_LINUX32 machine field) with the calling
   * task's nodename and domainname (its UTS namespace, now) and the machine and release
   * its personality selects (native/task-uts.c), then return `val`.
   */
  uname: 5,
  /** Drop what is cached about the task's namespace and personality (it is changing them), then continue. */
  forgetTask: 6,
  /**
   * Perform the open-family call in the supervisor, as the task would (its root, cwd or dirfd,
   * fsuid, fsgid, groups, capabilities, umask), decide by the file opened (device and inode),
   * and answer with SECCOMP_ADDFD_FLAG_SEND: the fd opened, or a new read-only description of
   * `identity[i].fd` when the file is the procfs file at `identity[i].path` under the task's
   * root. `arg` is the OpenForm. native/identity-open.c; no check-then-use race.
   * An entry with a `mode` is an added file (a sysctl file this kernel removed): when the open
   * fails with ENOENT and named it (its directory, opened as the task, is the entry's directory),
   * the old kernel's permission check on `mode` is made and a new description of `fd` answers.
   */
  openIdentity: 7,
  /**
   * execve, execveat: have `helper` (cr-shim-exec-watch) seize the task, then continue; the
   * watcher writes `val`, the persona's LINUX_VERSION_CODE, into the new image's vDSO note
   * before its first instruction (native/exec-watch.c). A task another tracer holds execs unpatched.
   */
  execVdso: 8,
  /**
   * prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) (`arg` 0) or seccomp(SECCOMP_SET_MODE_STRICT, 0,
   * NULL) (`arg` 1): `helper` (cr-shim-strict) puts a strict-equivalent filter on the calling
   * thread and the call returns 0; the filter's listener joins the loop, which ends the thread
   * as strict mode does at any call strict mode forbids (native/strict-mode.c). Another form of
   * the call continues (the kernel answers EINVAL). handlers/strict-mode.ts.
   */
  enterStrict: 9,
  /**
   * statx: made as the task would (the path opened O_PATH with its root, cwd or dirfd and
   * credentials, then stat'ed with them), asked without the mask bits `val` and answered with
   * them cleared from stx_mask and their fields zeroed; `arg` 1 drops STATX_BTIME too for a
   * file on tmpfs. A call the task could not make, or with flags the kernel refuses, continues
   * (the kernel's own error). native/identity-open.c statx_as_task; handlers/statx-mask.ts.
   */
  statxPersona: 10,
} as const;

/** Where an open-family call keeps its arguments (native/identity-open.h enum open_form). */
export const OpenForm = { open: 0, openat: 1, openat2: 2 } as const;
export type NativeKindName = keyof typeof NativeKind;

/**
 * One native verdict. setActions rejects (RangeError, code EINVAL) an nr outside
 * 0..4095, an unknown kind, a missing field, or an nr given twice.
 */
export interface NativeAction {
  nr: number;
  kind: number;
  /** errno: the positive errno, 1..4095. */
  errno?: number;
  /** writeArg, pathWatch: argument index 0..5. */
  arg?: number;
  /** writeArg: copied into C memory by setActions; 1 byte..1 MiB. */
  bytes?: Uint8Array;
  /** uname: bytes per utsname field. */
  width?: number;
  /** writeArg: the return value (default 0). */
  val?: number;
  /** pathWatch: last path components that JS handles. */
  names?: string[];
  /** pathWatch on statx: a call not watched whose mask asks one of these bits (or STATX_BTIME with statxBtimeTmpfs) is answered as statxPersona would answer it, with these bits dropped. */
  statxDrop?: number;
  statxBtimeTmpfs?: boolean;
  /**
   * openIdentity: up to 32 files, path relative to the task's root ("proc/version"), fd a memfd the
   * caller keeps open: sealed for an identity file; writable for an added file, which has `mode`
   * (its permission bits, owner root) and `netAdmin` (CAP_NET_ADMIN counts as the owner).
   */
  identity?: { path: string; fd: number; mode?: number; netAdmin?: boolean }[];
  /** openIdentity: O_DIRECT on a file whose mapping is shmem's (tmpfs, memfd) answers EINVAL, as before 6.6. */
  directEinval?: boolean;
  /** openIdentity: openat2 how.flags bits the persona accepted and this kernel refuses; dropped before the open. */
  openat2Accept?: number;
  /** execVdso: the path of cr-shim-exec-watch (`val` is the version code); enterStrict: the path of cr-shim-strict. */
  helper?: string;
  /** execVdso: also set READ_IMPLIES_EXEC in images kernels before 5.8 gave it to (a 64-bit ELF without PT_GNU_STACK or with an executable one). */
  readImpliesExec?: boolean;
}

/** struct seccomp_notif, decoded. args are bigint: they are full 64-bit registers. */
export interface Notification {
  /** The listener it came from: answer it with this handle. */
  handle: NotifyHandle;
  id: bigint;
  pid: number;
  flags: number;
  nr: number;
  arch: number;
  instructionPointer: bigint;
  args: [bigint, bigint, bigint, bigint, bigint, bigint];
  /** CLOCK_MONOTONIC ns when the loop received it (for --stats latency). */
  receivedNs: bigint;
}

export interface NativeStat {
  arch: number;
  nr: number;
  count: number;
  /**
   * Sum of receive-to-answer time, ns (CLOCK_MONOTONIC, from NOTIF_RECV's return
   * to just before NOTIF_SEND: with SYNC_WAKE_UP the send itself runs the program).
   */
  totalNs: number;
}

export interface NotifyAddon {
  /**
   * Wrap a listener fd (ownership passes to the handle on success; on a throw the
   * caller still owns it). Sizes its buffers with SECCOMP_GET_NOTIF_SIZES and sets
   * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP when the kernel has it (6.6+).
   */
  open(listenerFd: number): NotifyHandle;
  /**
   * Poll one more listener in the same loop, with the same actions and stats
   * (ownership of the fd passes on success). Safe while another thread is in
   * recv, which starts polling it at once. Up to 1024 listeners per loop.
   * Returns the handle that names this listener.
   */
  addListener(h: NotifyHandle, listenerFd: number): NotifyHandle;
  /**
   * Replace the native actions for one AUDIT_ARCH value (up to 8 arches per loop).
   * Safe while another thread is in recv: the next notification sees the new table.
   */
  setActions(h: NotifyHandle, auditArch: number, actions: NativeAction[]): void;
  /**
   * The table setActions(h, auditArch, actions) would publish, in the binary form the session
   * cache keeps for the native front (docs/FRONT.md, "Verdict tables"): parsed exactly as
   * setActions parses, so it throws what setActions throws; ENOTSUP when an openIdentity
   * verdict holds identity memfds (they live in this process only; with the identity
   * bind-mounted, an openIdentity verdict has none and encodes).
   */
  encodeActions(auditArch: number, actions: NativeAction[]): Uint8Array;
  /**
   * Publish a table encodeActions wrote, as setActions does (the arch is in the bytes).
   * RangeError (code EINVAL) naming the first fault when the bytes are not a table the parser
   * could have built: truncated, an unknown kind, a value out of range, trailing bytes.
   */
  setEncodedActions(h: NotifyHandle, bytes: Uint8Array): void;
  /**
   * Keep a notification for the next recv, which returns it before polling (with the handle
   * h names): the raw struct seccomp_notif as the kernel wrote it, at least 80 bytes (the
   * struct of our headers) and at most SECCOMP_GET_NOTIF_SIZES's size; RangeError (EINVAL)
   * otherwise. receivedNs (CLOCK_MONOTONIC) defaults to now. The front's loop stopped at this
   * notification and hands it over (docs/FRONT.md, "When a call needs TypeScript").
   */
  holdNotification(h: NotifyHandle, notification: Uint8Array, receivedNs?: bigint): void;
  /**
   * Block until a notification needs JS; null once every filtered task of every
   * listener is gone (POLLHUP), after `stop`, or when the handle was closed. Blocks the calling
   * thread: call it from a worker. Throws (code = errno name) only for real failures.
   */
  recv(h: NotifyHandle): Notification | null;
  /**
   * Run the loop on a native thread of its own, answering natively, until a
   * notification needs JS: then `cb('js')`, and the next recv (on a worker) returns
   * it first. `cb('end')` once every listener hung up or the loop was stopped,
   * `cb('error', message)` on a real failure. Either way the thread has ended when
   * cb runs, on the main thread; until then it keeps the event loop alive.
   * For a program whose calls are all answered natively, no worker is ever needed.
   */
  watch(h: NotifyHandle, cb: (what: 'js' | 'end' | 'error', message: string) => void): void;
  /**
   * Answer: return `val`, or fail with `error` (a positive errno; 0 for success);
   * flags may hold SECCOMP_USER_NOTIF_FLAG_CONTINUE (then val and error must be 0).
   * Returns 0 or the errno of the ioctl: ENOENT, the task went away; EINPROGRESS,
   * already answered.
   */
  respond(h: NotifyHandle, id: bigint, val: bigint, error: number, flags: number): number;
  /** SECCOMP_IOCTL_NOTIF_ID_VALID: is the task still waiting on this notification? */
  idValid(h: NotifyHandle, id: bigint): boolean;
  /** SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND: install srcFd in the tracee and answer with its number. Returns the new fd or -errno. */
  addFdAndSend(h: NotifyHandle, id: bigint, srcFd: number, newFdFlags: number): number;
  /** Counters of the natively answered notifications. */
  stats(h: NotifyHandle): NativeStat[];
  /** Wake a blocked recv and make it (and later ones) return null. Safe from any thread. */
  stop(h: NotifyHandle): void;
  /**
   * Stop the loop and close the listener (once a recv in progress on another
   * thread has returned). The kernel then fails every trapped call, pending or
   * future, of that filter with ENOSYS. Closing an unknown handle does nothing.
   */
  close(h: NotifyHandle): void;
  /**
   * The thread's nodename and domainname (read in its UTS namespace now) and personality;
   * null when it is gone. The same lookup, and cache, as the native uname answer.
   */
  taskUts(tid: number): TaskUts | null;
  /** Drop what is cached about the thread's namespace and personality. */
  forgetTask(tid: number): void;
  /**
   * Have `helper` (cr-shim-strict) put the strict-equivalent filter on thread `tid`, blocked in a
   * strict-mode request (native/strict-client.c, as NativeKind.enterStrict does): 0 or an errno.
   * Blocks the calling thread for the helper's run (a few ms).
   */
  strictEnter(helper: string, tid: number): number;

  // The set-up calls (native/libc-calls.c): the result, or -errno. src/native/libc.ts wraps them.
  /** prctl(option, arg2, 0, 0, 0). */
  prctl(option: number, arg2: number): number;
  /** waitpid(pid, &status, options): [pid, or 0 (WNOHANG, still running), or -errno; the wait status]. */
  waitpid(pid: number, options: number): [number, number];
  /** pidfd_open(pid, flags): a close-on-exec pidfd. */
  pidfdOpen(pid: number, flags: number): number;
  /** pidfd_getfd(pidfd, fd, 0): a close-on-exec copy of the fd. */
  pidfdGetfd(pidfd: number, fd: number): number;
  /** seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action): 0 when the kernel knows the action. */
  seccompActionAvail(action: number): number;
  /** madvise(NULL, 0, advice): 0 when the kernel knows the advice, -EINVAL when not. */
  madviseEmpty(advice: number): number;

  // Starting processes (native/spawn-calls.c): src/native/spawn.ts wraps them.
  /**
   * posix_spawn of `path` with `argv`; child fd i is a copy of fds[i] (-1 closed, -2 ours as it
   * is); group 0 ours, 1 its own, 2 a session of its own; cwd and env null for ours. The pid, or -errno.
   */
  spawn(path: string, argv: string[], fds: number[], group: number, cwd: string | null, env: string[] | null): number;
  /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): both ends, or -errno. */
  socketpair(): [number, number] | number;
  /** pipe2(O_CLOEXEC): [read end, write end], or -errno. */
  pipe(): [number, number] | number;

  /** A close-on-exec AF_UNIX SOCK_SEQPACKET socket connected to `path`, or -errno. */
  seqpacketConnect(path: string): number;
  /** getsockopt(fd, SO_PEERCRED): [0 or -errno, pid, uid, gid]. */
  peerCred(fd: number): [number, number, number, number];
  /** send(fd, data, MSG_NOSIGNAL): bytes sent, or -errno. */
  sendPacket(fd: number, data: Buffer): number;
}

export interface TaskUts {
  nodename: string;
  domainname: string;
  personality: number;
}

/**
 * A small integer naming a loop in a process-wide table in C (mutex-guarded), so
 * the main thread can `stop` or read `stats` of a loop that a worker thread runs:
 * N-API externals cannot cross threads, plain numbers can. Its low 10 bits
 * select one of the loop's listeners (0 for the one given to `open`).
 */
export type NotifyHandle = number;
