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
 * When `cr-shim serve` runs, this module is not loaded at all: the CLI is a thin client
 * (thin-client.ts) and the service runs these same steps (src/serve/image-restore.ts).
 * If injection fails the restored tree is killed before any of it runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { locateCriu } from '../criu/binary.js';
import { convertImage, requiredConversions } from '../criu/convert.js';
import type { Session } from '../supervisor/session.js';
import { injectFilter, InjectError } from '../inject/injector.js';
import { killTree, listTree } from '../inject/tree.js';
import { writeVdsoNotes } from '../inject/vdso-note.js';
import { superviseTree, type AdoptResult } from '../supervisor/adopt.js';
import { prestartWorker } from '../supervisor/worker-thread.js';
import { becomeSubreaper } from '../supervisor/reaper.js';
import { sys } from '../native/libc.js';
import { guardTree, superviseInGuard } from '../supervisor/tree-guard.js';
import { checkPassThrough, criuRestoreStopped } from './criu-restore.js';
import { assertCriuReads, checkImage } from './image-checks.js';
import { DEFAULT_CRIU_LIMITS, type CriuLimits } from './criu-limits.js';
import { watchCriuPhase } from './watchdog.js';
import { timed } from '../phase-trace.js';

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
}

export interface RestoreResult extends AdoptResult {
  session: Session;
  root: number;
}

/**
 * Apply the conversions this host needs to a copy of the image (IMG is only
 * read), then criu-restore it held stopped. The copy is gone once criu is done.
 */
export async function restoreStopped(opts: Pick<RestoreOptions, 'imgDir' | 'criuArgs' | 'limits' | 'notice'>, criu: string, signal: AbortSignal): Promise<number> {
  const watch = { limits: opts.limits ?? DEFAULT_CRIU_LIMITS, signal };
  const conversions = timed('conversions needed', () => requiredConversions(opts.imgDir));
  if (conversions.length === 0) return timed('criu restore', () => criuRestoreStopped({ criu, imgDir: opts.imgDir, passThrough: opts.criuArgs, ...watch }));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-img-'));
  try {
    const imgDir = path.join(scratch, 'img');
    // Links are safe unless criu is told to punch holes into pages images.
    const { applied } = timed('conversion copy', () => convertImage(opts.imgDir, imgDir, conversions, { linkUntouched: !opts.criuArgs.includes('--auto-dedup') }));
    for (const line of applied) opts.notice(`restoring from a converted copy of ${opts.imgDir}: ${line}`);
    return await timed('criu restore', () => criuRestoreStopped({ criu, imgDir, passThrough: opts.criuArgs, ...watch }));
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
  const { manifest, choice } = checkImage(opts.imgDir, opts.kernel, opts.notice);
  const session = await opts.prepare(choice.release);
  for (const n of session.notices) opts.notice(n);
  const criu = await locating;
  assertCriuReads(criu, manifest, opts.imgDir);

  // Before criu runs: orphans of the restored tree must come back to us to be reaped.
  becomeSubreaper();
  const worker = prestartWorker({ persona: session.persona, routes: session.routes, native: opts.native, planAhead: true, ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) });
  // The guard comes up while criu restores; the tree joins it once injected (superviseInGuard).
  const guarding = guardTree();
  guarding.catch(() => undefined);
  const dropGuard = () => guarding.then((g) => g.release('kill'), () => undefined);
  let root: number;
  try {
    // Under the watchdog: a time and log limit, and a signal kills the partial tree (watchdog.ts).
    root = await watchCriuPhase((signal) => restoreStopped(opts, criu.path, signal));
  } catch (err) {
    await worker.cancel();
    await dropGuard();
    throw err;
  }

  // Still stopped, and not yet filtered: the personality() the helper injects must not wait for a
  // supervisor that is not answering yet. The first instruction any task runs sees the persona's
  // vDSO note (and READ_IMPLIES_EXEC where a kernel before 5.8 set it).
  const vdso = await writeVdsoNotes(session, listTree(root), { held: true });
  if (vdso) opts.notice(`restore: ${vdso}`);
  let injected;
  try {
    injected = await injectFilter({ pids: [root], descendants: true, filter: session.filter });
  } catch (err) {
    await worker.cancel();
    await dropGuard();
    throw injectFailed(err, root, opts.imgDir);
  }
  const processes = injected.processes;
  let guarded;
  try {
    // Still stopped: every task goes into the guarded cgroup before any runs (CRIU put them in the image's).
    guarded = await superviseInGuard(await guarding, root, () => [...new Set([...processes, ...listTree(root)])], session.persona, session.filter, injected.listeners.map((l) => l.fd));
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
export function injectFailed(err: unknown, root: number, imgDir: string): unknown {
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
