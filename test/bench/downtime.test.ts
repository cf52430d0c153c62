/**
 * Checkpoint downtime, plain CRIU vs cr-shim: the table's verdicts as data, and one real
 * alternation of each comparison (stamp under cr-shim run, real CRIU) whose numbers must be
 * measurements of what it claims: positive, and the program ran after each dump and restore.
 */
import { describe, expect, it } from 'vitest';
import { DOWNTIME_LIMIT_MS, measureDowntime } from '../../src/bench/downtime.js';
import { downtimeRows } from '../../src/bench/downtime-table.js';
import { summarize } from '../../src/bench/stats.js';
import type { DowntimeReport } from '../../src/bench/types.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { FRONT_PATH } from '../helpers/run-cli.js';
import { requireShimBuilt } from '../helpers/require-build.js';

requireShimBuilt();

const VERDICTS = [
  { why: 'cr-shim 0.1 s slower: within the goal', criu: [240, 260], crShim: [340, 360], verdict: 'PASS' },
  { why: 'cr-shim exactly 0.25 s slower: still within', criu: [200], crShim: [450], verdict: 'PASS' },
  { why: 'cr-shim 1.5 s slower: a miss', criu: [240, 250], crShim: [1740, 1750], verdict: 'MISS' },
];

describe('downtimeRows', () => {
  it.each(VERDICTS)('$why', ({ criu, crShim, verdict }) => {
    const report: DowntimeReport = {
      runs: criu.length,
      criu: '4.2.1 (/x/criu)',
      rows: [{ id: 'restore', title: 'restore', criu: summarize(criu), crShim: summarize(crShim), delta: crShim[0]! - criu[0]!, limitMs: DOWNTIME_LIMIT_MS }],
    };
    const [head, row] = downtimeRows(report);
    expect(head![0]).toBe('downtime');
    expect(row!.at(-1)).toBe(verdict);
  });
});

describe('measureDowntime on this machine', () => {
  it('one alternation: dump and restore (in process and handed to cr-shim serve), plain CRIU and cr-shim, each a positive time', async () => {
    await ensureCriu();
    const d = await measureDowntime('5.10', FRONT_PATH, 1, process.env);
    expect(d.rows.map((r) => r.id)).toEqual(['dump', 'restore', 'restore-served']);
    // The traced phases of the served restore, in the order they run, ending with the program's instruction.
    const served = d.phases!.find((p) => p.row === 'restore-served')!.phases.map((p) => p.phase);
    const order = ['client: connect', 'serve: image checks', 'criu restore', 'serve: inject', 'serve: resume', "program's next instruction"];
    expect(order.map((name) => served.indexOf(name))).toEqual(order.map((name) => served.indexOf(name)).sort((a, b) => a - b));
    expect(order.every((name) => served.includes(name))).toBe(true);
    for (const r of d.rows) {
      for (const s of [r.criu, r.crShim]) {
        expect(s.n).toBe(1);
        expect(s.median).toBeGreaterThan(0);
        expect(Number.isFinite(s.median)).toBe(true);
      }
    }
  }, SETUP_TIMEOUT_MS);
});
