/**
 * Differences between a real kernel and cr-shim that the oracle cannot classify from the
 * tables and the plan alone: each names its cause once, as data. compare.ts consults this
 * only after the automatic classes (host build, distribution build, table error).
 */
export type KnownClass =
  /** Running under any seccomp filter changes the answer; no filter can hide it. */
  | 'seccomp'
  /** cr-shim answers differently from the kernel it presents: a bug to fix in cr-shim. */
  | 'shim-bug'
  /** The host kernel's implementation (newer than the persona's) answers this input differently. */
  | 'semantics'
  /** cr-shim answers differently on purpose, to close a leak of the host's identity; a flag restores the kernel's answer. */
  | 'deliberate';

export interface KnownDifference {
  name: string;
  class: KnownClass;
  reason: string;
  /** The real kernel's and cr-shim's outcomes this explains; another pair is still unexplained. */
  real: string;
  shim: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    name: 'uretprobe',
    class: 'seccomp',
    real: 'ENOSYS',
    shim: 'SIGILL',
    reason: 'since 6.11 the kernel runs uretprobe without consulting seccomp filters (kernel/seccomp.c seccomp_uprobe_exception), so cr-shim cannot answer ENOSYS for it on this host; called outside a uretprobe trampoline it kills the caller with SIGILL',
  },
  {
    name: 'uprobe',
    class: 'seccomp',
    real: 'ENOSYS',
    shim: 'ENXIO',
    reason: 'since 6.16 the kernel runs uprobe without consulting seccomp filters (kernel/seccomp.c seccomp_uprobe_exception), so cr-shim cannot answer ENOSYS for it on this host; called outside a uprobe trampoline it answers ENXIO',
  },
  {
    name: 'pkey_alloc',
    class: 'semantics',
    real: 'ENOSPC',
    shim: 'EINVAL',
    reason: 'on a CPU without protection keys (this host has no PKU; the guest CPU is trimmed to match) older kernels answer pkey_alloc(0, 0) with ENOSPC, no key being free, where this host\'s kernel answers EINVAL',
  },
  {
    name: 'io_uring_setup',
    class: 'deliberate',
    real: 'EFAULT',
    shim: 'EPERM',
    reason: 'io_uring requests (IORING_OP_OPENAT, READ, ...) never pass through seccomp, so a ring would read the host\'s /proc/version: cr-shim answers EPERM as a kernel with kernel.io_uring_disabled=2 does; run --allow-io-uring gives the kernel\'s answer back',
  },
];
