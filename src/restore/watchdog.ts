/**
 * The watchdog on `criu restore`: a time limit and a log-size limit (a damaged image can leave a
 * restored task spinning while CRIU logs about 10 MB/s and never returns), and SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT turned into a stop. However the CRIU phase ends early (limit, failure,
 * signal), the partial tree is killed: with --restore-sibling its root is cr-shim's own child and
 * the rest are below it (cr-shim is a child subreaper), so every descendant of cr-shim is killed.
 * The phase's own `finally` blocks remove the temporary directories, since a signal no longer
 * ends cr-shim on the spot.
 */
import os from 'node:os';
import { ShimError } from '../errors.js';
import { killTree } from '../inject/tree.js';
import { ourChildren } from '../supervisor/reaper.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Run the CRIU phase `phase(abort)` under the watchdog. Resolves with its result; when it throws
 * or a stop signal arrives, every descendant of cr-shim is SIGKILLed and the error (for a signal:
 * a ShimError whose exit status is 128+N) is thrown once the phase has cleaned up.
 */
export async function watchCriuPhase<T>(phase: (abort: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    received ??= sig;
    controller.abort(sig);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    const result = await phase(controller.signal);
    if (received !== undefined) throw new Error('stopped');
    return result;
  } catch (err) {
    // SIGKILL ends a task in group-stop or ptrace-stop before it runs another instruction.
    killTree(ourChildren());
    if (received !== undefined) {
      throw new ShimError('restore', `stopped by ${received} while criu restored the image; the partially restored tree was killed`, {
        cause: err,
        code: 'EINTR',
        exitStatus: 128 + os.constants.signals[received],
      });
    }
    throw err;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}
