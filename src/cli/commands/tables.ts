/**
 * `cr-shim tables list | show RELEASE | diff A B`: the syscall tables as a research instrument.
 * This file finds the tables and the host; src/plan/show.ts and diff.ts compute the rows,
 * src/cli/format/tables-*.ts print them.
 */
import path from 'node:path';
import { ARCHES, HOST_ARCHES, isArch, type Arch } from '../../arch.js';
import { UsageError } from '../../errors.js';
import { probeHost } from '../../host/probe.js';
import { diffTables } from '../../plan/diff.js';
import { TableRegistry } from '../../tables/registry.js';
import { mainlineOf } from '../../tables/release.js';
import { releaseRanges } from '../../tables/release-ranges.js';
import { showTable } from '../../plan/show.js';
import type { SyscallTable } from '../../tables/types.js';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import { outputFormat } from '../format/output-format.js';
import { renderDiff } from '../format/tables-diff.js';
import { renderList, type ListReport, type StatusCounts } from '../format/tables-list.js';
import { renderShow, type ResolvedRelease, type ShowReport } from '../format/tables-show.js';
import { writeStdout } from '../stdout.js';

export const tablesSpec: CommandSpec = {
  name: 'tables',
  usage: 'cr-shim tables list [--counts] | show RELEASE | diff A B   [--arch ABI] [--json | --csv]',
  summary: 'The syscall tables: releases known per ABI, one release\'s table with what cr-shim does about each call, what changed between two releases.',
  options: [
    { name: 'arch', value: 'ABI', help: `${ARCHES.join(', ')}; show and diff default to x86_64, list to all` },
    { name: 'json', help: 'print JSON, for scripts' },
    { name: 'csv', help: 'print CSV, one row per release or per syscall' },
    { name: 'counts', help: 'list: present, gutted and removed syscalls per release (reads every table)' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

const SUBCOMMANDS: Readonly<Record<string, { args: string[]; run: (p: Parsed, args: string[]) => string }>> = {
  list: { args: [], run: list },
  show: { args: ['RELEASE'], run: show },
  diff: { args: ['A', 'B'], run: diff },
};

function usage(): string {
  return `usage: ${tablesSpec.usage}`;
}

function archOf(p: Parsed): Arch | undefined {
  const a = str(p.options.arch);
  if (a === undefined) return undefined;
  if (!isArch(a)) throw new UsageError('tables', `unknown ABI --arch ${a}`, { code: 'EUSAGE', hint: `use one of ${ARCHES.join(', ')}` });
  return a;
}

function notice(p: Parsed, text: string): void {
  if (!flag(p.options.quiet)) writeNotice(text);
}

/** The table for a requested release, the nearest lower known one with a notice, as `run` does. */
function resolve(p: Parsed, registry: TableRegistry, arch: Arch, requested: string): ResolvedRelease & { table: SyscallTable } {
  const r = registry.resolve(arch, requested);
  if (!r.exact) notice(p, `kernel ${requested}: no ${arch} table for ${mainlineOf(requested)}, using the nearest lower release ${r.release}`);
  else if (requested !== r.release) notice(p, `kernel ${requested}: using the ${arch} table of ${r.release}`);
  return { requested, release: r.release, exact: r.exact, table: r.table };
}

function list(p: Parsed): string {
  const registry = new TableRegistry();
  const only = archOf(p);
  const report: ListReport = {
    abis: (only ? [only] : [...ARCHES]).map((arch) => {
      const releases = [...registry.releases(arch)];
      const entry: ListReport['abis'][number] = { arch, host: HOST_ARCHES.includes(arch), releases, ranges: releaseRanges(releases) };
      if (flag(p.options.counts)) {
        entry.counts = {};
        for (const r of releases) {
          const c: StatusCounts = { present: 0, gutted: 0, removed: 0 };
          for (const e of registry.get(arch, r).syscalls) c[e.status]++;
          entry.counts[r] = c;
        }
      }
      return entry;
    }),
  };
  return renderList(report, outputFormat(p, 'tables list'));
}

/** This host's table and build for a host ABI; for another ABI, a mainline kernel of the host's release. */
function hostFor(registry: TableRegistry, arch: Arch): { table: SyscallTable; host: ShowReport['host'] } {
  const probe = probeHost({ registry });
  const probed = arch === 'x86_64' || arch === 'ia32' ? arch : undefined;
  if (probe.arch === 'x86_64' && probed && HOST_ARCHES.includes(probed)) {
    const { table, release } = registry.resolve(probed, probe.release);
    const missing = probe.missing[probed];
    return {
      table,
      host: {
        kernel: probe.release, table: release, missing, thisHost: true,
        description: `this host (Linux ${probe.release}, ${arch} table ${release}; its build lacks ${missing.length ? missing.join(', ') : 'nothing'})`,
      },
    };
  }
  const known = registry.releases(arch);
  let release: string;
  try {
    release = registry.resolve(arch, probe.mainline).release;
  } catch {
    release = known[known.length - 1] ?? probe.mainline;
  }
  return {
    table: registry.get(arch, release),
    host: {
      kernel: release, table: release, missing: [], thisHost: false,
      description: `an ${arch} host running mainline ${release} with every call built (hypothetical: this ${probe.arch} host does not run ${arch} programs)`,
    },
  };
}

function show(p: Parsed, [requested]: string[]): string {
  const registry = new TableRegistry();
  const arch = archOf(p) ?? 'x86_64';
  const format = outputFormat(p, 'tables show');
  const persona = resolve(p, registry, arch, requested!);
  const { table: hostTable, host } = hostFor(registry, arch);
  const result = showTable({ arch, persona: persona.table, host: hostTable, hostMissing: new Set(host.missing) });
  const report: ShowReport = {
    arch,
    persona: { requested: persona.requested, release: persona.release, exact: persona.exact },
    file: path.join(path.basename(registry.dir), arch, `linux-${persona.release}.json`),
    sources: persona.table.sources,
    notes: persona.table.notes ?? [],
    host,
    result,
  };
  if (persona.table.probe) report.probe = persona.table.probe;
  return renderShow(report, format);
}

function diff(p: Parsed, [a, b]: string[]): string {
  const registry = new TableRegistry();
  const arch = archOf(p) ?? 'x86_64';
  const format = outputFormat(p, 'tables diff');
  const from = resolve(p, registry, arch, a!);
  const to = resolve(p, registry, arch, b!);
  // B is a mainline kernel: the diff reads the same on every machine. `show` is for this host's build.
  const rows = diffTables({ arch, from: from.table, to: to.table, hostMissing: new Set() });
  const strip = (r: typeof from): ResolvedRelease => ({ requested: r.requested, release: r.release, exact: r.exact });
  return renderDiff({ arch, from: strip(from), to: strip(to), rows }, format);
}

export async function tablesCommand(p: Parsed): Promise<number> {
  const [name, ...args] = p.positionals;
  const sub = name === undefined ? undefined : SUBCOMMANDS[name];
  if (!sub) {
    throw new UsageError('tables', name === undefined ? 'no subcommand given' : `unknown subcommand ${name}`, { code: 'EUSAGE', hint: usage() });
  }
  if (args.length !== sub.args.length) {
    const want = sub.args.length ? sub.args.join(' ') : 'no arguments';
    throw new UsageError(`tables ${name}`, `takes ${want}, got ${args.length ? args.join(' ') : 'none'}`, { code: 'EUSAGE', hint: usage() });
  }
  await writeStdout(sub.run(p, args));
  return 0;
}
