/**
 * The real thing: `cr-shim run --mechanism M --kernel K --stats -- PROGRAM`,
 * as a user runs it (bin/cr-shim), once per interception mechanism.
 * --stats costs one small table at exit and gives the supervisor's peak RSS
 * (its last line, src/supervisor/peak-rss.ts). Only notify's loop runs under
 * bash's `time` (the CPU-time goals judge it): sigsys refuses exec, and a
 * traced bash would only add start-up the loop's own clock leaves out anyway.
 */
import { existsSync } from 'node:fs';
import type { MechanismId } from '../../mechanisms/types.js';
import { ADDON_PATH } from '../../native/addon.js';
import { parsePeakRss } from '../../supervisor/peak-rss.js';
import { expectSuccess, runCaptured } from '../spawn.js';
import type { BenchContext, Sample, Target } from '../types.js';
import { callsRun, loopArgv, loopSample, workloadMissing } from '../workload.js';

function cliArgv(ctx: BenchContext, id: MechanismId, program: string[]): string[] {
  return [ctx.cliPath, 'run', '--quiet', '--stats', '--mechanism', id, '--kernel', ctx.kernel, '--', ...program];
}

function crShimTarget(id: MechanismId, note: string, timed: boolean): Target {
  return {
    id,
    title: `cr-shim ${id}`,
    note,
    matrix: true,
    unavailable: (ctx) =>
      !existsSync(ctx.cliPath) ? `${ctx.cliPath} missing (npm run build)` : !existsSync(ADDON_PATH) ? `${ADDON_PATH} is not built (npm install)` : workloadMissing(ctx),
    supports: () => true,
    async run(r, ctx): Promise<Sample> {
      const what = `bench ${id} ${r.scenario.id} ×${r.threads}`;
      const program = r.scenario.kind === 'startup' ? r.scenario.argv : loopArgv(ctx, callsRun(what, r), { timed });
      const out = expectSuccess(what, await runCaptured(cliArgv(ctx, id, program), ctx.env));
      const sample: Sample = r.scenario.kind === 'startup' ? { value: out.wallMs } : loopSample(what, r.scenario, out);
      const rss = parsePeakRss(out.stderr);
      return rss === undefined ? sample : { ...sample, peakRssKiB: rss };
    },
  };
}

export const notify = crShimTarget('notify', 'seccomp user notification (the default): the persona\'s filter, the native notification loop in C, the TypeScript worker', true);
export const ptrace = crShimTarget('ptrace', 'SECCOMP_RET_TRACE and a ptrace tracer thread running the TypeScript handlers', false);
export const sigsys = crShimTarget('sigsys', 'SECCOMP_RET_TRAP and a SIGSYS handler preloaded into the program', false);
