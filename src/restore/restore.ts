/**
 * `cr-shim restore IMG`: the tree comes back under the shim.
 *
 *   IMG → kernel to present (manifest, --kernel, or the host's, said aloud)
 *       → conversions CRIU needs on this host, applied to a copy (IMG is only read)
 *       → criu restore --leave-stopped --restore-sibling -d   (every task held stopped)
 *       → cr-shim-inject: a filter and a listener per process (no task has run)
 *       → SIGCONT the tree, supervise it, exit with the root's status
 *
 * If injection fails the restored tree is killed before any of it runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import { locateCriu } from '../criu/binary.js';
import { convertImage, requiredConversions } from '../criu/convert.js';
import { readManifest } from '../criu/manifest.js';
import { recordSupervised } from '../criu/supervised-record.js';
import type { Session } from '../supervisor/session.js';
import { injectFilter, InjectError } from '../inject/injector.js';
import { killTree, listTree } from '../inject/tree.js';
import { superviseTree, type AdoptResult } from '../supervisor/adopt.js';
import { becomeSubreaper } from '../supervisor/reaper.js';
import { sys } from '../native/libc.js';
import { chooseKernel } from './source-kernel.js';
import { checkPassThrough, criuRestoreStopped } from './criu-restore.js';

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
  /** Builds the session for the chosen release (src/supervisor/session.ts). */
  prepare: (release: string) => Session;
}

export interface RestoreResult extends AdoptResult {
  session: Session;
  root: number;
}

function assertImage(imgDir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(imgDir);
  } catch (cause) {
    throw new UsageError('restore', `${imgDir}: no such directory`, { cause, code: 'ENOENT', hint: 'give the directory cr-shim dump (or criu dump -D) wrote' });
  }
  if (!st.isDirectory() || !fs.existsSync(path.join(imgDir, 'inventory.img'))) {
    throw new UsageError('restore', `${imgDir} is not a CRIU image directory (no inventory.img)`, {
      code: 'ENOENT',
      hint: 'give the directory cr-shim dump (or criu dump -D) wrote',
    });
  }
}

/**
 * Apply the conversions this host needs to a copy of the image (IMG is only
 * read), then criu-restore it held stopped. The copy is gone once criu is done.
 */
async function restoreStopped(opts: RestoreOptions, criu: string): Promise<number> {
  const conversions = requiredConversions(opts.imgDir);
  if (conversions.length === 0) return criuRestoreStopped({ criu, imgDir: opts.imgDir, passThrough: opts.criuArgs });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-img-'));
  try {
    const imgDir = path.join(scratch, 'img');
    // Links are safe unless criu is told to punch holes into pages images.
    const { applied } = convertImage(opts.imgDir, imgDir, conversions, { linkUntouched: !opts.criuArgs.includes('--auto-dedup') });
    for (const line of applied) opts.notice(`restoring from a converted copy of ${opts.imgDir}: ${line}`);
    return await criuRestoreStopped({ criu, imgDir, passThrough: opts.criuArgs });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Restore, inject, resume and supervise. Throws ShimError subclasses; the tree is killed when it cannot be supervised. */
export async function restore(opts: RestoreOptions): Promise<RestoreResult> {
  assertImage(opts.imgDir);
  checkPassThrough(opts.criuArgs);
  const manifest = readManifest(opts.imgDir);
  const choice = chooseKernel(opts.kernel, manifest, os.release(), opts.imgDir);
  if (choice.notice) opts.notice(choice.notice);
  const session = opts.prepare(choice.release);
  for (const n of session.notices) opts.notice(n);
  const criu = await locateCriu(opts.criu === undefined ? {} : { explicit: opts.criu });

  // Before criu runs: orphans of the restored tree must come back to us to be reaped.
  becomeSubreaper();
  const root = await restoreStopped(opts, criu.path);

  let injected;
  try {
    injected = await injectFilter({ pids: [root], descendants: true, filter: session.filter });
  } catch (err) {
    const held = err instanceof InjectError ? err.processes : [];
    killTree([root, ...held]);
    if (err instanceof ShimError) {
      throw new ShimError(err.op, `${err.message}; the restored tree was killed (${opts.imgDir} is untouched)`, {
        cause: err,
        code: err.code,
        ...(err.hint ? { hint: err.hint } : {}),
      });
    }
    throw err;
  }
  const processes = injected.processes;
  const unrecord = recordSupervised(root, session.persona, session.filter);
  try {
    const result = await superviseTree({
      listenerFds: injected.listeners.map((l) => l.fd),
      worker: { persona: session.persona, routes: session.routes, native: opts.native, ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) },
      root,
      rootIs: 'child',
      // Every process is filtered now: only then may any of them run.
      resume: () => {
        for (const p of new Set([...processes, ...listTree(root)])) sys.kill(p, SIGCONT);
      },
      tree: () => listTree(root),
    });
    return { ...result, session, root };
  } finally {
    unrecord();
  }
}
