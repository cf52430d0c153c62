/**
 * The start-up breakdown: runs `node -e 0` (the runtime's own start and exit),
 * `cr-shim run --help` as a user types it, bin/cr-shim (that plus the native front's exec
 * of the Node.js CLI, and loading main.js and the run command's modules, which main.js
 * imports only when run is asked for) and
 * startup-probe.js (the run command's steps, timed inside one process),
 * alternately, and summarizes each phase. Derived rows: the CLI's module
 * loading is `cr-shim run --help` − `node -e 0`; the worker's start-up is
 * supervise − launcher (supervise starts the worker while the launcher waits).
 */
import { fileURLToPath } from 'node:url';
import { ShimError } from '../errors.js';
import { expectSuccess, runCaptured } from './spawn.js';
import { summarize } from './stats.js';
import type { PhaseSummary } from './types.js';

/** The compiled probe, resolved from the package root: src/bench/ (vitest) and dist/bench/ are both two levels down. */
export const PROBE_PATH = fileURLToPath(new URL('../../dist/bench/startup-probe.js', import.meta.url));

/** Phases in display order; `sum` marks those that add up to one cr-shim run. */
export const PHASES: readonly { id: string; title: string; sum: boolean }[] = [
  { id: 'node', title: 'node start and exit (`node -e 0`)', sum: true },
  { id: 'cliModules', title: 'bin/cr-shim\'s front and exec, load cr-shim\'s modules: main.js and the run command (`cr-shim run --help` − `node -e 0`)', sum: true },
  { id: 'imports', title: '… of which the run command\'s own modules (imported alone, in the probe)', sum: false },
  { id: 'sessionCache', title: 'session cache hit: key, read the entry, re-check the table files it was compiled from', sum: true },
  { id: 'hostCheck', title: 'on a miss (first run after a boot, a rebuild or a table change): host check (seccomp GET_ACTION_AVAIL USER_NOTIF)', sum: false },
  { id: 'persona', title: '… resolve the persona (tables/releases.json)', sum: false },
  { id: 'hostProbe', title: '… host probe, cached per boot', sum: false },
  { id: 'tables', title: '… load and validate the persona\'s and the host\'s tables (x86_64, ia32)', sum: false },
  { id: 'plan', title: '… plan and BPF compile', sum: false },
  { id: 'launcher', title: 'launcher: spawn, install the filter, take the listener, exec /bin/true, exit', sum: true },
  { id: 'worker', title: 'the rest of supervise: guard, native loop, identity mounts, exit (supervise − launcher)', sum: true },
  { id: 'sum', title: 'sum of the phases marked above: a run that hits the session cache', sum: false },
  { id: 'hostProbeCold', title: 'host probe without its cache (first run after boot; not in the sum)', sum: false },
];

/** One probe's phases plus derived ones. Throws ShimError (EPROTO) when the probe's output lacks a phase. */
export function derivePhases(probe: Record<string, number>, nodeMs: number, versionMs: number): Record<string, number> {
  const need = ['imports', 'sessionCache', 'hostCheck', 'persona', 'hostProbe', 'tables', 'plan', 'launcher', 'supervise', 'hostProbeCold'];
  for (const k of need) {
    if (typeof probe[k] !== 'number') throw new ShimError('startup probe', `no ${k} in ${JSON.stringify(probe)}`, { code: 'EPROTO' });
  }
  const p: Record<string, number> = { ...probe, node: nodeMs, cliModules: versionMs - nodeMs, worker: probe.supervise! - probe.launcher! };
  const sum = PHASES.filter((x) => x.sum).reduce((acc, x) => acc + (p[x.id] ?? 0), 0);
  return { ...p, sum };
}

/** Summaries per phase over several runs, in PHASES order. */
export function summarizePhases(runs: readonly Record<string, number>[]): PhaseSummary[] {
  return PHASES.filter((ph) => runs.some((r) => r[ph.id] !== undefined)).map((ph) => ({
    id: ph.id,
    title: ph.title,
    summary: summarize(runs.map((r) => r[ph.id]).filter((v): v is number => v !== undefined)),
  }));
}

/** `runs` alternations of `node -e 0`, `cr-shim run --help` and the probe; env carries the private host-probe cache. */
export async function measureStartup(kernel: string, cliPath: string, runs: number, env: NodeJS.ProcessEnv): Promise<PhaseSummary[]> {
  const all: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const node = expectSuccess('bench node -e 0', await runCaptured([process.execPath, '-e', '0'], env));
    const version = expectSuccess('bench cr-shim run --help', await runCaptured([cliPath, 'run', '--help'], env));
    const probe = expectSuccess('bench startup probe', await runCaptured([process.execPath, PROBE_PATH, kernel], env));
    let phases: Record<string, number>;
    try {
      phases = JSON.parse(probe.stdout.trim()) as Record<string, number>;
    } catch (cause) {
      throw new ShimError('bench startup probe', `not JSON: ${JSON.stringify(probe.stdout.slice(0, 200))}`, { code: 'EPROTO', cause });
    }
    all.push(derivePhases(phases, node.wallMs, version.wallMs));
  }
  return summarizePhases(all);
}
