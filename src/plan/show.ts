/**
 * `cr-shim tables show`: one release's table, each entry with what cr-shim does about it when
 * that release is the persona on a given host. Pure: tables in, rows out.
 */
import type { Arch } from '../arch.js';
import { planArch } from './compute.js';
import type { SyscallEntry, SyscallStatus, SyscallTable } from '../tables/types.js';
import { verdictOf, type Verdict } from './verdict.js';

export interface ShowInput {
  arch: Arch;
  /** The persona's table. */
  persona: SyscallTable;
  /** The host's table (its mainline release, or the nearest lower known). */
  host: SyscallTable;
  /** Table names the host's build lacks (probeHost), empty for a mainline host. */
  hostMissing: ReadonlySet<string>;
}

export interface ShowRow {
  nr: number;
  name: string;
  status: SyscallStatus;
  since?: string;
  changedIn?: string;
  args: string[];
  kconfig?: string;
  note?: string;
  crShim: Verdict;
}

export interface ShowResult {
  /** Every entry of the persona's table, by number. */
  rows: ShowRow[];
  /** Calls only the host's table has (newer than the persona): refused with ENOSYS. */
  hostOnly: { nr: number; name: string; crShim: Verdict }[];
}

function row(e: SyscallEntry, crShim: Verdict): ShowRow {
  const r: ShowRow = { nr: e.nr, name: e.name, status: e.status, args: e.args, crShim };
  if (e.since !== undefined) r.since = e.since;
  if (e.changedIn !== undefined) r.changedIn = e.changedIn;
  if (e.kconfig !== undefined) r.kconfig = e.kconfig;
  if (e.note !== undefined) r.note = e.note;
  return r;
}

/** The persona's table joined with its plan on this host, ordered by number. */
export function showTable(input: ShowInput): ShowResult {
  const plan = planArch(input);
  const byNr = new Map(input.persona.syscalls.map((e) => [e.nr, e]));
  const rows: ShowRow[] = [];
  const hostOnly: ShowResult['hostOnly'] = [];
  for (const p of plan.entries) {
    const e = byNr.get(p.nr);
    if (e) rows.push(row(e, verdictOf(e.name, p)));
    else hostOnly.push({ nr: p.nr, name: p.name, crShim: verdictOf(p.name, p) });
  }
  return { rows, hostOnly };
}
