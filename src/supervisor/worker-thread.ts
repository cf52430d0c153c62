/**
 * Starting the supervisor worker (worker.ts) and waiting for its end, for
 * every command that supervises: run, restore, attach.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { ShimError } from '../errors.js';
import { loadNotifyAddon } from '../native/addon.js';
import type { NotifyHandle } from '../native/addon-types.js';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './worker-protocol.js';

export type WorkerDone = WorkerMessage & { type: 'done' };

export interface SupervisorWorker {
  worker: Worker;
  /** The loop's handle, once the worker has opened it and pushed the native actions down. */
  handle: NotifyHandle;
  /** Resolves when every listener hung up (or after stop); rejects when the worker fails. */
  done: Promise<WorkerDone>;
  /** Wake the blocked recv and end the worker (a worker in native recv cannot be terminated from JS alone). */
  stop(): Promise<void>;
  /** End a worker whose loop has ended. */
  release(): Promise<void>;
}

/** A worker started before its listeners exist: modules load while the caller makes the tasks. */
export interface PendingWorker {
  /** Hand the listeners over (ownership passes) and resolve once the loop is ready, as startWorker. */
  attach(listenerFds: number[]): Promise<SupervisorWorker>;
  /** Hand over a loop opened and set up already (native-first.ts), and resolve once the worker is in it. */
  adopt(handle: NotifyHandle): Promise<SupervisorWorker>;
  /** End a worker that never got its listeners. */
  cancel(): Promise<void>;
}

/** Start the worker on `input` now; it waits for its listeners (attach). */
export function prestartWorker(input: WorkerInput): PendingWorker {
  // worker_threads only once a worker starts (native-first.ts often starts none): importing it costs about 3 ms.
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
  // A failure before attach is reported by attach; never an unhandled 'error' event.
  let failed: unknown;
  const onEarlyError = (e: unknown) => (failed = e);
  worker.once('error', onEarlyError);
  const attach = async (command: WorkerCommand): Promise<SupervisorWorker> => {
    worker.off('error', onEarlyError);
    if (failed !== undefined) throw failed;
    const ready = new Promise<number>((resolve, reject) => {
      worker.once('message', (m: WorkerMessage) => (m.type === 'ready' ? resolve(m.handle) : reject(new Error('worker spoke out of turn'))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new ShimError('supervisor worker', `exited with code ${code} before it was ready`)));
    });
    worker.postMessage(command);
    const handle = await ready;
    const done = new Promise<WorkerDone>((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => m.type === 'done' && resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => code !== 0 && reject(new ShimError('supervisor worker', `exited with code ${code}`)));
    });
    // Observed by the caller; never an unhandled rejection when it stops first.
    done.catch(() => undefined);
    return {
      worker,
      handle,
      done,
      stop: async () => {
        loadNotifyAddon().stop(handle);
        await worker.terminate();
      },
      release: async () => {
        await worker.terminate();
      },
    };
  };
  return {
    attach: (fds) => attach({ type: 'listeners', fds }),
    adopt: (handle) => attach({ type: 'loop', handle }),
    cancel: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Start the worker on `input` with its listeners and resolve once it is ready: the listeners
 * are in its loop and the native actions set, so the tasks may run from then on.
 */
export function startWorker(input: WorkerInput, listenerFds: number[]): Promise<SupervisorWorker> {
  return prestartWorker({ ...input, planAhead: true }).attach(listenerFds);
}
