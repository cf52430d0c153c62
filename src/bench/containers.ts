/**
 * Container downtime (issue 10's targets), when Podman is installed: the same busybox
 * container checkpointed with `--export` and restored with `--import`, plain and under
 * cr-shim (the CRIU plugin opted in with org.criu.config, a private `cr-shim serve`, the
 * tree under the persona), alternately in each round. Podman's --print-stats gives, in µs:
 *
 *   checkpoint: container_statistics[0].criu_statistics.frozen_time   the tasks' frozen time
 *   restore:    container_statistics[0].runtime_restore_duration       runc restore, CRIU's included
 *
 * The plugin's share of a checkpoint is one question to the service and the image edit at
 * the end; of a restore, the injection and the hand-over per process. No Node.js start sits
 * in either path: the service is already running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { expectSuccess, runCaptured } from './spawn.js';
import { median, paired, summarize } from './stats.js';
import { IMAGE, podmanInstalled, startPodmanSandbox, type PodmanSandbox } from './podman-sandbox.js';
import type { Summary } from './types.js';

/** Issue 10: within 0.3 s (restore) and 0.1 s (frozen time) of plain on this machine. */
export const CONTAINER_TARGETS = { restoreMs: 300, frozenMs: 100 } as const;

export interface ContainerDowntime {
  rounds: number;
  persona: string;
  /** runc restore duration, ms. */
  restore: { plain: Summary; shim: Summary; delta: number };
  /** CRIU's frozen time at checkpoint, ms. */
  frozen: { plain: Summary; shim: Summary; delta: number };
}

const LOOP = 'i=0; while :; do i=$((i+1)); echo "$i $(uname -r)"; sleep 0.2; done';

interface Stats {
  podman_checkpoint_duration?: number;
  container_statistics?: { runtime_restore_duration?: number; criu_statistics?: { frozen_time?: number } }[];
}

function stats(text: string, what: string): Stats {
  // Podman may print progress lines after the JSON (image import on --import): the JSON is the first object.
  const end = text.lastIndexOf('}');
  try {
    return JSON.parse(text.slice(text.indexOf('{'), end + 1)) as Stats;
  } catch (cause) {
    throw new ShimError(`bench ${what}`, `podman --print-stats gave no JSON: ${text.slice(0, 200)}`, { cause, code: 'EPROTO' });
  }
}

/** Why the container benchmark cannot run here, or undefined. */
export function containersUnavailable(): string | undefined {
  return podmanInstalled() ? undefined : 'podman, runc or conmon is not installed (bash scripts/setup-containers.sh)';
}

async function waitFor(test: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new ShimError('bench containers', `${what}: not within ${timeoutMs} ms`, { code: 'ETIMEDOUT' });
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Measure `rounds` round trips of each container. Throws ShimError when Podman or the service fails. */
export async function measureContainers(opts: { rounds: number; kernel: string; cliPath: string; criu: string; env: NodeJS.ProcessEnv }): Promise<ContainerDowntime> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bench-ctr-'));
  const pluginDir = path.join(dir, 'plugins');
  const socket = path.join(dir, 'serve.sock');
  const env = { ...opts.env, CR_SHIM_RUN_DIR: path.join(dir, 'run') };
  const children: ChildProcess[] = [];
  let pm: PodmanSandbox | undefined;
  try {
    expectSuccess('bench plugin install', await runCaptured([opts.cliPath, 'plugin', 'install', pluginDir, '--socket', socket], env));
    children.push(spawn(opts.cliPath, ['serve', '--quiet', '--socket', socket], { env, stdio: 'ignore' }));
    await waitFor(async () => fs.existsSync(socket), 'cr-shim serve listening');
    pm = await startPodmanSandbox({ criu: opts.criu, pluginDir });
    const box = pm;
    await box.podman(['run', '-d', '--name', 'plain', '--network', 'none', IMAGE, 'sh', '-c', LOOP]);
    await box.podman(['run', '-d', '--name', 'shim', '--network', 'none', '--annotation', `org.criu.config=${box.criuConfig}`, IMAGE, 'sh', '-c', LOOP]);
    children.push(spawn(opts.cliPath, ['attach', '--quiet', '--kernel', opts.kernel, String(await box.pid('shim'))], { env, stdio: 'ignore' }));
    await waitFor(async () => (await box.logs('shim')).some((l) => l.endsWith(` ${opts.kernel}`)), 'the shimmed container under the persona');

    const samples = { plain: { restore: [] as number[], frozen: [] as number[] }, shim: { restore: [] as number[], frozen: [] as number[] } };
    for (let round = 0; round < opts.rounds; round++) {
      for (const name of ['plain', 'shim'] as const) {
        const archive = path.join(dir, `${name}.tar`);
        fs.rmSync(archive, { force: true });
        const cp = stats(await box.podman(['container', 'checkpoint', '--export', archive, '--print-stats', name]), 'checkpoint');
        await box.podman(['rm', name]);
        const rs = stats(await box.podman(['container', 'restore', '--import', archive, '--print-stats']), 'restore');
        const frozen = cp.container_statistics?.[0]?.criu_statistics?.frozen_time;
        const restore = rs.container_statistics?.[0]?.runtime_restore_duration;
        if (frozen === undefined || restore === undefined) throw new ShimError('bench containers', 'podman --print-stats lacks frozen_time or runtime_restore_duration', { code: 'EPROTO' });
        samples[name].frozen.push(frozen / 1000);
        samples[name].restore.push(restore / 1000);
        process.stderr.write(`bench: [containers] round ${round + 1} ${name}: frozen ${(frozen / 1000).toFixed(0)} ms, restore ${(restore / 1000).toFixed(0)} ms\n`);
      }
    }
    const lastShim = (await box.logs('shim')).at(-1) ?? '';
    if (!lastShim.endsWith(` ${opts.kernel}`)) throw new ShimError('bench containers', `the shimmed container left its persona: "${lastShim}"`, { code: 'EPROTO' });
    const delta = (a: number[], b: number[]) => median(paired(a, b, (x, y) => y - x));
    return {
      rounds: opts.rounds,
      persona: opts.kernel,
      restore: { plain: summarize(samples.plain.restore), shim: summarize(samples.shim.restore), delta: delta(samples.plain.restore, samples.shim.restore) },
      frozen: { plain: summarize(samples.plain.frozen), shim: summarize(samples.shim.frozen), delta: delta(samples.plain.frozen, samples.shim.frozen) },
    };
  } finally {
    await pm?.remove();
    for (const c of children) c.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows for the text and Markdown tables: metric, plain, cr-shim, delta, target, verdict. */
export function containerRows(d: ContainerDowntime): string[][] {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const row = (title: string, m: ContainerDowntime['restore'], limit: number) => [
    title,
    ms(m.plain.median),
    ms(m.shim.median),
    `${m.delta >= 0 ? '+' : ''}${ms(m.delta)}`,
    `≤ +${limit} ms`,
    m.delta <= limit ? 'PASS' : 'MISS',
  ];
  return [
    ['container (busybox, Podman + runc)', 'plain', `cr-shim (${d.persona})`, 'median paired delta', 'target', 'verdict'],
    row('restore --import: runc restore duration', d.restore, CONTAINER_TARGETS.restoreMs),
    row('checkpoint --export: CRIU frozen time', d.frozen, CONTAINER_TARGETS.frozenMs),
  ];
}
