/** A small bench report, as data, for the renderers' tests (no run behind it). */
import { evaluateGoals } from '../../src/bench/goals.js';
import { benchScenarios } from '../../src/bench/scenarios.js';
import { summarize } from '../../src/bench/stats.js';
import type { BenchReport, Cell } from '../../src/bench/types.js';

export function cell(scenario: string, target: string, threads: number, values: number[], peakRssKiB?: number): Cell {
  return {
    scenario,
    target,
    threads,
    unit: scenario === 'startup' ? 'ms' : 'ns',
    samples: values.map((value) => (peakRssKiB === undefined ? { value } : { value, peakRssKiB })),
    summary: summarize(values),
  };
}

/** Two calls scenarios and the start-up; native and ptrace ran, runsc did not. */
export function fixtureReport(cells: Cell[]): BenchReport {
  const all = benchScenarios({ refused: { nr: 451, name: 'cachestat' }, unimplemented: { nr: 184, name: 'tuxcall' } });
  return {
    format: 2,
    tool: 'cr-shim bench',
    host: { date: '2026-11-27T08:00:00.000Z', kernel: '6.18.44', cpuModel: 'AMD EPYC', cpus: 2, node: 'v20.20.2', loadStart: [1, 2, 3], loadEnd: [1.5, 2, 3] },
    config: { kernel: '5.10', calls: 100, budgetMs: 250, threads: [1, 2], rounds: 1, refused: { nr: 451, name: 'cachestat' }, wallSeconds: 100 },
    scenarios: all.filter((s) => ['left-alone', 'refused', 'startup'].includes(s.id)),
    targets: [
      { id: 'native', title: 'native', note: 'no filter' },
      { id: 'ptrace', title: 'cr-shim ptrace', note: 'ptrace' },
      { id: 'runsc', title: 'gVisor runsc', note: 'user-space kernel', unavailable: 'not installed' },
    ],
    cells,
    goals: evaluateGoals(cells),
  };
}

export const MATRIX_CELLS: Cell[] = [
  cell('left-alone', 'native', 1, [100]),
  cell('left-alone', 'ptrace', 1, [120, 130]),
  cell('refused', 'ptrace', 2, [90_000]),
  cell('startup', 'native', 1, [1.5]),
];
