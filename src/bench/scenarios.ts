/**
 * What the bench times, as data: one call of each kind a persona produces,
 * made by test/programs/loop-mt in 1 or more threads, and a start-up.
 *
 *   left-alone  getppid: allowed in BPF (the action cache may skip the filter)
 *   refused     a call the persona lacks: ENOSYS decided in BPF
 *   arg-refused a value the persona's kernel did not know (prctl PR_GET_AUXV, 6.4, under the
 *               bench's 5.10): EINVAL decided in BPF by an argument rule (issue 12)
 *   fake        uname: answered by the supervisor with the persona's struct
 *   translated  open("/proc/version") + close: answered by a different call
 *               (notify: a memfd made by the supervisor, installed with ADDFD;
 *               ptrace: the open rewritten in place to open the supervisor's
 *               memfd; sigsys: the handler opens the memfd itself)
 *   startup     /bin/true started and waited for
 *
 * "Translated" is the /proc identity open because it is the one call cr-shim
 * really answers with another: nothing in the registry maps one syscall number
 * onto another, and inventing one for the benchmark would time a path no
 * persona takes. The close in each iteration is allowed in BPF and costs the
 * same under every target.
 *
 * With --calls 20000 a cheap call (weight 10) runs 200 000 times, a round trip
 * to a supervisor 20 000 times: on the development VM (a plain syscall about
 * 1 µs, a notification round trip about 16 µs) 0.2 to 0.5 s, long enough to
 * swamp process start, short enough for several interleaved rounds.
 */
import type { RefusedCall } from './refused-call.js';
import type { Scenario } from './types.js';

/** prctl's number on x86_64, and PR_GET_AUXV (<linux/prctl.h>, 6.4): the arg-refused scenario's call. */
const NR_PRCTL = 157;
const PR_GET_AUXV = 0x41555856;
/** No prctl option has this number: natively the same EINVAL, from the kernel. */
const PR_NO_KERNEL_KNOWS = 0x7f000000;

/** The /proc file the translated scenario opens (gVisor's procfs has it too, unlike /proc/sys/kernel/osrelease). */
export const TRANSLATED_PATH = '/proc/version';

export interface ScenarioOptions {
  refused: RefusedCall;
  unimplemented: RefusedCall;
  /** /bin/true start-ups per round. */
  startupsPerRound?: number;
}

export function benchScenarios(o: ScenarioOptions): Scenario[] {
  const { refused, unimplemented } = o;
  return [
    {
      kind: 'calls', id: 'left-alone', title: 'left alone (getppid)', call: 'getppid', nativeCall: 'getppid', expect: '', weight: 10, matrix: true,
      note: 'allowed in BPF; no supervisor involved; the kernel\'s seccomp action cache can skip the filter for it',
    },
    {
      kind: 'calls', id: 'refused', title: `refused (${refused.name})`, call: `nr=${refused.nr}`, nativeCall: `nr=${unimplemented.nr}`, expect: 'ENOSYS', weight: 10, matrix: true,
      note: `nr ${refused.nr} (${refused.name}), which the persona lacks, refused in BPF; natively nr ${unimplemented.nr} (${unimplemented.name}), never implemented, by the kernel`,
    },
    {
      kind: 'calls', id: 'arg-refused', title: 'argument refused (prctl PR_GET_AUXV)', call: `nr=${NR_PRCTL}:${PR_GET_AUXV}`, nativeCall: `nr=${NR_PRCTL}:${PR_NO_KERNEL_KNOWS}`, expect: 'EINVAL', weight: 10, matrix: false,
      note: 'prctl(PR_GET_AUXV, NULL, 0): an option added in 6.4, refused with EINVAL in BPF by an argument rule under personas before it (the filter reads the argument, so the action cache cannot skip it); natively prctl of an option no kernel knows, which the kernel refuses with EINVAL',
    },
    {
      kind: 'calls', id: 'fake', title: 'fake result (uname)', call: 'uname', nativeCall: 'uname', expect: '', weight: 1, matrix: true,
      note: 'answered by the supervisor with the persona\'s struct utsname, written into the program\'s memory',
    },
    {
      kind: 'calls', id: 'translated', title: `translated (open ${TRANSLATED_PATH})`, call: `open=${TRANSLATED_PATH}`, nativeCall: `open=${TRANSLATED_PATH}`, expect: '', weight: 1, matrix: true,
      note: 'answered with the persona\'s text through another call (a memfd), plus the close; under `cr-shim run` without --dumpable notify makes the identity files bind mounts instead, so there the open is the kernel\'s own',
    },
    {
      kind: 'startup', id: 'startup', title: 'start and exit /bin/true', argv: ['/bin/true'], perRound: o.startupsPerRound ?? 2, matrix: false,
      note: 'wall time from spawn to exit, measured by the bench process',
    },
  ];
}
