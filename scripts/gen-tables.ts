/*
 * Generate tables/ from ../shared/reference (or $CR_SHIM_REFERENCE):
 *
 *   tables/<arch>/linux-<release>.json   one per mainline release, per ABI: x86_64 and ia32
 *                                        2.6.16 .. 6.18, aarch64 5.0 .. 6.18
 *   tables/releases.json                 release dates and a compiler of their day
 *   tables/sysctl-binary.json            binary _sysctl names -> /proc/sys paths
 *
 * How each table is built:
 *   4.0 .. 6.17     Systrack's implemented set (numbers, signatures, kconfig, entry symbols), named
 *                   by number from libseccomp's syscalls.csv.
 *   2.6.16 .. 3.19  4.0's set minus the calls first released later (man-pages syscalls(2); for
 *                   x86_64 cross-checked with libseccomp PR 457), plus calls removed before 4.0.
 *   6.18            6.17's set plus calls known to be new in 6.18, and the probe of this host's
 *                   kernel when it runs 6.18 (recorded in `probe`; entries stay mainline). aarch64
 *                   is never probed (this is an x86_64 host): its 6.18 is 6.17's set.
 *   aarch64         5.0 .. 6.17 from Systrack alone; "since" only for calls that came after 5.0
 *                   (libseccomp PR 457's aarch64 versions are wrong, man-pages dates the first
 *                   architecture). Calls in GATED_PRESENT are kept present through the releases
 *                   where no build of that ABI has them.
 *   every release   'removed' entries for calls an earlier release had; 'gutted' per GUTTED.
 *
 * Output is deterministic: same reference data and same probe result give the same bytes. The
 * probe date is kept from the previous 6.18 file while the probed set does not change.
 *
 * Run: npx tsx scripts/gen-tables.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Arch } from '../src/arch.js';
import { missingSyscalls, parseKallsyms, parseKconfig } from '../src/host/probe.js';
import { Ajv, type ValidateFunction } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import type { ReleasesFile, SysctlBinaryEntry, SysctlBinaryFile } from '../src/tables/load.js';
import { schemaError, type SchemaName } from '../src/tables/schema-error.js';
import { compareReleases, mainlineOf } from '../src/tables/release.js';
import type { SyscallEntry, SyscallTable, TableSource } from '../src/tables/types.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every mainline release cr-shim has tables for (x86_64, ia32), oldest first. */
export const RELEASES: readonly string[] = [
  ...range(16, 39).map((p) => `2.6.${p}`),
  ...range(0, 19).map((m) => `3.${m}`),
  ...range(0, 20).map((m) => `4.${m}`),
  ...range(0, 19).map((m) => `5.${m}`),
  ...range(0, 18).map((m) => `6.${m}`),
];
const FIRST_SYSTRACK = '4.0';
const LAST_SYSTRACK = '6.17';
const PROBED_RELEASE = '6.18';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

interface AbiSpec {
  arch: Arch;
  systrack: string;
  /** Column of libseccomp's syscalls.csv. */
  column: string;
  /** Oldest release with a table for this ABI. */
  first: string;
  /** Oldest Systrack table for this ABI; older tables are derived from it with man-pages. */
  firstSystrack: string;
  /** Runs on this (x86_64) host, so its 6.18 table takes the live probe. */
  probed: boolean;
}
const ABIS: readonly AbiSpec[] = [
  { arch: 'x86_64', systrack: 'x86-64-x64', column: 'x86_64', first: '2.6.16', firstSystrack: FIRST_SYSTRACK, probed: true },
  { arch: 'ia32', systrack: 'x86-64-ia32', column: 'x86', first: '2.6.16', firstSystrack: FIRST_SYSTRACK, probed: true },
  { arch: 'aarch64', systrack: 'arm64-64-aarch64', column: 'aarch64', first: '5.0', firstSystrack: '5.0', probed: false },
];

/** The releases with a table for this ABI, oldest first. */
export function releasesOf(arch: Arch): readonly string[] {
  const abi = ABIS.find((a) => a.arch === arch);
  return abi ? RELEASES.filter((r) => compareReleases(r, abi.first) >= 0) : [];
}

// ---------------------------------------------------------------------------------------------
// Kernel history the reference data does not carry. Each row is a fact with its reason.

/** Calls removed before 4.0, so absent from every Systrack table. */
const REMOVED_BEFORE_SYSTRACK: readonly {
  name: string;
  nr: Partial<Record<Arch, number>>;
  /** Last release that had it. */
  until: string;
  args: string[];
  note: string;
}[] = [
  {
    name: 'nfsservctl',
    nr: { x86_64: 180, ia32: 169 },
    until: '3.0',
    // fs/nfsctl.c: SYSCALL_DEFINE3(nfsservctl, int, cmd, struct nfsctl_arg __user *, arg, void __user *, res)
    args: ['int cmd', 'struct nfsctl_arg *arg', 'void *res'],
    note: 'kernel nfsd control call; removed in 3.1 (nfs-utils uses /proc/fs/nfsd). Signature from fs/nfsctl.c, not Systrack',
  },
];

/** Calls whose slot still answers while the feature is gone (status 'gutted'). */
const GUTTED: readonly { arch?: Arch; name: string; from: string; changedIn: string; note: string }[] = [
  {
    name: '_sysctl',
    from: '5.5',
    changedIn: '5.5',
    note:
      'binary sysctl removed in 5.5: the stub still copies struct __sysctl_args (EFAULT on a bad pointer, ' +
      'or oldval without oldlenp), logs a deprecation warning and returns ENOSYS; the slot itself goes in 5.9',
  },
  {
    name: 'remap_file_pages',
    from: '4.0',
    changedIn: '4.0',
    note: 'deprecated in 3.16; since 4.0 emulated with ordinary mappings (nonlinear VMAs are gone): same result, slower',
  },
  {
    arch: 'ia32',
    name: 'bdflush',
    from: '2.6.16',
    changedIn: '2.6',
    note: 'no-op since 2.6: needs CAP_SYS_ADMIN, logs a warning, exits the caller for func 1, else returns 0',
  },
];

/** Notes and corrections for present entries in a range of releases. */
const PRESENT_NOTES: readonly { arch?: Arch; name: string; from: string; to?: string; note?: string; dropKconfig?: boolean }[] = [
  { name: 'remap_file_pages', from: '3.16', to: '3.19', note: 'deprecated in 3.16 (warns once); still implemented' },
  {
    name: 'iopl',
    from: '5.5',
    note: 'since 5.5 iopl(3) grants port I/O through the I/O bitmap only; it can no longer disable interrupts',
  },
  { name: 'perf_event_open', from: '2.6.31', to: '2.6.31', note: 'named perf_counter_open in 2.6.31; renamed in 2.6.32' },
  // CONFIG_USELIB appeared in 3.15; before it uselib was always built.
  { arch: 'ia32', name: 'uselib', from: '2.6.16', to: '3.14', dropKconfig: true },
  ...['pkey_mprotect', 'pkey_alloc', 'pkey_free'].map((name) => ({
    arch: 'aarch64' as const,
    name,
    from: '6.12',
    note: 'built on arm64 since 6.12, with CONFIG_ARM64_POE (which selects CONFIG_ARCH_HAS_PKEYS); ENOSYS on earlier arm64 kernels',
  })),
];

const REMOVED_NOTES: Readonly<Record<string, string>> = {
  _sysctl: 'entry point removed in 5.9 (binary sysctl itself went in 5.5)',
  lookup_dcookie: 'removed in 5.12 with the dcookie code oprofile used',
  nfsservctl: 'removed in 3.1',
  bdflush: 'removed in 5.15 (a no-op since 2.6)',
  uselib: 'CONFIG_USELIB and sys_uselib removed in 6.16',
};

/** Calls new in 6.18, after the last Systrack table. Numbers come from libseccomp (7.1-rc4). */
const NEW_IN_PROBED: readonly { arch: Arch; name: string; entry: string; args: string[]; note: string }[] = [
  {
    arch: 'x86_64',
    name: 'uprobe',
    entry: '__x64_sys_uprobe',
    args: [],
    note:
      'new in 6.18 (x86_64 only; SYSCALL_DEFINE0, called from optimised uprobe trampolines). ' +
      'Number from libseccomp 7.1-rc4; membership in 6.18 is cr-shim knowledge, not Systrack data',
  },
];

/**
 * Calls an ABI numbers whose code no kernel of that ABI builds in a range of releases, because
 * the Kconfig option that gates them cannot be selected there. They stay 'present' (with that
 * kconfig and a note) rather than 'removed': the absence is build configuration, and the slot
 * comes back when the ABI gains the option. Signature and entry symbol from LAST_SYSTRACK.
 */
const GATED_PRESENT: readonly { arch: Arch; names: readonly string[]; from: string; to: string; kconfig: string; note: string }[] = [
  {
    arch: 'aarch64',
    names: ['pkey_mprotect', 'pkey_alloc', 'pkey_free'],
    from: '5.0',
    to: '6.11',
    kconfig: 'CONFIG_ARCH_HAS_PKEYS',
    note:
      'numbered in asm-generic since 4.9, but mm/mprotect.c builds it only with CONFIG_ARCH_HAS_PKEYS, which arm64 ' +
      'selects from 6.12 (CONFIG_ARM64_POE): an arm64 kernel before 6.12 answers ENOSYS. Build configuration, not a removal. ' +
      'Systrack has no entry in 5.0 to 5.6 and 6.3 to 6.11, and found its 5.7 to 6.2 entries by grepping the source (grepped_location), not in the vmlinux',
  },
];

/** Mainline release dates (Linus's announcement, UTC date). */
const RELEASE_DATES: Readonly<Record<string, string>> = {
  '2.6.16': '2006-03-20', '2.6.17': '2006-06-17', '2.6.18': '2006-09-20', '2.6.19': '2006-11-29',
  '2.6.20': '2007-02-04', '2.6.21': '2007-04-26', '2.6.22': '2007-07-08', '2.6.23': '2007-10-09',
  '2.6.24': '2008-01-24', '2.6.25': '2008-04-16', '2.6.26': '2008-07-13', '2.6.27': '2008-10-09',
  '2.6.28': '2008-12-24', '2.6.29': '2009-03-23', '2.6.30': '2009-06-09', '2.6.31': '2009-09-09',
  '2.6.32': '2009-12-03', '2.6.33': '2010-02-24', '2.6.34': '2010-05-16', '2.6.35': '2010-08-01',
  '2.6.36': '2010-10-20', '2.6.37': '2011-01-04', '2.6.38': '2011-03-14', '2.6.39': '2011-05-18',
  '3.0': '2011-07-21', '3.1': '2011-10-24', '3.2': '2012-01-04', '3.3': '2012-03-18',
  '3.4': '2012-05-20', '3.5': '2012-07-21', '3.6': '2012-09-30', '3.7': '2012-12-10',
  '3.8': '2013-02-18', '3.9': '2013-04-28', '3.10': '2013-06-30', '3.11': '2013-09-02',
  '3.12': '2013-11-03', '3.13': '2014-01-19', '3.14': '2014-03-30', '3.15': '2014-06-08',
  '3.16': '2014-08-03', '3.17': '2014-10-05', '3.18': '2014-12-07', '3.19': '2015-02-08',
  '4.0': '2015-04-12', '4.1': '2015-06-22', '4.2': '2015-08-30', '4.3': '2015-11-01',
  '4.4': '2016-01-10', '4.5': '2016-03-14', '4.6': '2016-05-15', '4.7': '2016-07-24',
  '4.8': '2016-10-02', '4.9': '2016-12-11', '4.10': '2017-02-19', '4.11': '2017-04-30',
  '4.12': '2017-07-02', '4.13': '2017-09-03', '4.14': '2017-11-12', '4.15': '2018-01-28',
  '4.16': '2018-04-01', '4.17': '2018-06-03', '4.18': '2018-08-12', '4.19': '2018-10-22',
  '4.20': '2018-12-23', '5.0': '2019-03-03', '5.1': '2019-05-05', '5.2': '2019-07-07',
  '5.3': '2019-09-15', '5.4': '2019-11-24', '5.5': '2020-01-26', '5.6': '2020-03-29',
  '5.7': '2020-05-31', '5.8': '2020-08-02', '5.9': '2020-10-11', '5.10': '2020-12-13',
  '5.11': '2021-02-14', '5.12': '2021-04-25', '5.13': '2021-06-27', '5.14': '2021-08-29',
  '5.15': '2021-10-31', '5.16': '2022-01-09', '5.17': '2022-03-20', '5.18': '2022-05-22',
  '5.19': '2022-07-31', '6.0': '2022-10-02', '6.1': '2022-12-11', '6.2': '2023-02-19',
  '6.3': '2023-04-23', '6.4': '2023-06-25', '6.5': '2023-08-27', '6.6': '2023-10-30',
  '6.7': '2024-01-07', '6.8': '2024-03-10', '6.9': '2024-05-12', '6.10': '2024-07-14',
  '6.11': '2024-09-15', '6.12': '2024-11-17', '6.13': '2025-01-19', '6.14': '2025-03-24',
  '6.15': '2025-05-25', '6.16': '2025-07-27', '6.17': '2025-09-28', '6.18': '2025-11-30',
};

/** GCC releases (gcc.gnu.org/releases.html); a release is paired with the newest one before it. */
const GCC_RELEASES: readonly [string, string][] = [
  ['4.1.0', '2006-02-28'], ['4.1.1', '2006-05-24'], ['4.1.2', '2007-02-13'],
  ['4.2.0', '2007-05-13'], ['4.2.1', '2007-07-18'], ['4.2.2', '2007-10-07'], ['4.2.3', '2008-02-01'],
  ['4.3.0', '2008-03-05'], ['4.3.1', '2008-06-06'], ['4.3.2', '2008-08-27'], ['4.3.3', '2009-01-24'],
  ['4.4.0', '2009-04-21'], ['4.4.1', '2009-07-22'], ['4.4.2', '2009-10-15'], ['4.4.3', '2010-01-21'],
  ['4.4.4', '2010-04-29'], ['4.4.5', '2010-10-01'], ['4.5.2', '2010-12-16'], ['4.6.0', '2011-03-25'],
  ['4.6.1', '2011-06-27'], ['4.6.2', '2011-10-26'], ['4.6.3', '2012-03-01'], ['4.7.0', '2012-03-22'],
  ['4.7.1', '2012-06-14'], ['4.7.2', '2012-09-20'], ['4.8.0', '2013-03-22'], ['4.8.1', '2013-05-31'],
  ['4.8.2', '2013-10-16'], ['4.9.0', '2014-04-22'], ['4.9.1', '2014-07-16'], ['4.9.2', '2014-10-30'],
  ['5.1.0', '2015-04-22'], ['5.2.0', '2015-07-16'], ['5.3.0', '2015-12-04'], ['6.1.0', '2016-04-27'],
  ['6.2.0', '2016-08-22'], ['6.3.0', '2016-12-21'], ['7.1.0', '2017-05-02'], ['7.2.0', '2017-08-14'],
  ['7.3.0', '2018-01-25'], ['8.1.0', '2018-05-02'], ['8.2.0', '2018-07-26'], ['8.3.0', '2019-02-22'],
  ['9.1.0', '2019-05-03'], ['9.2.0', '2019-08-12'], ['9.3.0', '2020-03-12'], ['10.1.0', '2020-05-07'],
  ['10.2.0', '2020-07-23'], ['10.3.0', '2021-04-08'], ['11.1.0', '2021-04-27'], ['11.2.0', '2021-07-28'],
  ['11.3.0', '2022-04-21'], ['12.1.0', '2022-05-06'], ['12.2.0', '2022-08-19'], ['12.3.0', '2023-05-08'],
  ['13.1.0', '2023-04-26'], ['13.2.0', '2023-07-27'], ['13.3.0', '2024-05-21'], ['14.1.0', '2024-05-07'],
  ['14.2.0', '2024-08-01'], ['15.1.0', '2025-04-25'], ['15.2.0', '2025-08-08'],
];

// ---------------------------------------------------------------------------------------------
// Reading the reference data.

/** Minimal CSV: fields may be "quoted" with "" escapes; no newlines inside fields. */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') (v += '"'), (i += 2);
        else if (line[i] === '"') break;
        else v += line[i++];
      }
      out.push(v);
      i += 2; // closing quote and comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const [head, ...rest] = lines;
  if (head === undefined) throw new Error(`${file}: empty`);
  return { header: parseCsvLine(head), rows: rest.map(parseCsvLine) };
}

interface SystrackEntry {
  number: number;
  name: string;
  signature: string[] | null;
  kconfig: string | null;
  symbol: string;
}

interface Reference {
  dir: string;
  libseccompVersion: string;
  pr457Version: string;
  /** ABI column -> nr -> table name (libseccomp, 7.1-rc4). */
  names: Map<string, Map<number, string>>;
  /** ABI column -> table name -> first version (PR 457). */
  pr457: Map<string, Map<string, string>>;
  /** table name -> man-pages kernel_first (first part when it lists several). */
  manFirst: Map<string, string | undefined>;
  systrack(abi: AbiSpec, release: string): SystrackEntry[];
}

function loadReference(dir: string): Reference {
  const lib = readCsv(path.join(dir, 'libseccomp-syscalls.csv'));
  const pr = readCsv(path.join(dir, 'libseccomp-syscalls-pr457-kver.csv'));
  const man = readCsv(path.join(dir, 'manpages-syscalls2.csv'));
  const versionOf = (h: string[]): string => /\(([^)]+)\)/.exec(h[0] ?? '')?.[1] ?? 'unknown';

  const names = new Map<string, Map<number, string>>();
  const pr457 = new Map<string, Map<string, string>>();
  for (const abi of ABIS) {
    const c = lib.header.indexOf(abi.column);
    const byNr = new Map<number, string>();
    for (const r of lib.rows) {
      const v = r[c];
      if (v !== undefined && v !== 'PNR' && r[0] !== undefined) byNr.set(Number(v), r[0]);
    }
    names.set(abi.column, byNr);
    const k = pr.header.indexOf(`${abi.column}_kver`);
    const first = new Map<string, string>();
    for (const r of pr.rows) {
      const m = /^SCMP_KV_(\d+)_(\d+)$/.exec(r[k] ?? '');
      if (m && r[0] !== undefined) first.set(r[0], `${m[1]}.${m[2]}`);
    }
    pr457.set(abi.column, first);
  }
  const manFirst = new Map<string, string | undefined>();
  for (const [name, first] of man.rows) {
    if (name === undefined) continue;
    const v = (first ?? '').split(';')[0]?.trim();
    manFirst.set(name, v ? v : undefined);
  }
  const cache = new Map<string, SystrackEntry[]>();
  return {
    dir,
    libseccompVersion: versionOf(lib.header),
    pr457Version: versionOf(pr.header),
    names,
    pr457,
    manFirst,
    systrack(abi, release) {
      const file = path.join(dir, 'systrack', abi.systrack, `v${release}.json`);
      let hit = cache.get(file);
      if (!hit) {
        hit = (JSON.parse(fs.readFileSync(file, 'utf8')) as { syscalls: SystrackEntry[] }).syscalls;
        cache.set(file, hit);
      }
      return hit;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Versions. man-pages goes back to 1.0, so compare on a key that orders 1.x, 2.x and 2.6.x too.

function versionKey(v: string): number[] {
  const parts = v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[0] === 2 ? (parts[2] ?? 0) : 0];
}
function versionCmp(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
const FIRST_RELEASE = RELEASES[0] ?? '2.6.16';

// ---------------------------------------------------------------------------------------------
// Building the tables.

interface Draft extends SyscallEntry {}

interface SinceFact {
  since?: string;
  note?: string;
}

/** First release of a call present in 4.0, from man-pages (and PR 457 for x86_64). */
function sinceBeforeSystrack(ref: Reference, abi: AbiSpec, name: string): SinceFact {
  const man = ref.manFirst.get(name);
  const pr = abi.arch === 'x86_64' ? ref.pr457.get(abi.column)?.get(name) : undefined;
  let since = man;
  let note: string | undefined;
  if (man !== undefined && pr !== undefined && versionCmp(man, pr) !== 0) {
    if (versionCmp(man, '3.0') < 0 && versionCmp(pr, '3.0') > 0) {
      // man-pages dates the first architecture; PR 457 resolves x86_64 from 3.0 on.
      since = pr;
      note = `x86_64 since ${pr} (libseccomp PR 457); man-pages gives ${man}, the first architecture`;
    } else if (versionCmp(pr, '3.0') > 0) {
      note = `first version ${man} per man-pages; libseccomp PR 457 says ${pr}`;
    }
  }
  if (since !== undefined && versionCmp(since, FIRST_SYSTRACK) > 0) {
    note = `man-pages gives ${since}, but Systrack has it in ${FIRST_SYSTRACK}`;
    since = FIRST_SYSTRACK;
  }
  // Older than the oldest table: `since` is left out rather than claimed.
  if (since === undefined || versionCmp(since, FIRST_RELEASE) < 0) return note ? { note } : {};
  return note ? { since, note } : { since };
}

function kconfigName(k: string | null): string | undefined {
  return k ? `CONFIG_${k}` : undefined;
}

/** The present/gutted entries of one release, keyed by number. */
function presentSet(ref: Reference, abi: AbiSpec, release: string, sinceOf: (nr: number, name: string) => SinceFact): Map<number, Draft> {
  const names = ref.names.get(abi.column) ?? new Map<number, string>();
  const fromSystrack = (r: string, withEntry: boolean): Map<number, Draft> => {
    const out = new Map<number, Draft>();
    for (const s of ref.systrack(abi, r)) {
      const tableName = names.get(s.number);
      const e: Draft = { nr: s.number, name: tableName ?? s.name, status: 'present', args: s.signature ?? [] };
      const since = sinceOf(s.number, e.name);
      if (since.since) e.since = since.since;
      const k = kconfigName(s.kconfig);
      if (k) e.kconfig = k;
      if (withEntry) e.entry = s.symbol;
      const notes = [since.note, tableName ? undefined : `no libseccomp name for ${abi.column} ${s.number}: kernel function name used`];
      const note = notes.filter(Boolean).join('; ');
      if (note) e.note = note;
      out.set(s.number, e);
    }
    return out;
  };

  let set: Map<number, Draft>;
  if (compareReleases(release, abi.firstSystrack) < 0) {
    set = new Map();
    for (const [nr, e] of fromSystrack(abi.firstSystrack, false)) {
      if (e.since === undefined || compareReleases(e.since, release) <= 0) set.set(nr, e);
    }
    for (const old of REMOVED_BEFORE_SYSTRACK) {
      const nr = old.nr[abi.arch];
      if (nr === undefined || compareReleases(release, old.until) > 0) continue;
      set.set(nr, { nr, name: old.name, status: 'present', args: old.args, note: old.note });
    }
  } else if (compareReleases(release, LAST_SYSTRACK) <= 0) {
    set = fromSystrack(release, true);
  } else {
    set = fromSystrack(LAST_SYSTRACK, true);
    for (const add of NEW_IN_PROBED) {
      if (add.arch !== abi.arch) continue;
      const nr = [...names].find(([, n]) => n === add.name)?.[0];
      if (nr === undefined) throw new Error(`libseccomp has no ${abi.column} number for ${add.name}`);
      set.set(nr, { nr, name: add.name, status: 'present', since: PROBED_RELEASE, args: add.args, entry: add.entry, note: add.note });
    }
  }
  for (const rule of GATED_PRESENT) {
    if (rule.arch !== abi.arch || compareReleases(release, rule.from) < 0 || compareReleases(release, rule.to) > 0) continue;
    const last = fromSystrack(LAST_SYSTRACK, true);
    for (const name of rule.names) {
      const model = [...last.values()].find((e) => e.name === name);
      if (!model) throw new Error(`${abi.arch}: GATED_PRESENT ${name} is not in Systrack ${LAST_SYSTRACK}`);
      const e: Draft = { nr: model.nr, name, status: 'present', args: model.args, kconfig: rule.kconfig, note: rule.note };
      if (model.entry) e.entry = model.entry;
      if (model.since) e.since = model.since;
      set.set(model.nr, e);
    }
  }

  const within = (r: string, from: string, to?: string): boolean =>
    versionCmp(r, from) >= 0 && (to === undefined || versionCmp(r, to) <= 0);
  for (const e of set.values()) {
    for (const rule of PRESENT_NOTES) {
      if (rule.name !== e.name || (rule.arch && rule.arch !== abi.arch) || !within(release, rule.from, rule.to)) continue;
      if (rule.note) e.note = e.note ? `${e.note}; ${rule.note}` : rule.note;
      if (rule.dropKconfig) delete e.kconfig;
    }
    for (const rule of GUTTED) {
      if (rule.name !== e.name || (rule.arch && rule.arch !== abi.arch) || !within(release, rule.from)) continue;
      e.status = 'gutted';
      e.changedIn = rule.changedIn;
      e.note = rule.note;
    }
  }
  return set;
}

function sources(ref: Reference, abi: AbiSpec, release: string): TableSource[] {
  const before = compareReleases(release, abi.firstSystrack) < 0;
  const after = compareReleases(release, LAST_SYSTRACK) > 0;
  const systrackRelease = before ? abi.firstSystrack : after ? LAST_SYSTRACK : release;
  // The x86 ABIs share the probed 6.18 and its source list (ia32 has no new call of its own).
  const newInProbed = after && abi.probed;
  const out: TableSource[] = [
    {
      name: 'systrack',
      version: `v${systrackRelease}`,
      facts: before
        ? [`base set (${abi.firstSystrack}'s)`, 'numbers', 'signatures', 'kconfig']
        : after
          ? [`base set (${LAST_SYSTRACK}'s)`, 'numbers', 'signatures', 'kconfig', 'entry symbols']
          : ['implemented set', 'numbers', 'signatures', 'kconfig', 'entry symbols', 'removals'],
      file: `systrack/${abi.systrack}/v${systrackRelease}.json`,
    },
    {
      name: 'libseccomp',
      version: ref.libseccompVersion,
      facts: newInProbed ? ['table names', 'numbers of calls new in 6.18'] : ['table names'],
      file: 'libseccomp-syscalls.csv',
    },
  ];
  if (abi.arch !== 'aarch64') {
    out.push({ name: 'man-pages', version: 'syscalls(2), to 5.14', facts: ['first version'], file: 'manpages-syscalls2.csv' });
  }
  if (abi.arch === 'x86_64') {
    out.push({ name: 'libseccomp-pr457', version: ref.pr457Version, facts: ['first version (x86_64 cross-check)'], file: 'libseccomp-syscalls-pr457-kver.csv' });
  }
  out.push({
    name: 'cr-shim',
    version: 'scripts/gen-tables.ts',
    facts: [
      ...(abi.arch === 'aarch64' ? ['config-gated calls kept present (GATED_PRESENT)'] : ['removals before 4.0']),
      'gutted status',
      'notes',
      ...(newInProbed ? ['calls new in 6.18'] : []),
    ],
  });
  return out;
}

function tableNotes(abi: AbiSpec, release: string): string[] {
  if (abi.arch === 'aarch64') return aarch64Notes(release);
  const notes: string[] = [];
  if (compareReleases(release, FIRST_SYSTRACK) < 0) {
    notes.push(
      `Derived: Linux ${FIRST_SYSTRACK}'s set (Systrack) minus calls first released after ${release} ` +
        '(man-pages syscalls(2)' + (abi.arch === 'x86_64' ? ', cross-checked with libseccomp PR 457' : '') +
        '), plus calls removed before 4.0; signatures and kconfig are 4.0\'s.',
    );
  }
  notes.push(`"since" is left out for calls older than ${FIRST_RELEASE}, the oldest release with a table.`);
  if (abi.arch === 'ia32' && compareReleases(release, '4.3') < 0) {
    notes.push('Before 4.3 i386 had no direct socket calls: socket(2) and friends go through socketcall (102).');
  }
  if (abi.arch === 'ia32' && compareReleases(release, '5.1') < 0) {
    notes.push('Before 5.1 i386 had no direct SysV IPC calls (only ipc, 117) and no *_time64 calls.');
  }
  if (abi.arch === 'x86_64' && compareReleases(release, '2.6.22') >= 0 && compareReleases(release, '2.6.24') <= 0) {
    notes.push('Not modelled: the original timerfd() of 2.6.22 to 2.6.24, in the slot timerfd_create took in 2.6.25.');
  }
  if (compareReleases(release, LAST_SYSTRACK) > 0) {
    notes.push(
      `Mainline ${release} = Systrack's ${LAST_SYSTRACK} data plus calls known to be new in ${release} (cr-shim knowledge, numbers from libseccomp). ` +
        'libseccomp 7.1-rc4 also numbers listns (470) and rseq_slice_yield (471); they came after 6.18 and are not listed. ' +
        '"probe" records what one host running this release does not build; entries stay mainline.',
    );
  }
  return notes;
}

function aarch64Notes(release: string): string[] {
  const notes = [
    '"since" is left out for calls already in 5.0, the oldest aarch64 table. First versions come from Systrack only: ' +
      'libseccomp PR 457\'s aarch64 versions are wrong and man-pages dates a call\'s first architecture.',
    'libseccomp also numbers nfsservctl (42) for aarch64; no arm64 kernel implemented it (removed in 3.1, arm64 merged in 3.7), so it is not listed.',
  ];
  for (const rule of GATED_PRESENT) {
    if (rule.arch !== 'aarch64' || compareReleases(release, rule.from) < 0 || compareReleases(release, rule.to) > 0) continue;
    notes.push(
      `${rule.names.join(', ')} are present, gated by ${rule.kconfig}, although no arm64 build of ${rule.from} to ${rule.to} has them ` +
        '(arm64 selects that option only from 6.12, with CONFIG_ARM64_POE): an absence from build configuration, not a removal. ' +
        'Systrack leaves them out of 5.0 to 5.6 and 6.3 to 6.11 and lists 5.7 to 6.2 from a source grep.',
    );
  }
  if (compareReleases(release, LAST_SYSTRACK) > 0) {
    notes.push(
      `Mainline ${release} = Systrack's ${LAST_SYSTRACK} data: no call is known to be new in ${release} on aarch64 (uprobe is x86_64 only). ` +
        'Not probed: cr-shim runs on x86_64 and cannot look at an arm64 kernel. ' +
        'libseccomp 7.1-rc4 also numbers listns (470) and rseq_slice_yield (471); they came after 6.18 and are not listed.',
    );
  }
  return notes;
}

export interface ProbeInput {
  /** uname -r of the probed kernel. */
  kernel: string;
  kallsyms: ReadonlyMap<string, string>;
  kconfig?: ReadonlyMap<string, string>;
}

export interface GenerateOptions {
  referenceDir: string;
  outDir: string;
  /** Where the previous tables are (to keep the probe date); default outDir. */
  priorDir?: string;
  /**
   * 'live': probe this host if it runs the probed release; false: never probe, keep the previous
   * probe block; or a probe result (tests).
   */
  probe?: 'live' | false | ProbeInput;
  /** Date stamped on a new probe result; default today (UTC). */
  today?: string;
  /** Directory holding schema/ to validate the output; default the repo's tables/. */
  schemaDir?: string;
  /** Where to write the standalone validators; default src/tables/schema-validators.generated.ts. */
  validatorsFile?: string;
}

function liveProbe(): ProbeInput | undefined {
  const kernel = os.release();
  if (os.arch() !== 'x64' || mainlineOf(kernel) !== PROBED_RELEASE) return undefined;
  let kallsyms: Map<string, string>;
  try {
    kallsyms = parseKallsyms(fs.readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return undefined;
  }
  if (kallsyms.size === 0) return undefined;
  let kconfig: Map<string, string> | undefined;
  try {
    kconfig = parseKconfig(zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8'));
  } catch {
    kconfig = undefined;
  }
  return kconfig ? { kernel, kallsyms, kconfig } : { kernel, kallsyms };
}

function readPriorProbe(file: string): SyscallTable['probe'] | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as SyscallTable).probe;
  } catch {
    return undefined;
  }
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Schemas. The generator validates with Ajv compiled from tables/schema/ as it is now, and writes
// the same schemas as Ajv standalone code for src/tables/load.ts, which then needs no compiling.

// CommonJS module: Node hands over module.exports, which is the function and also has .default.
const standaloneCode = standalone.default;

const SCHEMAS: readonly { name: SchemaName; exportName: string }[] = [
  { name: 'syscall-table', exportName: 'syscallTable' },
  { name: 'releases', exportName: 'releases' },
  { name: 'sysctl-binary', exportName: 'sysctlBinary' },
  { name: 'sysctl-removed', exportName: 'sysctlRemoved' },
  { name: 'arg-table', exportName: 'argTable' },
  { name: 'manifest', exportName: 'manifest' },
  { name: 'persona', exportName: 'persona' },
  { name: 'serve-policy', exportName: 'servePolicy' },
];

interface Schemas {
  validate(data: unknown, schema: SchemaName, file: string): void;
  standalone(): string;
}

function loadSchemas(schemaDir: string): Schemas {
  const ajv = new Ajv({ strict: true, code: { source: true, esm: true, lines: true } });
  const ids = new Map<SchemaName, string>();
  for (const s of SCHEMAS) {
    const json = JSON.parse(fs.readFileSync(path.join(schemaDir, 'schema', `${s.name}.schema.json`), 'utf8')) as { $id: string };
    ajv.addSchema(json);
    ids.set(s.name, json.$id);
  }
  const compiled = new Map<SchemaName, ValidateFunction>();
  return {
    validate(data, schema, file) {
      let v = compiled.get(schema);
      if (!v) {
        v = ajv.getSchema(ids.get(schema) ?? '') as ValidateFunction;
        compiled.set(schema, v);
      }
      if (!v(data)) throw schemaError(schema, file, v.errors);
    },
    standalone() {
      const code = standaloneCode(ajv, Object.fromEntries(SCHEMAS.map((s) => [s.exportName, ids.get(s.name) ?? ''])));
      return [
        '// Generated by scripts/gen-tables.ts from tables/schema/*.schema.json (Ajv standalone code). Do not edit.',
        '// @ts-nocheck',
        "import { createRequire } from 'node:module';",
        '// Ajv\'s runtime helpers are CommonJS.',
        'const require = createRequire(import.meta.url);',
        code,
      ].join('\n') + '\n';
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output. One entry per line, fixed key order, so diffs between releases read line by line.

const ENTRY_KEYS: readonly (keyof SyscallEntry)[] = ['nr', 'name', 'status', 'since', 'changedIn', 'args', 'kconfig', 'entry', 'note'];

function ordered<T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function lines(items: readonly unknown[]): string {
  return items.length === 0 ? '[]' : `[\n    ${items.map((i) => JSON.stringify(i)).join(',\n    ')}\n  ]`;
}

function serializeTable(t: SyscallTable): string {
  const parts = [`  "arch": ${JSON.stringify(t.arch)}`, `  "release": ${JSON.stringify(t.release)}`, `  "sources": ${lines(t.sources)}`];
  if (t.probe) {
    const { missing, ...rest } = t.probe;
    parts.push(`  "probe": ${JSON.stringify({ ...ordered(rest, ['kernel', 'date', 'method', 'note']), missing })}`);
  }
  if (t.notes) parts.push(`  "notes": ${lines(t.notes)}`);
  parts.push(`  "syscalls": ${lines(t.syscalls.map((e) => ordered(e, ENTRY_KEYS)))}`);
  return `{\n${parts.join(',\n')}\n}\n`;
}

function writeFile(file: string, text: string, written: string[], outDir: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Leave unchanged files alone so their mtimes (and make-style tools) do not see a change.
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (old !== text) fs.writeFileSync(file, text);
  written.push(path.relative(outDir, file));
}

/** Build every table from the reference data and write them under outDir. Returns the files written. */
export function generateTables(opts: GenerateOptions): string[] {
  const ref = loadReference(opts.referenceDir);
  const priorDir = opts.priorDir ?? opts.outDir;
  const schemaDir = opts.schemaDir ?? path.join(REPO_ROOT, 'tables');
  const probeInput = opts.probe === undefined || opts.probe === 'live' ? liveProbe() : opts.probe || undefined;
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const written: string[] = [];
  const schemas = loadSchemas(schemaDir);
  const validatorsFile = opts.validatorsFile ?? path.join(REPO_ROOT, 'src', 'tables', 'schema-validators.generated.ts');
  writeFile(validatorsFile, schemas.standalone(), written, opts.outDir);

  for (const abi of ABIS) {
    const releases = releasesOf(abi.arch);
    const names = ref.names.get(abi.column);
    // First release of each (nr, name) pair among the Systrack tables; a GATED_PRESENT call is
    // there from its rule's first release whatever Systrack says.
    const firstSeen = new Map<string, string>();
    for (const rule of GATED_PRESENT) {
      if (rule.arch !== abi.arch) continue;
      for (const [nr, n] of names ?? []) if (rule.names.includes(n)) firstSeen.set(`${nr}:${n}`, rule.from);
    }
    for (const r of releases) {
      if (compareReleases(r, abi.firstSystrack) < 0 || compareReleases(r, LAST_SYSTRACK) > 0) continue;
      for (const s of ref.systrack(abi, r)) {
        const key = `${s.number}:${names?.get(s.number) ?? s.name}`;
        if (!firstSeen.has(key)) firstSeen.set(key, r);
      }
    }
    const sinceOf = (nr: number, name: string): SinceFact => {
      const first = firstSeen.get(`${nr}:${name}`);
      if (first !== undefined && first !== abi.firstSystrack) return { since: first };
      // Before its first Systrack table an ABI's history comes from man-pages; aarch64 has none.
      return compareReleases(abi.first, abi.firstSystrack) < 0 ? sinceBeforeSystrack(ref, abi, name) : {};
    };

    // Every entry an earlier release had, to list it as removed once it is gone.
    const history = new Map<string, { last: Draft; gone?: string }>();
    for (const release of releases) {
      const present = presentSet(ref, abi, release, sinceOf);
      const entries: Draft[] = [...present.values()];
      for (const [key, h] of history) {
        const nr = h.last.nr;
        const now = present.get(nr);
        if (now && `${now.nr}:${now.name}` === key) {
          delete h.gone;
          continue;
        }
        if (now) throw new Error(`${abi.arch} ${release}: slot ${nr} changed from ${h.last.name} to ${now.name}`);
        h.gone ??= release;
        const e: Draft = { nr, name: h.last.name, status: 'removed', changedIn: h.gone, args: h.last.args };
        if (h.last.since) e.since = h.last.since;
        e.note = REMOVED_NOTES[h.last.name] ?? `not in ${h.gone} and later`;
        entries.push(e);
      }
      for (const e of present.values()) history.set(`${e.nr}:${e.name}`, { last: structuredClone(e) });
      entries.sort((a, b) => a.nr - b.nr);

      const table: SyscallTable = { arch: abi.arch, release, sources: sources(ref, abi, release), notes: tableNotes(abi, release), syscalls: entries };
      const outFile = path.join(opts.outDir, abi.arch, `linux-${release}.json`);
      if (release === PROBED_RELEASE && abi.probed) {
        const prior = readPriorProbe(path.join(priorDir, abi.arch, `linux-${release}.json`));
        let probe = prior;
        if (probeInput) {
          const missing = missingSyscalls(table, probeInput.kallsyms, probeInput.kconfig);
          const fresh = {
            kernel: probeInput.kernel,
            date: today,
            method: `/proc/kallsyms: entry symbols that are weak (COND_SYSCALL stubs)${probeInput.kconfig ? '; /proc/config.gz: CONFIG_X86_IOPL_IOPERM' : ''}`,
            note: `One host's build of ${release}, not mainline: "missing" lists the calls that kernel answers with ENOSYS. The "syscalls" entries are mainline ${release} and do not depend on it.`,
            missing,
          };
          // Same result as last time: keep when (and on which kernel) it was first seen, so reruns do not churn.
          probe = prior && sameList(prior.missing, missing) ? { ...fresh, kernel: prior.kernel, date: prior.date } : fresh;
        }
        if (probe) {
          table.probe = probe;
          table.sources.push({ name: 'probe', version: probe.date, facts: ['calls this host\'s build lacks ("probe.missing")'], file: '/proc/kallsyms' });
        }
      }
      const text = serializeTable(table);
      schemas.validate(JSON.parse(text), 'syscall-table', outFile);
      writeFile(outFile, text, written, opts.outDir);
    }
  }

  writeFile(path.join(opts.outDir, 'releases.json'), releasesJson(schemas), written, opts.outDir);
  writeFile(path.join(opts.outDir, 'sysctl-binary.json'), sysctlJson(opts.referenceDir, schemas), written, opts.outDir);
  return written;
}

function releasesJson(schemas: Schemas): string {
  const releases: ReleasesFile['releases'] = {};
  for (const r of RELEASES) {
    const date = RELEASE_DATES[r];
    if (!date) throw new Error(`no release date for ${r}`);
    const gcc = GCC_RELEASES.filter(([, d]) => d < date).sort((a, b) => (a[1] < b[1] ? -1 : 1)).pop()?.[0];
    if (!gcc) throw new Error(`no gcc before ${r}`);
    releases[r] = { date, gcc };
  }
  const file: ReleasesFile = {
    sources: [
      { name: 'cr-shim', version: 'scripts/gen-tables.ts', facts: ['mainline release dates (from the release announcements)', 'gcc: the newest GCC release before the kernel\'s date'] },
    ],
    notes: ['gcc is a plausible compiler for the persona\'s /proc/version, not the one any distribution used.'],
    releases,
  };
  const body = Object.entries(releases).map(([r, v]) => `${JSON.stringify(r)}: ${JSON.stringify(v)}`);
  const text = `{\n  "sources": ${lines(file.sources)},\n  "notes": ${lines(file.notes ?? [])},\n  "releases": {\n    ${body.join(',\n    ')}\n  }\n}\n`;
  schemas.validate(JSON.parse(text), 'releases', 'releases.json');
  return text;
}

function sysctlJson(referenceDir: string, schemas: Schemas): string {
  const csv = readCsv(path.join(referenceDir, 'sysctl-binary.csv'));
  const col = (n: string): number => csv.header.indexOf(n);
  const entries: SysctlBinaryEntry[] = csv.rows.map((r) => ({
    name: (r[col('numeric_path')] ?? '').split('.').map((p) => (p === '{ifindex}' ? '{ifindex}' : Number(p))),
    path: r[col('proc_path')] ?? '',
    type: (r[col('type')] ?? '') as SysctlBinaryEntry['type'],
    symbol: r[col('symbolic_path')] ?? '',
  }));
  const file: SysctlBinaryFile = {
    sources: [{ name: 'linux', version: 'kernel/sysctl_binary.c, 5.0 to 5.4', facts: ['binary names', '/proc/sys paths', 'value types'], file: 'sysctl-binary.csv' }],
    notes: [
      'Binary _sysctl(2) was removed in 5.5 (the slot answers ENOSYS until 5.9, then is gone).',
      '"{ifindex}" in a name is a network interface index; "{ifname}" in its path is that interface\'s name.',
    ],
    entries,
  };
  const text = `{\n  "sources": ${lines(file.sources)},\n  "notes": ${lines(file.notes ?? [])},\n  "entries": ${lines(entries)}\n}\n`;
  schemas.validate(JSON.parse(text), 'sysctl-binary', 'sysctl-binary.json');
  return text;
}

function main(): void {
  const referenceDir = process.env['CR_SHIM_REFERENCE'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'reference');
  const outDir = path.join(REPO_ROOT, 'tables');
  const written = generateTables({ referenceDir, outDir });
  process.stdout.write(`gen-tables: ${written.length} files up to date under ${outDir}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
