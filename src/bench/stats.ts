/**
 * Order statistics for noisy timings. The host is a small shared VM, so noise
 * is additive and skewed (a run can only get slower): medians and quartiles,
 * not means; pairs taken within one round, not across the whole run.
 */
import type { Summary } from './types.js';

/** The q-quantile (0..1) of values, interpolating linearly between order statistics. NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median, extremes and quartiles. Throws RangeError for an empty set: a cell without samples is a bug. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no samples');
  const m = median(values);
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  return {
    n: values.length,
    median: m,
    min: Math.min(...values),
    max: Math.max(...values),
    q1,
    q3,
    relIqr: values.length < 2 || m === 0 ? 0 : (q3 - q1) / m,
  };
}

/**
 * Pair two sample lists run by run (the runner interleaves targets, so the
 * i-th samples of two cells ran close in time under similar load) and combine
 * each pair. The shorter list bounds the pairs.
 */
export function paired(a: readonly number[], b: readonly number[], f: (x: number, y: number) => number): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f(a[i]!, b[i]!));
  return out;
}
