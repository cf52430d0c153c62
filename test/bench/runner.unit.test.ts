/** The one runner: run order (interleaving, rotation, threads), call budgets and the grouping into cells, with stand-in targets. */
import { describe, expect, it } from 'vitest';
import { budgetedCalls, PILOT_CALLS, runAll, runOrder } from '../../src/bench/runner.js';
import type { BenchContext, RunSpec, Scenario, Target } from '../../src/bench/types.js';

const callScenario = (id: string, weight = 1): Scenario => ({ kind: 'calls', id, title: id, call: 'getppid', nativeCall: 'getppid', expect: '', weight, matrix: true, note: '' });
const startup: Scenario = { kind: 'startup', id: 'startup', title: 'startup', argv: ['/bin/true'], perRound: 2, matrix: false, note: '' };

function fake(id: string, only?: string[], maxThreads = 64): Target & { runs: RunSpec[] } {
  let n = 0;
  const runs: RunSpec[] = [];
  return {
    id,
    title: id,
    note: '',
    matrix: true,
    runs,
    unavailable: () => undefined,
    supports: (s, threads) => (!only || only.includes(s.id)) && threads <= maxThreads,
    run: async (r) => {
      runs.push(r);
      return { value: ++n };
    },
  };
}

const ctx = {} as BenchContext;
const plan = { threads: [1], rounds: 1, calls: 1, budgetMs: 250 };

describe('runOrder', () => {
  it('runs every supported cell once per round, rotating the targets', () => {
    const order = runOrder({ ...plan, scenarios: [callScenario('a'), callScenario('b')], targets: [fake('x'), fake('y'), fake('z', ['b'])], rounds: 2 }).map(
      (s) => `${s.round}:${s.scenario.id}:${s.target.id}`,
    );
    expect(order).toEqual([
      '0:a:x', '0:a:y',
      '0:b:x', '0:b:y', '0:b:z',
      '1:a:y', '1:a:x',
      '1:b:y', '1:b:z', '1:b:x',
    ]);
  });

  it('runs calls scenarios at each thread count a target supports, a start-up in one thread', () => {
    const order = runOrder({ ...plan, threads: [1, 8], scenarios: [callScenario('a'), startup], targets: [fake('x'), fake('one', undefined, 1)] }).map(
      (s) => `${s.scenario.id}×${s.threads}:${s.target.id}`,
    );
    expect(order).toEqual(['a×1:x', 'a×1:one', 'a×8:x', 'startup×1:x', 'startup×1:one', 'startup×1:one', 'startup×1:x']);
  });
});

describe('budgetedCalls', () => {
  it.each([
    [200_000, undefined, 250, 200_000],
    [200_000, 100, 250, 200_000],
    [200_000, 100_000, 250, 2_500],
    [200_000, 10_000_000, 250, 500],
    [300, 10_000_000, 250, 300],
  ])('at most %i, pilot %s ns, %i ms → %i', (most, pilot, budget, want) => {
    expect(budgetedCalls(most, pilot, budget)).toBe(want);
  });
});

describe('runAll', () => {
  it('retries a failed run once, saying so, and fails on a second failure', async () => {
    let calls = 0;
    const flaky: Target = { ...fake('f'), run: async () => (++calls === 1 ? Promise.reject(new Error('half-written')) : { value: 7 }) };
    const warnings: string[] = [];
    const cells = await runAll({ ...plan, scenarios: [callScenario('a')], targets: [flaky] }, ctx, { warn: (m) => warnings.push(m) });
    expect(cells[0]!.samples).toEqual([{ value: 7 }]);
    expect(warnings).toEqual(['f a failed, retrying once: half-written']);
    const broken: Target = { ...fake('b'), run: async () => Promise.reject(new Error('really broken')) };
    await expect(runAll({ ...plan, scenarios: [callScenario('a')], targets: [broken] }, ctx, { warn: () => undefined })).rejects.toThrow('really broken');
  });

  it('groups samples into cells in scenario, threads, target order, in run order', async () => {
    const cells = await runAll({ ...plan, rounds: 2, scenarios: [callScenario('a'), startup], targets: [fake('x'), fake('y', ['startup'])] }, ctx);
    expect(cells.map((c) => [c.scenario, c.target, c.threads, c.unit, c.samples.map((s) => s.value)])).toEqual([
      ['a', 'x', 1, 'ns', [1, 4]],
      ['startup', 'x', 1, 'ms', [2, 3, 5, 6]],
      ['startup', 'y', 1, 'ms', [1, 2, 3, 4]],
    ]);
  });

  it('pilots a costly scenario once per target in one thread, then gives each run the calls that fit the budget', async () => {
    const x = fake('x');
    const warnings: string[] = [];
    await runAll({ ...plan, calls: 100_000, budgetMs: 1, scenarios: [callScenario('a', 10)], targets: [x] }, ctx, { warn: (m) => warnings.push(m) });
    // The pilot says 1 ns a call: 1 ms of budget holds 10⁶ calls, more than calls × weight.
    expect(x.runs.map((r) => [r.threads, r.calls])).toEqual([[1, PILOT_CALLS], [1, 1_000_000]]);
    expect(warnings).toEqual(['pilot x a: 1 ns']);
  });
});
