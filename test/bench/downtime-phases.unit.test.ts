/** Where a restore's downtime goes: phase traces of runs summarized per phase, as data. */
import { describe, expect, it } from 'vitest';
import { phaseRows, phaseSummaries, RESUMED, type TracedRun } from '../../src/bench/downtime-phases.js';

/** Two runs, started at t0 1000 and 5000: [proc, phase, start after t0, duration] per record. */
const RUNS: { t0: number; resumedAfter: number; records: [string, string, number, number][] }[] = [
  { t0: 1000, resumedAfter: 300, records: [['cli', 'client: connect', 150, 10], ['serve', 'criu restore', 170, 100], ['serve', 'criu restore', 280, 5]] },
  // The service's next spare worker plans after the program ran: not downtime.
  { t0: 5000, resumedAfter: 340, records: [['serve', 'criu restore', 190, 120], ['cli', 'client: connect', 170, 20], ['worker', 'worker: routes (ahead)', 400, 100]] },
];

const traced: TracedRun[] = RUNS.map((r) => ({
  t0: r.t0,
  resumedAt: r.t0 + r.resumedAfter,
  records: r.records.map(([proc, phase, at, took]) => ({ proc, phase, start: r.t0 + at, end: r.t0 + at + took })),
}));

/** [phase, proc, median start after t0, median duration], in the table's order. */
const EXPECTED: [string, string, number, number][] = [
  ['client: connect', 'cli', 160, 15],
  // A phase that repeats in a run counts once, its first time.
  ['criu restore', 'serve', 180, 110],
  [RESUMED, 'program', 320, 0],
];

describe('phaseSummaries', () => {
  it('per phase its median start and duration over the runs, by start, then the program', () => {
    expect(phaseSummaries(traced).map((p) => [p.phase, p.proc, p.at.median, p.took.median])).toEqual(EXPECTED);
  });

  it('no runs: no rows', () => {
    expect(phaseSummaries([])).toEqual([]);
  });
});

describe('phaseRows', () => {
  it('a header naming the row, one line per phase; the program has a start but no duration', () => {
    const rows = phaseRows({ row: 'restore-served', phases: phaseSummaries(traced) });
    expect(rows[0]![0]).toBe('phase of `cr-shim restore` through `cr-shim serve` (the front\'s C client: no node start)');
    expect(rows.slice(1).map((r) => r[0])).toEqual(EXPECTED.map((e) => e[0]));
    expect(rows.at(-1)!.slice(3)).toEqual(['', '']);
    expect(rows[1]![2]!.startsWith('+')).toBe(true);
  });
});
