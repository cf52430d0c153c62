/**
 * Every mechanism on every scenario it supports, once, on the real kernel and
 * with real processes (a few hundred calls each). Checks that each run works
 * and answers as its scenario expects; never how fast (the benchmark is
 * `npm run bench`, not a test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUp, type Setup } from '../../src/bench/context.js';
import { MECHANISMS } from '../../src/bench/mechanisms/registry.js';
import { benchScenarios } from '../../src/bench/scenarios.js';
import { measureStartup } from '../../src/bench/startup.js';
import type { Scenario } from '../../src/bench/types.js';
import { PEAK_RSS_LINE } from '../../src/cli/stats-report.js';
import { runCli } from '../helpers/run-cli.js';
import { requireShimBuilt } from '../helpers/require-build.js';

requireShimBuilt();

let setup: Setup;
let scenarios: Scenario[];
beforeAll(() => {
  setup = setUp('5.10');
  scenarios = benchScenarios({ refused: setup.refused, unimplemented: setup.unimplemented, scale: 0.002, startupsPerRound: 1 });
});
afterAll(() => setup?.dispose());

describe('bench mechanisms', () => {
  it('are all available on this machine', () => {
    expect(MECHANISMS.map((m) => [m.id, m.unavailable(setup.ctx) ?? 'ok'])).toEqual(MECHANISMS.map((m) => [m.id, 'ok']));
  });

  it.each(MECHANISMS.map((m) => [m.id]))('%s runs each scenario it supports', async (id) => {
    const m = MECHANISMS.find((x) => x.id === id)!;
    const supported = scenarios.filter((s) => m.supports(s));
    expect(supported.length).toBeGreaterThan(0);
    for (const s of supported) {
      const sample = await m.run(s, setup.ctx);
      expect(sample.value, `${id} ${s.id}`).toBeGreaterThan(0);
      if (id === 'cr-shim') expect(sample.peakRssKiB, `${id} ${s.id} peak RSS`).toBeGreaterThan(10_000);
      // The loop's CPU time comes from bash's `time` (1 ms resolution: a short run may show 0).
      if (s.kind === 'calls' && !id.startsWith('c-supervisor')) expect(sample.cpu, `${id} ${s.id} CPU time`).toBeGreaterThanOrEqual(0);
    }
  });

  it('the ENOSYS scenario times a number the persona refuses, not one it lets through', async () => {
    const s = scenarios.find((x) => x.id === 'enosys')!;
    expect(s.kind === 'calls' && s.filtered).toBe(`nr=${setup.refused.nr}`);
    const bpf = MECHANISMS.find((m) => m.id === 'bpf-only')!;
    // The check inside the mechanism (the last call's errname) is what makes this pass.
    await expect(bpf.run(s, setup.ctx)).resolves.toMatchObject({ value: expect.any(Number) });
    const native = MECHANISMS.find((m) => m.id === 'native')!;
    await expect(native.run({ ...s, unfiltered: `nr=${setup.refused.nr}` } as Scenario, setup.ctx)).rejects.toThrow(/ended with (?!ENOSYS)\w+, expected ENOSYS/);
  });
});

describe('cr-shim run --stats', () => {
  it('ends with the peak RSS line the bench reads', async () => {
    const r = await runCli(['run', '--stats', '--quiet', '--kernel', '5.10', '--', '/bin/true']);
    expect(r.status).toBe(0);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(PEAK_RSS_LINE);
  });
});

describe('start-up breakdown', () => {
  it('measures every phase once', async () => {
    const phases = await measureStartup('5.10', setup.ctx.cliPath, 1, setup.ctx.env);
    expect(phases.map((p) => p.id)).toContain('worker');
    for (const p of phases) expect(p.summary.median, p.id).toBeGreaterThanOrEqual(0);
  });
});
