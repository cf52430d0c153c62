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
];
