/** Output of `cr-shim tables show RELEASE`: one release's table and cr-shim's answer to each call. */
import type { Arch } from '../../arch.js';
import type { ShowResult, ShowRow } from '../../plan/show.js';
import type { SyscallTable, TableSource } from '../../tables/types.js';
import { toCsv } from './csv.js';
import { toJson, type OutputFormat } from './output-format.js';
import { columns } from './text-columns.js';

/** A release as asked for and the table release it resolved to. */
export interface ResolvedRelease {
  requested: string;
  release: string;
  /** False when the requested mainline release has no table and the nearest lower one is used. */
  exact: boolean;
}

export interface ShowReport {
  arch: Arch;
  persona: ResolvedRelease;
  /** The table file, relative to the package ("tables/x86_64/linux-5.4.json"). */
  file: string;
  sources: TableSource[];
  notes: string[];
  probe?: SyscallTable['probe'];
  host: {
    /** uname -r of this host, or the mainline release of a hypothetical one. */
    kernel: string;
    /** The host table the plan compared against. */
    table: string;
    /** Calls the host's build lacks that the plan took into account. */
    missing: string[];
    /** False when the plan is for a host of another ABI (aarch64 on this x86_64 machine). */
    thisHost: boolean;
    /** One line for people: which host the answers are for. */
    description: string;
  };
  result: ShowResult;
}

function tally<T>(items: readonly T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([k, n]) => `${n} ${k}`).join(', ');
}

const CSV_HEADER = ['nr', 'name', 'status', 'since', 'changed_in', 'args', 'kconfig', 'note', 'cr_shim', 'support', 'basis', 'reason'];

function csvRow(r: ShowRow): (string | number | undefined | string[])[] {
  return [r.nr, r.name, r.status, r.since, r.changedIn, r.args, r.kconfig, r.note, r.crShim.text, r.crShim.support, r.crShim.basis, r.crShim.reason];
}

function renderText(rep: ShowReport): string {
  const { rows, hostOnly } = rep.result;
  const r = rep.persona.release;
  const out = [
    `${rep.arch} syscall table of Linux ${r} (${rep.file}): ${rows.length} entries, ${tally(rows, (x) => x.status)}`,
    `cr-shim with ${r} as the persona, on ${rep.host.description}`,
    `answers: ${tally(rows, (x) => x.crShim.text)}`,
    '',
    ...columns(
      [
        { title: 'NR', align: 'right' }, { title: 'NAME' }, { title: 'STATUS' }, { title: 'SINCE' }, { title: 'CHANGED' },
        { title: 'KCONFIG' }, { title: 'CR-SHIM' }, { title: 'SUPPORT' }, { title: 'ARGS' },
      ],
      rows.map((x) => [String(x.nr), x.name, x.status, x.since ?? '', x.changedIn ?? '', x.kconfig ?? '', x.crShim.text, x.crShim.support, x.args.join(', ')]),
    ),
  ];
  const special = rows.filter((x) => x.crShim.basis === 'emulated' || x.crShim.basis === 'unsupported');
  if (special.length) {
    out.push('', 'Answered by the registry, or unsupported:');
    for (const x of special) out.push(`  ${x.nr} ${x.name}: ${x.crShim.text} (${x.crShim.support}): ${x.crShim.reason}`);
  }
  const noted = rows.filter((x) => x.note);
  if (noted.length) {
    out.push('', 'Notes on entries:');
    for (const x of noted) out.push(`  ${x.nr} ${x.name}: ${x.note}`);
  }
  if (hostOnly.length) {
    out.push('', `Calls of the host's table that ${r} did not have, refused with ENOSYS (${hostOnly.length}):`);
    out.push(`  ${hostOnly.map((h) => h.name).join(', ')}`);
  }
  if (rep.notes.length) {
    out.push('', 'About this table:');
    for (const n of rep.notes) out.push(`  - ${n}`);
  }
  out.push('', 'Sources:');
  for (const s of rep.sources) out.push(`  - ${s.name} ${s.version}${s.file ? ` (${s.file})` : ''}: ${s.facts.join(', ')}`);
  return `${out.join('\n')}\n`;
}

export function renderShow(rep: ShowReport, format: OutputFormat): string {
  if (format === 'csv') return toCsv(CSV_HEADER, rep.result.rows.map(csvRow));
  if (format === 'json') {
    return toJson({
      arch: rep.arch,
      ...rep.persona,
      file: rep.file,
      host: rep.host,
      sources: rep.sources,
      notes: rep.notes,
      ...(rep.probe ? { probe: rep.probe } : {}),
      syscalls: rep.result.rows,
      hostOnly: rep.result.hostOnly,
    });
  }
  return renderText(rep);
}
