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
  /**
   * Checks on arguments, made in BPF after the number matched: the first rule that matches
   * answers with its action, and a call no rule matches gets `action`. Only on numbers whose
   * action depends on an argument, so every other number stays provably constant for the
   * kernel's action cache.
   */
  argRules?: ArgRule[];
}

/**
 * One argument check. Compares the argument's low 32 bits: every argument a rule reads is an
 * int or unsigned int in the kernel (prctl's option, fcntl's cmd, madvise's advice,
 * getrandom's flags, socket's family, setsockopt's level and optname), so the high half is
 * ignored by the kernel too.
 */
export interface ArgRule {
  /** Argument index, 0..5. */
  arg: number;
  /** in: the argument is one of `values`; anyBit: it has a bit of `mask` set. */
  match: { kind: 'in'; values: number[] } | { kind: 'anyBit'; mask: number };
  /** Applies only when this other argument equals `equals` (SOL_SOCKET for socket options). */
  when?: { arg: number; equals: number };
  action: Action;
  /** One line for people: which values and why ("PR_GET_AUXV, PR_GET_MDWE: not yet in 6.1"). */
  reason: string;
}

/** A notify rule as the supervisor reads it: which handler takes the calls it matches. */
export type ArgRoute = Pick<ArgRule, 'arg' | 'match' | 'when'> & { handler: string };

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
