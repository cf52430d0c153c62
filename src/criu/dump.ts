/**
 * `cr-shim dump`: criu dump of a process tree into a new image directory, plus the manifest
 * CRIU's images lack (manifest.ts). With pre-dump iterations, CRIU's five steps are all
 * reachable: pre-dump (criu pre-dump into IMG/pre-N, memory tracked), freeze and dump
 * (criu dump), resume (--leave-running) or kill (the default), post-dump (--action-script).
 *
 * A failed dump leaves nothing: a directory this created is removed, an empty one given is
 * emptied again. After criu dump succeeds the image is kept whatever follows, because by then
 * the process may be gone (killed by the dump) and the image is all that is left of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import type { CriuBinary } from './binary.js';
import type { PstreeEntry } from './image/pstree.js';
import { readImageFilters } from './image/seccomp.js';
import { openImageDir } from './image-dir.js';
import { crShimVersion, MANIFEST_SCHEMA, thisArch, thisKernel, writeManifest, type Manifest } from './manifest.js';
import { runCriu } from './run-criu.js';
import { assertPrivateDir, assertSafeAncestors, IMAGE_DIR_MODE, IMAGE_FILE_MODE, setImageModes } from './image-files.js';
import { filterSha256, findSupervision, type SupervisedRecord } from './supervised-record.js';
import { DEFAULT_GRACE_MS, settleUnmovable, type UnmovableOptions } from './unmovable/guard.js';

export interface DumpRequest {
  pid: number;
  imgDir: string;
  criu: CriuBinary;
  /** Options for criu dump besides -t and -D, e.g. --shell-job, --leave-running, passed through. */
  criuArgs: string[];
  /** criu pre-dump iterations before the dump (0: none). */
  preDumps: number;
  /** What to do, before anything is frozen, about state that cannot move (default: refuse). */
  unmovable?: UnmovableOptions;
  /** Leave the image readable by every local user (0755/0644) instead of root's alone (0700/0600). */
  share?: boolean;
}

export interface DumpResult {
  manifest: Manifest;
  processes: number;
  threads: number;
  notices: string[];
}

/** Options that belong to the final dump only. */
const DUMP_ONLY = new Set(['--leave-running', '--leave-stopped']);

/** Refuse a PID that is no process to dump (UsageError, or ShimError ESRCH), before any criu is looked for. */
export function checkTarget(pid: number): void {
  if (!Number.isInteger(pid) || pid < 1) throw new UsageError('dump', `not a PID: ${pid}`, { code: 'EUSAGE' });
  if (pid === process.pid) throw new UsageError('dump', `PID ${pid} is cr-shim itself`, { code: 'EUSAGE' });
  if (!fs.existsSync(`/proc/${pid}`)) throw new ShimError('dump', `no process ${pid}`, { code: 'ESRCH', hint: 'check the PID (ps -p PID)' });
}

/**
 * `cr-shim run` without --dumpable puts its tree in a private mount namespace (identity files by
 * bind mount). CRIU cannot dump it: the program's inherited stdio were opened in cr-shim's
 * namespace, whose mounts the dumped namespace lacks ("Can't lookup mount=N for fd=0").
 */
function refuseIdentityNamespace(pid: number): void {
  let theirs: string;
  try {
    theirs = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return; // gone: the dump itself reports it
  }
  if (theirs === fs.readlinkSync('/proc/self/ns/mnt')) return;
  throw new UsageError('dump', `process ${pid} runs in cr-shim run's private mount namespace (the persona's /proc files are bind mounts there), which CRIU cannot dump`, {
    code: 'EXDEV',
    hint: 'start the program with cr-shim run --dumpable to checkpoint it later',
  });
}

/** Prepare an empty image directory; returns the function that undoes it after a failure. */
function prepareDir(imgDir: string): () => void {
  if (fs.existsSync(imgDir)) {
    if (!fs.statSync(imgDir).isDirectory()) throw new UsageError('dump', `${imgDir} exists and is not a directory`, { code: 'ENOTDIR', hint: 'give a new or empty directory' });
    if (fs.readdirSync(imgDir).length > 0) {
      throw new UsageError('dump', `${imgDir} is not empty: a dump never mixes with other files`, { code: 'EEXIST', hint: 'give a new or empty directory' });
    }
    assertPrivateDir(imgDir, 'dump');
    assertSafeAncestors(imgDir, 'dump');
    return () => {
      for (const e of fs.readdirSync(imgDir)) fs.rmSync(path.join(imgDir, e), { recursive: true, force: true });
    };
  }
  assertSafeAncestors(imgDir, 'dump');
  let created: string | undefined;
  try {
    created = fs.mkdirSync(imgDir, { recursive: true, mode: IMAGE_DIR_MODE });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ShimError('dump', `cannot create ${imgDir}: ${(cause as Error).message}`, {
      cause,
      code,
      hint: code === 'EACCES' || code === 'EPERM' ? 'give a directory you may write, and run cr-shim dump as root' : 'give a new or empty directory',
    });
  }
  return () => fs.rmSync(created ?? imgDir, { recursive: true, force: true });
}

async function ensureMemoryTracking(criu: string): Promise<void> {
  try {
    await runCriu(criu, 'check', ['--feature', 'mem_dirty_track']);
  } catch (cause) {
    throw new ShimError('dump --pre-dump', 'this kernel cannot track memory changes (criu check --feature mem_dirty_track fails: no CONFIG_MEM_SOFT_DIRTY), so criu pre-dump cannot run here', {
      cause,
      code: 'ENOTSUP',
      hint: 'dump without --pre-dump',
    });
  }
}

/**
 * The manifest of a dump just written to `imgDir`: this kernel, and when the tree ran under
 * cr-shim (`supervision`) its persona and which of the image's filters is cr-shim's. The kernel
 * and persona are recorded even if cr-shim cannot make sense of CRIU's images: they are what a
 * later restore cannot learn anywhere else (what went wrong is added to `notices`).
 */
export function manifestFor(
  imgDir: string,
  supervision: SupervisedRecord | undefined,
  criuVersion: string,
  dump: NonNullable<Manifest['dump']>,
  notices: string[],
): { manifest: Manifest; pstree: PstreeEntry[] } {
  let pstree: PstreeEntry[] = [];
  let shimFilter: Manifest['shimFilter'];
  try {
    pstree = openImageDir(imgDir).pstree;
    if (supervision !== undefined) {
      const ours = readImageFilters(imgDir).filters.find((f) => filterSha256(f.insns) === supervision.filterSha256);
      if (ours !== undefined) shimFilter = { index: ours.index, sha256: supervision.filterSha256 };
      else notices.push(`PID ${dump.pid} runs under cr-shim (persona ${supervision.persona.release}) but cr-shim's filter is not in the dump`);
    }
  } catch (err) {
    if (!(err instanceof ShimError)) throw err;
    notices.push(`the dump succeeded but cr-shim cannot read its images (${err.message}): the manifest records no filter`);
  }
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA,
    kernel: thisKernel(),
    arch: thisArch(),
    ...(supervision ? { persona: supervision.persona } : {}),
    crShim: { version: crShimVersion() },
    criu: { version: criuVersion },
    time: new Date().toISOString(),
    ...(shimFilter ? { shimFilter } : {}),
    ...(supervision && pstree.some((t) => t.pid === supervision.pid) ? { shimRoot: { pid: supervision.pid } } : {}),
    dump,
  };
  return { manifest, pstree };
}

/** The process a task id belongs to (Tgid of /proc/TID/status): CRIU dumps processes, not threads. */
function processOf(tid: number): number {
  try {
    const tgid = /^Tgid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${tid}/status`, 'utf8'))?.[1];
    return tgid === undefined ? tid : Number(tgid);
  } catch {
    return tid;
  }
}

/** Dump `pid` and its descendants into `imgDir`. Throws UsageError, ShimError or CriuError; see the file comment for what is left on disk. */
export async function dumpProcess(request: DumpRequest): Promise<DumpResult> {
  checkTarget(request.pid);
  const notices: string[] = [];
  const tgid = processOf(request.pid);
  if (tgid !== request.pid) notices.push(`${request.pid} is a thread of process ${tgid}: dumping that process and its descendants`);
  const req = { ...request, pid: tgid };
  const imgDir = path.resolve(req.imgDir);
  const supervision = findSupervision(req.pid);
  if (supervision !== undefined) refuseIdentityNamespace(req.pid);
  if (req.preDumps > 0) await ensureMemoryTracking(req.criu.path);
  const undo = prepareDir(imgDir);

  const pid = String(req.pid);
  const preArgs = req.criuArgs.filter((a) => !DUMP_ONLY.has(a));
  const dumpArgs = [...req.criuArgs];
  let leftBehind: Manifest['leftBehind'];
  try {
    // Before criu freezes anything: refuse, or end what cannot move (src/criu/unmovable/).
    leftBehind = await settleUnmovable(req.pid, req.criuArgs, req.unmovable ?? { terminate: false, graceMs: DEFAULT_GRACE_MS, notice: () => undefined });
    for (let i = 1; i <= req.preDumps; i++) {
      const dir = path.join(imgDir, `pre-${i}`);
      fs.mkdirSync(dir);
      // --prev-images-dir is relative to the -D directory.
      const prev = i > 1 ? ['--prev-images-dir', `../pre-${i - 1}`] : [];
      await runCriu(req.criu.path, 'pre-dump', ['-t', pid, '-D', dir, '--track-mem', ...prev, ...preArgs]);
    }
    if (req.preDumps > 0) dumpArgs.push('--track-mem', '--prev-images-dir', `pre-${req.preDumps}`);
    await runCriu(req.criu.path, 'dump', ['-t', pid, '-D', imgDir, ...dumpArgs]);
  } catch (err) {
    undo();
    throw err;
  }
  // CRIU writes its files 0644: the image holds the tasks' memory, keys and tokens included.
  setImageModes(imgDir, req.share === true);

  const { manifest, pstree } = manifestFor(imgDir, supervision, req.criu.version, { pid: req.pid, criuArgs: dumpArgs, ...(req.preDumps > 0 ? { preDumps: req.preDumps } : {}) }, notices);
  if (leftBehind) manifest.leftBehind = leftBehind;
  writeManifest(imgDir, manifest, req.share === true ? 0o644 : IMAGE_FILE_MODE);
  return {
    manifest,
    processes: pstree.length,
    threads: pstree.reduce((n, t) => n + t.threads.length, 0),
    notices,
  };
}
