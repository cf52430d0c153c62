/**
 * Running criu. Its log goes to a fresh temporary directory, never the image directory, so a
 * failed command leaves the images as they were; the log is removed after a success and kept
 * after a failure (its path is in the error's hint).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { errorLines, hintFor } from './criu-hints.js';
import { recordPhase, wallMs } from '../phase-trace.js';

/** criu exited non-zero or could not be started. `errors` holds the log's error lines. */
export class CriuError extends ShimError {
  readonly errors: string[];
  readonly logFile: string | undefined;
  constructor(op: string, message: string, opts: { cause?: unknown; code?: string; hint?: string; errors?: string[]; logFile?: string }) {
    super(op, message, opts);
    this.errors = opts.errors ?? [];
    this.logFile = opts.logFile;
  }
}

export interface CriuRun {
  /** Exit status (0: only successful runs are returned). */
  status: number;
  /** criu's stdout and stderr, in the order read. */
  output: string;
  /** The -v4 log. */
  log: string;
}

export interface RunCriuOptions {
  /** Kill criu after this long. Default: no limit (a big dump takes as long as it takes). */
  timeoutMs?: number;
  /**
   * Kill criu once its -v4 log passes this many bytes. A restore of a damaged image can leave a
   * task spinning while criu logs about 10 MB/s and never returns. Default: no limit.
   */
  maxLogBytes?: number;
  /** Kill criu when this aborts (a signal to cr-shim); the error names the reason. */
  signal?: AbortSignal;
  /** Keep the log file even after a success (its path is returned). */
  keepLog?: boolean;
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Run `criu ACTION ARGS -v4 -o LOG`. Resolves when criu exits 0. Otherwise throws CriuError
 * (code 'ECRIU') whose one-line message names the action and criu's first error, with a fix
 * from criu-hints.ts when one matches and the kept log's path.
 */
export async function runCriu(criu: string, action: string, args: readonly string[], opts: RunCriuOptions = {}): Promise<CriuRun & { logFile?: string }> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-criu-'));
  const logFile = path.join(logDir, `${action}.log`);
  const argv = [action, ...args, '-v4', '-o', logFile];
  const op = `criu ${action}`;
  let output = '';
  let status: number | null;
  let signal: NodeJS.Signals | null;
  /** Why cr-shim killed criu, when it did. */
  let stopped: { why: string; hint: string; dropLog: boolean } | undefined;
  try {
    ({ status, signal } = await new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const spawning = wallMs();
      const child = spawn(criu, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
      recordPhase(`criu ${action}: spawn`, spawning);
      child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
      const stop = (why: NonNullable<typeof stopped>) => {
        stopped ??= why;
        child.kill('SIGKILL');
      };
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => stop({ why: `did not finish within ${opts.timeoutMs! / 1000} s`, hint: 'a damaged image can leave a task spinning: run cr-shim check IMG; --criu-timeout SECONDS allows more', dropLog: false }), opts.timeoutMs);
      // Polled, not watched: a log growing 10 MB/s would flood an inotify watch.
      const logPoll =
        opts.maxLogBytes === undefined
          ? undefined
          : setInterval(() => {
              let size = 0;
              try {
                size = fs.statSync(logFile).size;
              } catch {
                return;
              }
              if (size > opts.maxLogBytes!) {
                stop({ why: `its log passed ${Math.round(opts.maxLogBytes! / 2 ** 20)} MiB, the sign of a restore that never ends`, hint: 'a damaged image can leave a task spinning: run cr-shim check IMG; --criu-log-limit MIB allows more', dropLog: true });
              }
            }, 200);
      const onAbort = () => stop({ why: `stopped by ${String(opts.signal?.reason ?? 'request')}`, hint: '', dropLog: true });
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        clearInterval(logPoll);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      child.once('error', (e) => {
        done();
        reject(e);
      });
      child.once('close', (code, sig) => {
        done();
        resolve({ status: code, signal: sig });
      });
    }));
  } catch (cause) {
    fs.rmSync(logDir, { recursive: true, force: true });
    throw new CriuError(op, `cannot run ${criu}: ${(cause as Error).message}`, { cause, code: 'ECRIU', hint: 'run scripts/setup-criu.sh or pass --criu PATH' });
  }
  if (stopped !== undefined) {
    // Killed by cr-shim: the log is either huge or beside the point; its first error lines are kept in the error.
    const errors = stopped.dropLog ? [] : errorLines(readLogHead(logFile));
    if (stopped.dropLog) fs.rmSync(logDir, { recursive: true, force: true });
    throw new CriuError(op, `criu ${action} killed: ${stopped.why}`, {
      code: 'ECRIU',
      ...(stopped.hint || !stopped.dropLog ? { hint: [stopped.hint, stopped.dropLog ? '' : `log: ${logFile}`].filter(Boolean).join('; ') } : {}),
      errors,
      ...(stopped.dropLog ? {} : { logFile }),
    });
  }
  let log = '';
  try {
    log = fs.readFileSync(logFile, 'utf8');
  } catch {
    // criu failed before opening its log (bad option): its stderr says why.
  }
  if (status === 0) {
    if (!opts.keepLog) fs.rmSync(logDir, { recursive: true, force: true });
    return { status, output, log, ...(opts.keepLog ? { logFile } : {}) };
  }
  const errors = [...errorLines(log), ...errorLines(output)];
  // Without error lines (criu refused before logging: bad option, no capability) its own words, first line first.
  const said = output.split('\n').map((l) => l.replace(/^\(\d+\.\d+\)\s*/, '').replace(/[:\s]+$/, '')).filter(Boolean);
  // "Error (criu/pstree.c:300): The root process ..." reads better without CRIU's source position.
  const first = (errors[0] ?? said[0] ?? 'no error message').replace(/^(pie: \d+: )?Error \([^)]*\):\s*/, '');
  const fix = hintFor([...errors, ...said]);
  const how = signal ? `killed by ${signal}` : `exit ${String(status)}`;
  const kept = log ? `log: ${logFile}` : undefined;
  if (!log) fs.rmSync(logDir, { recursive: true, force: true });
  throw new CriuError(op, `criu ${action} failed (${how}): ${first}`, {
    code: 'ECRIU',
    hint: [fix, kept].filter(Boolean).join('; ') || undefined,
    errors,
    ...(log ? { logFile } : {}),
  });
}

/** The first MiB of a log: enough for its error lines, never the gigabytes of a runaway restore. */
function readLogHead(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
