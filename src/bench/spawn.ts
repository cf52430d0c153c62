/** Running one measured process to completion, with its output and wall time. */
import { spawn } from 'node:child_process';
import { ShimError } from '../errors.js';

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From just before spawn to the 'exit' event (the process is reaped), ms. */
  wallMs: number;
}

/**
 * Run argv[0] with its arguments, stdin closed and stdout/stderr captured.
 * Resolves whatever the exit status; rejects with ShimError only when it cannot be started.
 */
export function runCaptured(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<Finished> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new ShimError('bench spawn', 'empty command line', { code: 'EINVAL' }));
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const t0 = process.hrtime.bigint();
    let wallMs = 0;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (cause) => reject(new ShimError('bench spawn', `cannot run ${file}: ${cause.message}`, { cause, code: (cause as NodeJS.ErrnoException).code })));
    child.once('exit', () => (wallMs = Number(process.hrtime.bigint() - t0) / 1e6));
    child.once('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), wallMs }),
    );
  });
}

/** Throws ShimError naming `what` with the status and the first stderr line unless the run exited 0. */
export function expectSuccess(what: string, r: Finished): Finished {
  if (r.status === 0) return r;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${String(r.status)}`;
  const first = r.stderr.split('\n').find((l) => l.trim() !== '') ?? 'no stderr';
  throw new ShimError(what, `${how}: ${first}`, { code: 'ECHILD' });
}
