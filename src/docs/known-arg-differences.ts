/**
 * Differences between a real kernel's argument probe and cr-shim's that the oracle cannot
 * classify from the argument tables and the plan alone (src/oracle/arg-compare.ts): each names
 * its cause once, as data. Consulted before the automatic classes.
 */
export type KnownArgClass =
  /** This host's newer implementation answers the same value differently (a command removed, a filesystem that learned a flag). */
  | 'semantics'
  /** This host's kernel was built (or booted) without the code that answers the value. */
  | 'host-build'
  /** The oracle's guest differs from this host in something other than the kernel: capabilities, modules in the initramfs. */
  | 'environment'
  /** cr-shim answers differently from the kernel it presents: a bug to fix. */
  | 'shim-bug';

export interface KnownArgDifference {
  /** The probe call (src/oracle/arg-cases.ts ARG_PROBES). */
  call: string;
  /** Table names or numbers of the values this explains. */
  values: readonly (string | number)[];
  class: KnownArgClass;
  reason: string;
  /** The real kernel's and cr-shim's outcomes; "*" for any. Another pair is still unexplained. */
  real: string;
  shim: string;
  /** Mainline releases it applies to; every kernel when absent. */
  kernels?: readonly string[];
}

export const KNOWN_ARG_DIFFERENCES: readonly KnownArgDifference[] = [
  {
    call: 'prctl',
    values: ['PR_SET_MM', 'PR_SET_IO_FLUSHER', 'PR_GET_IO_FLUSHER'],
    class: 'environment',
    real: '*',
    shim: 'EPERM',
    reason: "they need CAP_SYS_RESOURCE, which this machine's bounding set lacks (the guest's root has every capability); the real kernel gets past that check (PR_SET_MM(0) then answers EINVAL)",
  },
  {
    call: 'fcntl',
    values: ['F_GET_FILE_RW_HINT', 'F_SET_FILE_RW_HINT'],
    class: 'semantics',
    real: 'EFAULT',
    shim: 'EINVAL',
    reason: 'the per-file write hint commands were removed after 5.10 (6.1 answers EINVAL too, as this host does): this host answers EINVAL for commands 5.10 knew, and cr-shim has no handler that brings them back',
  },
  {
    call: 'openat',
    values: ['O_DIRECT'],
    class: 'semantics',
    real: 'EINVAL',
    shim: 'ok',
    reason: 'the probe opens a memfd (tmpfs); tmpfs learned O_DIRECT after 6.1 (6.12 accepts it, 5.10 and 6.1 refuse it with EINVAL at open), and cr-shim does not refuse it for them',
  },
  {
    call: 'openat2',
    values: ['O_DIRECT'],
    class: 'semantics',
    real: 'EINVAL',
    shim: 'ok',
    reason: 'as for openat: tmpfs learned O_DIRECT after 6.1',
  },
  {
    call: 'openat2',
    values: [67108864],
    class: 'semantics',
    real: 'ok',
    shim: 'EINVAL',
    kernels: ['5.10', '6.1'],
    reason: "bit 26 was FMODE_NONOTIFY (0x4000000) in 5.10 and 6.1, and __FMODE_NONOTIFY was one of the flags openat2 accepts (include/linux/fcntl.h VALID_OPEN_FLAGS); later kernels dropped it from the open flags, so this host refuses the bit (openat ignores it on both)",
  },
  {
    call: 'openat2',
    values: [33554432],
    class: 'semantics',
    real: 'ok',
    shim: 'EINVAL',
    kernels: ['6.12'],
    reason: "6.12's openat2 accepts bit 25 (observed in the guest; there VALID_OPEN_FLAGS still held __FMODE_NONOTIFY, whose FMODE bit had moved from 26), and later kernels dropped __FMODE_NONOTIFY from the open flags, so this host refuses the bit (openat ignores it on both)",
  },
  {
    call: 'statx',
    values: ['STATX_BTIME'],
    class: 'semantics',
    real: 'ok, not reported',
    shim: 'ok, reported',
    kernels: ['5.10'],
    reason: "the probe stats a memfd (tmpfs), whose birth time is reported after 5.10 (6.1 reports it, 5.10 does not); cr-shim does not clear mask bits the persona's filesystem did not fill (docs/BEHAVIOUR.md, new-flags-ignored)",
  },
];
