/** Target evaluation, verdicts as data (cases/targets.json); no timing is measured here. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/bench/stats.js';
import { evaluateTarget, evaluateTargets, PEAK_RSS_LIMIT_KIB, TARGETS } from '../../src/bench/targets.js';
import type { Cell, TargetResult } from '../../src/bench/types.js';

interface Row {
  name: string;
  target: string;
  mechanism: number[];
  baseline: number[];
  expect: Partial<Pick<TargetResult, 'verdict' | 'value' | 'low' | 'high' | 'clear' | 'best'>>;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/targets.json', import.meta.url), 'utf8')) as { rows: Row[] };

function cell(scenario: string, mechanism: string, values: number[], rss?: number[]): Cell {
  return {
    scenario,
    mechanism,
    unit: scenario === 'startup' ? 'ms' : 'ns',
    samples: values.map((value, i) => (rss?.[i] === undefined ? { value } : { value, peakRssKiB: rss[i] })),
    summary: summarize(values),
  };
}

function target(id: string) {
  const t = TARGETS.find((x) => x.id === id);
  if (!t) throw new Error(`no target ${id}`);
  return t;
}

describe('evaluateTarget', () => {
  it.each(cases.rows)('$name', (row) => {
    const t = target(row.target);
    const r = evaluateTarget(t, [cell(t.scenario, t.mechanism, row.mechanism), cell(t.scenario, t.baseline, row.baseline)]);
    for (const [k, v] of Object.entries(row.expect)) {
      if (typeof v === 'number') expect(r[k as keyof TargetResult], k).toBeCloseTo(v, 9);
      else expect(r[k as keyof TargetResult], k).toBe(v);
    }
  });

  it('is N/A, naming what did not run, when a cell is missing', () => {
    const r = evaluateTarget(target('translated'), [cell('uname', 'cr-shim', [1])]);
    expect(r.verdict).toBe('N/A');
    expect(r.reason).toMatch(/c-supervisor did not run uname/);
  });

  it('judges memory on the largest peak RSS of any cr-shim run', () => {
    const under = Math.floor(PEAK_RSS_LIMIT_KIB) - 1;
    const cells = [cell('uname', 'cr-shim', [1, 1], [60000, under]), cell('startup', 'cr-shim', [1], [50000]), cell('uname', 'native', [1])];
    expect(evaluateTarget(target('memory'), cells)).toMatchObject({ verdict: 'PASS', value: under, low: 50000 });
    cells.push(cell('getppid', 'cr-shim', [1], [Math.ceil(PEAK_RSS_LIMIT_KIB)]));
    expect(evaluateTarget(target('memory'), cells).verdict).toBe('MISS');
    expect(evaluateTarget(target('memory'), [cell('uname', 'cr-shim', [1])]).verdict).toBe('N/A');
  });

  it('compares CPU times for a cpu target, and is N/A when a run lacks them', () => {
    const withCpu = (scenario: string, mechanism: string, wall: number[], cpu: number[]): Cell => ({
      ...cell(scenario, mechanism, wall),
      samples: wall.map((value, i) => ({ value, cpu: cpu[i]! })),
      cpuSummary: summarize(cpu),
    });
    const t = target('passthrough-cpu');
    const cells = [withCpu('getppid', 'cr-shim', [3000, 3000], [1020, 1030]), withCpu('getppid', 'native', [1000, 1000], [1000, 1000])];
    expect(evaluateTarget(t, cells)).toMatchObject({ verdict: 'PASS', value: 25, measured: 1025, baseline: 1000, best: 20, clear: true });
    expect(evaluateTarget(target('passthrough'), cells)).toMatchObject({ verdict: 'MISS', value: 2000 });
    expect(evaluateTarget(t, [cells[0]!, cell('getppid', 'native', [1000])])).toMatchObject({ verdict: 'N/A', reason: 'no CPU time for native' });
  });

  it('reads 80 MB as 80·10⁶ bytes', () => {
    expect(PEAK_RSS_LIMIT_KIB * 1024).toBe(80e6);
  });

  it('evaluates every target, in order', () => {
    expect(evaluateTargets([]).map((r) => r.target.id)).toEqual(TARGETS.map((t) => t.id));
  });
});
