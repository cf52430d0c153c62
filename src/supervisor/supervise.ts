/**
 * The main thread's half of `run`: start the program under the filter, hand
 * the listener to the supervisor worker, forward signals, reap orphans, and
 * report the program's status once the whole tree is gone.
 *
 * Lifetime: the program's filtered descendants keep the listener alive; the
 * worker's recv returns null at POLLHUP, when the last of them is reaped.
 * cr-shim is a child subreaper, so orphans come back to it and are reaped
 * here, or their zombies would hold the filter (and the listener) forever.
 */
import os from 'node:os';
import { ShimError } from '../errors.js';
import { launchUnderFilter, LAUNCHER_EXIT } from '../native/launcher.js';
import type { NativeStat } from '../native/addon-types.js';
import { sys } from '../native/libc.js';
import type { CallStat, WorkerInput } from './worker-protocol.js';
import { SignalForwarder } from './signal-forwarder.js';
import { becomeSubreaper, reapChildren } from './reaper.js';
import { startWorker, type SupervisorWorker } from './worker-thread.js';
import { guardSupervisedTree, type GuardedTree } from './tree-guard.js';


export interface SuperviseOptions {
  argv: string[];
  filter: Uint8Array;
  worker: Omit<WorkerInput, 'listenerFd'>;
  noNewPrivs?: boolean;
  /** Identity files bind-mounted in a private mount namespace (LaunchOptions.identity). */
  identity?: ReadonlyMap<string, string>;
  /** Removed sysctl files added to that namespace (LaunchOptions.added). */
  added?: ReadonlyMap<string, string>;
}

export interface SuperviseResult {
  /** Exit status as a shell reports it: the code, or 128+N when killed by signal N. */
  status: number;
  stats: CallStat[];
  native: NativeStat[];
}

export async function supervise(opts: SuperviseOptions): Promise<SuperviseResult> {
  becomeSubreaper();
  const [program, ...args] = opts.argv;
  if (program === undefined) throw new ShimError('run', 'no program given', { code: 'EUSAGE', hint: 'cr-shim run [--kernel R] -- PROGRAM [ARGS...]' });

  const signals = new SignalForwarder();
  let supervisor: SupervisorWorker | undefined;
  let guarded: GuardedTree | undefined;
  let finished = false;
  try {
    const { child } = await launchUnderFilter(program, args, opts.filter, {
      noNewPrivs: opts.noNewPrivs,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.added ? { added: opts.added } : {}),
      // The program starts only once the loop has its native actions, so even its first calls are answered natively.
      // Before exec, too, the launcher goes into the guarded cgroup: nothing it forks escapes.
      beforeExec: async (listenerFd, pid) => {
        guarded = await guardSupervisedTree(pid, () => [pid], opts.worker.persona, opts.filter, [listenerFd]);
        supervisor = await startWorker(opts.worker, [listenerFd]);
      },
    });
    signals.attach((sig) => child.kill(sig));
    // Node's child_process reaps the launcher itself; the rest are orphans re-parented to us.
    const onChld = () => void reapChildren(child.pid!);
    process.on('SIGCHLD', onChld);
    try {
      const status = await new Promise<number>((resolve) => {
        child.once('exit', (code, signal) => resolve(signal ? 128 + os.constants.signals[signal] : code ?? LAUNCHER_EXIT.failed));
      });
      let done;
      try {
        done = await supervisor!.done;
      } catch (cause) {
        // The supervisor is gone: nothing may run on unsupervised. Kill what is left of the tree.
        child.kill('SIGKILL');
        throw new ShimError('supervise', `the supervisor thread failed: ${(cause as Error).message}`, { cause });
      }
      finished = true;
      if (done.error !== undefined) {
        child.kill('SIGKILL');
        throw new ShimError('supervise', `the notification loop failed: ${done.error}; the program was killed`);
      }
      return { status, stats: done.stats, native: done.native };
    } finally {
      process.off('SIGCHLD', onChld);
    }
  } finally {
    // A supervisor that failed killed the program; a daemon it left must not run on either.
    await guarded?.end(finished ? 'release' : 'kill');
    signals.dispose();
    // A worker blocked in native recv cannot be terminated from JS: wake it first.
    if (!finished) await supervisor?.stop();
    else await supervisor?.worker.terminate();
  }
}
