/**
 * Writing a command's output. A failed write ends the command with a status instead of a lost
 * output and exit 0 (`> /dev/full`) or a stack trace: ENOSPC, EIO and the rest become one
 * ShimError ('write stdout', status 125); a reader that went away (EPIPE: `| head -1`) ends it
 * quietly with 141 (src/cli/exit-status.ts).
 */
import { ShimError } from '../errors.js';

/** The ShimError for a failed write on stdout. */
export function stdoutError(cause: unknown): ShimError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'no space left on device' : code === 'EPIPE' ? 'the reader closed it' : (cause as Error).message;
  return new ShimError('write stdout', `${why}${code && code !== 'EPIPE' ? ` (${code})` : ''}: the output is incomplete`, { cause, ...(code ? { code } : {}) });
}

/** Write to stdout; resolves once written, rejects with stdoutError's ShimError. */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (err) => (err ? reject(stdoutError(err)) : resolve()));
  });
}

/**
 * Catch write errors no caller awaited (a stream emits 'error' besides failing the callback).
 * Returns the first one seen, for the entry point's exit status.
 */
export function watchStdout(): () => ShimError | undefined {
  let first: ShimError | undefined;
  process.stdout.on('error', (err) => {
    first ??= stdoutError(err);
  });
  return () => first;
}
