import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Arch } from '../arch.js';
import type { TableRegistry } from '../tables/registry.js';
import { mainlineOf } from '../tables/release.js';
import { lackedFeatures } from './build-features.js';
import type { SyscallTable } from '../tables/types.js';

/*
 * What the running kernel actually builds, as opposed to what its mainline release has.
 *
 * /proc/kallsyms   LINE   ::= ADDRESS " " TYPE " " SYMBOL [ "\t[" MODULE "]" ]
 *                  TYPE   ::= "T" | "t" | "W" | "w" | ...   (W, w: weak)
 * A syscall compiled out by Kconfig keeps its entry symbol as a weak alias of sys_ni_syscall
 * (COND_SYSCALL), so " W __x64_sys_kexec_load" means kexec_load answers ENOSYS. Addresses
 * read as zero without CAP_SYSLOG; names and types stay visible.
 *
 * /proc/config.gz  gzip of   LINE ::= "CONFIG_" NAME "=" VALUE | "# CONFIG_" NAME " is not set" | comment
 */

/** Syscalls that stay built (strong symbol) but answer ENOSYS when an option is off. */
const ENOSYS_WHEN_UNSET: readonly { option: string; names: readonly string[] }[] = [
  // arch/x86/kernel/ioport.c: without X86_IOPL_IOPERM (5.5+) both return -ENOSYS.
  { option: 'CONFIG_X86_IOPL_IOPERM', names: ['iopl', 'ioperm'] },
];

/** Entry symbol prefixes of the pt_regs syscall wrappers (4.17+), per ABI. */
const ENTRY_PREFIX: Readonly<Record<Arch, string>> = { x86_64: '__x64_sys_', ia32: '__ia32_sys_', aarch64: '__arm64_sys_' };

export interface HostProbe {
  /** uname -r, e.g. "6.18.44-fc-v782". */
  release: string;
  /** Its mainline release, e.g. "6.18". */
  mainline: string;
  /** Node's os.arch() mapped to a table ABI ("x86_64"), or os.arch() itself when cr-shim has none. */
  arch: string;
  /** Which table release mapped kernel symbols to names, per ABI. */
  tables: { x86_64?: string; ia32?: string };
  /** Table names of syscalls the host does not build or answers with ENOSYS, sorted. */
  missing: { x86_64: string[]; ia32: string[] };
  /** Features of its build that behaviour rows answer for when missing (build-features.ts ids), sorted. */
  lacks: string[];
  /** What was read, for reports. */
  method: string;
}

export interface ProbeOptions {
  /** Tables that map kernel symbols to names (the host release's, nearest lower known). */
  registry: TableRegistry;
  /** Root of procfs; tests point it at fixtures. Default "/proc". */
  procDir?: string;
  /** Cache file, or null to neither read nor write one. Default: see defaultCacheFile. */
  cacheFile?: string | null;
}

/** Symbol -> kallsyms type letter, for syscall entry symbols only (those containing "sys_"). */
export function parseKallsyms(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line.includes('sys_')) continue;
    const [, type, symbol] = line.split(/\s+/, 3);
    // A strong definition wins over a weak alias of the same name, whatever the order.
    if (type && symbol && (!out.has(symbol) || !isWeak(type))) out.set(symbol, type);
  }
  return out;
}

function isWeak(type: string): boolean {
  return type === 'W' || type === 'w' || type === 'V' || type === 'v';
}

/** CONFIG_* name -> value ("y", "m", a string) or "n" for "# CONFIG_X is not set". */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set?.[1] !== undefined && set[2] !== undefined) {
      out.set(set[1], set[2]);
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1] !== undefined) out.set(unset[1], 'n');
  }
  return out;
}

/**
 * Table names in `table` that this kernel does not build (entry symbol weak or absent) or that
 * answer ENOSYS because of its config. Entries already removed in the table are skipped. With an
 * empty kallsyms map (unreadable) only the config is used.
 */
export function missingSyscalls(table: SyscallTable, kallsyms: ReadonlyMap<string, string>, kconfig?: ReadonlyMap<string, string>): string[] {
  const missing = new Set<string>();
  const live = table.syscalls.filter((e) => e.status !== 'removed');
  if (kallsyms.size > 0) {
    for (const e of live) {
      const type = kallsyms.get(e.entry ?? `${ENTRY_PREFIX[table.arch]}${e.name}`);
      if (type === undefined || isWeak(type)) missing.add(e.name);
    }
  }
  if (kconfig) {
    for (const rule of ENOSYS_WHEN_UNSET) {
      if (kconfig.get(rule.option) !== 'n') continue;
      for (const e of live) if (rule.names.includes(e.name)) missing.add(e.name);
    }
  }
  return [...missing].sort();
}

/** $XDG_CACHE_HOME/cr-shim/host-probe.json, else ~/.cache/cr-shim/host-probe.json. */
export function defaultCacheFile(tablesDir?: string): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  // One file per tables directory: two checkouts used in turn (a CI clone beside a work tree)
  // would otherwise overwrite each other's entry and re-probe on every run.
  const tag = tablesDir === undefined ? '' : '-' + crypto.createHash('sha256').update(tablesDir).digest('hex').slice(0, 12);
  return path.join(base, 'cr-shim', `host-probe${tag}.json`);
}

const CACHE_FORMAT = 2;

interface CacheFile {
  format: number;
  bootId: string;
  /** The tables the names came from: regenerated tables in another checkout must not share a result. */
  tablesDir: string;
  probe: HostProbe;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readCache(file: string, bootId: string, tablesDir: string, release: string): HostProbe | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    const c = JSON.parse(text) as CacheFile;
    if (c.format === CACHE_FORMAT && c.bootId === bootId && c.tablesDir === tablesDir && c.probe?.release === release) return c.probe;
  } catch {
    // A torn or foreign cache file is only a miss.
  }
  return undefined;
}

function writeCache(file: string, bootId: string, tablesDir: string, probe: HostProbe): void {
  const body: CacheFile = { format: CACHE_FORMAT, bootId, tablesDir, probe };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, `${JSON.stringify(body)}\n`);
    fs.renameSync(tmp, file);
  } catch {
    // The cache only saves time; a read-only home must not stop a run.
    fs.rmSync(tmp, { force: true });
  }
}

function hostArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

/**
 * Probe the running kernel: which syscalls of its mainline release it does not build
 * (weak stubs in /proc/kallsyms) or answers with ENOSYS (config, see ENOSYS_WHEN_UNSET).
 * Names come from the host release's table (nearest lower known release). The result is cached
 * per boot (keyed by /proc/sys/kernel/random/boot_id) because kallsyms is 100k+ lines.
 * Throws UsageError when no table covers the host release.
 */
export function probeHost(opts: ProbeOptions): HostProbe {
  const { registry } = opts;
  const procDir = opts.procDir ?? '/proc';
  const release = os.release();
  const bootId = readText(path.join(procDir, 'sys/kernel/random/boot_id'))?.trim();
  const cacheFile = opts.cacheFile === undefined ? defaultCacheFile(registry.dir) : opts.cacheFile;
  if (cacheFile && bootId) {
    const hit = readCache(cacheFile, bootId, registry.dir, release);
    if (hit) return hit;
  }

  const kallsymsText = readText(path.join(procDir, 'kallsyms')) ?? '';
  const kallsyms = parseKallsyms(kallsymsText);
  let kconfig: Map<string, string> | undefined;
  try {
    // zlib only here, on a cache miss: importing it costs every run about 3 ms.
    const { gunzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
    kconfig = parseKconfig(gunzipSync(fs.readFileSync(path.join(procDir, 'config.gz'))).toString('utf8'));
  } catch {
    kconfig = undefined; // CONFIG_IKCONFIG_PROC off: nothing to learn from config.
  }

  const arch = hostArch();
  const probe: HostProbe = {
    release,
    mainline: mainlineOf(release),
    arch,
    tables: {},
    missing: { x86_64: [], ia32: [] },
    lacks: [],
    method: [
      kallsyms.size > 0 ? 'weak syscall entry symbols in /proc/kallsyms' : '/proc/kallsyms unreadable',
      kconfig ? 'options in /proc/config.gz' : '/proc/config.gz unreadable',
      'build features probed (host/build-features.ts)',
    ].join('; '),
  };
  if (arch === 'x86_64') {
    for (const abi of ['x86_64', 'ia32'] as const) {
      const { table, release: tableRelease } = registry.resolve(abi, release);
      probe.tables[abi] = tableRelease;
      probe.missing[abi] = missingSyscalls(table, kallsyms, kconfig);
    }
    probe.lacks = lackedFeatures(procDir);
  }
  if (cacheFile && bootId) writeCache(cacheFile, bootId, registry.dir, probe);
  return probe;
}
