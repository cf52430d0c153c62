import type { Arch } from '../arch.js';

/**
 * One kernel release's syscall surface for one ABI, as stored in
 * tables/<arch>/linux-<release>.json and validated by tables/schema/syscall-table.schema.json.
 */
export interface SyscallTable {
  arch: Arch;
  /** Mainline release, "X.Y" (or "2.6.Z"). */
  release: string;
  /** Where each kind of fact came from; every table names at least one. */
  sources: TableSource[];
  /** Set when part of the table came from probing a live kernel rather than reference data. */
  probe?: {
    kernel: string;
    date: string;
    method: string;
    note: string;
    /** Table names that the probed kernel does not build (weak stub) or answers with ENOSYS. */
    missing?: string[];
  };
  notes?: string[];
  syscalls: SyscallEntry[];
}

export interface TableSource {
  /** Short id: "systrack", "libseccomp", "man-pages", "probe", "cr-shim". */
  name: string;
  /** Version or date of the source data. */
  version: string;
  /** Which facts it supplied: "numbers", "signatures", "first version", "removals". */
  facts: string[];
  /** File in ../shared/reference it was read from, or the probe used. */
  file?: string;
}

/**
 * - present: the release implements it.
 * - gutted: the slot still answers but the feature is gone (e.g. _sysctl 5.5 to 5.8).
 * - removed: an earlier release had it and this one does not (ENOSYS); kept for history.
 */
export type SyscallStatus = 'present' | 'gutted' | 'removed';

export interface SyscallEntry {
  nr: number;
  /** The table (user-visible) name, e.g. "uname", "_sysctl", "stat"; not the kernel function name. */
  name: string;
  status: SyscallStatus;
  /** Argument declarations as in the kernel source, e.g. ["const char *filename", "int flags"]. */
  args: string[];
  /** First mainline release with this syscall on this ABI. */
  since?: string;
  /** For removed: the first release without it. For gutted: the first release where it was gutted. */
  changedIn?: string;
  /** Kconfig option that gates it, e.g. "CONFIG_MODULES". */
  kconfig?: string;
  /**
   * Kernel entry symbol found in vmlinux for this slot (Systrack), e.g. "__x64_sys_newuname" or,
   * before 4.17, "sys_newuname". The host probe looks it up in /proc/kallsyms.
   */
  entry?: string;
  note?: string;
}
