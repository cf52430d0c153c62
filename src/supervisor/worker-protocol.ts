import type { Arch } from '../arch.js';
import type { ArgRoute } from '../plan/types.js';
import type { Persona } from '../persona/types.js';
import type { NativeStat, NotifyHandle } from '../native/addon-types.js';

/** One syscall the plan sends to the supervisor. */
export interface RouteSpec {
  arch: Arch;
  nr: number;
  name: string;
  handler: string;
  /** Signature from the persona's table, for --trace. */
  args: string[];
  /** When the number's argument rules name several handlers: which takes a call, by its arguments. */
  byArgs?: ArgRoute[];
}

/** What the main thread hands the supervisor worker (structured-cloned). */
/**
 * What the worker starts from. Its listeners come later, in a WorkerCommand, so that the
 * worker can load its modules and plan while the tasks are still being made (restore starts
 * it while CRIU restores).
 */
export interface WorkerInput {
  persona: Persona;
  routes: RouteSpec[];
  /** Answer hot calls in C. Off with --trace, so every call is seen and written. */
  native: boolean;
  traceFile?: string;
  /**
   * Its command will be 'listeners' (restore, attach, cr-shim serve): build the route table and
   * ask the handlers for their verdicts as soon as the modules are loaded, not once the listeners
   * came, when every task waits (tens of ms in Node; npm run bench: downtime). Not for a loop
   * handed over ('loop'), whose verdicts are set already: asking again opens their memfds twice.
   */
  planAhead?: boolean;
}

export interface CallStat {
  arch: Arch | undefined;
  name: string;
  count: number;
  totalNs: number;
  /** 'native' when answered in C, 'js' when by a TypeScript handler. */
  path: 'native' | 'js';
}

/**
 * Parent to worker, given once: the listeners to poll (restore and attach: one per process),
 * or a loop the main thread opened, set up and watched until a call needed TypeScript (run).
 */
export type WorkerCommand = { type: 'listeners'; fds: number[] } | { type: 'loop'; handle: NotifyHandle };

export type WorkerMessage =
  | { type: 'ready'; handle: NotifyHandle }
  /** `error` set when the loop ended on a fault rather than at POLLHUP: tasks may still be running, unsupervised. */
  | { type: 'done'; stats: CallStat[]; native: NativeStat[]; error?: string };
