/**
 * Compare a real kernel's probe with the same probe under `cr-shim run --kernel <that release>`,
 * number by number, and say why each difference exists. Pure: no I/O.
 *
 * Classes, tried in this order for a difference:
 *   known         a row of KNOWN_DIFFERENCES (name and both outcomes match)
 *   host-build    this host's kernel lacks the call, so cr-shim answers for it (or cannot)
 *   distro-build  the real kernel answers ENOSYS where the persona's table (an all-enabled
 *                 build) has the call: the distribution's Kconfig, a boot parameter or a sysctl
 *   table         the real kernel has a call the persona's table says is absent
 *   unexplained   none of the above
 */
import type { PlanEntry } from '../plan/types.js';
import type { SyscallEntry, SyscallTable } from '../tables/types.js';
import { KNOWN_DIFFERENCES, type KnownClass, type KnownDifference } from '../docs/known-differences.js';
import { outcomes, type Outcome, type ProbeResult } from '../persona/probe-result.js';

export type DiffClass = 'agree' | 'host-build' | 'distro-build' | 'table' | KnownClass | 'unexplained';

export interface CompareRow {
  nr: number;
  /** Table name, or "nr<N>" for a number no table names. */
  name: string;
  real: Outcome;
  shim: Outcome;
  /** Both answer ENOSYS, or neither does ("the kernel has this call"). */
  presenceAgrees: boolean;
  /** Same outcome word (same errno, or both succeed). */
  agrees: boolean;
  class: DiffClass;
  reason: string;
}

export interface CompareInput {
  real: ProbeResult;
  shim: ProbeResult;
  /** The persona's x86_64 table (the release's mainline). */
  table: SyscallTable;
  /** Names for numbers the persona's table lacks (from the newest table). */
  names: ReadonlyMap<number, string>;
  /** The x86_64 plan cr-shim ran with. */
  plan: readonly PlanEntry[];
  /** Table names this host's kernel lacks (HostProbe.missing.x86_64). */
  hostMissing: ReadonlySet<string>;
  /** The real kernel's build configuration (CONFIG_X -> "y", "m", "n"), when known. */
  kconfig?: ReadonlyMap<string, string>;
  known?: readonly KnownDifference[];
}

const absent = (o: Outcome | undefined) => o === 'ENOSYS';

function distroReason(e: SyscallEntry, kernel: string, kconfig: ReadonlyMap<string, string> | undefined): string {
  if (!e.kconfig) return `${kernel} answers ENOSYS; the table (an all-enabled build) has it and names no Kconfig option`;
  const v = kconfig?.get(e.kconfig);
  if (v === undefined) return `${kernel} answers ENOSYS; the call depends on ${e.kconfig}`;
  if (v === 'n') return `${e.kconfig} is not set in ${kernel}'s build`;
  return `${e.kconfig}=${v} in ${kernel}'s build, yet the call answers ENOSYS: switched off at boot or run time`;
}

/** One row per number probed on both sides, in number order. */
export function compareProbes(input: CompareInput): CompareRow[] {
  const real = outcomes(input.real);
  const shim = outcomes(input.shim);
  const byNr = new Map(input.table.syscalls.map((e) => [e.nr, e]));
  const plan = new Map(input.plan.map((e) => [e.nr, e]));
  const known = input.known ?? KNOWN_DIFFERENCES;
  const rows: CompareRow[] = [];
  for (const [nr, r] of [...real].sort((a, b) => a[0] - b[0])) {
    const s = shim.get(nr);
    if (s === undefined) continue;
    const entry = byNr.get(nr);
    const name = entry?.name ?? input.names.get(nr) ?? `nr${nr}`;
    const row: CompareRow = { nr, name, real: r, shim: s, presenceAgrees: absent(r) === absent(s), agrees: r === s, class: 'agree', reason: '' };
    if (!row.agrees) Object.assign(row, classify(name, r, s, entry, plan.get(nr), input, known));
    rows.push(row);
  }
  return rows;
}

function classify(
  name: string,
  real: Outcome,
  shim: Outcome,
  entry: SyscallEntry | undefined,
  planned: PlanEntry | undefined,
  input: CompareInput,
  known: readonly KnownDifference[],
): { class: DiffClass; reason: string } {
  const k = known.find((d) => d.name === name && d.real === real && d.shim === shim);
  if (k) return { class: k.class, reason: k.reason };
  if (input.hostMissing.has(name)) {
    return { class: 'host-build', reason: `this host's kernel lacks it; cr-shim: ${planned?.reason ?? 'no plan entry'}` };
  }
  if (absent(real) && entry !== undefined && entry.status !== 'removed') {
    return { class: 'distro-build', reason: distroReason(entry, input.real.release, input.kconfig) };
  }
  if (!absent(real) && absent(shim) && planned?.basis === 'absent') {
    return { class: 'table', reason: `the table for ${input.table.release} says: ${planned.reason}; the real kernel has the call` };
  }
  return { class: 'unexplained', reason: planned ? `cr-shim's plan: ${planned.action.kind} (${planned.reason})` : 'no plan entry' };
}

export interface CompareSummary {
  probed: number;
  skipped: number;
  presenceAgree: number;
  agree: number;
  byClass: Partial<Record<DiffClass, number>>;
}

export function summarize(rows: readonly CompareRow[]): CompareSummary {
  const s: CompareSummary = { probed: 0, skipped: 0, presenceAgree: 0, agree: 0, byClass: {} };
  for (const r of rows) {
    if (r.real === 'skipped' && r.shim === 'skipped') {
      s.skipped++;
      continue;
    }
    s.probed++;
    if (r.presenceAgrees) s.presenceAgree++;
    if (r.agrees) s.agree++;
    else s.byClass[r.class] = (s.byClass[r.class] ?? 0) + 1;
  }
  return s;
}
