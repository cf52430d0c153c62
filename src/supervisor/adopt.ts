/**
 * Supervising a tree that cr-shim did not start through the launcher: one
 * restored by CRIU, or one attached to. Its processes already carry our
 * filters (native/injector.c put them there); here the listeners go to one
 * worker loop, the tree is resumed, and the root's end is awaited.
 *
 * Lifetime: as for `run`, the worker's recv returns null once every listener
 * hung up, i.e. every filtered task is gone and reaped. cr-shim is a child
 * subreaper, so orphans of a tree it is the ancestor of come back to it and are
 * reaped here.
 *
 * The root: a restored root is our child (criu --restore-sibling), so waitpid
 * reads its status. An attached root belongs to someone else: only its end can
 * be seen (pidfd_open, polled), not its status.
 */
import os from 'node:os';
import { ShimError } from '../errors.js';
import type { NativeStat } from '../native/addon-types.js';
import { sys } from '../native/libc.js';
import { Lifecycle } from './lifecycle.js';
import { reapChildren } from './reaper.js';
import { startWorker, type PendingWorker } from './worker-thread.js';
import type { CallStat, WorkerInput } from './worker-protocol.js';

const SYS_pidfd_open = 434;
const SIGKILL = 9;
/** How often an attached root's pidfd is looked at; only its end is wanted, not a latency. */
const FOREIGN_POLL_MS = 100;

export interface AdoptOptions {
  /** One listener per process, taken by the injector (ownership passes to the worker). */
  listenerFds: number[];
  /** The worker's input, or a worker started earlier (restore starts it while CRIU restores). */
  worker: WorkerInput | PendingWorker;
  root: number;
  /** 'child': reap the root for its status; 'foreign': watch it, its status cannot be read. */
  rootIs: 'child' | 'foreign';
  /** Runs once the loop is ready: resume the tree here (SIGCONT after a restore). */
  resume?: () => void;
  /** Processes to kill when the supervisor fails (nothing may run on unsupervised). */
  tree: () => number[];
}

export interface AdoptResult {
  /** The root's status as a shell reports it; undefined when it could not be read (attach). */
  status: number | undefined;
  stats: CallStat[];
  native: NativeStat[];
}

/** Supervise an injected tree until it is gone. Throws ShimError when the supervisor fails (the tree is killed). */
export async function superviseTree(opts: AdoptOptions): Promise<AdoptResult> {
  if (opts.listenerFds.length === 0) throw new ShimError('supervise', 'no listener to supervise', { code: 'EINVAL' });
  const w = 'attach' in opts.worker ? await opts.worker.attach(opts.listenerFds) : await startWorker(opts.worker, opts.listenerFds);
  const life = new Lifecycle({ thread: 'supervisor thread', loop: 'notification loop', tree: 'tree' });
  life.forward((s) => sys.kill(opts.root, os.constants.signals[s]));

  let rootStatus: number | undefined;
  let onRootEnd: () => void = () => undefined;
  const rootEnded = new Promise<void>((resolve) => (onRootEnd = resolve));
  let timer: NodeJS.Timeout | undefined;
  let pidfd = -1;
  const watchForeignRoot = (): void => {
    pidfd = sys.syscall3(SYS_pidfd_open, opts.root, 0, 0);
    if (pidfd < 0) return onRootEnd();
    const fds = Buffer.alloc(8);
    timer = setInterval(() => {
      // struct pollfd { int fd; short events; short revents; }: a pidfd polls readable once the process exits.
      fds.writeInt32LE(pidfd, 0);
      fds.writeInt16LE(1 /* POLLIN */, 4);
      fds.writeInt16LE(0, 6);
      if (sys.poll(fds, 1, 0) > 0) onRootEnd();
    }, FOREIGN_POLL_MS);
  };
  const onReaped = (statuses: Map<number, number>): void => {
    const status = statuses.get(opts.root);
    if (status === undefined) return;
    rootStatus = status;
    onRootEnd();
  };

  try {
    if (opts.rootIs === 'foreign') watchForeignRoot();
    else life.reapOrphans(undefined, onReaped);
    opts.resume?.();
    // A root that exited before the handler saw its SIGCHLD is reaped here.
    if (opts.rootIs === 'child') onReaped(reapChildren());
    const done = await life.awaitEnd(w, () => {
      sys.kill(opts.root, SIGKILL);
      for (const p of opts.tree()) sys.kill(p, SIGKILL);
    });
    // Every filtered task is gone; a root of ours is then a zombie at most, or reaped already.
    if (opts.rootIs === 'child') onReaped(reapChildren());
    await Promise.race([rootEnded, new Promise((r) => setTimeout(r, opts.rootIs === 'child' ? 1000 : FOREIGN_POLL_MS * 2))]);
    return { status: rootStatus, stats: done.stats, native: done.native };
  } finally {
    if (timer) clearInterval(timer);
    if (pidfd >= 0) sys.close(pidfd);
    await life.close(w);
  }
}
