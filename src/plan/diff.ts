/**
 * `cr-shim tables diff A B`: what differs between two releases' tables for one ABI, and what
 * cr-shim does about each difference when a program from A runs on a B host (A the persona,
 * B the host). Pure: tables in, rows out.
 *
 *   added    B has it, A had not (yet, or any more)   → refused with ENOSYS under an A persona
 *   removed  A has it, B does not                      → a registry row answers it, or unsupported
 *   gutted   A implements it, B keeps only the slot    → as the plan decides (e.g. _sysctl 5.4 → 5.5)
 *   changed  both have it, but its number, status, signature or Kconfig gate differ
 */
import type { Arch } from '../arch.js';
import { planArch } from './compute.js';
import type { PlanEntry } from './types.js';
import type { SyscallEntry, SyscallStatus, SyscallTable } from '../tables/types.js';
import { verdictOf, type Verdict } from './verdict.js';

export type DiffKind = 'added' | 'removed' | 'gutted' | 'changed';
export const DIFF_KINDS: readonly DiffKind[] = ['removed', 'gutted', 'added', 'changed'];

/** Fields whose difference makes a 'changed' row. */
export type DiffField = 'nr' | 'status' | 'args' | 'kconfig';

/** One release's entry for the call, as the diff shows it. */
export interface DiffSide {
  nr: number;
  status: SyscallStatus;
  args: string[];
  since?: string;
  changedIn?: string;
  kconfig?: string;
  note?: string;
}

export interface DiffRow {
  kind: DiffKind;
  nr: number;
  name: string;
  /** The entry in A (absent if A's table never had the call). */
  from?: DiffSide;
  /** The entry in B (absent if B's table never had the call). */
  to?: DiffSide;
  /** For 'changed': which fields differ, in DiffField order. Empty otherwise. */
  changes: DiffField[];
  /** What cr-shim does with the call under an A persona on a B host. */
  crShim: Verdict;
}

export interface DiffInput {
  arch: Arch;
  /** A: the persona's release. */
  from: SyscallTable;
  /** B: the host's release. */
  to: SyscallTable;
  /** Table names the B host's build lacks; empty for a mainline B kernel. */
  hostMissing: ReadonlySet<string>;
}

const live = (e: SyscallEntry | undefined): e is SyscallEntry => e !== undefined && e.status !== 'removed';

function side(e: SyscallEntry): DiffSide {
  const s: DiffSide = { nr: e.nr, status: e.status, args: e.args };
  if (e.since !== undefined) s.since = e.since;
  if (e.changedIn !== undefined) s.changedIn = e.changedIn;
  if (e.kconfig !== undefined) s.kconfig = e.kconfig;
  if (e.note !== undefined) s.note = e.note;
  return s;
}

function changedFields(a: SyscallEntry, b: SyscallEntry): DiffField[] {
  const out: DiffField[] = [];
  if (a.nr !== b.nr) out.push('nr');
  if (a.status !== b.status) out.push('status');
  if (a.args.length !== b.args.length || a.args.some((x, i) => x !== b.args[i])) out.push('args');
  if (a.kconfig !== b.kconfig) out.push('kconfig');
  return out;
}

function classify(a: SyscallEntry | undefined, b: SyscallEntry | undefined): { kind: DiffKind; changes: DiffField[] } | undefined {
  if (!live(a)) return live(b) ? { kind: 'added', changes: [] } : undefined;
  if (!live(b)) return { kind: 'removed', changes: [] };
  if (a.status === 'present' && b.status === 'gutted') return { kind: 'gutted', changes: [] };
  const changes = changedFields(a, b);
  return changes.length > 0 ? { kind: 'changed', changes } : undefined;
}

/** Every call whose entry differs between A and B, ordered by number (then name). */
export function diffTables(input: DiffInput): DiffRow[] {
  const plan = planArch({ arch: input.arch, persona: input.from, host: input.to, hostMissing: input.hostMissing });
  const planByNr = new Map<number, PlanEntry>(plan.entries.map((e) => [e.nr, e]));
  const a = new Map(input.from.syscalls.map((e) => [e.name, e]));
  const b = new Map(input.to.syscalls.map((e) => [e.name, e]));
  const rows: DiffRow[] = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    const c = classify(x, y);
    if (!c) continue;
    // What the persona dispatches: A's number for a call A has, B's for one only B has.
    const nr = live(x) ? x.nr : (y ?? x)!.nr;
    const p = planByNr.get(nr);
    if (!p) throw new Error(`diff ${input.from.release} ${input.to.release}: no plan entry for ${name} (${nr})`);
    const r: DiffRow = { kind: c.kind, nr, name, changes: c.changes, crShim: verdictOf(name, p) };
    if (x) r.from = side(x);
    if (y) r.to = side(y);
    rows.push(r);
  }
  return rows.sort((p, q) => p.nr - q.nr || p.name.localeCompare(q.name));
}
