/**
 * loop-mt as a workload: its command line for one run, and its result checked.
 * Targets that run it directly or under a filter wrap it in bash's `time`
 * keyword, whose report on stderr (CPU_TIME_FORMAT) gives the loop's own CPU
 * time with 1 ms resolution (getrusage of the child: user + sys add up to the
 * scheduler's exact runtime).
 */
import { existsSync } from 'node:fs';
import { ShimError } from '../errors.js';
import { CPU_TIME_FORMAT, parseCpuTime, parseLoopOutput } from './loop-output.js';
import type { Finished } from './spawn.js';
import { expectSuccess } from './spawn.js';
import type { BenchContext, CallScenario, RunSpec, Sample } from './types.js';

export const BASH = '/bin/bash';

/** What the workload lacks on this machine, or undefined. */
export function workloadMissing(ctx: BenchContext): string | undefined {
  if (!existsSync(BASH)) return `${BASH} is missing (its \`time\` reports the loop's CPU time)`;
  if (!existsSync(ctx.loopPath)) return `${ctx.loopPath} is not built (make -C test/programs)`;
  return undefined;
}

/** Calls each thread makes so that a run makes about `calls` calls in all. */
export function callsPerThread(calls: number, threads: number): number {
  return Math.max(1, Math.ceil(calls / threads));
}

export interface LoopOptions {
  /** The scenario's call without a persona (nativeCall) instead of under one (call). */
  native?: boolean;
  /** loop-mt-static (proot runs only static programs on this kernel). */
  static?: boolean;
  /** Under bash's `time`, for the loop's CPU time. */
  timed?: boolean;
}

/** `loop-mt CALL N THREADS` for one run, optionally under bash's `time`. */
export function loopArgv(ctx: BenchContext, r: RunSpec & { scenario: CallScenario }, o: LoopOptions = {}): string[] {
  const program = o.static ? ctx.loopStaticPath : ctx.loopPath;
  const args = [o.native ? r.scenario.nativeCall : r.scenario.call, String(callsPerThread(r.calls, r.threads)), String(r.threads)];
  if (!o.timed) return [program, ...args];
  return [BASH, '-c', `TIMEFORMAT='${CPU_TIME_FORMAT}'; time "$0" "$@"`, program, ...args];
}

/**
 * A sample from a finished loop-mt run. Throws ShimError naming `what` when the
 * run failed or its last call did not end as the scenario expects (then the
 * bench would be timing another path than it claims).
 */
export function loopSample(what: string, s: CallScenario, r: Finished): Sample {
  const out = parseLoopOutput(expectSuccess(what, r).stdout);
  if (out.errname !== s.expect) {
    throw new ShimError(what, `the last call ended with ${out.errname || 'success'}, expected ${s.expect || 'success'}`, {
      code: 'EPROTO',
      hint: 'the target does not treat this call as the scenario assumes',
    });
  }
  const sample: Sample = { value: out.nsPerCall, threadNs: out.threadNsPerCall };
  const cpuSeconds = parseCpuTime(r.stderr);
  return cpuSeconds === undefined ? sample : { ...sample, cpu: (cpuSeconds * 1e9) / (out.calls * out.threads) };
}

/** Narrow a run to a calls scenario; throws ShimError naming `what` for a startup one. */
export function callsRun(what: string, r: RunSpec): RunSpec & { scenario: CallScenario } {
  if (r.scenario.kind !== 'calls') throw new ShimError(what, 'only per-call scenarios', { code: 'EINVAL' });
  return r as RunSpec & { scenario: CallScenario };
}
