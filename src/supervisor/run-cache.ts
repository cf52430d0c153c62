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
 *     the CPU count: removed sysctl defaults scale with it), the tables
 *     directory and the options;
 *   - the entry lists the table files the compile read or looked for
 *     (tables/read-log.ts) and every directory under tables/, each with its
 *     size and mtime (or its absence): a hit re-checks those few, so a table
 *     edited in place, added or removed is a miss. A damaged or foreign entry
 *     is a miss and is replaced.
 * CR_SHIM_SESSION_CACHE=off turns the cache off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlanView } from '../plan/compute.js';
import { defaultTablesDir } from '../tables/paths.js';
import { fnv1a64 } from '../fnv1a.js';
import type { CompiledRun } from './compiled-run-types.js';

/** Bumped when CompiledRun's shape or meaning changes. */
const FORMAT = 3;
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
  /** uname release, version, machine and /proc/sys/kernel/random/boot_id. */
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

export function hostIdentity(): string {
  let bootId = '';
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // No boot id: release and version alone (a reboot into the same build then shares entries).
  }
  return [os.release(), os.version(), os.machine(), bootId, `cpus ${os.cpus().length}`].join('\n');
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

function entryPath(dir: string, key: string): string {
  return path.join(dir, `${entryName(key)}.json`);
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

/** Store `run` under `key` (atomically; mode 0600). False when it could not: the cache only saves time. */
export function writeCachedRun(dir: string, key: string, run: CompiledRun, deps: readonly Dependency[]): boolean {
  // O_EXCL below: a name taken already fails the write, never reuses a file.
  const tmp = path.join(dir, `.${entryName(key)}.${process.pid}.${Date.now()}.${tmpCount++}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeFileSync(fd, encode(run, key, deps));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, entryPath(dir, key));
    prune(dir);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

/** Keep the newest MAX_ENTRIES entries. */
function prune(dir: string): void {
  const entries = fs
    .readdirSync(dir)
    .filter((f) => /^[0-9a-f]{16}\.json$/.test(f))
    .map((f) => ({ f, t: fs.lstatSync(path.join(dir, f)).mtimeMs }));
  if (entries.length <= MAX_ENTRIES) return;
  entries.sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(MAX_ENTRIES)) fs.rmSync(path.join(dir, f), { force: true });
}

/** One run's cache slot: read it, and after a miss write it. Undefined when caching is off or untrusted. */
export interface RunCacheSlot {
  read(): CompiledRun | undefined;
  /** `files`: the table files the compile read or looked for (tables/read-log.ts). */
  write(run: CompiledRun, files: readonly string[]): boolean;
}

/** `buildId`: this build's (dist/cli/build-id) unless given (the start-up probe runs from tsc's dist/, which has none). */
export function openRunCache(req: RunCacheRequest, dir = defaultRunCacheDir(), buildId = readBuildId()): RunCacheSlot | undefined {
  if (process.env['CR_SHIM_SESSION_CACHE'] === 'off') return undefined;
  if (buildId === undefined) return undefined;
  const trusted = trustedDir(dir);
  if (trusted === undefined) return undefined;
  const tablesDir = defaultTablesDir();
  const key = runCacheKey(req, { buildId, tablesDir, host: hostIdentity() });
  return {
    read: () => readCachedRun(trusted, key),
    write: (run, files) => isCacheable(run) && writeCachedRun(trusted, key, run, dependencies(tablesDir, files)),
  };
}
