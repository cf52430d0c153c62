// The CRIU plugin and cr-shim serve with plain criu (no container engine): a tree under
// cr-shim attach, dumped and restored by criu itself with the plugin in its libdir.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CriuBinary } from '../../src/criu/binary.js';
import { readManifest } from '../../src/criu/manifest.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { cgroupOf, filterSha256 } from '../../src/criu/supervised-record.js';
import { cgroup2Root } from '../../src/supervisor/tree-guard.js';
import { prepareSession } from '../../src/supervisor/session.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { startStrictSubject } from '../helpers/strict-subject.js';
import { startCli } from '../helpers/run-cli.js';
import { askReport, readProgress, startSubject, waitProgress } from '../inject/subject.js';
import { startServeSandbox, type ServeSandbox } from './sandbox.js';

requireShimBuilt();
const run = promisify(execFile);

let criu: CriuBinary;
let box: ServeSandbox;
let shimSha: string;

beforeAll(async () => {
  criu = await ensureCriu();
  shimSha = filterSha256(prepareSession('3.10.0').filter);
  box = await startServeSandbox();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await box?.remove();
});

function alive(pid: number): boolean {
  try {
    const state = /^State:\s*(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** Wait until `pid` is gone, its zombie reaped too (a restore needs the pid free). */
async function waitGone(pid: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() > end) throw new Error(`process ${pid} (${fs.readFileSync(`/proc/${pid}/stat`, 'utf8')}) still there after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function pollFor<T>(get: () => T | undefined, ms = 20_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tryRmdir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Still populated for a moment after the kill.
  }
}

/** A cr-shim-guard whose supervisor is `pid` runs. */
function guardOf(pid: number): boolean {
  return fs.readdirSync('/proc').some((p) => {
    try {
      return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[1] === String(pid) && fs.readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('cr-shim-guard');
    } catch {
      return false;
    }
  });
}

/** sha256 of every file of a directory, by name. */
function digest(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, createHash('sha256').update(fs.readFileSync(path.join(dir, n))).digest('hex')]));
}

/** criu with the sandbox's plugin directory; rejects with criu's log on failure. */
async function criuRun(verb: 'dump' | 'restore', args: string[], log: string): Promise<void> {
  try {
    // -W: criu writes its stats into the work directory, which must not be the image.
    const work = fs.mkdtempSync(path.join(box.dir, 'work-'));
    await run(criu.path, [verb, '-L', box.pluginDir, '-W', work, '-o', log, '-v4', ...args], { env: box.env, timeout: 120_000 });
  } catch (err) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    throw new Error(`criu ${verb} failed: ${(err as Error).message}\n${text.split('\n').filter((l) => /Error|cr-shim/.test(l)).join('\n')}`);
  }
}

/** A threaded subject under `cr-shim attach --kernel 3.10.0`, dumped through the plugin into a new image. */
async function dumpAttached(): Promise<{ img: string; state: string; pid: number }> {
  const s = await startSubject('threads');
  const attach = startCli(['attach', '--quiet', '--kernel', '3.10.0', String(s.pid)], { env: box.env, timeoutMs: 120_000 });
  try {
    await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000);
    const img = fs.mkdtempSync(path.join(box.dir, 'img-'));
    await criuRun('dump', ['-t', String(s.pid), '-D', img], path.join(img, '..', `${path.basename(img)}-dump.log`));
    await waitGone(s.pid);
    return { img, state: s.state, pid: s.pid };
  } finally {
    s.child.kill('SIGKILL');
    await attach.result.catch(() => undefined);
  }
}

describe('cr-shim serve with the CRIU plugin', () => {
  it('dump: cr-shim.json records the persona and the stale filter is gone; restore: 3.10.0 from the first tick, all threads, twice', async () => {
    let { img, state, pid } = await dumpAttached();
    for (let round = 1; round <= 2; round++) {
      const manifest = readManifest(img);
      expect(manifest?.persona?.release).toBe('3.10.0');
      expect(manifest?.conversions?.map((c) => c.kind)).toEqual(['drop-shim-filter']);
      // No filter of the image is the one the service hands out for 3.10.0: the dump dropped it.
      expect(readImageFilters(img).filters.map((f) => filterSha256(f.insns))).not.toContain(shimSha);
      const before = digest(img);
      const last = readProgress(state)!.counter;

      await criuRun('restore', ['-D', img, '-d'], path.join(box.dir, `restore-${round}.log`));
      expect(digest(img)).toEqual(before);
      // Every tick seen after the restore, from the first on, made its uname under the persona.
      const seen = new Set<string>();
      await waitProgress(state, (p) => (seen.add(p.release), p.counter > last + 3), 30_000);
      expect([...seen]).toEqual(['3.10.0']);
      expect(alive(pid)).toBe(true);

      if (round === 2) {
        const report = await askReport(state, 30_000);
        expect(report).toMatchObject({ release: '3.10.0', sysctl_osrelease: '3.10.0', vdso_note: '0x030a00', threads_alive: '4', 'thread.3.release': '3.10.0' });
        await waitGone(pid);
        break;
      }
      // Round 2: the restored tree, now served by the service, dumped again through the plugin.
      img = fs.mkdtempSync(path.join(box.dir, 'img-'));
      await criuRun('dump', ['-t', String(pid), '-D', img], path.join(box.dir, 'dump-2.log'));
      await waitGone(pid);
    }
    expect(box.serve.stderr()).toMatch(/restore of .*: under 3\.10\.0/);
  }, 240_000);

  it('a filter the kernel refuses: the restore fails closed, nothing runs, the image is untouched', async () => {
    const { img, pid } = await dumpAttached();
    const before = digest(img);
    box.configure('fault bad-filter');
    try {
      const log = path.join(box.dir, 'restore-bad.log');
      await expect(criuRun('restore', ['-D', img, '-d'], log)).rejects.toThrow(/criu restore failed/);
      expect(fs.readFileSync(log, 'utf8')).toMatch(/cr-shim plugin: putting process \d+ under the shim failed at seccomp: Invalid argument; killing process/);
    } finally {
      fs.writeFileSync(path.join(box.pluginDir, 'cr_shim_criu.conf'), `socket ${box.socket}\n`);
    }
    expect(alive(pid)).toBe(false);
    expect(digest(img)).toEqual(before);
  }, 180_000);

  it('an image that kept cr-shim\'s filter (dumped without the plugin): the service refuses it and the restore fails closed', async () => {
    const s = await startSubject('threads');
    const attach = startCli(['attach', '--quiet', '--kernel', '3.10.0', String(s.pid)], { env: box.env, timeoutMs: 120_000 });
    const img = fs.mkdtempSync(path.join(box.dir, 'img-stale-'));
    try {
      await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000);
      // No plugin at dump: nobody drops the shim's filter or records cr-shim.json.
      const noPlugins = fs.mkdtempSync(path.join(box.dir, 'no-plugins-'));
      const work = fs.mkdtempSync(path.join(box.dir, 'work-'));
      await run(criu.path, ['dump', '-L', noPlugins, '-W', work, '-o', path.join(work, 'dump.log'), '-t', String(s.pid), '-D', img], { env: box.env, timeout: 120_000 });
      await waitGone(s.pid);
    } finally {
      s.child.kill('SIGKILL');
      await attach.result.catch(() => undefined);
    }
    expect(readManifest(img)).toBeUndefined();
    const before = digest(img);
    const log = path.join(box.dir, 'restore-stale.log');
    await expect(criuRun('restore', ['-D', img, '-d'], log)).rejects.toThrow(/criu restore failed/);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/cr-shim plugin: cr-shim serve: error .*img-stale-\w+: seccomp filter \d+ \(not cr-shim's\)/);
    expect(alive(s.pid)).toBe(false);
    expect(digest(img)).toEqual(before);
  }, 180_000);

  it('a plain image (no cr-shim at dump) is restored under the kernel the node\'s policy names for its container\'s label', async () => {
    const own = await startServeSandbox({ prefix: 'cr-shim-policy-', policy: { rules: [{ label: { name: 'org.example.tier', value: 'legacy' }, kernel: '4.19' }] } });
    try {
      const s = await startSubject('threads');
      // An engine's layout: the bundle's config.json beside the images directory.
      const bundle = fs.mkdtempSync(path.join(own.dir, 'bundle-'));
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ annotations: { 'org.example.tier': 'legacy' } }));
      const img = path.join(bundle, 'checkpoint');
      fs.mkdirSync(img);
      const withPlugin = (verb: 'dump' | 'restore', args: string[]) =>
        run(criu.path, [verb, '-L', own.pluginDir, '-W', bundle, '-o', path.join(bundle, `${verb}.log`), ...args], { env: own.env, timeout: 120_000 });
      await withPlugin('dump', ['-t', String(s.pid), '-D', img]);
      await waitGone(s.pid);
      expect(readManifest(img)).toBeUndefined();
      const last = readProgress(s.state)!.counter;
      await withPlugin('restore', ['-D', img, '-d']);
      // Every tick after the restore (the file still holds the last one before the dump, under the host).
      const seen = new Set<string>();
      await waitProgress(s.state, (p) => (p.counter > last && seen.add(p.release), p.counter > last + 3), 30_000);
      expect([...seen]).toEqual(['4.19']);
      expect(own.serve.stderr()).toMatch(/restore of .*checkpoint: under 4\.19 \(a plain image: policy rule 0 \(label org\.example\.tier=legacy\)\)/);
      expect(await askReport(s.state, 30_000)).toMatchObject({ release: '4.19', threads_alive: '4' });
      await waitGone(s.pid);
    } finally {
      await own.remove();
    }
  }, 180_000);

  it('a plain image of a task in strict mode: the service refuses it with the way out, the restore fails closed, the image is untouched', async () => {
    const own = await startServeSandbox({ prefix: 'cr-shim-strict-', plain: '4.19' });
    try {
      const work = fs.mkdtempSync(path.join(own.dir, 'w-'));
      const img = path.join(work, 'img');
      fs.mkdirSync(img);
      const { pid } = await startStrictSubject(work, [programPath('strict-mode'), 'prctl', '--wait']);
      try {
        const withPlugin = (verb: 'dump' | 'restore', args: string[]) =>
          run(criu.path, [verb, '-L', own.pluginDir, '-W', work, '-o', path.join(work, `${verb}.log`), '-v4', ...args], { env: own.env, timeout: 120_000 });
        await withPlugin('dump', ['-t', String(pid), '-D', img]);
        await waitGone(pid);
        expect(readManifest(img)).toBeUndefined();
        const before = digest(img);
        await expect(withPlugin('restore', ['-D', img, '-d'])).rejects.toThrow();
        expect(fs.readFileSync(path.join(work, 'restore.log'), 'utf8')).toMatch(
          new RegExp(`cr-shim plugin: cr-shim serve: error .*img: thread ${pid} is in SECCOMP_MODE_STRICT, which refuses cr-shim's filter.*cr-shim convert IMG OUT`),
        );
        expect(own.serve.stderr()).toMatch(/restore of .*img: refused: .*SECCOMP_MODE_STRICT/);
        expect(alive(pid)).toBe(false);
        expect(digest(img)).toEqual(before);
      } finally {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone: dumped, or killed by the failed restore.
        }
      }
    } finally {
      await own.remove();
    }
  }, 180_000);

  const killRows = [
    { why: 'in the cgroup plain criu restored it into (shared): moved into a guard cgroup of the service\'s', ownCgroup: false },
    { why: 'in a cgroup of its own, as a container is: guarded where it is, the cgroup kept for its engine', ownCgroup: true },
  ];
  it.each(killRows)('SIGKILL to the service kills the plugin-restored tree: $why', async ({ ownCgroup }) => {
    const own = await startServeSandbox({ prefix: 'cr-shim-plugin-kill-', plain: '4.19' });
    const cg = ownCgroup ? path.join(cgroup2Root(), `cr-shim-test-${process.pid}-${Date.now()}`) : undefined;
    try {
      const s = await startSubject('threads');
      if (cg !== undefined) {
        fs.mkdirSync(cg);
        fs.writeFileSync(path.join(cg, 'cgroup.procs'), `${s.pid}\n`);
      }
      const work = fs.mkdtempSync(path.join(own.dir, 'w-'));
      const img = path.join(work, 'img');
      fs.mkdirSync(img);
      const withPlugin = (verb: 'dump' | 'restore', args: string[]) =>
        run(criu.path, [verb, '-L', own.pluginDir, '-W', work, '-o', path.join(work, `${verb}.log`), ...args], { env: own.env, timeout: 120_000 });
      await withPlugin('dump', ['-t', String(s.pid), '-D', img]);
      await waitGone(s.pid);
      const last = readProgress(s.state)!.counter;
      await withPlugin('restore', ['-D', img, '-d']);
      await waitProgress(s.state, (p) => p.counter > last && p.release === '4.19', 30_000);
      // The guard is set up once CRIU reports success: poll for the tree's cgroup to be guarded.
      const guarded = await pollFor(() => {
        const at = cgroupOf(s.pid);
        if (cg !== undefined) return at === `/${path.basename(cg)}` && guardOf(own.serve.pid) ? at : undefined;
        return at !== undefined && new RegExp(`/cr-shim\\.${own.serve.pid}\\.\\d+\\.r[0-9a-f]+$`).test(at) ? at : undefined;
      });
      expect(guarded).toBeDefined();
      own.serve.kill('SIGKILL');
      await waitGone(s.pid, 5_000);
      if (cg !== undefined) expect(fs.existsSync(cg)).toBe(true);
    } finally {
      await own.remove();
      if (cg !== undefined) await pollFor(() => (fs.existsSync(cg) ? (tryRmdir(cg), undefined) : true));
    }
  }, 180_000);

  it('stopping the service kills the trees it serves', async () => {
    const { img, state, pid } = await dumpAttached();
    const last = readProgress(state)!.counter;
    await criuRun('restore', ['-D', img, '-d'], path.join(box.dir, 'restore-stop.log'));
    await waitProgress(state, (p) => p.counter > last, 30_000);
    await box.stop();
    await waitGone(pid);
  }, 180_000);
});
