/** loop-mt's command line for one run, and the check of its result, from data. */
import { describe, expect, it } from 'vitest';
import { benchScenarios } from '../../src/bench/scenarios.js';
import type { BenchContext, CallScenario } from '../../src/bench/types.js';
import { BASH, callsPerThread, loopArgv, loopSample } from '../../src/bench/workload.js';

const ctx = { loopPath: '/t/loop-mt', loopStaticPath: '/t/loop-mt-static' } as BenchContext;
const [leftAlone, refused] = benchScenarios({ refused: { nr: 451, name: 'cachestat' }, unimplemented: { nr: 184, name: 'tuxcall' } }) as CallScenario[];
const finished = (stdout: string, stderr = '') => ({ status: 0, signal: null, stdout, stderr, wallMs: 1 });

describe('callsPerThread', () => {
  it.each([
    [20000, 1, 20000],
    [200000, 8, 25000],
    [200, 3, 67],
    [1, 8, 1],
  ])('%i calls over %i threads → %i each', (calls, threads, want) => {
    expect(callsPerThread(calls, threads)).toBe(want);
  });
});

describe('loopArgv', () => {
  it('runs the persona\'s call, or the native one, in the static build if asked, under bash\'s time if asked', () => {
    expect(loopArgv(ctx, { scenario: refused!, threads: 2, calls: 1000 })).toEqual(['/t/loop-mt', 'nr=451', '500', '2']);
    expect(loopArgv(ctx, { scenario: refused!, threads: 1, calls: 10 }, { native: true, static: true })).toEqual(['/t/loop-mt-static', 'nr=184', '10', '1']);
    const timed = loopArgv(ctx, { scenario: leftAlone!, threads: 1, calls: 10 }, { timed: true });
    expect(timed[0]).toBe(BASH);
    expect(timed.slice(3)).toEqual(['/t/loop-mt', 'getppid', '10', '1']);
  });
});

describe('loopSample', () => {
  const out = (errname: string) => `threads=2\ncalls=500\nns_per_call=100\nthread_ns_per_call=200\nerrname=${errname}\n`;

  it('takes wall ns per call, the thread\'s wait and CPU ns per call over every thread\'s calls', () => {
    expect(loopSample('t', refused!, finished(out('ENOSYS'), 'cpu_user_s=0.000 cpu_sys_s=0.001\n'))).toEqual({ value: 100, threadNs: 200, cpu: 1000 });
  });

  it('refuses a run whose last call did not end as the scenario expects', () => {
    expect(() => loopSample('t', refused!, finished(out('')))).toThrow(/ended with success, expected ENOSYS/);
  });
});
