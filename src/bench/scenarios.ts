/**
 * The scenarios of `npm run bench`, as data. Call counts are chosen so that a
 * run lasts 0.2 to 0.5 s on the development VM (a plain syscall costs about
 * 1 µs there, a notification round trip about 16 µs): long enough to swamp
 * process start, short enough for several interleaved rounds in a few minutes.
 */
import type { RefusedCall } from './refused-call.js';
import type { Scenario } from './types.js';

export interface ScenarioOptions {
  refused: RefusedCall;
  unimplemented: RefusedCall;
  /** Multiplies every call count (e.g. 0.01 for a smoke test). */
  scale?: number;
  /** /bin/true start-ups per round. */
  startupsPerRound?: number;
}

export function benchScenarios(o: ScenarioOptions): Scenario[] {
  const n = (calls: number): number => Math.max(1, Math.round(calls * (o.scale ?? 1)));
  return [
    {
      kind: 'calls',
      id: 'getppid',
      title: 'getppid, allowed by the persona',
      calls: n(200_000),
      filtered: 'getppid',
      unfiltered: 'getppid',
      expect: '',
      note: 'decided in BPF (ALLOW); the kernel\'s seccomp action cache can skip the filter for it',
    },
    {
      kind: 'calls',
      id: 'uname',
      title: 'uname, translated by the supervisor',
      calls: n(20_000),
      filtered: 'uname',
      unfiltered: 'uname',
      expect: '',
      note: 'USER_NOTIF; the answer (the persona\'s struct utsname) is written into the program\'s memory',
    },
    {
      kind: 'calls',
      id: 'enosys',
      title: `ENOSYS: ${o.refused.name} refused by the persona / nr ${o.unimplemented.nr} natively`,
      calls: n(200_000),
      filtered: `nr=${o.refused.nr}`,
      unfiltered: `nr=${o.unimplemented.nr}`,
      expect: 'ENOSYS',
      note: `under a filter nr ${o.refused.nr} (${o.refused.name}, which the persona lacks) is refused in BPF; natively nr ${o.unimplemented.nr} (${o.unimplemented.name}, never implemented) by the kernel`,
    },
    {
      kind: 'startup',
      id: 'startup',
      title: 'start and exit /bin/true',
      argv: ['/bin/true'],
      perRound: o.startupsPerRound ?? 2,
      note: 'wall time from spawn to exit, measured by the bench process',
    },
  ];
}
