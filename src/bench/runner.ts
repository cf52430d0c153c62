/**
 * The one runner: interleaved rounds over scenarios × threads × targets. In
 * each round every cell runs once (startup scenarios perRound times), the
 * target order rotating from round to round. On a noisy 2-core VM that spreads
 * load bursts over all targets instead of charging them to whichever ran
 * during the burst, and makes the i-th samples of two cells comparable pairs.
 *
 * The targets differ by three orders of magnitude (getppid natively ~0.1 µs,
 * under gVisor's ptrace platform ~100 µs), so a fixed call count would either
 * time the fast ones on a few µs or run the slow ones for minutes. A pilot run
 * of PILOT_CALLS per (target, scenario) estimates the cost; each run then
 * makes as many calls as fit in the time budget, between PILOT_CALLS and
 * calls × weight.
 */
import { summarize } from './stats.js';
import type { BenchContext, Cell, RunSpec, Sample, Scenario, Target } from './types.js';
import { unitOf } from './types.js';

export interface BenchPlan {
  scenarios: readonly Scenario[];
  targets: readonly Target[];
  /** Thread counts of the calls scenarios (a startup runs in one). */
  threads: readonly number[];
  rounds: number;
  /** Calls per run for weight 1 (all threads together); each scenario multiplies by its weight. */
  calls: number;
  /** Wall time a run should take, ms: caps the calls of slow targets. */
  budgetMs: number;
}

export interface RunStep {
  round: number;
  scenario: Scenario;
  target: Target;
  threads: number;
}

/** The pilot's size, and the fewest calls a run makes. */
export const PILOT_CALLS = 500;

/** Calls for one run: what fits in the budget at the pilot's cost, within [PILOT_CALLS, most]. */
export function budgetedCalls(most: number, pilotNs: number | undefined, budgetMs: number): number {
  if (pilotNs === undefined || pilotNs <= 0) return most;
  return Math.max(Math.min(PILOT_CALLS, most), Math.min(most, Math.round((budgetMs * 1e6) / pilotNs)));
}

function threadsOf(s: Scenario, plan: Pick<BenchPlan, 'threads'>): readonly number[] {
  return s.kind === 'calls' ? plan.threads : [1];
}

/** The order of runs: round-major, then scenario, then threads; the targets that support the cell, rotated by round (and repetition). */
export function runOrder(plan: Pick<BenchPlan, 'scenarios' | 'targets' | 'threads' | 'rounds'>): RunStep[] {
  const steps: RunStep[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    for (const scenario of plan.scenarios) {
      for (const threads of threadsOf(scenario, plan)) {
        const ts = plan.targets.filter((t) => t.supports(scenario, threads));
        const reps = scenario.kind === 'startup' ? scenario.perRound : 1;
        for (let rep = 0; rep < reps; rep++) {
          const shift = (round * reps + rep) % Math.max(1, ts.length);
          for (const target of [...ts.slice(shift), ...ts.slice(0, shift)]) steps.push({ round, scenario, target, threads });
        }
      }
    }
  }
  return steps;
}

/** Collect samples into cells, one per (scenario, threads, target) that ran, in that order. */
export function toCells(
  plan: Pick<BenchPlan, 'scenarios' | 'targets' | 'threads'>,
  results: readonly { step: RunStep; sample: Sample }[],
): Cell[] {
  const cells: Cell[] = [];
  for (const s of plan.scenarios) {
    for (const n of threadsOf(s, plan)) {
      for (const t of plan.targets) {
        const samples = results.filter((r) => r.step.scenario.id === s.id && r.step.target.id === t.id && r.step.threads === n).map((r) => r.sample);
        if (samples.length === 0) continue;
        const cpu = samples.map((x) => x.cpu).filter((v): v is number => v !== undefined);
        const cell: Cell = { scenario: s.id, target: t.id, threads: n, unit: unitOf(s), samples, summary: summarize(samples.map((x) => x.value)) };
        cells.push(cpu.length === samples.length ? { ...cell, cpuSummary: summarize(cpu) } : cell);
      }
    }
  }
  return cells;
}

/**
 * One run, once more after a failure (reported through `warn`): cr-shim runs
 * from the working tree, which another engineer's rebuild can leave
 * half-written for a moment. A second failure is real and fails the bench.
 */
async function runRetried(t: Target, r: RunSpec, ctx: BenchContext, warn: (m: string) => void): Promise<Sample> {
  try {
    return await t.run(r, ctx);
  } catch (err) {
    warn(`${t.id} ${r.scenario.id} failed, retrying once: ${(err as Error).message}`);
    return t.run(r, ctx);
  }
}

export interface RunHooks {
  /** Hears about each measured run as it finishes. */
  progress?: (step: RunStep, sample: Sample, done: number, total: number) => void;
  /** Hears retries and pilots. */
  warn?: (m: string) => void;
}

/** Pilot, then every step in order. A run that fails twice fails the bench. */
export async function runAll(plan: BenchPlan, ctx: BenchContext, hooks: RunHooks = {}): Promise<Cell[]> {
  const warn = hooks.warn ?? ((m: string) => process.stderr.write(`bench: ${m}\n`));
  const pilot = new Map<string, number>();
  for (const s of plan.scenarios) {
    if (s.kind !== 'calls' || plan.calls * s.weight <= PILOT_CALLS) continue;
    for (const t of plan.targets.filter((x) => x.supports(s, 1))) {
      const ns = (await runRetried(t, { scenario: s, threads: 1, calls: PILOT_CALLS }, ctx, warn)).value;
      pilot.set(`${s.id}/${t.id}`, ns);
      warn(`pilot ${t.id} ${s.id}: ${ns.toFixed(0)} ns`);
    }
  }
  const steps = runOrder(plan);
  const results: { step: RunStep; sample: Sample }[] = [];
  for (const [i, step] of steps.entries()) {
    const s = step.scenario;
    const calls = s.kind === 'calls' ? budgetedCalls(plan.calls * s.weight, pilot.get(`${s.id}/${step.target.id}`), plan.budgetMs) : 0;
    const sample = await runRetried(step.target, { scenario: s, threads: step.threads, calls }, ctx, warn);
    results.push({ step, sample });
    hooks.progress?.(step, sample, i + 1, steps.length);
  }
  return toCells(plan, results);
}
