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
import { ShimError } from '../errors.js';
import { launchUnderFilter } from '../native/launcher.js';
import type { NativeAction, NativeStat } from '../native/addon-types.js';
import type { CallStat, WorkerInput } from './worker-protocol.js';
import { becomeSubreaper } from './reaper.js';
import { Lifecycle, type SupervisorThread } from './lifecycle.js';
import { superviseNativeFirst } from './native-first.js';
import { startWorker } from './worker-thread.js';
import { guardTree, superviseInGuard, type GuardedTree, type TreeGuard } from './tree-guard.js';
import type { CompiledRun } from './compiled-run-types.js';

export interface SuperviseOptions {
  argv: string[];
  filter: Uint8Array;
  /** The filter's sha256 when known (compiled-run.ts): the supervision record then needs no node:crypto. */
  filterSha256?: string;
  worker: Omit<WorkerInput, 'listenerFd'>;
  noNewPrivs?: boolean;
  /** Identity files bind-mounted in a private mount namespace (LaunchOptions.identity). */
  identity?: ReadonlyMap<string, string>;
  /** Removed sysctl files added to that namespace (LaunchOptions.added). */
  added?: ReadonlyMap<string, string>;
  /** With worker.native: the verdicts the native loop answers with (compiled-run.ts). */
  nativeActions?: ReadonlyArray<readonly [number, NativeAction[]]>;
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

  const life = new Lifecycle({ thread: 'supervisor thread', loop: 'notification loop', tree: 'program' });
  let supervisor: SupervisorThread | undefined;
  let guarded: GuardedTree | undefined;
  // The guard starts beside the launcher (each takes a few ms to come up); the tree joins it before exec.
  const guarding: Promise<TreeGuard> = guardTree();
  guarding.catch(() => undefined);
  try {
    const { child } = await launchUnderFilter(program, args, opts.filter, {
      noNewPrivs: opts.noNewPrivs,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.added ? { added: opts.added } : {}),
      // The program starts only once the loop has its native actions, so even its first calls are answered natively.
      // Before exec, too, the launcher goes into the guarded cgroup: nothing it forks escapes.
      beforeExec: async (listenerFd, pid) => {
        guarded = await superviseInGuard(await guarding, pid, () => [pid], opts.worker.persona, opts.filterSha256 ? { sha256: opts.filterSha256 } : opts.filter, [listenerFd]);
        // Verdicts in C cover the calls: the worker starts only if one needs TypeScript (native-first.ts).
        supervisor = opts.worker.native ? superviseNativeFirst(opts.worker, listenerFd, opts.nativeActions ?? []) : await startWorker(opts.worker, [listenerFd]);
      },
    });
    life.forward((sig) => child.kill(sig));
    // The launcher (then the program) is reaped by its claim (child.exited); the rest are orphans re-parented to us.
    life.reapOrphans();
    const done = await life.awaitEnd(supervisor!, () => child.kill('SIGKILL'));
    return { status: await child.exited, stats: done.stats, native: done.native };
  } finally {
    // A supervisor that failed killed the program; a daemon it left must not run on either.
    if (guarded !== undefined) await guarded.end(life.cleanEnd ? 'release' : 'kill');
    // The launch failed before the tree joined the guard: nothing to keep.
    else await guarding.then((g) => g.release('kill'), () => undefined);
    await life.close(supervisor);
  }
}

/** `run` under the notify delivery from a compiled run (compiled-run.ts, or the session cache's copy of one). */
export function superviseCompiled(run: CompiledRun, opts: { argv: string[]; noNewPrivs?: boolean; traceFile?: string }): Promise<SuperviseResult> {
  const native = opts.traceFile === undefined;
  return supervise({
    argv: opts.argv,
    filter: run.filter,
    filterSha256: run.filterSha256,
    ...(opts.noNewPrivs === undefined ? {} : { noNewPrivs: opts.noNewPrivs }),
    ...(run.identity ? { identity: new Map(run.identity) } : {}),
    ...(run.added ? { added: new Map(run.added) } : {}),
    worker: { ...run.worker, native, ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) },
    nativeActions: run.nativeActions,
  });
}
