/**
 * Where a `cr-shim restore`'s downtime goes, phase by phase: the $CR_SHIM_PHASES traces
 * (src/phase-trace.ts) of the bench's runs, each phase's start as an offset from the command's
 * start (the bench's t0) and its duration, as medians over the runs. Pure.
 */
import type { PhaseRecord } from '../phase-trace.js';
import { fmtValue } from './format.js';
import { summarize } from './stats.js';
import type { DowntimePhase, DowntimeReport } from './types.js';

/** One run: when the bench started the command, when the program ran again, and the trace. */
export interface TracedRun {
  t0: number;
  resumedAt: number;
  records: readonly PhaseRecord[];
}

/** The row every table ends with: the program's next instruction (the stamp the bench saw). */
export const RESUMED = "program's next instruction";

/**
 * Per phase (proc and name; the first of a run where one repeats), its start and duration over
 * the runs it appears in, ordered by median start; then the program's next instruction. A phase
 * that starts after the program ran again is not part of the downtime (e.g. the service readying
 * its next spare worker) and is left out.
 */
export function phaseSummaries(runs: readonly TracedRun[]): DowntimePhase[] {
  const by = new Map<string, { proc: string; phase: string; at: number[]; took: number[] }>();
  for (const run of runs) {
    const seen = new Set<string>();
    for (const r of run.records) {
      const key = `${r.proc}\0${r.phase}`;
      if (seen.has(key) || r.start > run.resumedAt) continue;
      seen.add(key);
      let e = by.get(key);
      if (e === undefined) by.set(key, (e = { proc: r.proc, phase: r.phase, at: [], took: [] }));
      e.at.push(r.start - run.t0);
      e.took.push(r.end - r.start);
    }
  }
  const phases = [...by.values()].map((e) => ({ proc: e.proc, phase: e.phase, at: summarize(e.at), took: summarize(e.took) }));
  phases.sort((a, b) => a.at.median - b.at.median);
  if (runs.length > 0) {
    const at = summarize(runs.map((r) => r.resumedAt - r.t0));
    phases.push({ proc: 'program', phase: RESUMED, at, took: summarize(runs.map(() => 0)) });
  }
  return phases;
}

const TITLES: Record<NonNullable<DowntimeReport['phases']>[number]['row'], string> = {
  restore: 'phase of `cr-shim restore --no-serve`',
  'restore-served': 'phase of `cr-shim restore` through `cr-shim serve` (the front\'s C client: no node start)',
};

/** Header row, then one row per phase: what, who, its median start after the command's, its median duration and spread. */
export function phaseRows(traced: NonNullable<DowntimeReport['phases']>[number]): string[][] {
  return [
    [TITLES[traced.row], 'process', 'starts at (median)', 'takes (median)', 'q1 .. q3'],
    ...traced.phases.map((p) => [
      p.phase,
      p.proc,
      `+${fmtValue(p.at.median, 'ms')}`,
      p.phase === RESUMED ? '' : fmtValue(p.took.median, 'ms'),
      p.phase === RESUMED ? '' : `${fmtValue(p.took.q1, 'ms')} .. ${fmtValue(p.took.q3, 'ms')}`,
    ]),
  ];
}
