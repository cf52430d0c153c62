import type { Arch } from '../arch.js';

/**
 * What the filter does with one syscall number. Decided in BPF when it depends
 * only on the number (allow, errno); `notify` sends it to the supervisor, which
 * runs the named handler from src/handlers/registry.ts.
 */
export type Action =
  | { kind: 'allow' }
  | { kind: 'errno'; errno: number }
  | { kind: 'notify'; handler: string };

export interface PlanEntry {
  nr: number;
  /** Syscall name in the persona's table (or the host's when the persona lacks it). */
  name: string;
  action: Action;
  /** One line for people: why this action ("not yet in 2.6.32", "same on both kernels", a registry note). */
  reason: string;
  /**
   * absent: the persona's kernel lacks it; same: both kernels have it alike;
   * emulated: a registry row decides; unsupported: the persona had it, the host lacks it, no row.
   */
  basis: 'absent' | 'same' | 'emulated' | 'unsupported';
}

/** The plan for one ABI. Numbers not listed get `otherwise`. */
export interface ArchPlan {
  arch: Arch;
  personaRelease: string;
  hostRelease: string;
  /** Sorted by nr, one per number known to the persona's or host's table. */
  entries: PlanEntry[];
  /** For numbers in neither table: ENOSYS, as any kernel answers an unknown number. */
  otherwise: Action;
}

export interface Plan {
  /** The persona's release as the user gave it (e.g. "5.4.0-150-generic"). */
  persona: string;
  arches: ArchPlan[];
  /** x32 numbers (X32_SYSCALL_BIT set) arriving with AUDIT_ARCH_X86_64. */
  x32: Action;
  /** Any AUDIT_ARCH the plan has no section for. */
  unknownArch: Action;
}
