/**
 * The notify delivery's supervisor thread for `run`: the native loop first, on
 * a thread of its own (NotifyAddon.watch), and the TypeScript worker only once
 * a call needs a handler. Most programs under most personas make no such call
 * (uname is answered in C, the identity files are bind mounts), and starting a
 * worker costs a second V8 isolate: about 100 ms and 15 MB before the program
 * may run. Here the program starts as soon as the verdicts are pushed down; the
 * first call that needs TypeScript waits for the worker, which then takes the
 * loop over (worker.ts, command 'loop').
 *
 * With --trace every call goes through TypeScript and the trace file must be
 * opened before the program runs: the caller starts the worker up front then.
 */
import { loadNotifyAddon } from '../native/addon.js';
import type { NativeAction } from '../native/addon-types.js';
import type { SupervisorEnd, SupervisorThread } from './lifecycle.js';
import { prestartWorker, type SupervisorWorker } from './worker-thread.js';
import type { WorkerInput } from './worker-protocol.js';

/**
 * Open the loop on `listenerFd` (ownership passes), push the verdicts down (compiled-run.ts:
 * the routes' up-front verdicts per AUDIT_ARCH value) and start watching. Returns once the
 * program may run. Throws when the addon refuses the verdicts (the loop is closed then).
 */
export function superviseNativeFirst(input: WorkerInput, listenerFd: number, nativeActions: ReadonlyArray<readonly [number, NativeAction[]]>): SupervisorThread {
  const addon = loadNotifyAddon();
  const h = addon.open(listenerFd);
  try {
    for (const [audit, actions] of nativeActions) addon.setActions(h, audit, actions);
  } catch (err) {
    // A loop that cannot start must not hold the listener: closed, every trapped call fails with ENOSYS.
    addon.close(h);
    throw err;
  }

  let worker: SupervisorWorker | undefined;
  let settle!: { resolve: (e: SupervisorEnd) => void; reject: (e: unknown) => void };
  const done = new Promise<SupervisorEnd>((resolve, reject) => (settle = { resolve, reject }));
  // Observed by the caller; never an unhandled rejection when it stops first.
  done.catch(() => undefined);
  const endNatively = (error?: string): void => {
    const native = addon.stats(h);
    // Closing the listener makes every trapped call fail with ENOSYS at once: nothing waits on a dead loop.
    addon.close(h);
    settle.resolve({ stats: [], native, ...(error === undefined ? {} : { error }) });
  };
  addon.watch(h, (what, message) => {
    if (what === 'end') return endNatively();
    if (what === 'error') return endNatively(message);
    // A call needs TypeScript; the loop holds it for the worker's first recv.
    prestartWorker(input).adopt(h).then(
      (w) => {
        worker = w;
        w.done.then(settle.resolve, settle.reject);
      },
      (cause: unknown) => {
        addon.close(h);
        settle.reject(cause);
      },
    );
  });
  return {
    done,
    stop: async () => {
      // Wakes the watching thread (which then reports 'end') or the worker's recv.
      addon.stop(h);
      await worker?.worker.terminate();
    },
    release: async () => {
      await worker?.worker.terminate();
    },
  };
}
