/** Output of `cr-shim tables diff A B`: what differs between two releases and what cr-shim does about it. */
import type { Arch } from '../../arch.js';
import { DIFF_KINDS, type DiffKind, type DiffRow } from '../../plan/diff.js';
import { toCsv } from './csv.js';
import { toJson, type OutputFormat } from './output-format.js';
import type { ResolvedRelease } from './tables-show.js';
import { columns } from './text-columns.js';

export interface DiffReport {
  arch: Arch;
  /** A: the persona. */
  from: ResolvedRelease;
  /** B: the host, a mainline kernel of that release. */
  to: ResolvedRelease;
  rows: DiffRow[];
}

const CSV_HEADER = [
  'kind', 'nr', 'name', 'from_nr', 'to_nr', 'from_status', 'to_status', 'changes',
  'from_args', 'to_args', 'from_kconfig', 'to_kconfig', 'cr_shim', 'support', 'basis', 'reason',
];

function heading(kind: DiffKind, a: string, b: string, n: number): string {
  switch (kind) {
    case 'removed':
      return `Removed (${n}): in ${a}, not in ${b}; the host answers ENOSYS, cr-shim answers for it or it is unsupported`;
    case 'gutted':
      return `Gutted (${n}): implemented in ${a}, only a stub in ${b}`;
    case 'added':
      return `Added (${n}): in ${b}, not in ${a}; refused with ENOSYS under a ${a} persona`;
    case 'changed':
      return `Changed (${n}): in both, with a different number, status, signature or Kconfig gate`;
  }
}

/** "args (int fd) -> (int fd, int flags)" for each changed field. */
function changeText(r: DiffRow): string {
  const f = r.from;
  const t = r.to;
  if (!f || !t) return '';
  return r.changes
    .map((c) => {
      if (c === 'args') return `args (${f.args.join(', ')}) -> (${t.args.join(', ')})`;
      if (c === 'kconfig') return `kconfig ${f.kconfig ?? 'none'} -> ${t.kconfig ?? 'none'}`;
      return `${c} ${String(f[c])} -> ${String(t[c])}`;
    })
    .join('; ');
}

function renderText(rep: DiffReport): string {
  const a = rep.from.release;
  const b = rep.to.release;
  const byKind = (k: DiffKind): DiffRow[] => rep.rows.filter((r) => r.kind === k);
  const out = [
    `${rep.arch} ${a} -> ${b}: a program from ${a} on a mainline ${b} host (\`cr-shim tables show ${a}\` accounts for this host's build)`,
    DIFF_KINDS.map((k) => `${byKind(k).length} ${k}`).join(', '),
  ];
  for (const kind of DIFF_KINDS) {
    const rows = byKind(kind);
    out.push('', heading(kind, a, b, rows.length));
    if (!rows.length) continue;
    if (kind === 'added') {
      out.push(...columns(
        [{ title: 'NR', align: 'right' }, { title: 'NAME' }, { title: 'SINCE' }, { title: 'KCONFIG' }, { title: 'CR-SHIM' }],
        rows.map((r) => [String(r.nr), r.name, r.to?.since ?? '', r.to?.kconfig ?? '', r.crShim.text]),
      ));
    } else if (kind === 'changed') {
      out.push(...columns(
        [{ title: 'NR', align: 'right' }, { title: 'NAME' }, { title: 'CR-SHIM' }, { title: 'SUPPORT' }, { title: 'WHAT CHANGED' }],
        rows.map((r) => [String(r.nr), r.name, r.crShim.text, r.crShim.support, changeText(r)]),
      ));
    } else {
      // A gutted call usually still runs on the host: what B's stub does is the news.
      const why = (r: DiffRow): string => (kind === 'gutted' && r.to?.note ? `${r.crShim.reason}; in ${b}: ${r.to.note}` : r.crShim.reason);
      out.push(...columns(
        [{ title: 'NR', align: 'right' }, { title: 'NAME' }, { title: 'CR-SHIM' }, { title: 'SUPPORT' }, { title: 'WHY' }],
        rows.map((r) => [String(r.nr), r.name, r.crShim.text, r.crShim.support, why(r)]),
      ));
    }
  }
  return `${out.join('\n')}\n`;
}

export function renderDiff(rep: DiffReport, format: OutputFormat): string {
  if (format === 'csv') {
    return toCsv(CSV_HEADER, rep.rows.map((r) => [
      r.kind, r.nr, r.name, r.from?.nr, r.to?.nr, r.from?.status, r.to?.status, r.changes,
      r.from?.args, r.to?.args, r.from?.kconfig, r.to?.kconfig, r.crShim.text, r.crShim.support, r.crShim.basis, r.crShim.reason,
    ]));
  }
  if (format === 'json') {
    const counts = Object.fromEntries(DIFF_KINDS.map((k) => [k, rep.rows.filter((r) => r.kind === k).length]));
    return toJson({
      arch: rep.arch,
      from: rep.from,
      to: rep.to,
      host: `mainline ${rep.to.release}`,
      counts,
      ...Object.fromEntries(DIFF_KINDS.map((k) => [k, rep.rows.filter((r) => r.kind === k)])),
    });
  }
  return renderText(rep);
}
