/** Messages between the main thread and the ptrace tracer worker (structured-cloned). */
import type { Persona } from '../../persona/types.js';
import type { CallStat, RouteSpec } from '../../supervisor/worker-protocol.js';

export interface TracerInput {
  /** The program, forked by cr-shim-ptrace-launch and waiting for GO: the tracer seizes it. */
  pid: number;
  persona: Persona;
  routes: RouteSpec[];
  traceFile?: string;
}

export type TracerMessage =
  /** Seized: the main thread may send GO. `error` set when PTRACE_SEIZE failed (the program never runs). */
  | { type: 'seized'; error?: string }
  /** Every tracee is gone (waitpid: ECHILD), or the loop failed (`error`). */
  | { type: 'done'; stats: CallStat[]; error?: string };
