// src/native/spawn.ts and src/native/child-claims.ts on the real kernel: posix_spawn through the
// notify addon, fds placed as asked, statuses from the claims.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimChild } from '../../src/native/child-claims.js';
import { fdPair, spawnProcess } from '../../src/native/spawn.js';
import { KernelError } from '../../src/errors.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-spawn-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Everything `stream` carries until it closes. */
function text(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream!.on('data', (d: Buffer) => (s += d.toString()));
    stream!.on('close', () => resolve(s));
  });
}

/** Run `script` under sh with these options; its stdout and shell status. */
async function sh(script: string, opts: Parameters<typeof spawnProcess>[2] = {}): Promise<{ out: string; status: number }> {
  const p = spawnProcess('/bin/sh', ['sh', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  const status = claimChild(p.pid, { keepAlive: true });
  return { out: await text(p.stdout), status: await status };
}

describe('spawnProcess', () => {
  it('passes the exit status, and a signal as 128+N', async () => {
    expect((await sh('exit 7')).status).toBe(7);
    expect((await sh('kill -TERM $$')).status).toBe(128 + os.constants.signals.SIGTERM);
  });

  it('places extra fds from 3 on, even when a source is another fd\'s target', async () => {
    // Two files whose fds land at numbers the child needs: the order of dup2s must not clobber them.
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    const fa = fs.openSync(a, 'w');
    const fb = fs.openSync(b, 'w');
    try {
      // The child's fd 3 is b's, fd 4 is a's: crossed, whatever numbers they have here.
      const r = await sh('echo three >&3; echo four >&4', { extraFds: [fb, fa] });
      expect(r.status).toBe(0);
    } finally {
      fs.closeSync(fa);
      fs.closeSync(fb);
    }
    expect(fs.readFileSync(b, 'utf8')).toBe('three\n');
    expect(fs.readFileSync(a, 'utf8')).toBe('four\n');
  });

  it('a socketpair end as fd 3: the child writes, we read', async () => {
    const [ours, theirs] = fdPair('socketpair');
    const p = spawnProcess('/bin/sh', ['sh', '-c', 'echo ready >&3'], { stdio: ['ignore', 'ignore', 'inherit'], extraFds: [theirs] });
    fs.closeSync(theirs);
    expect(await claimChild(p.pid, { keepAlive: true })).toBe(0);
    const buf = Buffer.alloc(16);
    const n = fs.readSync(ours, buf);
    fs.closeSync(ours);
    expect(buf.subarray(0, n).toString()).toBe('ready\n');
  });

  it('our close-on-exec fds stay behind', async () => {
    const [x, y] = fdPair('socketpair');
    try {
      const r = await sh('ls /proc/self/fd');
      const fds = r.out.trim().split('\n').map(Number);
      expect(fds).not.toContain(x);
      expect(fds).not.toContain(y);
    } finally {
      fs.closeSync(x);
      fs.closeSync(y);
    }
  });

  it('cwd, env, and a session of its own', async () => {
    const r = await sh('pwd; echo "$CR_SHIM_SPAWN_TEST"; ps -o sid= -p $$ | tr -d " "; echo $$', { cwd: work, env: { PATH: process.env.PATH, CR_SHIM_SPAWN_TEST: 'yes' }, group: 'session' });
    const [cwd, env, sid, pid] = r.out.trim().split('\n');
    expect(cwd).toBe(fs.realpathSync(work));
    expect(env).toBe('yes');
    expect(sid).toBe(pid);
  });

  it('stdout ignored: /dev/null', async () => {
    // The substitution reads the shell's own fd 1 before any redirection of the shell's moves it.
    const p = spawnProcess('/bin/sh', ['sh', '-c', 'x=$(readlink /proc/$$/fd/1); echo "$x" >&2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const status = claimChild(p.pid, { keepAlive: true });
    expect(await text(p.stderr)).toBe('/dev/null\n');
    expect(await status).toBe(0);
  });

  it('a program that cannot run: KernelError naming it, nothing started', () => {
    const missing = path.join(work, 'missing');
    expect(() => spawnProcess(missing, [missing])).toThrow(KernelError);
    expect(() => spawnProcess(missing, [missing])).toThrow(/cannot run .*missing: ENOENT/);
  });
});
