/**
 * Issue 2's performance targets as data, and their evaluation against a run's
 * cells. A target is judged on paired samples (same round) so that load that
 * drifts over the run moves both sides alike; the range of the pairs says
 * whether the verdict is clear of the noise.
 */
import { median, paired } from './stats.js';
import type { Cell, Target, TargetResult } from './types.js';

/** 80 MB read as 80·10⁶ bytes, the stricter of the two readings, in KiB (ru_maxrss's unit). */
export const PEAK_RSS_LIMIT_KIB = 80e6 / 1024;

export const TARGETS: readonly Target[] = [
  {
    id: 'passthrough',
    title: 'a syscall the persona leaves alone (getppid) vs no filter at all',
    scenario: 'getppid',
    mechanism: 'cr-shim',
    baseline: 'native',
    compare: 'delta',
    limit: 50,
    goal: '≤ +0.05 µs',
  },
  {
    id: 'passthrough-cpu',
    title: 'the same, in CPU time of the looping process (blind to waiting for a CPU on a busy host)',
    scenario: 'getppid',
    mechanism: 'cr-shim',
    baseline: 'native',
    compare: 'delta',
    metric: 'cpu',
    limit: 50,
    goal: '≤ +0.05 µs',
  },
  {
    id: 'translated',
    title: 'a translated call that writes memory (uname under a persona) vs a minimal C supervisor',
    scenario: 'uname',
    mechanism: 'cr-shim',
    baseline: 'c-supervisor',
    compare: 'ratio',
    limit: 1.2,
    goal: '≤ 1.2×',
  },
  {
    id: 'refused',
    title: 'a call the persona refuses with ENOSYS (in BPF) vs a number this kernel lacks, natively',
    scenario: 'enosys',
    mechanism: 'cr-shim',
    baseline: 'native',
    compare: 'delta',
    limit: 50,
    goal: '≤ +0.05 µs',
  },
  {
    id: 'refused-cpu',
    title: 'the same, in CPU time of the looping process',
    scenario: 'enosys',
    mechanism: 'cr-shim',
    baseline: 'native',
    compare: 'delta',
    metric: 'cpu',
    limit: 50,
    goal: '≤ +0.05 µs',
  },
  {
    id: 'startup',
    title: 'wall time of `cr-shim run -- /bin/true` vs /bin/true alone',
    scenario: 'startup',
    mechanism: 'cr-shim',
    baseline: 'native',
    compare: 'report',
    goal: 'reported',
  },
  {
    id: 'memory',
    title: "the supervisor's peak RSS (largest over every cr-shim run)",
    scenario: '*',
    mechanism: 'cr-shim',
    baseline: 'cr-shim',
    compare: 'peakRss',
    limit: PEAK_RSS_LIMIT_KIB,
    goal: '< 80 MB',
  },
];

function cellOf(cells: readonly Cell[], scenario: string, mechanism: string): Cell | undefined {
  return cells.find((c) => c.scenario === scenario && c.mechanism === mechanism);
}

/** The samples a target compares, in run order; undefined when a sample lacks the metric. */
function values(c: Cell, metric: Target['metric']): number[] | undefined {
  if (metric !== 'cpu') return c.samples.map((s) => s.value);
  const cpu = c.samples.map((s) => s.cpu);
  return cpu.every((v): v is number => v !== undefined) ? cpu : undefined;
}

/** Judge one target. N/A (with the reason) when a cell it needs was not measured. */
export function evaluateTarget(target: Target, cells: readonly Cell[]): TargetResult {
  if (target.compare === 'peakRss') {
    const rss = cells
      .filter((c) => c.mechanism === target.mechanism && (target.scenario === '*' || c.scenario === target.scenario))
      .flatMap((c) => c.samples.map((s) => s.peakRssKiB))
      .filter((v): v is number => v !== undefined);
    if (rss.length === 0) return { target, verdict: 'N/A', reason: `no ${target.mechanism} run reported its peak RSS` };
    const peak = Math.max(...rss);
    const limit = target.limit ?? Number.POSITIVE_INFINITY;
    return {
      target,
      verdict: peak < limit ? 'PASS' : 'MISS',
      measured: peak,
      value: peak,
      low: Math.min(...rss),
      high: peak,
      clear: true,
    };
  }

  const m = cellOf(cells, target.scenario, target.mechanism);
  const b = cellOf(cells, target.scenario, target.baseline);
  if (!m || !b) {
    const missing = !m ? target.mechanism : target.baseline;
    return { target, verdict: 'N/A', reason: `${missing} did not run ${target.scenario}` };
  }
  const mv = values(m, target.metric);
  const bv = values(b, target.metric);
  const ms = target.metric === 'cpu' ? m.cpuSummary : m.summary;
  const bs = target.metric === 'cpu' ? b.cpuSummary : b.summary;
  if (!mv || !bv || !ms || !bs) return { target, verdict: 'N/A', reason: `no CPU time for ${!mv || !ms ? target.mechanism : target.baseline}` };
  const combine = target.compare === 'ratio' ? (x: number, y: number) => x / y : (x: number, y: number) => x - y;
  const pairs = paired(mv, bv, combine);
  const value = median(pairs);
  const low = Math.min(...pairs);
  const high = Math.max(...pairs);
  const base = { target, measured: ms.median, baseline: bs.median, value, low, high, best: combine(ms.min, bs.min) };
  if (target.compare === 'report' || target.limit === undefined) return { ...base, verdict: 'INFO' };
  const pass = value <= target.limit;
  return { ...base, verdict: pass ? 'PASS' : 'MISS', clear: pass ? high <= target.limit : low > target.limit };
}

export function evaluateTargets(cells: readonly Cell[], targets: readonly Target[] = TARGETS): TargetResult[] {
  return targets.map((t) => evaluateTarget(t, cells));
}
