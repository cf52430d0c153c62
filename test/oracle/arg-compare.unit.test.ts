import { describe, expect, it } from 'vitest';
import { agreementPercent, compareArgProbes, summarizeArgs, type ArgDiffClass } from '../../src/oracle/arg-compare.js';
import type { ArgCase } from '../../src/oracle/arg-cases.js';
import type { ArgRecord } from '../../src/oracle/arg-probe-output.js';
import type { KnownArgDifference } from '../../src/docs/known-arg-differences.js';
import type { ArgValue, ArgTable } from '../../src/tables/arg-table.js';
import type { PlanEntry } from '../../src/plan/types.js';

type Answer = Omit<ArgRecord, 'call' | 'value'>;

interface Case {
  what: string;
  /** The value under test: in the table's demo group unless `unnamed`. */
  value: Partial<ArgValue>;
  unnamed?: boolean;
  real: Answer;
  shim: Answer;
  native: Answer;
  /** An argument rule of the plan on demo's argument 0 that takes the value. */
  rule?: boolean;
  mainline?: string;
  want: ArgDiffClass;
  reason?: RegExp;
}

const KNOWN: KnownArgDifference[] = [
  { call: 'demo', values: ['DEMO_CAP'], class: 'environment', real: '*', shim: 'EPERM', reason: 'needs a capability this machine lacks' },
  { call: 'demo', values: [64], class: 'semantics', real: 'ok', shim: 'EINVAL', kernels: ['6.12'], reason: 'bit 6 meant something else in 6.12' },
];

// Values are in a "demo" value group, mainline 5.10 unless `mainline` says otherwise.
const CASES: Case[] = [
  { what: 'same errno', value: { name: 'DEMO_A', value: 1, by: '5.10' }, real: { errno: 22 }, shim: { errno: 22 }, native: { ret: 0 }, want: 'agree' },
  { what: 'both succeed with different values', value: { name: 'DEMO_A', value: 1, by: '5.10' }, real: { ret: 3 }, shim: { ret: 9 }, native: { ret: 9 }, want: 'agree' },
  { what: 'statx bit reported on one side only', value: { name: 'DEMO_A', value: 1, by: '5.10' }, real: { ret: 0, out: 0 }, shim: { ret: 0, out: 1 }, native: { ret: 0, out: 1 }, want: 'unexplained', reason: /knew DEMO_A/ },
  { what: 'known row, any real answer', value: { name: 'DEMO_CAP', value: 2, by: '5.10' }, real: { ret: 0 }, shim: { errno: 1 }, native: { errno: 1 }, want: 'environment', reason: /capability/ },
  { what: 'known row, other cr-shim answer', value: { name: 'DEMO_CAP', value: 2, by: '5.10' }, real: { ret: 0 }, shim: { errno: 22 }, native: { errno: 22 }, want: 'unexplained' },
  { what: 'known row for another kernel', value: { name: 'DEMO_BIT6', value: 64, by: '5.10' }, real: { ret: 0 }, shim: { errno: 22 }, native: { errno: 22 }, want: 'unexplained' },
  { what: 'known row for this kernel', value: { name: 'DEMO_BIT6', value: 64, by: '5.10' }, real: { ret: 0 }, shim: { errno: 22 }, native: { errno: 22 }, mainline: '6.12', want: 'semantics' },
  { what: 'rule refused a value the kernel knew', value: { name: 'DEMO_NEW', value: 3, since: '5.11', by: '6.1' }, real: { ret: 0 }, shim: { errno: 22 }, native: { ret: 0 }, rule: true, want: 'table', reason: /refused it; the real kernel knew it/ },
  { what: 'cr-shim changed the answer without a rule', value: { name: 'DEMO_A', value: 1, by: '5.10' }, real: { ret: 0 }, shim: { errno: 1 }, native: { ret: 0 }, want: 'unexplained', reason: /cr-shim answered EPERM, this host's kernel ok/ },
  { what: 'unknown to the persona, no rule', value: { name: 'DEMO_NEW', value: 3, since: '6.3', by: '6.12' }, real: { errno: 22 }, shim: { ret: 0 }, native: { ret: 0 }, want: 'no-rule', reason: /5\.10 did not know DEMO_NEW \(added in 6\.3\)/ },
  { what: 'release left open by the headers', value: { name: 'DEMO_GAP', value: 3, by: '6.1' }, real: { errno: 22 }, shim: { ret: 0 }, native: { ret: 0 }, want: 'table-gap', reason: /leaves 5\.10 open/ },
  { what: 'value the table does not name', value: { name: 'DEMO_A', value: 1, by: '5.10' }, unnamed: true, real: { ret: 0 }, shim: { errno: 22 }, native: { errno: 22 }, want: 'unnamed' },
  { what: 'known to both, host answers otherwise', value: { name: 'DEMO_A', value: 1, by: '5.10' }, real: { errno: 14 }, shim: { errno: 22 }, native: { errno: 22 }, want: 'unexplained', reason: /5\.10 knew DEMO_A/ },
];

function tableWith(v: ArgValue | undefined): ArgTable {
  return {
    arch: 'x86_64',
    releases: ['5.10', '6.1', '6.12'],
    sources: [{ name: 'test', version: '1', facts: ['values'] }],
    groups: { demo: { title: 'demo options', syscalls: ['demo'], arg: 0, kind: 'value', headers: [], values: v ? [v] : [] } },
  };
}

describe('compareArgProbes', () => {
  it.each(CASES)('$what -> $want', (c) => {
    const value: ArgValue = { name: 'DEMO', value: 1, by: '5.10', source: 'test source', ...c.value };
    const argCase: ArgCase = { group: 'demo', syscall: 'demo', call: 'demo', value: value.value, name: c.unnamed ? 'unnamed' : value.name, named: !c.unnamed };
    const plan: PlanEntry[] = [{
      nr: 500, name: 'demo', action: { kind: 'allow' }, reason: 'same on both kernels', basis: 'same',
      ...(c.rule ? { argRules: [{ arg: 0, match: { kind: 'in', values: [value.value] }, action: { kind: 'errno', errno: 22 }, reason: 'demo options: DEMO_NEW not yet in 5.10 (EINVAL)' }] } : {}),
    }];
    const at = (a: Answer) => ({ release: 'r', results: [{ call: 'demo', value: value.value, ...a }] });
    const [row] = compareArgProbes({
      cases: [argCase], real: at(c.real), shim: at(c.shim), native: at(c.native),
      table: tableWith(c.unnamed ? undefined : value), mainline: c.mainline ?? '5.10', plan, known: KNOWN,
    });
    expect(row!.class).toBe(c.want);
    if (c.reason) expect(row!.reason).toMatch(c.reason);
  });

  it('skips a case one side did not answer, and summarizes per group', () => {
    const cases: ArgCase[] = [1, 2, 3].map((value) => ({ group: 'demo', syscall: 'demo', call: 'demo', value, name: 'unnamed', named: false }));
    const rows = compareArgProbes({
      cases,
      real: { release: 'r', results: [{ call: 'demo', value: 1, ret: 0 }, { call: 'demo', value: 2, errno: 22 }, { call: 'demo', value: 3, ret: 0 }] },
      shim: { release: 'r', results: [{ call: 'demo', value: 1, ret: 0 }, { call: 'demo', value: 2, ret: 0 }] },
      native: { release: 'r', results: [{ call: 'demo', value: 1, ret: 0 }, { call: 'demo', value: 2, ret: 0 }, { call: 'demo', value: 3, ret: 0 }] },
      table: tableWith(undefined), mainline: '5.10', plan: [], known: [],
    });
    expect(summarizeArgs(rows)).toEqual({ probed: 2, agree: 1, byClass: { unnamed: 1 }, byGroup: { 'demo (demo)': { probed: 2, agree: 1 } } });
  });

  it.each([
    [{ probed: 634, agree: 628 }, 99],
    [{ probed: 634, agree: 627 }, 98.8],
    [{ probed: 97, agree: 96 }, 98.9],
    [{ probed: 0, agree: 0 }, 100],
  ])('agreement of %o is %d% (rounded down)', (s, want) => {
    expect(agreementPercent(s)).toBe(want);
  });
});
