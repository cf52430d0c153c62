/**
 * `cr-shim restore IMG`: the tree comes back under the shim.
 *
 *   IMG → kernel to present (--kernel, the manifest, the image's vDSO note, or the host's; guesses said aloud)
 *       → conversions CRIU needs on this host, applied to a copy (IMG is only read)
 *       → criu restore --leave-stopped --restore-sibling -d   (every task held stopped; the
 *                                                          supervisor worker starts meanwhile)
 *       → the persona's LINUX_VERSION_CODE in each process's vDSO note, READ_IMPLIES_EXEC
 *         where a kernel before 5.8 set it (cr-shim-vdso)
 *       → cr-shim-inject: a filter and a listener per process (no task has run)
 *       → SIGCONT the tree, supervise it, exit with the root's status
 *
 * When `cr-shim serve` runs, the session comes from it and the tree goes to it once injected
 * (hand-over.ts): no worker starts here, and the service resumes and supervises the tree.
 * If injection fails the restored tree is killed before any of it runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import { assertCanRead, locateCriu } from '../criu/binary.js';
import { convertImage, requiredConversions } from '../criu/convert.js';
import { openImageDir } from '../criu/image-dir.js';
import { assertSeccompIntact } from '../criu/seccomp-integrity.js';
import { imageKernel } from '../criu/image-kernel.js';
import { readPstree } from '../criu/image/pstree.js';
import { chooseKernel } from '../criu/source-kernel.js';
import { renderLeftBehind } from '../criu/unmovable/report.js';
import { STALE_NOTIFY_HINT, staleNotifyFilters, staleNotifyReason } from '../criu/stale-listeners.js';
import type { Session } from '../supervisor/session.js';
import { injectFilter, InjectError } from '../inject/injector.js';
import { killTree, listTree } from '../inject/tree.js';
import { writeVdsoNotes } from '../inject/vdso-note.js';
import { superviseTree, type AdoptResult } from '../supervisor/adopt.js';
import { prestartWorker } from '../supervisor/worker-thread.js';
import { becomeSubreaper } from '../supervisor/reaper.js';
import { sys } from '../native/libc.js';
import { guardSupervisedTree } from '../supervisor/tree-guard.js';
import { checkPassThrough, criuRestoreStopped } from './criu-restore.js';
import { handOver, type HandOver } from './hand-over.js';
import { DEFAULT_CRIU_LIMITS, watchCriuPhase, type CriuLimits } from './watchdog.js';

const SIGCONT = 18;

export interface RestoreOptions {
  imgDir: string;
  kernel?: string;
  criu?: string;
  criuArgs: readonly string[];
  native: boolean;
  traceFile?: string;
  /** Where notices go (stderr unless --quiet). */
  notice: (line: string) => void;
  /**
   * Builds the session for the chosen release (src/supervisor/session.ts); only called when the
   * tree is supervised here, so a hand-over never loads the plan and BPF modules.
   */
  prepare: (release: string) => Session | Promise<Session>;
  /** The watchdog's limits on criu restore (default DEFAULT_CRIU_LIMITS). */
  limits?: CriuLimits;
  /** Hand the tree to a running `cr-shim serve` when one answers (hand-over.ts); absent: --no-serve. */
  serve?: { socket?: string; ioUring: boolean };
}

export interface RestoreResult extends AdoptResult {
  /** The session, when the tree was supervised here (not handed over). */
  session?: Session;
  root: number;
  /** The service's socket, when the tree was handed over to it. */
  servedBy?: string;
}

/**
 * Apply the conversions this host needs to a copy of the image (IMG is only
 * read), then criu-restore it held stopped. The copy is gone once criu is done.
 */
async function restoreStopped(opts: RestoreOptions, criu: string, signal: AbortSignal): Promise<number> {
  const watch = { limits: opts.limits ?? DEFAULT_CRIU_LIMITS, signal };
  const conversions = requiredConversions(opts.imgDir);
  if (conversions.length === 0) return criuRestoreStopped({ criu, imgDir: opts.imgDir, passThrough: opts.criuArgs, ...watch });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-img-'));
  try {
    const imgDir = path.join(scratch, 'img');
    // Links are safe unless criu is told to punch holes into pages images.
    const { applied } = convertImage(opts.imgDir, imgDir, conversions, { linkUntouched: !opts.criuArgs.includes('--auto-dedup') });
    for (const line of applied) opts.notice(`restoring from a converted copy of ${opts.imgDir}: ${line}`);
    return await criuRestoreStopped({ criu, imgDir, passThrough: opts.criuArgs, ...watch });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Restore, inject, resume and supervise. Throws ShimError subclasses; the tree is killed when it cannot be supervised. */
export async function restore(opts: RestoreOptions): Promise<RestoreResult> {
  checkPassThrough(opts.criuArgs);
  // Downtime: `criu --version` runs while the manifest is read and the session prepared, and the
  // supervisor worker loads its modules while CRIU restores, so the restored tasks wait only for
  // the injection (npm run bench: downtime).
  const locating = locateCriu(opts.criu === undefined ? {} : { explicit: opts.criu });
  locating.catch(() => undefined);
  // The same refusals, lines and statuses as check and convert (no image, damaged, other arch).
  const manifest = openImageDir(opts.imgDir).manifest;
  assertSeccompIntact(opts.imgDir, manifest);
  // What the dump ended because it could not move: the tree comes back without it.
  if (manifest?.leftBehind) for (const line of renderLeftBehind(manifest.leftBehind)) opts.notice(line);
  const choice = chooseKernel(opts.kernel, manifest, os.release(), opts.imgDir, () => imageKernel(opts.imgDir, readPstree(opts.imgDir)));
  // Asked now: the service answers (a session, cached per release) while the image is checked here.
  const handing = handOver({ enabled: opts.serve !== undefined, ...opts.serve, ioUring: opts.serve?.ioUring ?? false, release: choice.release, notice: opts.notice });
  // Never restored silently into ENOSYS: a USER_NOTIF filter without its listener is refused.
  const stale = staleNotifyFilters(opts.imgDir, manifest?.shimFilter?.sha256);
  if (stale.length > 0) {
    void handing.then((s) => s?.cancel());
    throw new ShimError('restore', `${opts.imgDir}: ${staleNotifyReason(stale[0]!)}${stale.length > 1 ? ` (and ${stale.length - 1} more such filters)` : ''}; nothing was restored`, {
      code: 'ENOTSUP',
      hint: STALE_NOTIFY_HINT,
    });
  }
  if (choice.notice) opts.notice(choice.notice);
  const service = await handing;
  if (service !== undefined) {
    try {
      const criu = await locating;
      if (manifest !== undefined) assertCanRead(criu, manifest.criu.version, opts.imgDir);
      return await restoreHandedOver(opts, criu.path, service);
    } finally {
      service.cancel();
    }
  }
  const session = await opts.prepare(choice.release);
  for (const n of session.notices) opts.notice(n);
  const criu = await locating;
  if (manifest !== undefined) assertCanRead(criu, manifest.criu.version, opts.imgDir);

  // Before criu runs: orphans of the restored tree must come back to us to be reaped.
  becomeSubreaper();
  const worker = prestartWorker({ persona: session.persona, routes: session.routes, native: opts.native, ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) });
  let root: number;
  try {
    // Under the watchdog: a time and log limit, and a signal kills the partial tree (watchdog.ts).
    root = await watchCriuPhase((signal) => restoreStopped(opts, criu.path, signal));
  } catch (err) {
    await worker.cancel();
    throw err;
  }

  // Still stopped, and not yet filtered: the personality() the helper injects must not wait for a
  // supervisor that is not answering yet. The first instruction any task runs sees the persona's
  // vDSO note (and READ_IMPLIES_EXEC where a kernel before 5.8 set it).
  const vdso = writeVdsoNotes(session, listTree(root), { held: true });
  if (vdso) opts.notice(`restore: ${vdso}`);
  let injected;
  try {
    injected = await injectFilter({ pids: [root], descendants: true, filter: session.filter });
  } catch (err) {
    await worker.cancel();
    throw injectFailed(err, root, opts.imgDir);
  }
  const processes = injected.processes;
  let guarded;
  try {
    // Still stopped: every task goes into the guarded cgroup before any runs (CRIU put them in the image's).
    guarded = await guardSupervisedTree(root, () => [...new Set([...processes, ...listTree(root)])], session.persona, session.filter, injected.listeners.map((l) => l.fd));
  } catch (err) {
    killTree([root, ...processes]);
    throw err;
  }
  let finished = false;
  try {
    const result = await superviseTree({
      listenerFds: injected.listeners.map((l) => l.fd),
      worker,
      root,
      rootIs: 'child',
      // Every process is filtered now: only then may any of them run.
      resume: () => {
        for (const p of new Set([...processes, ...listTree(root)])) sys.kill(p, SIGCONT);
      },
      tree: () => listTree(root),
    });
    finished = true;
    return { ...result, session, root };
  } finally {
    await guarded.end(finished ? 'release' : 'kill');
  }
}

/** Kill the restored tree whose injection failed; the error to throw. */
function injectFailed(err: unknown, root: number, imgDir: string): unknown {
  const held = err instanceof InjectError ? err.processes : [];
  killTree([root, ...held]);
  if (err instanceof ShimError) {
    return new ShimError(err.op, `${err.message}; the restored tree was killed (${imgDir} is untouched)`, {
      cause: err,
      code: err.code,
      ...(err.hint ? { hint: err.hint } : {}),
    });
  }
  return err;
}

/** The same restore and injection, with the service's filter; the tree then goes to the service. */
async function restoreHandedOver(opts: RestoreOptions, criu: string, service: HandOver): Promise<RestoreResult> {
  // The root is our child and orphans of the tree come back to us: we reap them, the service supervises.
  becomeSubreaper();
  const root = await watchCriuPhase((signal) => restoreStopped(opts, criu, signal));
  let injected;
  try {
    injected = await injectFilter({ pids: [root], descendants: true, filter: service.filter });
  } catch (err) {
    throw injectFailed(err, root, opts.imgDir);
  }
  try {
    const result = await service.supervise({ root, rootIs: 'child', listeners: injected.listeners, mode: 'stopped' });
    return { ...result, root, servedBy: service.socket };
  } catch (err) {
    // Nothing may run on unsupervised: whatever the service did not kill, we do.
    killTree([root, ...injected.processes]);
    throw err;
  }
}
