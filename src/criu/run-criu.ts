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
  try {
    ({ status, signal } = await new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(criu, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
      child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
      const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        resolve({ status: code, signal: sig });
      });
    }));
  } catch (cause) {
    fs.rmSync(logDir, { recursive: true, force: true });
    throw new CriuError(op, `cannot run ${criu}: ${(cause as Error).message}`, { cause, code: 'ECRIU', hint: 'run scripts/setup-criu.sh or pass --criu PATH' });
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
