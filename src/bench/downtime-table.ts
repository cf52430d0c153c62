/** The downtime comparison as table rows, for the terminal (format.ts) and docs/PERFORMANCE.md (doc.ts). Pure. */
import { fmtValue } from './format.js';
import type { DowntimeReport } from './types.js';

const range = (s: { q1: number; q3: number }): string => `${fmtValue(s.q1, 'ms')} .. ${fmtValue(s.q3, 'ms')}`;

/** Header row, then one row per comparison: both medians and ranges, the median paired difference, the verdict. */
export function downtimeRows(d: DowntimeReport): string[][] {
  return [
    ['downtime', 'plain CRIU (median)', 'q1 .. q3', 'cr-shim (median)', 'q1 .. q3', 'cr-shim − CRIU (median of pairs)', 'goal', 'verdict'],
    ...d.rows.map((r) => [
      r.title,
      fmtValue(r.criu.median, 'ms'),
      range(r.criu),
      fmtValue(r.crShim.median, 'ms'),
      range(r.crShim),
      `${r.delta >= 0 ? '+' : ''}${fmtValue(r.delta, 'ms')}`,
      `≤ +${fmtValue(r.limitMs, 'ms')}`,
      r.delta <= r.limitMs ? 'PASS' : 'MISS',
    ]),
  ];
}
