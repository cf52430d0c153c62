/** Numbers and tables for people: the stdout table and the pieces docs/PERFORMANCE.md reuses. */
import { containerRows } from './containers.js';
import { downtimeRows } from './downtime-table.js';
import { phaseRows } from './downtime-phases.js';
import { formatTable } from './matrix-table.js';
import type { BenchReport, Cell, GoalResult, Unit } from './types.js';

/** A value in its display unit: ns timings as µs (3 decimals: 1 ns resolution), ms with 1 decimal. */
export function fmtValue(v: number, unit: Unit): string {
  return unit === 'ns' ? `${(v / 1000).toFixed(3)} µs` : `${v.toFixed(1)} ms`;
}

/** A signed difference in the display unit, e.g. "+0.021 µs". */
export function fmtDelta(v: number, unit: Unit): string {
  const s = fmtValue(Math.abs(v), unit);
  return `${v < 0 ? '−' : '+'}${s}`;
}

export function fmtRatio(v: number): string {
  return `${v.toFixed(2)}×`;
}

/** KiB as MB (10⁶ bytes), the unit of the memory target. */
export function fmtKiB(kib: number): string {
  return `${((kib * 1024) / 1e6).toFixed(1)} MB`;
}

export function fmtPercent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function unitOfGoal(t: GoalResult, cells: readonly Cell[]): Unit {
  return cells.find((c) => c.scenario === t.goal.scenario)?.unit ?? 'ns';
}

/** The compared quantity of a goal result, formatted per its kind. */
export function fmtGoalValue(t: GoalResult, cells: readonly Cell[], v: number | undefined = t.value): string {
  if (v === undefined) return '—';
  switch (t.goal.compare) {
    case 'ratio':
      return fmtRatio(v);
    case 'peakRss':
      return fmtKiB(v);
    default:
      return fmtDelta(v, unitOfGoal(t, cells));
  }
}

const VERDICT_WORDS: Record<GoalResult['verdict'], string> = { PASS: 'met', MISS: 'missed', INFO: 'reported', 'N/A': 'not measured' };

/** "met", "met (within noise)", "missed", "reported", "not measured (why)". */
export function fmtVerdict(t: GoalResult): string {
  const word = VERDICT_WORDS[t.verdict];
  if (t.verdict === 'N/A') return `${word} (${t.reason ?? 'no cell'})`;
  if ((t.verdict === 'PASS' || t.verdict === 'MISS') && t.clear === false) return `${word} (within noise)`;
  return word;
}

/** Columns padded to their widest cell; the first row is the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c + ' '.repeat((widths[i] ?? 0) - [...c].length)).join('  ').trimEnd();
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n';
}

export function cellRows(cells: readonly Cell[]): string[][] {
  const rows = [['scenario', 'target', 'threads', 'median', 'q1 .. q3', 'min .. max', 'IQR/median', 'CPU median', 'CPU min .. max', 'n']];
  for (const c of cells) {
    const s = c.summary;
    const f = (v: number): string => fmtValue(v, c.unit);
    const cpu = c.cpuSummary;
    rows.push([
      c.scenario,
      c.target,
      String(c.threads),
      f(s.median),
      `${f(s.q1)} .. ${f(s.q3)}`,
      `${f(s.min)} .. ${f(s.max)}`,
      fmtPercent(s.relIqr),
      cpu ? f(cpu.median) : '—',
      cpu ? `${f(cpu.min)} .. ${f(cpu.max)}` : '—',
      String(s.n),
    ]);
  }
  return rows;
}

export function goalRows(goals: readonly GoalResult[], cells: readonly Cell[]): string[][] {
  const rows = [['goal', 'limit', 'measured', 'baseline', 'compared', 'pairs range', 'min vs min', 'verdict']];
  for (const t of goals) {
    const unit = unitOfGoal(t, cells);
    const peak = t.goal.compare === 'peakRss';
    rows.push([
      t.goal.id,
      t.goal.wording,
      t.measured === undefined ? '—' : peak ? fmtKiB(t.measured) : fmtValue(t.measured, unit),
      t.baseline === undefined ? '—' : fmtValue(t.baseline, unit),
      fmtGoalValue(t, cells),
      t.low === undefined || t.high === undefined ? '—' : `${fmtGoalValue(t, cells, t.low)} .. ${fmtGoalValue(t, cells, t.high)}`,
      t.best === undefined ? '—' : fmtGoalValue(t, cells, t.best),
      fmtVerdict(t),
    ]);
  }
  return rows;
}

/** What `cr-shim bench --goals` (npm run bench) prints when it is done: the matrix, every cell, the goals and the extra measurements. */
export function formatReport(r: BenchReport): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const out = [
    `cr-shim bench: ${r.host.date}, Linux ${r.host.kernel}, ${r.host.cpuModel} × ${r.host.cpus}, node ${r.host.node}`,
    `persona ${r.config.kernel}, ${r.config.rounds} rounds, ${r.config.wallSeconds.toFixed(0)} s; load average ${load(r.host.loadStart)} at start, ${load(r.host.loadEnd)} at end` +
      (r.host.cpuPressure ? `; CPU pressure (some, avg60) ${r.host.cpuPressure.start}% → ${r.host.cpuPressure.end}%` : ''),
    '',
    formatTable(r),
    textTable(cellRows(r.cells)),
  ];
  if (r.goals) out.push(textTable(goalRows(r.goals, r.cells)));
  if (r.startup) {
    const rows = [['start-up phase', 'median', 'q1 .. q3']];
    for (const p of r.startup.phases) rows.push([p.title, fmtValue(p.summary.median, 'ms'), `${fmtValue(p.summary.q1, 'ms')} .. ${fmtValue(p.summary.q3, 'ms')}`]);
    out.push(textTable(rows));
    const shim = r.cells.find((c) => c.scenario === 'startup' && c.target === 'notify');
    if (shim) out.push(`measured cr-shim run -- /bin/true (startup scenario): ${fmtValue(shim.summary.median, 'ms')} median\n`);
  }
  if (r.containers && 'unavailable' in r.containers) out.push(`containers: not measured (${r.containers.unavailable})\n`);
  else if (r.containers) out.push(textTable(containerRows(r.containers)));
  if (r.downtime) out.push(textTable(downtimeRows(r.downtime)));
  for (const p of r.downtime?.phases ?? []) out.push(textTable(phaseRows(p)));
  return out.join('\n');
}
