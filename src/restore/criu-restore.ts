/**
 * `criu restore` the way cr-shim needs it: every task left stopped
 * (--leave-stopped) so that none runs an instruction before its filter is in;
 * the root made our child (--restore-sibling with -d), so we reap it for its
 * status and its parent-death signal (cr-shim-launch sets SIGKILL, and CRIU
 * restores it) stays tied to cr-shim rather than to criu, which exits at once.
 * Logs, the pidfile and criu's stats go to a work directory, never into IMG.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import { runCriu } from '../criu/run-criu.js';
import type { CriuLimits } from './criu-limits.js';

/** Options cr-shim sets itself; passing them through would break the restore's guarantees. */
const OWN = ['-d', '--restore-detached', '-S', '--restore-sibling', '-s', '--leave-stopped', '-R', '--leave-running', '-D', '--images-dir', '-W', '--work-dir', '--pidfile', '-o', '--log-file', '-v4'];

export interface CriuRestoreOptions {
  criu: string;
  imgDir: string;
  /** Passed to criu as they are (e.g. --shell-job, --tcp-close). */
  passThrough: readonly string[];
  /** The watchdog's limits (watchdog.ts) and its stop. */
  limits?: CriuLimits;
  signal?: AbortSignal;
}

/** Throws UsageError for a pass-through option that cr-shim sets itself. */
export function checkPassThrough(args: readonly string[]): void {
  const clash = args.find((a) => OWN.includes(a.split('=')[0]!));
  if (clash !== undefined) {
    throw new UsageError('restore', `criu option ${clash} is cr-shim's to set`, { code: 'EUSAGE', hint: 'leave it out; cr-shim restores detached, stopped, as its own child' });
  }
}

/** Restore the tree held stopped; returns the root's pid. Throws CriuError, or UsageError for a pass-through option cr-shim owns. */
export async function criuRestoreStopped(opts: CriuRestoreOptions): Promise<number> {
  checkPassThrough(opts.passThrough);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-restore-'));
  const pidfile = path.join(work, 'root.pid');
  try {
    await runCriu(opts.criu, 'restore', ['-D', opts.imgDir, '-W', work, '--leave-stopped', '-d', '--restore-sibling', '--pidfile', pidfile, ...opts.passThrough], {
      ...(opts.limits ? { timeoutMs: opts.limits.timeoutMs, maxLogBytes: opts.limits.maxLogBytes } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const root = Number(fs.readFileSync(pidfile, 'utf8').trim());
    if (!Number.isInteger(root) || root <= 0) throw new ShimError('criu restore', `criu wrote no root pid to ${pidfile}`, { code: 'EPROTO' });
    return root;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
