/**
 * What `cr-shim bench` times, as data: one call of each kind a persona
 * produces, made by test/programs/loop-mt in 1, 2 or 8 threads.
 *
 *   left-alone  getppid: allowed in BPF (the action cache may skip the filter)
 *   refused     a call the persona lacks: ENOSYS decided in BPF
 *   fake        uname: answered by the supervisor with the persona's struct
 *   translated  open("/proc/version") + close: answered by a different call
 *               (notify: a memfd made by the supervisor, installed with ADDFD;
 *               ptrace: the open rewritten in place to open the supervisor's
 *               memfd; sigsys: the handler opens the memfd itself)
 *
 * "Translated" is the /proc identity open because it is the one call cr-shim
 * really answers with another: nothing in the registry maps one syscall number
 * onto another, and inventing one for the benchmark would time a path no
 * persona takes. The close in each iteration is allowed in BPF and costs the
 * same under every mechanism.
 */
import type { RefusedCall } from '../../bench/refused-call.js';

export type ScenarioId = 'left-alone' | 'refused' | 'fake' | 'translated';

export interface MechScenario {
  id: ScenarioId;
  title: string;
  /** loop-mt's first argument under a persona. */
  call: string;
  /** The same answer without a persona (natively nr must be one the kernel never implemented). */
  nativeCall: string;
  /** errname the last call must end with ('' for success): proof that the intended path was timed. */
  expect: string;
  /** Calls per run relative to --calls: cheap calls need more to be timed well. */
  weight: number;
  note: string;
}

/** The /proc file the translated scenario opens (gVisor's procfs has it too, unlike /proc/sys/kernel/osrelease). */
export const TRANSLATED_PATH = '/proc/version';

export function mechScenarios(refused: RefusedCall, unimplemented: RefusedCall): MechScenario[] {
  return [
    {
      id: 'left-alone', title: 'left alone (getppid)', call: 'getppid', nativeCall: 'getppid', expect: '', weight: 10,
      note: 'allowed in BPF; no supervisor involved',
    },
    {
      id: 'refused', title: `refused (${refused.name})`, call: `nr=${refused.nr}`, nativeCall: `nr=${unimplemented.nr}`, expect: 'ENOSYS', weight: 10,
      note: `nr ${refused.nr} (${refused.name}), which the persona lacks, refused in BPF; natively nr ${unimplemented.nr} (${unimplemented.name}), never implemented`,
    },
    {
      id: 'fake', title: 'fake result (uname)', call: 'uname', nativeCall: 'uname', expect: '', weight: 1,
      note: 'answered by the supervisor with the persona\'s struct utsname',
    },
    {
      id: 'translated', title: `translated (open ${TRANSLATED_PATH})`, call: `open=${TRANSLATED_PATH}`, nativeCall: `open=${TRANSLATED_PATH}`, expect: '', weight: 1,
      note: 'answered with the persona\'s text through another call (a memfd), plus the close',
    },
  ];
}
