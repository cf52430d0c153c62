/**
 * Compare a real kernel's argument probe with the same probe under `cr-shim run --kernel <that
 * release>`, case by case, and say why each difference exists; this host's own answer (the
 * probe without cr-shim) tells cr-shim's translations from the host kernel's answers passed
 * through. Pure: no I/O.
 *
 * Classes, tried in this order for a difference:
 *   known        a row of KNOWN_ARG_DIFFERENCES (call, value, both outcomes and the kernel match)
 *   table        cr-shim's argument rule refused a value the real kernel knew: the argument
 *                table says the release lacked it (a fact to correct in scripts/gen-arg-tables.ts)
 *   no-rule      the persona's kernel did not know the value (the table proves it) and cr-shim
 *                lets it through to this host's kernel: no argument rule covers the call
 *   table-gap    the persona's kernel did not know the value; the table leaves its release
 *                open (between two Debian releases' headers), so no rule refuses it
 *   unnamed      the table does not name the value, and this host's kernel answers it otherwise
 *   unexplained  none of the above
 */
import { knownIn, type ArgTable } from '../tables/arg-table.js';
import type { ArgRule, PlanEntry } from '../plan/types.js';
import { errnoName, type Outcome } from '../persona/probe-result.js';
import type { ArgCase } from './arg-cases.js';
import { argOutcomes, caseKey, type ArgProbeResult } from './arg-probe-output.js';
import { KNOWN_ARG_DIFFERENCES, type KnownArgClass, type KnownArgDifference } from '../docs/known-arg-differences.js';

export type ArgDiffClass = 'agree' | 'table' | 'no-rule' | 'table-gap' | 'unnamed' | KnownArgClass | 'unexplained';

export interface ArgCompareRow {
  group: string;
  syscall: string;
  call: string;
  value: number;
  name: string;
  real: Outcome;
  shim: Outcome;
  /** This host's answer without cr-shim. */
  native: Outcome;
  agrees: boolean;
  class: ArgDiffClass;
  reason: string;
}

export interface ArgCompareInput {
  cases: readonly ArgCase[];
  real: ArgProbeResult;
  shim: ArgProbeResult;
  native: ArgProbeResult;
  table: ArgTable;
  /** The persona's mainline release ("5.10"). */
  mainline: string;
  /** The x86_64 plan cr-shim ran with (its argument rules). */
  plan: readonly PlanEntry[];
  known?: readonly KnownArgDifference[];
}

/** Does a rule's match take this value (its `when` aside: the probe's other arguments meet it)? */
function ruleTakes(rule: ArgRule, value: number): boolean {
  const low = Number(BigInt(value) & 0xffffffffn);
  return rule.match.kind === 'in' ? rule.match.values.includes(low) : (low & rule.match.mask) >>> 0 !== 0;
}

/** One row per case probed on all three sides, in case order. */
export function compareArgProbes(input: ArgCompareInput): ArgCompareRow[] {
  const real = argOutcomes(input.real);
  const shim = argOutcomes(input.shim);
  const native = argOutcomes(input.native);
  const known = input.known ?? KNOWN_ARG_DIFFERENCES;
  const rows: ArgCompareRow[] = [];
  for (const c of input.cases) {
    const key = caseKey(c.call, c.value);
    const r = real.get(key);
    const s = shim.get(key);
    const n = native.get(key);
    if (r === undefined || s === undefined || n === undefined) continue;
    const row: ArgCompareRow = { group: c.group, syscall: c.syscall, call: c.call, value: c.value, name: c.name, real: r, shim: s, native: n, agrees: r === s, class: 'agree', reason: '' };
    if (!row.agrees) Object.assign(row, classify(c, row, input, known));
    rows.push(row);
  }
  return rows;
}

function classify(c: ArgCase, row: ArgCompareRow, input: ArgCompareInput, known: readonly KnownArgDifference[]): { class: ArgDiffClass; reason: string } {
  const names = c.name.split('/');
  const k = known.find(
    (d) =>
      d.call === c.call &&
      (d.values.includes(c.value) || d.values.some((v) => typeof v === 'string' && names.includes(v))) &&
      (d.real === '*' || d.real === row.real) &&
      (d.shim === '*' || d.shim === row.shim) &&
      (!d.kernels || d.kernels.includes(input.mainline)),
  );
  if (k) return { class: k.class, reason: k.reason };
  const group = input.table.groups[c.group];
  const value = group?.values.find((v) => v.value === c.value);
  const entry = input.plan.find((e) => e.name === c.syscall);
  const rule = entry?.argRules?.find((x) => x.arg === group?.arg && ruleTakes(x, c.value));
  if (row.shim !== row.native) {
    if (rule && rule.action.kind === 'errno' && row.shim === errnoName(rule.action.errno)) {
      return { class: 'table', reason: `cr-shim's rule (${rule.reason}) refused it; the real kernel knew it: ${value?.source ?? 'no source'}` };
    }
    return { class: 'unexplained', reason: rule ? `cr-shim's rule: ${rule.reason}` : `cr-shim answered ${row.shim}, this host's kernel ${row.native}` };
  }
  if (value === undefined) {
    return { class: 'unnamed', reason: `tables/args/x86_64.json does not name this value; this host's kernel answers ${row.native}, ${input.real.release} ${row.real}` };
  }
  const knew = knownIn(value, input.mainline, c.syscall);
  const own = value.syscalls?.[c.syscall];
  const dated = own ? `${c.syscall} learned it in ${own.since}` : value.since ? `added in ${value.since}` : value.after ? `not in ${value.after}'s headers` : `in ${value.by}'s headers`;
  if (knew === 'no') {
    return { class: 'no-rule', reason: `${input.mainline} did not know ${value.name} (${dated}); no argument rule for ${c.syscall} refuses it, so this host's kernel answers` };
  }
  if (knew === 'unknown') {
    return { class: 'table-gap', reason: `${value.name}: ${dated}, the table leaves ${input.mainline} open, so no rule refuses it` };
  }
  return { class: 'unexplained', reason: `${input.mainline} knew ${value.name} (${dated}); this host's kernel answers ${row.native}` };
}

export interface ArgSummary {
  probed: number;
  agree: number;
  byClass: Partial<Record<ArgDiffClass, number>>;
  /** Per group: cases probed and agreeing. */
  byGroup: Record<string, { probed: number; agree: number }>;
}

export function summarizeArgs(rows: readonly ArgCompareRow[]): ArgSummary {
  const s: ArgSummary = { probed: 0, agree: 0, byClass: {}, byGroup: {} };
  for (const r of rows) {
    s.probed++;
    const g = (s.byGroup[`${r.group} (${r.syscall})`] ??= { probed: 0, agree: 0 });
    g.probed++;
    if (r.agrees) {
      s.agree++;
      g.agree++;
    } else {
      s.byClass[r.class] = (s.byClass[r.class] ?? 0) + 1;
    }
  }
  return s;
}

/** Agreement in percent, one decimal, rounded down (so 98.96 is not shown as 99.0). */
export function agreementPercent(s: Pick<ArgSummary, 'probed' | 'agree'>): number {
  return s.probed === 0 ? 100 : Math.floor((s.agree * 1000) / s.probed) / 10;
}
