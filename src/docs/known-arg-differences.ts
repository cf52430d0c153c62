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
    call: 'prctl',
    values: ['PR_SET_PTRACER'],
    class: 'host-build',
    real: 'ok',
    shim: 'EINVAL',
    reason: "PR_SET_PTRACER is answered by the Yama LSM (security/yama/yama_lsm.c); this host's kernel does not enable Yama (CONFIG_LSM leaves it out), so the option falls through to EINVAL",
  },
  {
    call: 'madvise-nopages',
    values: ['MADV_HWPOISON', 'MADV_SOFT_OFFLINE'],
    class: 'host-build',
    real: 'ok',
    shim: 'EINVAL',
    reason: "this host's kernel is built without CONFIG_MEMORY_FAILURE, so madvise_behavior_valid() refuses the advice; Debian's build has it",
  },
  {
    call: 'socket',
    values: ['AF_VSOCK'],
    class: 'environment',
    real: 'EAFNOSUPPORT',
    shim: 'ENODEV',
    reason: "Debian builds vsock as a module (CONFIG_VSOCKETS=m) and the oracle's initramfs loads none, so the guest has no such family; this host has it built in with no transport (ENODEV)",
  },
  {
    call: 'getsockopt',
    values: ['SO_TIMESTAMPING_NEW'],
    class: 'semantics',
    real: 'ENOPROTOOPT',
    shim: 'ok',
    kernels: ['5.10'],
    reason: "getsockopt learned SO_TIMESTAMPING_NEW after 5.10 (6.1 answers it); setsockopt knew it in 5.10, so the table dates the value for both and no rule refuses it",
  },
  {
    call: 'setsockopt',
    values: ['SO_TXREHASH'],
    class: 'semantics',
    real: 'ok',
    shim: 'EOPNOTSUPP',
    reason: "this host's kernel answers SO_TXREHASH on TCP sockets only (EOPNOTSUPP on the probe's UDP socket and on unix, checked here); 6.1 and 6.12 accepted it on any socket; not translated",
  },
  {
    call: 'getsockopt',
    values: ['SO_TXREHASH'],
    class: 'semantics',
    real: 'ok',
    shim: 'EOPNOTSUPP',
    reason: "as for setsockopt: this host's kernel answers SO_TXREHASH only on TCP sockets; not translated",
  },
  {
    call: 'setsockopt',
    values: ['SO_PASSPIDFD'],
    class: 'semantics',
    real: 'ok',
    shim: 'EOPNOTSUPP',
    reason: "this host's kernel answers SO_PASSPIDFD on unix sockets only (EOPNOTSUPP on the probe's UDP socket, checked here on TCP and unix too), as SO_PASSCRED since 6.16; 6.1 and 6.12 accepted it on any socket; the so-passcred-inet behaviour row translates SO_PASSCRED and SO_PASSSEC only",
  },
  {
    call: 'getsockopt',
    values: ['SO_PASSPIDFD'],
    class: 'semantics',
    real: 'ok',
    shim: 'EOPNOTSUPP',
    reason: "as for setsockopt: this host's kernel answers SO_PASSPIDFD on unix sockets only; the so-passcred-inet behaviour row covers SO_PASSCRED and SO_PASSSEC only",
  },
];
