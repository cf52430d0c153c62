/**
 * The loop program as a workload: its command line for a scenario, and its
 * result checked. It runs under bash's `time` keyword, whose report on stderr
 * (TIMEFORMAT below) gives the loop's own CPU time with 1 ms resolution
 * (getrusage of the child: user + sys add up to the scheduler's exact runtime).
 */
import { existsSync } from 'node:fs';
import { ShimError } from '../errors.js';
import { CPU_TIME_FORMAT, parseCpuTime, parseLoopOutput } from './loop-output.js';
import type { Finished } from './spawn.js';
import { expectSuccess } from './spawn.js';
import type { BenchContext, CallScenario } from './types.js';

export const BASH = '/bin/bash';

/** What the workload lacks on this machine, or undefined. */
export function workloadMissing(ctx: BenchContext): string | undefined {
  if (!existsSync(BASH)) return `${BASH} is missing (its \`time\` reports the loop's CPU time)`;
  if (!existsSync(ctx.loopPath)) return `${ctx.loopPath} is not built (make -C test/programs)`;
  return undefined;
}

/** `time loop CALL N` in bash: the filtered call under a filter, the unfiltered one natively. */
export function loopArgv(ctx: BenchContext, s: CallScenario, filtered: boolean): string[] {
  const script = `TIMEFORMAT='${CPU_TIME_FORMAT}'; time "$0" "$@"`;
  return [BASH, '-c', script, ctx.loopPath, filtered ? s.filtered : s.unfiltered, String(s.calls)];
}

/**
 * ns per call from a finished loop run. Throws ShimError naming `what` when the
 * run failed or its last call did not end as the scenario expects (then the
 * bench would be timing another path than it claims).
 */
export function loopSample(what: string, s: CallScenario, r: Finished): { value: number; cpu?: number } {
  const out = parseLoopOutput(expectSuccess(what, r).stdout);
  if (out.errname !== s.expect) {
    throw new ShimError(what, `the last call ended with ${out.errname || 'success'}, expected ${s.expect || 'success'}`, {
      code: 'EPROTO',
      hint: 'the filter or persona does not treat this call as the scenario assumes',
    });
  }
  const cpuSeconds = parseCpuTime(r.stderr);
  return cpuSeconds === undefined ? { value: out.nsPerCall } : { value: out.nsPerCall, cpu: (cpuSeconds * 1e9) / out.calls };
}
