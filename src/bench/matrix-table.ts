/** The matrix of a bench run: one row per calls scenario × threads, one column per target that ran (median ns per call). */
import type { BenchReport } from './types.js';

/** A duration in ns as people read it: "85 ns", "1.23 µs", "45.6 µs", "1.20 ms". */
export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 10_000) return `${(ns / 1000).toFixed(2)} µs`;
  if (ns < 1_000_000) return `${(ns / 1000).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/** Rows of cells: a header, then one row per (scenario, threads). Missing cells print "—". */
export function tableRows(r: BenchReport): string[][] {
  const targets = r.targets.filter((t) => t.unavailable === undefined);
  const rows: string[][] = [['scenario', 'threads', ...targets.map((t) => t.id)]];
  for (const s of r.scenarios.filter((x) => x.kind === 'calls')) {
    for (const n of r.config.threads) {
      const row = [s.title, String(n)];
      for (const t of targets) {
        const c = r.cells.find((x) => x.scenario === s.id && x.target === t.id && x.threads === n);
        row.push(c ? fmtNs(c.summary.median) : '—');
      }
      rows.push(row);
    }
  }
  return rows;
}

export function formatTable(r: BenchReport): string {
  const rows = tableRows(r);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `median ns of wall time per call (all threads' calls counted), persona ${r.config.kernel}, ${r.config.rounds} round(s)`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
  ];
  for (const t of r.targets) if (t.unavailable !== undefined) out.push(`not run: ${t.id}: ${t.unavailable}`);
  return out.join('\n') + '\n';
}
