/**
 * Starting the supervisor worker (worker.ts) and waiting for its end, for
 * every command that supervises: run, restore, attach.
 */
import { Worker } from 'node:worker_threads';
import { ShimError } from '../errors.js';
import { loadNotifyAddon } from '../native/addon.js';
import type { NotifyHandle } from '../native/addon-types.js';
import type { WorkerInput, WorkerMessage } from './worker-protocol.js';

export type WorkerDone = WorkerMessage & { type: 'done' };

export interface SupervisorWorker {
  worker: Worker;
  /** The loop's handle, once the worker has opened it and pushed the native actions down. */
  handle: NotifyHandle;
  /** Resolves when every listener hung up (or after stop); rejects when the worker fails. */
  done: Promise<WorkerDone>;
  /** Wake the blocked recv and end the worker (a worker in native recv cannot be terminated from JS alone). */
  stop(): Promise<void>;
}

/**
 * Start the worker on `input` and resolve once it is ready: the listeners are
 * in its loop and the native actions set, so the tasks may run from then on.
 */
export async function startWorker(input: WorkerInput): Promise<SupervisorWorker> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
  const handle = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: WorkerMessage) => (m.type === 'ready' ? resolve(m.handle) : reject(new Error('worker spoke out of turn'))));
    worker.once('error', reject);
  });
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
  };
}
