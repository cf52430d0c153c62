/** Output of `cr-shim tables list`: the releases known per ABI. */
import type { Arch } from '../../arch.js';
import { rangeText, type ReleaseRange } from '../../tables/release-ranges.js';
import { toCsv } from './csv.js';
import { toJson, type OutputFormat } from './output-format.js';
import { columns } from './text-columns.js';

export interface StatusCounts {
  present: number;
  gutted: number;
  removed: number;
}

export interface ListReport {
  abis: {
    arch: Arch;
    /** The filter on this host handles this ABI; otherwise its tables are data only. */
    host: boolean;
    releases: string[];
    ranges: ReleaseRange[];
    /** Per release, when asked for (--counts): entries by status. */
    counts?: Record<string, StatusCounts>;
  }[];
}

export function renderList(report: ListReport, format: OutputFormat): string {
  if (format === 'json') {
    return toJson({ abis: report.abis.map((a) => ({ ...a, count: a.releases.length })) });
  }
  if (format === 'csv') {
    const withCounts = report.abis.some((a) => a.counts);
    const header = ['arch', 'release', ...(withCounts ? ['present', 'gutted', 'removed'] : [])];
    const rows = report.abis.flatMap((a) =>
      a.releases.map((r) => {
        const c = a.counts?.[r];
        return [a.arch, r, ...(withCounts ? [c?.present, c?.gutted, c?.removed] : [])];
      }),
    );
    return toCsv(header, rows);
  }
  const out = columns(
    [{ title: 'ABI' }, { title: 'RELEASES' }, { title: 'COUNT', align: 'right' }, { title: 'ON THIS HOST' }],
    report.abis.map((a) => [
      a.arch,
      a.ranges.map(rangeText).join(', ') || 'none',
      String(a.releases.length),
      a.host ? 'handled by the filter' : 'data only',
    ]),
  );
  for (const a of report.abis) {
    if (!a.counts) continue;
    out.push('', `${a.arch}: syscalls per release`);
    out.push(
      ...columns(
        [{ title: 'RELEASE' }, { title: 'PRESENT', align: 'right' }, { title: 'GUTTED', align: 'right' }, { title: 'REMOVED', align: 'right' }],
        a.releases.map((r) => {
          const c = a.counts?.[r];
          return [r, String(c?.present ?? ''), String(c?.gutted ?? ''), String(c?.removed ?? '')];
        }),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
