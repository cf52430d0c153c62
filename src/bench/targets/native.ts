/** No filter at all: the program as this kernel runs it. The baseline of every delta. */
import { runCaptured, expectSuccess } from '../spawn.js';
import type { Mechanism } from '../types.js';
import { loopArgv, loopSample, workloadMissing } from '../workload.js';

export const native: Mechanism = {
  id: 'native',
  title: 'native',
  note: 'no seccomp filter',
  unavailable: (ctx) => workloadMissing(ctx),
  supports: () => true,
  async run(s, ctx) {
    const what = `bench native ${s.id}`;
    if (s.kind === 'startup') return { value: expectSuccess(what, await runCaptured(s.argv)).wallMs };
    return loopSample(what, s, await runCaptured(loopArgv(ctx, s, false)));
  },
};
