/**
 * An interception mechanism: how a call the plan marks `notify` reaches the
 * handlers and how their reply reaches the task. The plan, the tables and the
 * handlers are the same for every mechanism; only the filter's return value
 * for `notify` and the delivery differ.
 *
 *   notify  SECCOMP_RET_USER_NOTIF  a listener fd, a native loop, TypeScript handlers
 *   ptrace  SECCOMP_RET_TRACE       a tracer thread stops the task, answers through its registers
 *   sigsys  SECCOMP_RET_TRAP        a SIGSYS handler inside the task (LD_PRELOAD), answers from a table
 */
import type { Session } from '../supervisor/session.js';
import type { SuperviseResult } from '../supervisor/supervise.js';

export const MECHANISM_IDS = ['notify', 'ptrace', 'sigsys'] as const;
export type MechanismId = (typeof MECHANISM_IDS)[number];

export interface MechanismRun {
  argv: string[];
  session: Session;
  noNewPrivs?: boolean;
  /** --trace FILE: every handled call, one JSON line each. */
  traceFile?: string;
  /** Where the mechanism may tell the user what it does not cover. */
  notice?: (line: string) => void;
}

export interface Mechanism {
  id: MechanismId;
  /** One line for help text and reports. */
  note: string;
  /** The full SECCOMP_RET_* value `notify` actions compile to. */
  notifyReturn: number;
  /**
   * Start argv under the mechanism and wait for it (notify and ptrace: its
   * whole tree). Throws UsageError when the mechanism cannot serve the program
   * at all (sigsys: a static binary), ShimError when it fails.
   */
  run(r: MechanismRun): Promise<SuperviseResult>;
}
