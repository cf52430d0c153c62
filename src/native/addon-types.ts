/**
 * The contract of native/notify-loop.c (build/Release/cr_shim_notify.node).
 * src/native/addon.ts is the only module that loads the .node file; everything
 * else imports these types.
 *
 * The loop: `recv` blocks (call it from a worker thread, never the main thread)
 * in poll() + SECCOMP_IOCTL_NOTIF_RECV on the listener. Notifications whose
 * (arch, nr) has a native action are answered in C without returning to JS and
 * counted in `stats`; the first notification that needs JS is returned.
 */

/** Native verdict kinds, mirrored by enum native_kind in notify-loop.c. */
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
   */
  writeArg: 3,
  /**
   * Read the NUL-terminated path at args[arg]; if its last component is one of
   * `names`, defer to JS, else continue. A cheap pre-filter for /proc emulation.
   */
  pathWatch: 4,
} as const;
export type NativeKindName = keyof typeof NativeKind;

export interface NativeAction {
  nr: number;
  kind: number;
  errno?: number;
  arg?: number;
  bytes?: Uint8Array;
  val?: number;
  names?: string[];
}

/** struct seccomp_notif, decoded. args are bigint: they are full 64-bit registers. */
export interface Notification {
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
  /** Sum of receive-to-answer time, ns. */
  totalNs: number;
}

export interface NotifyAddon {
  /** Wrap a listener fd (ownership passes to the handle). Sets SYNC_WAKE_UP when the kernel has it. */
  open(listenerFd: number): NotifyHandle;
  /** Replace the native actions for one AUDIT_ARCH value. */
  setActions(h: NotifyHandle, auditArch: number, actions: NativeAction[]): void;
  /**
   * Block until a notification needs JS; null once every filtered task is gone
   * (POLLHUP) or after `stop`.
   */
  recv(h: NotifyHandle): Notification | null;
  /** Answer: return `val` or fail with -`error`; flags may hold SECCOMP_USER_NOTIF_FLAG_CONTINUE. Returns 0 or the errno of the ioctl (ENOENT: the task went away). */
  respond(h: NotifyHandle, id: bigint, val: bigint, error: number, flags: number): number;
  /** SECCOMP_IOCTL_NOTIF_ID_VALID: is the task still waiting on this notification? */
  idValid(h: NotifyHandle, id: bigint): boolean;
  /** SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND: install srcFd in the tracee and answer with its number. Returns the new fd or -errno. */
  addFdAndSend(h: NotifyHandle, id: bigint, srcFd: number, newFdFlags: number): number;
  /** Counters of the natively answered notifications. */
  stats(h: NotifyHandle): NativeStat[];
  /** Wake a blocked recv and make it (and later ones) return null. Safe from any thread. */
  stop(h: NotifyHandle): void;
  /** Close the listener. Tasks still trapped get ENOSYS from the kernel. */
  close(h: NotifyHandle): void;
}

/**
 * A small integer naming a loop in a process-wide table in C (mutex-guarded), so
 * the main thread can `stop` or read `stats` of a loop that a worker thread runs:
 * N-API externals cannot cross threads, plain numbers can.
 */
export type NotifyHandle = number;
