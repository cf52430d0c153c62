/**
 * `node -e 0`: Node's own start and exit, the floor any Node-based CLI pays. Issue 13
 * judges `cr-shim run -- /bin/true` against it (within 1.5x); start-up scenario only.
 */
import { expectSuccess, runCaptured } from '../spawn.js';
import type { Target } from '../types.js';

export const nodeOnly: Target = {
  id: 'node',
  title: 'node -e 0',
  note: 'Node.js started and stopped with nothing to run (start-up only)',
  matrix: false,
  unavailable: () => undefined,
  supports: (s) => s.kind === 'startup',
  async run(r, ctx) {
    return { value: expectSuccess(`bench node ${r.scenario.id}`, await runCaptured([process.execPath, '-e', '0'], ctx.env)).wallMs };
  },
};
