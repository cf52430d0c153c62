/** No filter at all: the program as this kernel runs it. The baseline of every delta. */
import { expectSuccess, runCaptured } from '../spawn.js';
import type { Target } from '../types.js';
import { callsRun, loopArgv, loopSample, workloadMissing } from '../workload.js';

export const native: Target = {
  id: 'native',
  title: 'native',
  note: 'no seccomp filter',
  matrix: true,
  unavailable: (ctx) => workloadMissing(ctx),
  supports: () => true,
  async run(r, ctx) {
    const what = `bench native ${r.scenario.id} ×${r.threads}`;
    if (r.scenario.kind === 'startup') return { value: expectSuccess(what, await runCaptured(r.scenario.argv, ctx.env)).wallMs };
    const c = callsRun(what, r);
    return loopSample(what, c.scenario, await runCaptured(loopArgv(ctx, c, { native: true, timed: true }), ctx.env));
  },
};
