/**
 * The real thing: `cr-shim run --kernel K --stats -- PROGRAM`, as a user runs
 * it (node bin/cr-shim.js). --stats costs one small table at exit and gives
 * the supervisor's peak RSS (its last line, see src/cli/stats-report.ts).
 */
import { existsSync } from 'node:fs';
import { PEAK_RSS_LINE } from '../../cli/stats-report.js';
import { ADDON_PATH } from '../../native/addon.js';
import { expectSuccess, runCaptured } from '../spawn.js';
import type { BenchContext, Mechanism, Sample, Scenario } from '../types.js';
import { loopArgv, loopSample, workloadMissing } from '../workload.js';

function cliArgv(ctx: BenchContext, program: string[]): string[] {
  return [process.execPath, ctx.cliPath, 'run', '--quiet', '--stats', '--kernel', ctx.kernel, '--', ...program];
}

function peakRss(stderr: string): number | undefined {
  const m = PEAK_RSS_LINE.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

export const crShim: Mechanism = {
  id: 'cr-shim',
  title: 'cr-shim',
  note: '`cr-shim run --kernel K`: the persona\'s filter, the native notification loop, the TypeScript worker',
  unavailable: (ctx) =>
    !existsSync(ctx.cliPath) ? `${ctx.cliPath} missing` : !existsSync(ADDON_PATH) ? `${ADDON_PATH} is not built (npm install)` : workloadMissing(ctx),
  supports: () => true,
  async run(s: Scenario, ctx): Promise<Sample> {
    const what = `bench cr-shim ${s.id}`;
    const r = expectSuccess(what, await runCaptured(cliArgv(ctx, s.kind === 'startup' ? s.argv : loopArgv(ctx, s, true)), ctx.env));
    const rss = peakRss(r.stderr);
    const sample: Sample = s.kind === 'startup' ? { value: r.wallMs } : loopSample(what, s, r);
    return rss === undefined ? sample : { ...sample, peakRssKiB: rss };
  },
};
