/**
 * Issue 2's performance goals as data, and their evaluation against a run's
 * one-thread cells. A goal is judged on paired samples (same round) so that
 * load that drifts over the run moves both sides alike; the range of the pairs
 * says whether the verdict is clear of the noise.
 */
import { median, paired } from './stats.js';
import type { Cell, Goal, GoalResult } from './types.js';

/** 80 MB read as 80·10⁶ bytes, the stricter of the two readings, in KiB (ru_maxrss's unit). */
export const PEAK_RSS_LIMIT_KIB = 80e6 / 1024;
/** Issue 13: 50 MB, read the same way, when no JavaScript handler is needed (`run -- /bin/true`). */
export const START_RSS_LIMIT_KIB = 50e6 / 1024;

export const GOALS: readonly Goal[] = [
  {
    id: 'passthrough',
    title: 'a syscall the persona leaves alone (getppid) under `cr-shim run` vs no filter at all',
    scenario: 'left-alone',
    target: 'notify',
    baseline: 'native',
    compare: 'delta',
    limit: 50,
    wording: '≤ +0.05 µs',
  },
  {
    id: 'passthrough-cpu',
    title: 'the same, in CPU time of the looping process (blind to waiting for a CPU on a busy host)',
    scenario: 'left-alone',
    target: 'notify',
    baseline: 'native',
    compare: 'delta',
    metric: 'cpu',
    limit: 50,
    wording: '≤ +0.05 µs',
  },
  {
    id: 'translated',
    title: 'a translated call that writes memory (uname under a persona) vs a minimal C supervisor',
    scenario: 'fake',
    target: 'notify',
    baseline: 'c-supervisor',
    compare: 'ratio',
    limit: 1.2,
    wording: '≤ 1.2×',
  },
  {
    id: 'refused',
    title: 'a call the persona refuses with ENOSYS (in BPF) vs a number this kernel lacks, natively',
    scenario: 'refused',
    target: 'notify',
    baseline: 'native',
    compare: 'delta',
    limit: 50,
    wording: '≤ +0.05 µs',
  },
  {
    id: 'refused-cpu',
    title: 'the same, in CPU time of the looping process',
    scenario: 'refused',
    target: 'notify',
    baseline: 'native',
    compare: 'delta',
    metric: 'cpu',
    limit: 50,
    wording: '≤ +0.05 µs',
  },
  {
    id: 'arg-refused',
    title: 'a value refused by an argument rule in BPF (issue 12) vs the same filter with no supervisor (the BPF-only floor)',
    scenario: 'arg-refused',
    target: 'notify',
    baseline: 'bpf-only',
    compare: 'delta',
    limit: 50,
    wording: '≤ +0.05 µs',
  },
  {
    id: 'startup',
    title: 'wall time of `cr-shim run -- /bin/true` vs /bin/true alone',
    scenario: 'startup',
    target: 'notify',
    baseline: 'native',
    compare: 'report',
    wording: 'reported',
  },
  {
    id: 'startup-node',
    title: 'wall time of `cr-shim run -- /bin/true` vs `node -e 0` (issue 13)',
    scenario: 'startup',
    target: 'notify',
    baseline: 'node',
    compare: 'ratio',
    limit: 1.5,
    wording: '≤ 1.5×',
  },
  {
    id: 'startup-memory',
    title: "the supervisor's peak RSS running /bin/true, no JavaScript handler needed (issue 13)",
    scenario: 'startup',
    target: 'notify',
    baseline: 'notify',
    compare: 'peakRss',
    limit: START_RSS_LIMIT_KIB,
    wording: '< 50 MB',
  },
  {
    id: 'memory',
    title: "the supervisor's peak RSS (largest over every `cr-shim run` with notify)",
    scenario: '*',
    target: 'notify',
    baseline: 'notify',
    compare: 'peakRss',
    limit: PEAK_RSS_LIMIT_KIB,
    wording: '< 80 MB',
  },
];

function cellOf(cells: readonly Cell[], scenario: string, target: string): Cell | undefined {
  return cells.find((c) => c.scenario === scenario && c.target === target && c.threads === 1);
}

/** The samples a goal compares, in run order; undefined when a sample lacks the metric. */
function values(c: Cell, metric: Goal['metric']): number[] | undefined {
  if (metric !== 'cpu') return c.samples.map((s) => s.value);
  const cpu = c.samples.map((s) => s.cpu);
  return cpu.every((v): v is number => v !== undefined) ? cpu : undefined;
}

/** Judge one goal. N/A (with the reason) when a cell it needs was not measured. */
export function evaluateGoal(goal: Goal, cells: readonly Cell[]): GoalResult {
  if (goal.compare === 'peakRss') {
    const rss = cells
      .filter((c) => c.target === goal.target && (goal.scenario === '*' || c.scenario === goal.scenario))
      .flatMap((c) => c.samples.map((s) => s.peakRssKiB))
      .filter((v): v is number => v !== undefined);
    if (rss.length === 0) return { goal, verdict: 'N/A', reason: `no ${goal.target} run reported its peak RSS` };
    const peak = Math.max(...rss);
    const limit = goal.limit ?? Number.POSITIVE_INFINITY;
    return { goal, verdict: peak < limit ? 'PASS' : 'MISS', measured: peak, value: peak, low: Math.min(...rss), high: peak, clear: true };
  }

  const m = cellOf(cells, goal.scenario, goal.target);
  const b = cellOf(cells, goal.scenario, goal.baseline);
  if (!m || !b) {
    const missing = !m ? goal.target : goal.baseline;
    return { goal, verdict: 'N/A', reason: `${missing} did not run ${goal.scenario}` };
  }
  const mv = values(m, goal.metric);
  const bv = values(b, goal.metric);
  const ms = goal.metric === 'cpu' ? m.cpuSummary : m.summary;
  const bs = goal.metric === 'cpu' ? b.cpuSummary : b.summary;
  if (!mv || !bv || !ms || !bs) return { goal, verdict: 'N/A', reason: `no CPU time for ${!mv || !ms ? goal.target : goal.baseline}` };
  const combine = goal.compare === 'ratio' ? (x: number, y: number) => x / y : (x: number, y: number) => x - y;
  const pairs = paired(mv, bv, combine);
  const value = median(pairs);
  const low = Math.min(...pairs);
  const high = Math.max(...pairs);
  const base = { goal, measured: ms.median, baseline: bs.median, value, low, high, best: combine(ms.min, bs.min) };
  if (goal.compare === 'report' || goal.limit === undefined) return { ...base, verdict: 'INFO' };
  const pass = value <= goal.limit;
  return { ...base, verdict: pass ? 'PASS' : 'MISS', clear: pass ? high <= goal.limit : low > goal.limit };
}

export function evaluateGoals(cells: readonly Cell[], goals: readonly Goal[] = GOALS): GoalResult[] {
  return goals.map((g) => evaluateGoal(g, cells));
}
