/**
 * Whether `cr-shim attach` supervises its tree itself or hands it over to a running `cr-shim
 * serve`, and the hand-over itself (the CLI side; src/serve/client.ts speaks the protocol).
 * `cr-shim restore` asks the service for the whole restore instead (thin-client.ts):
 *
 *   --no-serve, --stats, --trace        → here (the counters and the trace live in this process)
 *   nobody listens on the socket        → here, silently: today's behaviour
 *   a socket that is not root's, in a directory others can write, or a service not running as
 *   root, or one that refuses adopt     → here, with a notice saying why
 *   else                                → the service: it builds the session (cached, so a
 *                                         restore does not wait for the plan and BPF compile),
 *                                         the CLI injects its filter, hands the listeners over,
 *                                         and waits for the tree's end
 *
 * The decision is made before anything is restored or injected, so falling back costs nothing.
 * Once handed over the tree is the service's: it is guarded against the service's death
 * (src/supervisor/tree-guard.ts), not this process's, so a killed CLI leaves it supervised.
 */
import os from 'node:os';
import { ShimError } from '../errors.js';
import { sys } from '../native/libc.js';
import { connectOrSay, type ServiceClient } from '../serve/client.js';
import { defaultSocketPath } from '../serve/paths.js';
import type { AdoptResult } from '../supervisor/adopt.js';
import { reapChildren } from '../supervisor/reaper.js';
import { SignalForwarder } from '../supervisor/signal-forwarder.js';

/** How long a restored root (our child) may take to be reaped once its tree is gone, as superviseTree waits. */
const ROOT_REAP_MS = 1000;

export interface HandOverRequest {
  /** false: --no-serve, or an option only an in-process supervisor serves (--stats, --trace). */
  enabled: boolean;
  /** --socket PATH; default defaultSocketPath(). */
  socket?: string;
  release: string;
  ioUring: boolean;
  notice: (line: string) => void;
}

export interface HandedTreeInput {
  root: number;
  /** 'child': a restored root, reaped here for its status; 'foreign': attach's, whose status nobody can read. */
  rootIs: 'child' | 'foreign';
  /** One listener per process, from the injector; closed here once the service holds copies. */
  listeners: readonly { pid: number; fd: number }[];
  /** After a restore the tree is held stopped and the service resumes it; after attach it runs. */
  mode: 'stopped' | 'running';
}

export interface HandOver {
  /** The filter the service's session compiled: inject this one. */
  readonly filter: Uint8Array;
  readonly socket: string;
  /** The service's pid: attach must not inject it (or an ancestor), it would trap its own supervisor. */
  readonly servicePid: number;
  /** Nothing was injected after all: the service forgets the tree. */
  cancel(): void;
  /**
   * Hand the listeners over, have the service guard and resume the tree, and wait until it is
   * gone. Throws ShimError when the service refuses or kills the tree (it was killed then).
   */
  supervise(tree: HandedTreeInput): Promise<AdoptResult>;
}

/** The service to hand the tree to, or undefined to supervise it here (the reasons above). */
export async function handOver(req: HandOverRequest): Promise<HandOver | undefined> {
  if (!req.enabled) return undefined;
  const socket = req.socket ?? defaultSocketPath();
  const client = connectOrSay(socket, req.socket !== undefined, req.notice);
  if (client === undefined) return undefined;
  let adopted;
  try {
    adopted = await client.adopt(req.release, req.ioUring);
  } catch (err) {
    client.close();
    req.notice(`not handing over to ${socket}: ${(err as Error).message}; supervising here`);
    return undefined;
  }
  const { sid, filter } = adopted;
  return {
    filter,
    socket,
    servicePid: client.servicePid,
    cancel: () => client.close(),
    supervise: (tree) => superviseHandedTree(client, sid, tree),
  };
}

async function superviseHandedTree(client: ServiceClient, sid: string, tree: HandedTreeInput): Promise<AdoptResult> {
  try {
    for (const l of tree.listeners) await client.listener(sid, l.pid, l.fd);
    await client.resume(sid, tree.root, tree.mode);
  } catch (err) {
    // The connection's end makes the service kill what it had; the caller kills the rest.
    client.close();
    throw err;
  } finally {
    // The service holds copies now, and its guard others; ours would only keep the tree's calls waiting on us.
    for (const l of tree.listeners) sys.close(l.fd);
  }

  const signals = new SignalForwarder();
  signals.attach((s) => sys.kill(tree.root, os.constants.signals[s]));
  let rootStatus: number | undefined;
  let onRootEnd: () => void = () => undefined;
  const rootEnded = new Promise<void>((resolve) => (onRootEnd = resolve));
  // A restored root is our child, and orphans of the tree come back to us (a child subreaper): reap them all.
  const onChld = () => {
    const status = reapChildren().get(tree.root);
    if (status !== undefined) {
      rootStatus = status;
      onRootEnd();
    }
  };
  if (tree.rootIs === 'child') process.on('SIGCHLD', onChld);
  try {
    if (tree.rootIs === 'child') onChld();
    const killed = await client.wait(sid);
    if (killed !== undefined) throw new ShimError('supervise', `cr-shim serve on ${client.socket}: ${killed}`, { code: 'ECONNRESET' });
    if (tree.rootIs === 'child') {
      onChld();
      await Promise.race([rootEnded, new Promise((r) => setTimeout(r, ROOT_REAP_MS))]);
    }
    return { status: rootStatus, stats: [], native: [] };
  } finally {
    signals.dispose();
    process.off('SIGCHLD', onChld);
    client.close();
  }
}
