/** The --stats table: per translated syscall, how often and how fast it was answered. */
import { archFromAudit } from '../arch.js';
import type { NativeStat } from '../native/addon-types.js';
import type { CallStat, RouteSpec } from '../supervisor/worker-protocol.js';

export function mergeStats(js: CallStat[], native: NativeStat[], routes: RouteSpec[]): CallStat[] {
  const rows = [...js];
  for (const n of native) {
    const arch = archFromAudit(n.arch);
    const name = routes.find((r) => r.arch === arch && r.nr === n.nr)?.name ?? `nr ${n.nr}`;
    if (n.count > 0) rows.push({ arch, name, count: n.count, totalNs: n.totalNs, path: 'native' });
  }
  return rows.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

export function formatStats(js: CallStat[], native: NativeStat[], routes: RouteSpec[]): string {
  const rows = mergeStats(js, native, routes);
  const lines = ['cr-shim: translated syscalls', `  ${'syscall'.padEnd(20)} ${'arch'.padEnd(7)} ${'path'.padEnd(7)} ${'count'.padStart(9)} ${'mean µs'.padStart(9)}`];
  for (const r of rows) {
    const mean = r.count ? r.totalNs / r.count / 1000 : 0;
    lines.push(`  ${r.name.padEnd(20)} ${String(r.arch).padEnd(7)} ${r.path.padEnd(7)} ${String(r.count).padStart(9)} ${mean.toFixed(2).padStart(9)}`);
  }
  if (rows.length === 0) lines.push('  (none)');
  return lines.join('\n') + '\n';
}
