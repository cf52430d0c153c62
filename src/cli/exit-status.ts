/**
 * One exit status per cause, the same for every command (README.md, "Exit status"):
 *
 *   0    done
 *   1    a verdict, not a failure: `check` finds the image cannot be restored here, `bpf`
 *        refuses an invalid program
 *   2    the command line is malformed: unknown command or option, a missing or extra
 *        argument, a value of the wrong form (not a PID, no such release)
 *   125  cr-shim could not do what was asked: an argument names no usable image, process or
 *        file, an image is damaged, CRIU or the kernel refused, stdout could not be written
 *   126  the program to run was found but could not be executed
 *   127  the program to run was not found
 *   141  stdout was closed by its reader (EPIPE, as a shell shows a program killed by SIGPIPE);
 *        nothing is printed
 *
 * and for `run`, `restore` and `attach`, otherwise the program's own status, 128+N when it was
 * killed by signal N.
 */
import { ShimError, UsageError } from '../errors.js';

export const EXIT = {
  ok: 0,
  verdict: 1,
  usage: 2,
  failed: 125,
  notExecutable: 126,
  notFound: 127,
  stdoutClosed: 128 + 13,
} as const;

/** The status for an error that ends a command. */
export function exitStatusOf(err: unknown): number {
  if (!(err instanceof ShimError)) return EXIT.failed;
  if (err.code === 'EPIPE' && err.op === 'write stdout') return EXIT.stdoutClosed;
  return err.exitStatus ?? (err instanceof UsageError ? EXIT.usage : EXIT.failed);
}
