/**
 * Interleaved rounds over scenarios × threads × targets: in each round every
 * cell runs once, the target order rotating from round to round, so that load
 * bursts on this shared 2-core VM spread over all targets. Each run is one
 * process; its value is measured inside it (loop-mt's barrier to join), so
 * process and supervisor start-up are not in the number.
 *
 * The targets differ by three orders of magnitude (getppid natively ~0.1 µs,
 * under gVisor's ptrace platform ~100 µs), so a fixed call count would either
 * time the fast ones on a few µs or run the slow ones for minutes. A pilot run
 * of PILOT_CALLS per (target, scenario) estimates the cost; each cell then
 * makes as many calls as fit in the time budget, between PILOT_CALLS and
 * --calls × weight.
 */
import { ShimError } from '../../errors.js';
import { summarize } from '../../bench/stats.js';
import { expectSuccess } from '../../bench/spawn.js';
import { parseLoopMt } from './loop-mt-output.js';
import type { MechCell } from './report.js';
import type { MechScenario } from './scenarios.js';
import type { BenchContext, BenchTarget } from './targets.js';

export interface BenchPlan {
  scenarios: readonly MechScenario[];
  targets: readonly BenchTarget[];
  threads: readonly number[];
  rounds: number;
  /** Calls per run for weight 1 (all threads together); each scenario multiplies by its weight. */
  calls: number;
  /** Wall time a run should take, ms: caps the calls of slow targets. */
  budgetMs: number;
}

/** The pilot's size, and the fewest calls a cell makes. */
export const PILOT_CALLS = 500;

/** Calls for one run: what fits in the budget at the pilot's cost, within [PILOT_CALLS, most]. */
export function budgetedCalls(most: number, pilotNs: number | undefined, budgetMs: number): number {
  if (pilotNs === undefined || pilotNs <= 0) return most;
  return Math.max(Math.min(PILOT_CALLS, most), Math.min(most, Math.round((budgetMs * 1e6) / pilotNs)));
}

/** Calls each thread makes so that a run makes about calls × weight calls in all. */
export function callsPerThread(calls: number, weight: number, threads: number): number {
  return Math.max(1, Math.ceil((calls * weight) / threads));
}

/** One run; throws ShimError naming the cell when it fails or ends other than the scenario expects. */
export async function runCell(t: BenchTarget, s: MechScenario, threads: number, total: number, ctx: BenchContext): Promise<{ ns: number; threadNs: number }> {
  const what = `bench ${t.id} ${s.id} ×${threads}`;
  const per = callsPerThread(total, 1, threads);
  const r = expectSuccess(what, await t.run(s, (call) => [call, String(per), String(threads)], ctx));
  const out = parseLoopMt(r.stdout);
  if (out.errname !== s.expect) {
    throw new ShimError(what, `the last call ended with ${out.errname || 'success'}, expected ${s.expect || 'success'}`, {
      code: 'EPROTO',
      hint: 'the target does not treat this call as the scenario assumes',
    });
  }
  return { ns: out.nsPerCall, threadNs: out.threadNsPerCall };
}

/**
 * runCell, once more after a failure: cr-shim runs from the working tree,
 * which a concurrent rebuild can leave half-written for a moment. A second
 * failure is the target's own and fails the bench.
 */
async function runCellRetried(t: BenchTarget, s: MechScenario, threads: number, total: number, ctx: BenchContext, warn?: (line: string) => void): Promise<{ ns: number; threadNs: number }> {
  try {
    return await runCell(t, s, threads, total, ctx);
  } catch (e) {
    warn?.(`retrying once: ${(e as Error).message}`);
    return runCell(t, s, threads, total, ctx);
  }
}

export async function runBench(p: BenchPlan, ctx: BenchContext, progress?: (done: number, total: number, what: string) => void): Promise<MechCell[]> {
  const cells = new Map<string, MechCell>();
  const key = (s: string, t: string, n: number): string => `${s}/${t}/${n}`;
  const total = p.rounds * p.scenarios.length * p.threads.length * p.targets.length;
  let done = 0;
  const pilot = new Map<string, number>();
  for (const s of p.scenarios) {
    for (const t of p.targets) {
      if (p.calls * s.weight <= PILOT_CALLS) continue;
      pilot.set(`${s.id}/${t.id}`, (await runCellRetried(t, s, 1, PILOT_CALLS, ctx, (l) => progress?.(done, total, l))).ns);
      progress?.(done, total, `pilot ${t.id} ${s.id}: ${pilot.get(`${s.id}/${t.id}`)!.toFixed(0)} ns`);
    }
  }
  for (let round = 0; round < p.rounds; round++) {
    for (const s of p.scenarios) {
      for (const n of p.threads) {
        const shift = round % Math.max(1, p.targets.length);
        for (const t of [...p.targets.slice(shift), ...p.targets.slice(0, shift)]) {
          const v = await runCellRetried(t, s, n, budgetedCalls(p.calls * s.weight, pilot.get(`${s.id}/${t.id}`), p.budgetMs), ctx, (l) => progress?.(done, total, l));
          const k = key(s.id, t.id, n);
          const c = cells.get(k) ?? { scenario: s.id, target: t.id, threads: n, samples: [], threadSamples: [], summary: summarize([v.ns]) };
          c.samples.push(v.ns);
          c.threadSamples.push(v.threadNs);
          c.summary = summarize(c.samples);
          cells.set(k, c);
          progress?.(++done, total, `${t.id} ${s.id} ×${n}: ${v.ns.toFixed(0)} ns`);
        }
      }
    }
  }
  // Report order: scenario, threads, target, as the plan lists them.
  const out: MechCell[] = [];
  for (const s of p.scenarios) for (const n of p.threads) for (const t of p.targets) {
    const c = cells.get(key(s.id, t.id, n));
    if (c) out.push(c);
  }
  return out;
}
