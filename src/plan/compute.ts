/**
 * From the persona's table and the host's, one action per syscall number.
 * Pure: no I/O, so every verdict can be unit-tested as data.
 *
 *   persona lacks the call               → errno ENOSYS, in BPF (no round trip)
 *   registry row applies                 → its errno in BPF, or notify its handler
 *   persona and host both have it        → allow (the kernel's action cache skips the filter)
 *   persona has it, host lacks, no row   → errno ENOSYS, listed as unsupported
 */
import type { Arch } from '../arch.js';
import type { SyscallEntry, SyscallTable } from '../tables/types.js';
import { emulationFor } from '../handlers/registry.js';
import { errno } from '../native/errno.js';
import type { Action, ArchPlan, ArgRule, Plan, PlanEntry } from './types.js';
import type { ArgTable } from '../tables/arg-table.js';
import { argRulesFor } from './arg-rules.js';
import { behaviourRules } from '../handlers/behaviours.js';
import { strictModeRules } from '../handlers/strict-mode.js';

const ENOSYS: Action = { kind: 'errno', errno: errno('ENOSYS') };

const has = (e: SyscallEntry | undefined): e is SyscallEntry & { status: 'present' | 'gutted' } =>
  e !== undefined && (e.status === 'present' || e.status === 'gutted');

export interface ArchInput {
  arch: Arch;
  persona: SyscallTable;
  host: SyscallTable;
  /** Table names of calls the running host kernel does not implement (its build config). */
  hostMissing: ReadonlySet<string>;
  /** The persona is the host's own kernel build. */
  sameKernel?: boolean;
  /** Argument values per release (tables/args/<arch>.json), for this arch; none: no argument rules. */
  argTable?: ArgTable;
  /** Options that turn behaviour rows on (e.g. TIOCSTI, a known hole). */
  behaviourOptions?: ReadonlySet<string>;
  /** Features the host's build lacks (HostProbe.lacks), which behaviour rows answer for. */
  hostLacks?: ReadonlySet<string>;
  /** How the supervised tree is started; default: opens trapped, io_uring refused. */
  view?: PlanView;
}

/** What about the supervised tree changes the plan beyond the two tables. */
export interface PlanView {
  /** run's launcher bind-mounts the identity files in a private mount namespace (restore and attach cannot). */
  identityMounted: boolean;
  /** --allow-io-uring: io_uring_setup is let through although its requests bypass seccomp. */
  ioUring: boolean;
}

export const DEFAULT_VIEW: PlanView = { identityMounted: false, ioUring: false };

export function planArch(input: ArchInput): ArchPlan {
  const { arch, persona, host, hostMissing } = input;
  const byNr = new Map<number, { p?: SyscallEntry; h?: SyscallEntry }>();
  for (const e of persona.syscalls) byNr.set(e.nr, { ...byNr.get(e.nr), p: e });
  for (const e of host.syscalls) byNr.set(e.nr, { ...byNr.get(e.nr), h: e });

  const entries: PlanEntry[] = [];
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    const { p, h } = byNr.get(nr)!;
    const name = p?.name ?? h!.name;
    const entry: PlanEntry = { nr, name, ...decide(arch, persona.release, p, h, hostMissing, input.sameKernel ?? false, input.view ?? DEFAULT_VIEW) };
    const rules = [...strictRules(input, entry), ...(input.sameKernel ? [] : argRules(input, entry))];
    if (rules.length > 0) entry.argRules = rules;
    entries.push(entry);
  }
  return { arch, personaRelease: persona.release, hostRelease: host.release, entries, otherwise: ENOSYS };
}

function decide(
  arch: Arch, personaRelease: string, p: SyscallEntry | undefined, h: SyscallEntry | undefined, hostMissing: ReadonlySet<string>, sameKernel: boolean, view: PlanView,
): Pick<PlanEntry, 'action' | 'reason' | 'basis'> {
  if (!has(p)) {
    const why = p?.status === 'removed' ? (p.changedIn ? `removed in ${p.changedIn}` : p.note ?? 'removed') : `not yet in ${personaRelease}`;
    return { action: ENOSYS, reason: why, basis: 'absent' };
  }
  const hostHas = has(h) && h.name === p.name && !hostMissing.has(p.name);
  const rule = emulationFor(p.name, { arch, personaRelease, personaStatus: p.status, hostHas, sameKernel, ...view });
  if (rule !== undefined) {
    if ('errno' in rule) return { action: { kind: 'errno', errno: errno(rule.errno) }, reason: rule.note, basis: 'emulated' };
    return { action: { kind: 'notify', handler: rule.handler }, reason: rule.note, basis: 'emulated' };
  }
  if (hostHas) return { action: { kind: 'allow' }, reason: 'same on both kernels', basis: 'same' };
  return { action: ENOSYS, reason: 'the host lacks it and cr-shim has no emulation', basis: 'unsupported' };
}

/** Strict-mode requests go to the supervisor under every persona, the host's own too (handlers/strict-mode.ts). */
function strictRules(input: ArchInput, e: PlanEntry): ArgRule[] {
  return e.action.kind === 'errno' ? [] : strictModeRules(input.arch, e.name);
}

/**
 * Argument rules of a call the persona has and the filter lets through (allow, or a handler):
 * values the persona's kernel did not know first (refused as it refused them, whatever a row
 * traps), then behaviour rows' traps (they send chosen values to a handler).
 */
function argRules(input: ArchInput, e: PlanEntry): ArgRule[] {
  if (e.action.kind === 'errno') return [];
  const facts = { arch: input.arch, personaRelease: input.persona.release, options: input.behaviourOptions ?? new Set<string>(), hostLacks: input.hostLacks ?? new Set<string>() };
  return [...argRulesFor(input.argTable, input.persona.release, e.name), ...behaviourRules(e.name, facts)];
}

export function computePlan(persona: string, inputs: ArchInput[]): Plan {
  return {
    persona,
    arches: inputs.map(planArch),
    // x32 is a separate ABI this host was not built with (CONFIG_X86_X32_ABI unset) and no table describes.
    x32: ENOSYS,
    unknownArch: ENOSYS,
  };
}
