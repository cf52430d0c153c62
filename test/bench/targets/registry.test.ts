/**
 * Every target on every scenario it supports, once, on the real kernel and
 * with real processes (a few hundred calls each). Checks that each run works
 * and answers as its scenario expects; never how fast (the benchmark is
 * `npm run bench`, not a test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUp, type Setup } from '../../../src/bench/context.js';
import { benchScenarios } from '../../../src/bench/scenarios.js';
import { measureStartup } from '../../../src/bench/startup.js';
import { TARGETS } from '../../../src/bench/targets/registry.js';
import type { CallScenario, Scenario } from '../../../src/bench/types.js';
import { PEAK_RSS_LINE } from '../../../src/supervisor/peak-rss.js';
import { runCli } from '../../helpers/run-cli.js';
import { requireShimBuilt } from '../../helpers/require-build.js';

requireShimBuilt();

/** Targets whose loop runs under bash's `time` (the CPU-time goals read them). */
const TIMED = ['native', 'bpf-only', 'bpf-nocache', 'notify'];
/** Targets whose supervisor reports its peak RSS. */
const REPORTS_RSS = ['notify', 'ptrace', 'sigsys'];

let setup: Setup;
let scenarios: Scenario[];
beforeAll(() => {
  setup = setUp('5.10');
  scenarios = benchScenarios({ refused: setup.refused, unimplemented: setup.unimplemented, startupsPerRound: 1 });
});
afterAll(() => setup?.dispose());

describe('bench targets', () => {
  it('are all available on this machine', () => {
    expect(TARGETS.map((t) => [t.id, t.unavailable(setup.ctx) ?? 'ok'])).toEqual(TARGETS.map((t) => [t.id, 'ok']));
  });

  it.each(TARGETS.map((t) => [t.id]))('%s runs each scenario it supports', async (id) => {
    const t = TARGETS.find((x) => x.id === id)!;
    const supported = scenarios.filter((s) => t.supports(s, 1));
    expect(supported.length).toBeGreaterThan(0);
    for (const s of supported) {
      const sample = await t.run({ scenario: s, threads: 1, calls: 200 }, setup.ctx);
      expect(sample.value, `${id} ${s.id}`).toBeGreaterThan(0);
      // A parsed peak, not a default: every supervisor has more than 1 MB resident (the native front about 3 MB, Node about 50).
      if (REPORTS_RSS.includes(id)) expect(sample.peakRssKiB, `${id} ${s.id} peak RSS`).toBeGreaterThan(1_000);
      // The loop's CPU time comes from bash's `time` (1 ms resolution: a short run may show 0).
      if (s.kind === 'calls' && TIMED.includes(id)) expect(sample.cpu, `${id} ${s.id} CPU time`).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  it('runs loop-mt in several threads', async () => {
    const s = scenarios.find((x) => x.id === 'fake')!;
    const t = TARGETS.find((x) => x.id === 'notify')!;
    const sample = await t.run({ scenario: s, threads: 2, calls: 200 }, setup.ctx);
    expect(sample.threadNs, 'one thread waits for both threads\' calls').toBeGreaterThan(sample.value);
  });

  it('the refused scenario times a number the persona refuses, not one it lets through', async () => {
    const s = scenarios.find((x) => x.id === 'refused') as CallScenario;
    expect(s.call).toBe(`nr=${setup.refused.nr}`);
    const bpf = TARGETS.find((t) => t.id === 'bpf-only')!;
    // The check inside the target (the last call's errname) is what makes this pass.
    await expect(bpf.run({ scenario: s, threads: 1, calls: 100 }, setup.ctx)).resolves.toMatchObject({ value: expect.any(Number) });
    const native = TARGETS.find((t) => t.id === 'native')!;
    await expect(native.run({ scenario: { ...s, nativeCall: `nr=${setup.refused.nr}` }, threads: 1, calls: 100 }, setup.ctx)).rejects.toThrow(
      /ended with (?!ENOSYS)\w+, expected ENOSYS/,
    );
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
    // Timed phases cannot be negative; derived ones (cliModules, worker, their sum) hold differences of two
    // timed runs and may be, on a busy machine: they only need to be numbers.
    const derived = new Set(['cliModules', 'worker', 'sum']);
    for (const p of phases) {
      expect(Number.isFinite(p.summary.median), p.id).toBe(true);
      if (!derived.has(p.id)) expect(p.summary.median, p.id).toBeGreaterThanOrEqual(0);
    }
  });
});
