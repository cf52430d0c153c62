/**
 * `cr-shim restore IMG` when `cr-shim serve` answers: the CLI is a thin client. It sends one
 * restore-image request (the image, --kernel, --criu, the criu options) and waits; the service,
 * warm (tables, sessions and criu's version cached), checks the image, restores, injects,
 * supervises, reaps the root and sends its status back (src/serve/image-restore.ts). Errors come
 * back as the error restore would have thrown, so the line and the status are the same.
 *
 * Only this module, the client and the protocol load on this path: not the plan, the BPF
 * compiler, the image readers, nor a `criu --version` (npm run bench: downtime).
 *
 *   nobody listens on the socket                → undefined: restore here, silently
 *   a socket or a service that is not root's, or
 *   one that does not serve restore-image       → undefined: restore here, with a notice saying why
 *   else                                        → the root's status
 *
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to this process go to the restored
 * root through the service (during criu restore a stopping one ends the restore, as the
 * in-process watchdog does). If this process dies, the tree stays the service's.
 */
import os from 'node:os';
import path from 'node:path';
import { connectOrSay, type ServiceClient } from '../serve/client.js';
import { defaultSocketPath } from '../serve/paths.js';
import type { ImageRestoreSpec } from '../serve/protocol.js';
import { SignalForwarder } from '../supervisor/signal-forwarder.js';
import { performance } from 'node:perf_hooks';
import { recordPhase, timed, tracingPhases, wallMs } from '../phase-trace.js';

export interface ThinRestoreRequest extends Omit<ImageRestoreSpec, 'dir'> {
  imgDir: string;
  /** --socket PATH; default defaultSocketPath(). */
  socket?: string;
  notice: (line: string) => void;
}

/** The restored root's status, or undefined to restore in this process (the reasons above). Throws ShimError as restore would. */
export async function restoreThroughService(req: ThinRestoreRequest): Promise<number | undefined> {
  if (tracingPhases) {
    // Node's own start (to the end of its bootstrap), then the CLI's modules and arguments up to here.
    const booted = performance.timeOrigin + performance.nodeTiming.bootstrapComplete;
    recordPhase('client: node start', performance.timeOrigin, booted);
    recordPhase('client: CLI modules and arguments', booted);
  }
  const socket = req.socket ?? defaultSocketPath();
  // Listening before anything is restored: a signal is never lost to the default action.
  const signals = new SignalForwarder();
  try {
    const client = timed('client: connect', () => connectOrSay(socket, req.socket !== undefined, req.notice));
    if (client === undefined) return undefined;
    try {
      signals.attach((s) => client.signal(os.constants.signals[s]));
      // The client's $CR_SHIM_CRIU, not the service's environment, names the criu unless --criu does.
      const criu = req.criu ?? (process.env.CR_SHIM_CRIU || undefined);
      const spec: ImageRestoreSpec = {
        dir: path.resolve(req.imgDir),
        ...(req.kernel !== undefined ? { kernel: req.kernel } : {}),
        ...(criu !== undefined ? { criu } : {}),
        criuArgs: req.criuArgs,
        ioUring: req.ioUring,
        limits: req.limits,
      };
      recordPhase('client: request sent', wallMs());
      const result = await client.restoreImage(spec, req.notice);
      if (typeof result === 'number') return result;
      req.notice(`not handing over to ${socket}: ${result.refused}; supervising here`);
      return undefined;
    } finally {
      client.close();
    }
  } finally {
    signals.dispose();
  }
}
