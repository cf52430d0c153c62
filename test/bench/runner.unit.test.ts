/** The run order (interleaving, rotation) and the grouping into cells, with stand-in mechanisms. */
import { describe, expect, it } from 'vitest';
import { runAll, runOrder } from '../../src/bench/runner.js';
import type { BenchContext, Mechanism, Scenario } from '../../src/bench/types.js';

const callScenario = (id: string): Scenario => ({ kind: 'calls', id, title: id, calls: 1, filtered: 'getppid', unfiltered: 'getppid', expect: '', note: '' });
const startup: Scenario = { kind: 'startup', id: 'startup', title: 'startup', argv: ['/bin/true'], perRound: 2, note: '' };

function fake(id: string, only?: string[]): Mechanism {
  let n = 0;
  return {
    id,
    title: id,
    note: '',
    unavailable: () => undefined,
    supports: (s) => !only || only.includes(s.id),
    run: async () => ({ value: ++n }),
  };
}

const ctx = {} as BenchContext;

describe('runOrder', () => {
  it('runs every supported pair once per round, rotating the mechanisms', () => {
    const order = runOrder([callScenario('a'), callScenario('b')], [fake('x'), fake('y'), fake('z', ['b'])], 2).map(
      (s) => `${s.round}:${s.scenario.id}:${s.mechanism.id}`,
    );
    expect(order).toEqual([
      '0:a:x', '0:a:y',
      '0:b:x', '0:b:y', '0:b:z',
      '1:a:y', '1:a:x',
      '1:b:y', '1:b:z', '1:b:x',
    ]);
  });

  it('repeats start-up scenarios perRound times within a round, rotating between repetitions', () => {
    const order = runOrder([startup], [fake('x'), fake('y')], 1).map((s) => s.mechanism.id);
    expect(order).toEqual(['x', 'y', 'y', 'x']);
  });
});

describe('runAll', () => {
  it('retries a failed run once, saying so, and fails on a second failure', async () => {
    let calls = 0;
    const flaky: Mechanism = { ...fake('f'), run: async () => (++calls === 1 ? Promise.reject(new Error('half-written')) : { value: 7 }) };
    const warnings: string[] = [];
    const cells = await runAll([callScenario('a')], [flaky], 1, ctx, undefined, (m) => warnings.push(m));
    expect(cells[0]!.samples).toEqual([{ value: 7 }]);
    expect(warnings).toEqual(['f a failed, retrying once: half-written']);
    const broken: Mechanism = { ...fake('b'), run: async () => Promise.reject(new Error('really broken')) };
    await expect(runAll([callScenario('a')], [broken], 1, ctx, undefined, () => undefined)).rejects.toThrow('really broken');
  });

  it('groups samples into cells in scenario then mechanism order, in run order', async () => {
    const cells = await runAll([callScenario('a'), startup], [fake('x'), fake('y', ['startup'])], 2, ctx);
    expect(cells.map((c) => [c.scenario, c.mechanism, c.unit, c.samples.map((s) => s.value)])).toEqual([
      ['a', 'x', 'ns', [1, 4]],
      ['startup', 'x', 'ms', [2, 3, 5, 6]],
      ['startup', 'y', 'ms', [1, 2, 3, 4]],
    ]);
  });
});
