/**
 * A seccomp filter and no supervisor: the persona's own BPF with every
 * USER_NOTIF turned into ALLOW, installed by cr-shim-launch, whose listener is
 * closed at once. What cr-shim costs on calls it decides in BPF, without
 * anything else of cr-shim around. The "nocache" variant defeats the kernel's
 * action cache (see filters.ts) to show what the cache saves.
 */
import { closeSync, existsSync } from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { ShimError } from '../../errors.js';
import { LAUNCHER_PATH, launchUnderFilter } from '../../native/launcher.js';
import type { Finished } from '../spawn.js';
import type { Target } from '../types.js';
import { callsRun, loopArgv, loopSample, workloadMissing } from '../workload.js';

function collect(stream: Readable | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  const parts: Buffer[] = [];
  stream.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve) => stream.once('close', () => resolve(Buffer.concat(parts).toString('utf8'))));
}

/** Run argv under `filter` via cr-shim-launch, with no listener left open. */
async function runUnderFilter(argv: string[], filter: Buffer, env: NodeJS.ProcessEnv): Promise<Finished> {
  const [program, ...args] = argv;
  const t0 = process.hrtime.bigint();
  const { child } = await launchUnderFilter(program!, args, filter, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    // No supervisor: drop our copy of the listener; the launcher drops its own before exec.
    beforeExec: (fd) => closeSync(fd),
  });
  const [stdout, stderr, shell] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
  // The shell status (128+N for signal N) back into the exit code or signal name Finished holds.
  const signal = shell > 128 ? (Object.entries(os.constants.signals).find(([, n]) => n === shell - 128)?.[0] as NodeJS.Signals | undefined) : undefined;
  return { status: signal ? null : shell, signal: signal ?? null, stdout, stderr, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function bpfTarget(id: string, title: string, note: string, matrix: boolean, scenarios?: readonly string[]): Target {
  return {
    id,
    title,
    note,
    matrix,
    unavailable: (ctx) =>
      !existsSync(LAUNCHER_PATH) ? `${LAUNCHER_PATH} is not built (npm install)` : !ctx.filters[id] ? `no filter prepared for ${id}` : workloadMissing(ctx),
    supports: (s) => s.kind === 'calls' && (scenarios === undefined || scenarios.includes(s.id)),
    async run(r, ctx) {
      const what = `bench ${id} ${r.scenario.id} ×${r.threads}`;
      const c = callsRun(what, r);
      const filter = ctx.filters[id];
      if (!filter) throw new ShimError(what, `no filter prepared for ${id}`, { code: 'EINVAL' });
      return loopSample(what, c.scenario, await runUnderFilter(loopArgv(ctx, c, { timed: true }), filter, ctx.env));
    },
  };
}

export const bpfOnly = bpfTarget('bpf-only', 'BPF only', "the persona's filter, USER_NOTIF turned into ALLOW, no listener: what the BPF verdicts cost", true);

export const bpfNoCache = bpfTarget(
  'bpf-nocache',
  'BPF, no cache',
  'bpf-only with a first instruction the action cache cannot prove, so every call runs the filter',
  false,
  ['left-alone'],
);
