/**
 * Two other user-space kernels' ways of intercepting calls, on the same workload.
 *
 * proot -k (Debian's proot 5.1) fakes only uname's release, by ptrace; it runs
 * only statically linked programs on this kernel, so it runs loop-mt-static,
 * and it cannot refuse the persona's calls: the refused scenario times the
 * kernel's own ENOSYS through it. gVisor's runsc (Debian's package, ptrace
 * platform) is a whole kernel in user space: it answers every call itself, so
 * all four scenarios are its own answers (the refused call is ENOSYS because
 * gVisor lacks it too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runCaptured } from '../spawn.js';
import type { Target } from '../types.js';
import { callsRun, loopArgv, loopSample } from '../workload.js';

/** Is `cmd` on PATH? */
function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export const proot: Target = {
  id: 'proot',
  title: 'proot -k',
  note: 'Debian\'s proot 5.1 with -k (uname release only), by ptrace; static workload',
  matrix: true,
  unavailable: (ctx) =>
    !onPath('proot') ? 'proot is not installed (apt-get install proot)' : existsSync(ctx.loopStaticPath) ? undefined : `${ctx.loopStaticPath} missing (make -C test/programs)`,
  // Neither answers a value by the persona's argument tables: the arg-refused scenario is not theirs.
  supports: (s) => s.kind === 'calls' && s.id !== 'arg-refused',
  async run(r, ctx) {
    const what = `bench proot ${r.scenario.id} ×${r.threads}`;
    const c = callsRun(what, r);
    return loopSample(what, c.scenario, await runCaptured(['proot', '-k', ctx.kernel, ...loopArgv(ctx, c, { static: true, native: c.scenario.id === 'refused' })], ctx.env));
  },
};

export const runsc: Target = {
  id: 'runsc',
  title: 'gVisor runsc',
  note: 'Debian\'s gVisor (runsc do, ptrace platform, no network): every call answered by its user-space kernel',
  matrix: true,
  unavailable: () => (onPath('runsc') ? undefined : 'runsc is not installed (apt-get install runsc)'),
  supports: (s) => s.kind === 'calls' && s.id !== 'arg-refused',
  async run(r, ctx) {
    const what = `bench runsc ${r.scenario.id} ×${r.threads}`;
    const c = callsRun(what, r);
    return loopSample(what, c.scenario, await runCaptured(['runsc', '--platform=ptrace', '--network=none', 'do', ...loopArgv(ctx, c)], ctx.env));
  },
};
