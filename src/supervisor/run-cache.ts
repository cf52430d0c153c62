/**
 * The session cache: a compiled run (compiled-run.ts) kept on disk, so that a
 * `cr-shim run` seen before starts without loading the tables, the schema
 * validators, the planner or the BPF compiler (about half its start-up).
 *
 * Trust: cr-shim runs as root on paths other users control, and a cached
 * filter is what a program runs under. So
 *   - root's cache is /var/cache/cr-shim/sessions (every ancestor root's), never
 *     $HOME or $XDG_CACHE_HOME, which a caller's environment may point anywhere;
 *     another user's is $XDG_CACHE_HOME (or ~/.cache)/cr-shim/sessions;
 *   - the directory must be a real directory owned by the effective user with no
 *     group or other permission bits, or the cache is not used at all;
 *   - an entry is read only if opened without following a symlink and fstat shows
 *     a regular file with one link, owned by the effective user, mode 0600;
 *     it is written to a fresh O_EXCL file and renamed into place;
 *   - the entry names its own key, and the key hashes what the compiled run
 *     depends on besides the tables: the code (dist/cli/build-id, written by the
 *     bundle step; without it, as when running from source, there is no cache),
 *     the host (kernel release, version, boot id: the host probe is per boot;
 *     the online CPUs: removed sysctl defaults scale with their count), the tables
 *     directory and the options;
 *   - the entry lists the table files the compile read or looked for
 *     (tables/read-log.ts) and every directory under tables/, each with its
 *     size and mtime (or its absence): a hit re-checks those few, so a table
 *     edited in place, added or removed is a miss. A damaged or foreign entry
 *     is a miss and is replaced.
 * Beside each NAME.json, NAME.front holds the same run for the native front, which reads it
 * in C (front-entry.ts, docs/FRONT.md), under the same rules; the front computes the same key
 * (runCacheKey's text), so every input of the key is one C can read as Node does.
 * CR_SHIM_SESSION_CACHE=off turns the cache off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlanView } from '../plan/compute.js';
import { defaultTablesDir } from '../tables/paths.js';
import { fnv1a64 } from '../fnv1a.js';
import type { NativeAction } from '../native/addon-types.js';
import type { CompiledRun } from './compiled-run-types.js';

/** Bumped when CompiledRun's shape or meaning changes, or the key's text does. */
const FORMAT = 4;
/** Entries kept: one per (build, tables, host boot, options) seen; older ones are pruned on write. */
const MAX_ENTRIES = 64;

export interface RunCacheRequest {
  kernel: string | undefined;
  view: PlanView;
  behaviourOptions: readonly string[];
}

/** What the key hashes besides the request; injectable for tests. */
export interface RunCacheInputs {
  buildId: string;
  tablesDir: string;
  /** uname release, version, machine, /proc/sys/kernel/random/boot_id and the online CPUs (hostIdentity). */
  host: string;
}

function euid(): number {
  return process.geteuid?.() ?? -1;
}

/** Root's cache outside any caller-controlled path; another user's under their cache home. */
export function defaultRunCacheDir(): string {
  if (euid() === 0) return '/var/cache/cr-shim/sessions';
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'cr-shim', 'sessions');
}

/** This build's id, or undefined when there is none (running from source: no cache). */
export function readBuildId(): string | undefined {
  try {
    return fs.readFileSync(new URL('./build-id', import.meta.url), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A file's trimmed text, or '' when it cannot be read (the front reads it the same way). */
function trimmedOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The host part of the key: RELEASE NL VERSION NL MACHINE NL BOOT_ID NL "cpus " ONLINE
 * (docs/FRONT.md). No boot id: release and version alone (a reboot into the same build then
 * shares entries). The CPUs are /sys/devices/system/cpu/online's list ("0-3"), which C reads
 * as it is, where os.cpus() (parsed /proc/cpuinfo) could not be reproduced.
 */
export function hostIdentity(): string {
  const bootId = trimmedOrEmpty('/proc/sys/kernel/random/boot_id');
  const online = trimmedOrEmpty('/sys/devices/system/cpu/online');
  return [os.release(), os.version(), os.machine(), bootId, `cpus ${online}`].join('\n');
}

/** A file or directory a compiled run depends on, as it was: size and mtime, or absent. */
export interface Dependency {
  path: string;
  /** "SIZE MTIME_NS", or "absent". */
  state: string;
}

function stateOf(p: string): string {
  try {
    const st = fs.statSync(p, { bigint: true });
    return `${st.size} ${st.mtimeNs}`;
  } catch {
    return 'absent';
  }
}

/** `files` (what the compile read or looked for) and every directory under `tablesDir`, as they are now. */
export function dependencies(tablesDir: string, files: readonly string[]): Dependency[] {
  const dirs: string[] = [];
  const walk = (d: string): void => {
    dirs.push(d);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(tablesDir);
  return [...new Set([...dirs, ...files])].sort().map((p) => ({ path: p, state: stateOf(p) }));
}

function unchanged(deps: readonly Dependency[]): boolean {
  return deps.every((d) => stateOf(d.path) === d.state);
}

/**
 * The key: everything the compiled run depends on besides the tables, as text. An entry holds its
 * whole key and is used only when that matches exactly; the file is named by a hash of it.
 */
export function runCacheKey(req: RunCacheRequest, inputs: RunCacheInputs): string {
  const request = JSON.stringify({
    kernel: req.kernel ?? null,
    view: { identityMounted: req.view.identityMounted, ioUring: req.view.ioUring },
    behaviourOptions: [...req.behaviourOptions].sort(),
  });
  return [`format ${FORMAT}`, inputs.buildId, inputs.host, inputs.tablesDir, request].join('\n');
}

/**
 * The key `run` computes on this host for `req` (what openRunCache uses), or undefined when
 * there is no build id. The native front computes the same text in C; tests compare the two.
 */
export function hostRunCacheKey(req: RunCacheRequest, buildId = readBuildId()): string | undefined {
  if (buildId === undefined) return undefined;
  return runCacheKey(req, { buildId, tablesDir: defaultTablesDir(), host: hostIdentity() });
}

/** The entry's file name: a name, not a check (the entry's own key is compared on read). */
export function entryName(key: string): string {
  return fnv1a64(key).toString(16).padStart(16, '0');
}

/** The directory, made if missing, or undefined when it cannot be trusted (see the header). */
export function trustedDir(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== euid() || (st.mode & 0o077) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function entryPath(dir: string, key: string, ext: 'json' | 'front' = 'json'): string {
  return path.join(dir, `${entryName(key)}.${ext}`);
}

let tmpCount = 0;

/** A run may be cached unless a verdict holds a live resource (an identity memfd under --dumpable). */
export function isCacheable(run: CompiledRun): boolean {
  return run.nativeActions.every(([, actions]) => actions.every((a) => a.identity === undefined || a.identity.length === 0));
}

/** Uint8Array as {"$b64": ...}: the filter and writeArg bytes. */
function encode(run: CompiledRun, key: string, deps: readonly Dependency[]): string {
  return JSON.stringify({ format: FORMAT, key, deps, run }, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    return raw instanceof Uint8Array ? { $b64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : v;
  });
}

function decode(text: string, key: string): CompiledRun | undefined {
  const body = JSON.parse(text, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string' ? Buffer.from((v as { $b64: string }).$b64, 'base64') : v,
  ) as { format?: unknown; key?: unknown; deps?: unknown; run?: Partial<CompiledRun> };
  const run = body.run;
  if (body.format !== FORMAT || body.key !== key || run === undefined) return undefined;
  const deps = body.deps;
  const depsOk = Array.isArray(deps) && deps.every((d: Partial<Dependency>) => typeof d?.path === 'string' && typeof d.state === 'string');
  if (!depsOk || !unchanged(deps as Dependency[])) return undefined;
  const ok =
    run.filter instanceof Uint8Array &&
    run.filter.length > 0 &&
    run.filter.length % 8 === 0 &&
    typeof run.filterSha256 === 'string' &&
    Array.isArray(run.notices) &&
    Array.isArray(run.nativeActions) &&
    typeof run.worker === 'object' &&
    Array.isArray(run.worker?.routes);
  return ok ? (run as CompiledRun) : undefined;
}

/** The entry for `key`, or undefined: missing, not trusted (see the header), damaged or another key's. */
export function readCachedRun(dir: string, key: string): CompiledRun | undefined {
  let fd: number;
  try {
    fd = fs.openSync(entryPath(dir, key), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1 || st.uid !== euid() || (st.mode & 0o077) !== 0) return undefined;
    return decode(fs.readFileSync(fd, 'utf8'), key);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Put `data` at `dest` atomically: a fresh O_EXCL file, mode 0600, renamed into place. Throws on failure. */
function writeEntryFile(dir: string, key: string, dest: string, data: string | Uint8Array): void {
  // O_EXCL below: a name taken already fails the write, never reuses a file.
  const tmp = path.join(dir, `.${entryName(key)}.${process.pid}.${Date.now()}.${tmpCount++}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Store `run` under `key` (atomically; mode 0600). False when it could not: the cache only saves time. */
export function writeCachedRun(dir: string, key: string, run: CompiledRun, deps: readonly Dependency[]): boolean {
  try {
    writeEntryFile(dir, key, entryPath(dir, key), encode(run, key, deps));
    prune(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Store `run`'s front entry (front-entry.ts) beside its JSON entry, under the same rules; written
 * after the JSON, so that prune never finds it alone. `encodeActions` is NotifyAddon.encodeActions.
 * False when it could not; an older NAME.front is then removed, never left to describe another run.
 */
export async function writeFrontEntry(
  dir: string,
  key: string,
  run: CompiledRun,
  deps: readonly Dependency[],
  encodeActions: (auditArch: number, actions: NativeAction[]) => Uint8Array,
): Promise<boolean> {
  const dest = entryPath(dir, key, 'front');
  try {
    const { encodeFrontEntry, frontEntryOf } = await import('./front-entry.js');
    writeEntryFile(dir, key, dest, encodeFrontEntry(frontEntryOf(run, key, deps, encodeActions)));
    return true;
  } catch {
    fs.rmSync(dest, { force: true });
    return false;
  }
}

/** Keep the newest MAX_ENTRIES entries: a NAME.json goes with its NAME.front, and a NAME.front without its NAME.json goes. */
function prune(dir: string): void {
  const files = fs.readdirSync(dir);
  const names = new Set(files.filter((f) => /^[0-9a-f]{16}\.json$/.test(f)).map((f) => f.slice(0, 16)));
  for (const f of files) if (/^[0-9a-f]{16}\.front$/.test(f) && !names.has(f.slice(0, 16))) fs.rmSync(path.join(dir, f), { force: true });
  if (names.size <= MAX_ENTRIES) return;
  const entries = [...names].map((n) => ({ n, t: fs.lstatSync(path.join(dir, `${n}.json`)).mtimeMs }));
  entries.sort((a, b) => b.t - a.t);
  for (const { n } of entries.slice(MAX_ENTRIES)) {
    fs.rmSync(path.join(dir, `${n}.json`), { force: true });
    fs.rmSync(path.join(dir, `${n}.front`), { force: true });
  }
}

/** One run's cache slot: read it, and after a miss write it. Undefined when caching is off or untrusted. */
export interface RunCacheSlot {
  read(): CompiledRun | undefined;
  /**
   * `files`: the table files the compile read or looked for (tables/read-log.ts). Writes the JSON
   * entry, then the front entry (loading the addon for its verdict tables: only here, never on a hit).
   */
  write(run: CompiledRun, files: readonly string[]): Promise<boolean>;
}

/** `buildId`: this build's (dist/cli/build-id) unless given (the start-up probe runs from tsc's dist/, which has none). */
export function openRunCache(req: RunCacheRequest, dir = defaultRunCacheDir(), buildId = readBuildId()): RunCacheSlot | undefined {
  if (process.env['CR_SHIM_SESSION_CACHE'] === 'off') return undefined;
  if (buildId === undefined) return undefined;
  const trusted = trustedDir(dir);
  if (trusted === undefined) return undefined;
  const tablesDir = defaultTablesDir();
  const key = hostRunCacheKey(req, buildId)!;
  return {
    read: () => readCachedRun(trusted, key),
    write: async (run, files) => {
      if (!isCacheable(run)) return false;
      const deps = dependencies(tablesDir, files);
      if (!writeCachedRun(trusted, key, run, deps)) return false;
      const { loadNotifyAddon } = await import('../native/addon.js');
      return writeFrontEntry(trusted, key, run, deps, (arch, actions) => loadNotifyAddon().encodeActions(arch, actions));
    },
  };
}
