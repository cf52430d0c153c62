/**
 * Interleaved rounds: in each round every scenario runs once (startup
 * scenarios perRound times) under every mechanism that supports it, in an
 * order that rotates from round to round. On a noisy 2-core VM that spreads
 * load bursts over all mechanisms instead of charging them to whichever ran
 * during the burst, and makes the i-th samples of two cells comparable pairs.
 */
import { summarize } from './stats.js';
import type { BenchContext, Cell, Mechanism, Sample, Scenario } from './types.js';
import { unitOf } from './types.js';

export interface RunPlanStep {
  round: number;
  scenario: Scenario;
  mechanism: Mechanism;
}

/** The order of runs: round-major, scenario order fixed, mechanism order rotated by the round number. */
export function runOrder(scenarios: readonly Scenario[], mechanisms: readonly Mechanism[], rounds: number): RunPlanStep[] {
  const steps: RunPlanStep[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      const ms = mechanisms.filter((m) => m.supports(scenario));
      const reps = scenario.kind === 'startup' ? scenario.perRound : 1;
      for (let rep = 0; rep < reps; rep++) {
        const shift = (round * reps + rep) % Math.max(1, ms.length);
        for (const mechanism of [...ms.slice(shift), ...ms.slice(0, shift)]) steps.push({ round, scenario, mechanism });
      }
    }
  }
  return steps;
}

/** Collect samples into cells, one per (scenario, mechanism) that ran, in scenario then mechanism order. */
export function toCells(
  scenarios: readonly Scenario[],
  mechanisms: readonly Mechanism[],
  results: readonly { scenario: Scenario; mechanism: Mechanism; sample: Sample }[],
): Cell[] {
  const cells: Cell[] = [];
  for (const s of scenarios) {
    for (const m of mechanisms) {
      const samples = results.filter((r) => r.scenario.id === s.id && r.mechanism.id === m.id).map((r) => r.sample);
      if (samples.length === 0) continue;
      const cpu = samples.map((x) => x.cpu).filter((v): v is number => v !== undefined);
      const cell: Cell = { scenario: s.id, mechanism: m.id, unit: unitOf(s), samples, summary: summarize(samples.map((x) => x.value)) };
      cells.push(cpu.length === samples.length ? { ...cell, cpuSummary: summarize(cpu) } : cell);
    }
  }
  return cells;
}

/**
 * One run, once more after a failure (reported through `warn`): cr-shim runs
 * from the working tree, which another engineer's rebuild can leave
 * half-written for a moment. A second failure is real and fails the bench.
 */
async function runRetried(step: RunPlanStep, ctx: BenchContext, warn: (m: string) => void): Promise<Sample> {
  try {
    return await step.mechanism.run(step.scenario, ctx);
  } catch (err) {
    warn(`${step.mechanism.id} ${step.scenario.id} failed, retrying once: ${(err as Error).message}`);
    return step.mechanism.run(step.scenario, ctx);
  }
}

/** Run every step in order; `progress` hears about each one as it finishes. A run that fails twice fails the bench. */
export async function runAll(
  scenarios: readonly Scenario[],
  mechanisms: readonly Mechanism[],
  rounds: number,
  ctx: BenchContext,
  progress?: (step: RunPlanStep, sample: Sample, done: number, total: number) => void,
  warn: (m: string) => void = (m) => process.stderr.write(`bench: ${m}\n`),
): Promise<Cell[]> {
  const steps = runOrder(scenarios, mechanisms, rounds);
  const results: { scenario: Scenario; mechanism: Mechanism; sample: Sample }[] = [];
  for (const [i, step] of steps.entries()) {
    const sample = await runRetried(step, ctx, warn);
    results.push({ scenario: step.scenario, mechanism: step.mechanism, sample });
    progress?.(step, sample, i + 1, steps.length);
  }
  return toCells(scenarios, mechanisms, results);
}
