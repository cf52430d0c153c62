/**
 * The main thread's half of every supervision (run, restore, attach, run
 * --mechanism ptrace): forward the user's signals to the tree, reap the
 * orphans that come back to cr-shim, wait for the supervisor thread's end,
 * kill the tree when that thread fails (nothing may run on unsupervised), end
 * the thread, and report the root's status as a shell would. Starting the
 * tree and the thread is each delivery's own (launcher, injector, ptrace
 * helper); what happens around them is this one sequence.
 *
 * Lifetime: a supervisor thread ends when every task it serves is gone (the
 * notify loop's recv returns null at POLLHUP, the tracer's waitpid ECHILD).
 * The root's status comes after that: its zombie may outlive the last
 * notification, and an attached root's status cannot be read at all.
 */
import os from 'node:os';
import { ShimError } from '../errors.js';
import type { NativeStat } from '../native/addon-types.js';
import { reapChildren } from './reaper.js';
import { SignalForwarder } from './signal-forwarder.js';
import type { CallStat } from './worker-protocol.js';

/** What a supervisor thread reports at its end; `error` when it ended on a fault, tasks possibly still running. */
export interface SupervisorEnd {
  stats: CallStat[];
  native: NativeStat[];
  error?: string;
}

/** A supervisor thread as the lifecycle drives it. */
export interface SupervisorThread {
  /** Resolves when every supervised task is gone; rejects when the thread itself fails. */
  done: Promise<SupervisorEnd>;
  /** End the thread after a failure: wake it if blocked (a worker in native recv cannot be terminated from JS alone). */
  stop(): Promise<void>;
  /** End the thread after its clean end. */
  release(): Promise<void>;
}

export interface LifecycleOptions {
  /** What the thread is called in errors: 'supervisor thread', 'tracer'. */
  thread: string;
  /** What its loop is called when it ends on a fault: 'notification loop', 'tracer'. */
  loop: string;
  /** What is killed on failure, for the error line: 'program', 'tree'. */
  tree: string;
}

/** A shell's status for a child_process 'exit' event: the code, or 128+N when killed by signal N. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null, otherwise: number): number {
  return signal ? 128 + os.constants.signals[signal] : code ?? otherwise;
}

export class Lifecycle {
  /** Listening from the start: a signal before the tree exists is held, not cr-shim's death (signal-forwarder.ts). */
  private readonly signals = new SignalForwarder();
  private onChld: (() => void) | undefined;
  private ended = false;

  constructor(private readonly opts: LifecycleOptions) {}

  /** From now on the user's signals go to `send`; any held ones first. */
  forward(send: (sig: NodeJS.Signals) => void): void {
    this.signals.attach(send);
  }

  /**
   * Reap exited children on every SIGCHLD (and once now: one may have exited
   * before the handler was installed), but `except`, which Node's
   * child_process waits for itself. `onReaped` sees each pass's statuses.
   */
  reapOrphans(except?: number, onReaped?: (statuses: Map<number, number>) => void): void {
    const reap = (): void => {
      const statuses = reapChildren(except);
      onReaped?.(statuses);
    };
    this.onChld = reap;
    process.on('SIGCHLD', reap);
    reap();
  }

  /**
   * Wait for the thread's end. When it failed, or its loop ended on a fault,
   * `kill` the tree and throw ShimError('supervise') saying so.
   */
  async awaitEnd(thread: SupervisorThread, kill: () => void): Promise<SupervisorEnd> {
    let end: SupervisorEnd;
    try {
      end = await thread.done;
    } catch (cause) {
      kill();
      throw new ShimError('supervise', `the ${this.opts.thread} failed: ${(cause as Error).message}; the ${this.opts.tree} was killed`, { cause });
    }
    if (end.error !== undefined) {
      kill();
      throw new ShimError('supervise', `the ${this.opts.loop} failed: ${end.error}; the ${this.opts.tree} was killed`);
    }
    this.ended = true;
    return end;
  }

  /** Did the thread end cleanly (awaitEnd returned)? */
  get cleanEnd(): boolean {
    return this.ended;
  }

  /** Stop listening and end the thread: released after a clean end, stopped otherwise. */
  async close(thread: SupervisorThread | undefined): Promise<void> {
    this.signals.dispose();
    if (this.onChld) process.off('SIGCHLD', this.onChld);
    if (this.ended) await thread?.release();
    else await thread?.stop();
  }
}
