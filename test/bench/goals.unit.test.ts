/** Goal evaluation, verdicts as data (cases/goals.json); no timing is measured here. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/bench/stats.js';
import { evaluateGoal, evaluateGoals, GOALS, PEAK_RSS_LIMIT_KIB } from '../../src/bench/goals.js';
import type { Cell, GoalResult } from '../../src/bench/types.js';

interface Row {
  name: string;
  goal: string;
  target: number[];
  baseline: number[];
  expect: Partial<Pick<GoalResult, 'verdict' | 'value' | 'low' | 'high' | 'clear' | 'best'>>;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/goals.json', import.meta.url), 'utf8')) as { rows: Row[] };

function cell(scenario: string, target: string, values: number[], rss?: number[], threads = 1): Cell {
  return {
    scenario,
    target,
    threads,
    unit: scenario === 'startup' ? 'ms' : 'ns',
    samples: values.map((value, i) => (rss?.[i] === undefined ? { value } : { value, peakRssKiB: rss[i] })),
    summary: summarize(values),
  };
}

function goal(id: string) {
  const g = GOALS.find((x) => x.id === id);
  if (!g) throw new Error(`no goal ${id}`);
  return g;
}

describe('evaluateGoal', () => {
  it.each(cases.rows)('$name', (row) => {
    const g = goal(row.goal);
    const r = evaluateGoal(g, [cell(g.scenario, g.target, row.target), cell(g.scenario, g.baseline, row.baseline)]);
    for (const [k, v] of Object.entries(row.expect)) {
      if (typeof v === 'number') expect(r[k as keyof GoalResult], k).toBeCloseTo(v, 9);
      else expect(r[k as keyof GoalResult], k).toBe(v);
    }
  });

  it('is N/A, naming what did not run, when a cell is missing', () => {
    const r = evaluateGoal(goal('translated'), [cell('fake', 'notify', [1])]);
    expect(r.verdict).toBe('N/A');
    expect(r.reason).toMatch(/c-supervisor did not run fake/);
  });

  it('judges the one-thread cells only', () => {
    const g = goal('passthrough');
    const cells = [cell('left-alone', 'notify', [5000], undefined, 2), cell('left-alone', 'native', [1000], undefined, 2)];
    expect(evaluateGoal(g, cells).verdict).toBe('N/A');
    cells.push(cell('left-alone', 'notify', [1010]), cell('left-alone', 'native', [1000]));
    expect(evaluateGoal(g, cells)).toMatchObject({ verdict: 'PASS', value: 10 });
  });

  it('judges memory on the largest peak RSS of any notify run', () => {
    const under = Math.floor(PEAK_RSS_LIMIT_KIB) - 1;
    const cells = [cell('fake', 'notify', [1, 1], [60000, under]), cell('startup', 'notify', [1], [50000]), cell('fake', 'native', [1])];
    expect(evaluateGoal(goal('memory'), cells)).toMatchObject({ verdict: 'PASS', value: under, low: 50000 });
    cells.push(cell('left-alone', 'notify', [1], [Math.ceil(PEAK_RSS_LIMIT_KIB)]));
    expect(evaluateGoal(goal('memory'), cells).verdict).toBe('MISS');
    expect(evaluateGoal(goal('memory'), [cell('fake', 'notify', [1])]).verdict).toBe('N/A');
  });

  it('compares CPU times for a cpu goal, and is N/A when a run lacks them', () => {
    const withCpu = (scenario: string, target: string, wall: number[], cpu: number[]): Cell => ({
      ...cell(scenario, target, wall),
      samples: wall.map((value, i) => ({ value, cpu: cpu[i]! })),
      cpuSummary: summarize(cpu),
    });
    const g = goal('passthrough-cpu');
    const cells = [withCpu('left-alone', 'notify', [3000, 3000], [1020, 1030]), withCpu('left-alone', 'native', [1000, 1000], [1000, 1000])];
    expect(evaluateGoal(g, cells)).toMatchObject({ verdict: 'PASS', value: 25, measured: 1025, baseline: 1000, best: 20, clear: true });
    expect(evaluateGoal(goal('passthrough'), cells)).toMatchObject({ verdict: 'MISS', value: 2000 });
    expect(evaluateGoal(g, [cells[0]!, cell('left-alone', 'native', [1000])])).toMatchObject({ verdict: 'N/A', reason: 'no CPU time for native' });
  });

  it('reads 80 MB as 80·10⁶ bytes', () => {
    expect(PEAK_RSS_LIMIT_KIB * 1024).toBe(80e6);
  });

  it('evaluates every goal, in order', () => {
    expect(evaluateGoals([]).map((r) => r.goal.id)).toEqual(GOALS.map((g) => g.id));
  });
});
