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
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ShimError } from '../errors.js';
import { launchUnderFilter, LAUNCHER_EXIT } from '../native/launcher.js';
import { loadNotifyAddon } from '../native/addon.js';
import { recordSupervised } from '../criu/supervised-record.js';
import type { NativeStat } from '../native/addon-types.js';
import { sys } from './libc.js';
import type { CallStat, WorkerInput, WorkerMessage } from './worker-protocol.js';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
/** Signals a user sends to cr-shim that belong to the program. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export interface SuperviseOptions {
  argv: string[];
  filter: Uint8Array;
  worker: Omit<WorkerInput, 'listenerFd'>;
  noNewPrivs?: boolean;
}

export interface SuperviseResult {
  /** Exit status as a shell reports it: the code, or 128+N when killed by signal N. */
  status: number;
  stats: CallStat[];
  native: NativeStat[];
}

/** Reap children that are not the launcher: orphans re-parented to us as subreaper. */
function reapOrphans(except: number): void {
  let text: string;
  try {
    text = fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8')).join(' ');
  } catch {
    return;
  }
  const status = [0];
  for (const pid of text.split(/\s+/).filter(Boolean).map(Number)) if (pid !== except) sys.waitpid(pid, status, WNOHANG);
}

export async function supervise(opts: SuperviseOptions): Promise<SuperviseResult> {
  if (sys.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    throw new ShimError('prctl(PR_SET_CHILD_SUBREAPER)', `errno ${sys.errno()}`);
  }
  let worker: Worker | undefined;
  let handle: number | undefined;
  let workerDone: Promise<WorkerMessage & { type: 'done' }> | undefined;
  let finished = false;

  const [program, ...args] = opts.argv;
  if (program === undefined) throw new ShimError('run', 'no program given', { code: 'EUSAGE', hint: 'cr-shim run [--kernel R] -- PROGRAM [ARGS...]' });
  const launched = await launchUnderFilter(program, args, opts.filter, {
    noNewPrivs: opts.noNewPrivs,
    beforeExec: async (listenerFd) => {
      worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...opts.worker, listenerFd } satisfies WorkerInput });
      const w = worker;
      // The program starts only once the loop has its native actions, so even its first calls are answered natively.
      handle = await new Promise<number>((resolve, reject) => {
        w.once('message', (m: WorkerMessage) => (m.type === 'ready' ? resolve(m.handle) : reject(new Error('worker spoke out of turn'))));
        w.once('error', reject);
      });
      workerDone = new Promise((resolve, reject) => {
        w.on('message', (m: WorkerMessage) => m.type === 'done' && resolve(m));
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new ShimError('supervisor worker', `exited with code ${code}`)));
      });
    },
  });
  const { child } = launched;
  // For `cr-shim dump`: which persona this tree sees and which filter in a dump is ours.
  const unrecord = recordSupervised(child.pid!, opts.worker.persona, opts.filter);

  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const forwarders = FORWARDED.map((s) => [s, forward(s)] as const);
  for (const [s, f] of forwarders) process.on(s, f);
  const onChld = () => reapOrphans(child.pid!);
  process.on('SIGCHLD', onChld);

  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? 128 + os.constants.signals[signal] : code ?? LAUNCHER_EXIT.failed));
  });

  try {
    const status = await exited;
    let done: WorkerMessage & { type: 'done' };
    try {
      done = await workerDone!;
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
    unrecord();
    for (const [s, f] of forwarders) process.off(s, f);
    process.off('SIGCHLD', onChld);
    // A worker blocked in native recv cannot be terminated from JS: wake it first.
    if (!finished && handle !== undefined) loadNotifyAddon().stop(handle);
    await worker?.terminate();
  }
}
