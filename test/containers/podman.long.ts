// Long suite (npm run test:containers; scripts/long-tests.sh): Podman + runc checkpoint and
// restore a container with --export/--import, the cr-shim CRIU plugin opted in per container
// through the org.criu.config annotation, supervised by a private cr-shim serve.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { startCli } from '../helpers/run-cli.js';
import type { RunningProcess } from '../helpers/run-process.js';
import { askReport, readProgress, waitProgress } from '../inject/subject.js';
import { startServeSandbox, type ServeSandbox } from '../serve/sandbox.js';
import { IMAGE, startPodmanSandbox, type PodmanSandbox } from './podman-sandbox.js';

requireShimBuilt();

const LOOP = 'i=0; while :; do i=$((i+1)); echo "$i $(uname -r)"; sleep 0.2; done';

let box: ServeSandbox;
let plainBox: ServeSandbox;
let pm: PodmanSandbox;
const attaches: RunningProcess[] = [];

beforeAll(async () => {
  const criu = await ensureCriu();
  box = await startServeSandbox({ prefix: 'cr-shim-ctr-serve-' });
  plainBox = await startServeSandbox({ prefix: 'cr-shim-ctr-plain-', plain: '2.6.32' });
  pm = await startPodmanSandbox({ criu: criu.path, pluginDir: box.pluginDir });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const a of attaches) a.kill('SIGKILL');
  await pm?.remove();
  await box?.remove();
  await plainBox?.remove();
}, 120_000);

/** The loop's lines as [tick, release]. */
async function ticks(name: string): Promise<[number, string][]> {
  return (await pm.logs(name)).map((l) => l.split(' ')).filter((f) => /^\d+$/.test(f[0]!)).map((f) => [Number(f[0]), f[1] ?? ''] as [number, string]);
}

async function waitTicks(name: string, test: (t: [number, string][]) => boolean, timeoutMs = 60_000): Promise<[number, string][]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const t = await ticks(name);
    if (test(t)) return t;
    if (Date.now() > end) throw new Error(`${name}: condition not met in ${timeoutMs} ms; last lines ${JSON.stringify(t.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Put a running container's tree under `cr-shim attach --kernel R` (the supervisor stays outside the container). */
function attach(pid: number, kernel: string): void {
  attaches.push(startCli(['attach', '--quiet', '--kernel', kernel, String(pid)], { env: box.env, timeoutMs: 900_000 }));
}

/** Checkpoint with --export, remove, restore with --import: one round trip. Returns the last tick before it. */
async function roundTrip(name: string, archive: string): Promise<number> {
  await pm.podman(['container', 'checkpoint', '--export', archive, name]);
  const last = Math.max(...(await ticks(name)).map(([n]) => n));
  await pm.podman(['rm', name]);
  await pm.podman(['container', 'restore', '--import', archive]);
  return last;
}

describe('podman checkpoint --export / restore --import under cr-shim', () => {
  it('a container under 2.6.32: the persona holds from the first tick after each of two round trips', async () => {
    await pm.podman(['run', '-d', '--name', 'loop', '--network', 'none', '--annotation', `org.criu.config=${pm.criuConfig}`, IMAGE, 'sh', '-c', LOOP]);
    attach(await pm.pid('loop'), '2.6.32');
    const before = await waitTicks('loop', (t) => t.some(([, r]) => r === '2.6.32'));
    const firstShimmed = before.find(([, r]) => r === '2.6.32')![0];
    for (let round = 1; round <= 2; round++) {
      const archive = path.join(pm.dir, `loop-${round}.tar`);
      const last = await roundTrip('loop', archive);
      const after = await waitTicks('loop', (t) => t.filter(([n]) => n > last).length >= 5);
      // Every line since the attach, across both restores, came from the persona.
      expect(new Set(after.filter(([n]) => n >= firstShimmed).map(([, r]) => r))).toEqual(new Set(['2.6.32']));
    }
    expect(box.serve.stderr()).toMatch(/restore of .*: under 2\.6\.32/);
    await pm.podman(['rm', '-f', '-t', '0', 'loop']);
  }, 600_000);

  it('a multi-threaded container (cr-subject threads) comes back with every thread under 3.10.0', async () => {
    const state = pm.stateDir('threads');
    await pm.podman(['run', '-d', '--name', 'threads', '--network', 'none', '-v', `${state}:/state`, '--annotation', `org.criu.config=${pm.criuConfig}`, IMAGE, '/bin/cr-subject', 'threads', '/state/s']);
    await waitProgress(path.join(state, 's'), () => true, 60_000);
    attach(await pm.pid('threads'), '3.10.0');
    await waitProgress(path.join(state, 's'), (p) => p.release === '3.10.0', 60_000);
    await pm.podman(['container', 'checkpoint', '--export', path.join(pm.dir, 'threads.tar'), 'threads']);
    const last = readProgress(path.join(state, 's'))!.counter;
    await pm.podman(['rm', 'threads']);
    await pm.podman(['container', 'restore', '--import', path.join(pm.dir, 'threads.tar')]);
    const seen = new Set<string>();
    await waitProgress(path.join(state, 's'), (p) => (seen.add(p.release), p.counter > last + 3), 60_000);
    expect([...seen]).toEqual(['3.10.0']);
    const report = await askReport(path.join(state, 's'), 60_000);
    expect(report).toMatchObject({ release: '3.10.0', threads: '4', threads_alive: '4', 'thread.0.release': '3.10.0', 'thread.3.release': '3.10.0' });
    await pm.podman(['rm', '-f', '-t', '0', 'threads']);
  }, 600_000);

  it('a broken filter fails closed: the restore fails and the container does not run', async () => {
    await pm.podman(['run', '-d', '--name', 'broken', '--network', 'none', '--annotation', `org.criu.config=${pm.criuConfig}`, IMAGE, 'sh', '-c', LOOP]);
    attach(await pm.pid('broken'), '2.6.32');
    await waitTicks('broken', (t) => t.some(([, r]) => r === '2.6.32'));
    const archive = path.join(pm.dir, 'broken.tar');
    await pm.podman(['container', 'checkpoint', '--export', archive, 'broken']);
    await pm.podman(['rm', 'broken']);
    const size = fs.statSync(archive).size;
    // The image records the persona (the plugin asked the service at dump), so its restore goes
    // through the faulty filter; a plain image would be restored as it is and prove nothing.
    expect(execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }), box.serve.stderr()).toMatch(/(^|\/)cr-shim\.json$/m);
    box.configure('fault bad-filter');
    try {
      await expect(pm.podman(['container', 'restore', '--import', archive]), box.serve.stderr()).rejects.toThrow(/criu failed|restore/);
    } finally {
      fs.writeFileSync(path.join(box.pluginDir, 'cr_shim_criu.conf'), `socket ${box.socket}\n`);
    }
    expect((await pm.podman(['ps', '-q', '--filter', 'name=broken'])).trim()).toBe('');
    expect(fs.statSync(archive).size).toBe(size);
    await pm.podman(['rm', '-f', '-t', '0', 'broken']).catch(() => undefined);
  }, 600_000);

  it('opted in node-wide through the runtime wrapper (no annotation): a round trip keeps 2.6.32', async () => {
    const criu = await ensureCriu();
    const wrapped = await startPodmanSandbox({ criu: criu.path, pluginDir: box.pluginDir, runtimeWrapper: true });
    try {
      await wrapped.podman(['run', '-d', '--name', 'wrapped', '--network', 'none', IMAGE, 'sh', '-c', LOOP]);
      attach(await wrapped.pid('wrapped'), '2.6.32');
      const wticks = async () => (await wrapped.logs('wrapped')).map((l) => l.split(' ')).map((f) => [Number(f[0]), f[1]] as const);
      const end = Date.now() + 60_000;
      while (!(await wticks()).some(([, r]) => r === '2.6.32')) {
        if (Date.now() > end) throw new Error('the wrapped container never showed 2.6.32');
        await new Promise((r) => setTimeout(r, 200));
      }
      const archive = path.join(wrapped.dir, 'wrapped.tar');
      await wrapped.podman(['container', 'checkpoint', '--export', archive, 'wrapped']);
      const last = Math.max(...(await wticks()).map(([n]) => n));
      await wrapped.podman(['rm', 'wrapped']);
      await wrapped.podman(['container', 'restore', '--import', archive]);
      let after: (readonly [number, string | undefined])[] = [];
      while ((after = (await wticks()).filter(([n]) => n > last)).length < 5) {
        if (Date.now() > end + 60_000) throw new Error(`the restored container printed ${JSON.stringify(after)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(new Set(after.map(([, r]) => r))).toEqual(new Set(['2.6.32']));
    } finally {
      await wrapped.remove();
    }
  }, 600_000);

  it('a plain archive (no cr-shim) restored where the host policy says 2.6.32 comes back under 2.6.32', async () => {
    const plainConfig = path.join(pm.dir, 'criu-plain.conf');
    fs.writeFileSync(plainConfig, `libdir ${plainBox.pluginDir}\n`);
    await pm.podman(['run', '-d', '--name', 'plain', '--network', 'none', '--annotation', `org.criu.config=${plainConfig}`, IMAGE, 'sh', '-c', LOOP]);
    const host = (await waitTicks('plain', (t) => t.length >= 2))[0]![1];
    expect(host).not.toBe('2.6.32');
    const last = await roundTrip('plain', path.join(pm.dir, 'plain.tar'));
    const after = await waitTicks('plain', (t) => t.filter(([n]) => n > last).length >= 5);
    expect(new Set(after.filter(([n]) => n > last).map(([, r]) => r))).toEqual(new Set(['2.6.32']));
    expect(plainBox.serve.stderr()).toMatch(/under 2\.6\.32 \(a plain image: --plain\)/);
    await pm.podman(['rm', '-f', '-t', '0', 'plain']);
  }, 600_000);
});
