/**
 * `cr-shim restore` and `cr-shim attach` hand their trees to a running `cr-shim serve`
 * (src/restore/hand-over.ts, src/serve/client.ts, src/serve/handed-tree.ts): the tree keeps its
 * persona, the exit status passes through, it sits in the service's guarded cgroup, a killed CLI
 * leaves it supervised and a killed service takes it down; --no-serve and a socket that is not
 * root's keep today's in-process supervisor. Real processes, real CRIU, a private service.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupOf } from '../../src/criu/supervised-record.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { killQuietly } from '../criu/helpers/images.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { askReport, readProgress, startSubject, threadIds, waitProgress } from '../inject/subject.js';
import { alive } from '../inject/shim-subject.js';
import { startServeSandbox, type ServeSandbox } from '../serve/sandbox.js';
import * as served from './served-subject.js';
import { waitFor } from '../helpers/wait-for.js';

/** cr-subject's status after its report. */
const REPORTED = 42;
const EXIT_SHIM_FAILED = 125;

let sandbox: ServeSandbox;
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  sandbox = await startServeSandbox({ prefix: 'cr-shim-handover-' });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const pid of started) killQuietly(pid);
  await sandbox?.remove();
});

/** The guard cgroup `pid` sits in belongs to supervisor `supervisor` (tree-guard.ts names it cr-shim.PID.START[.TAG]). */
function guardedBy(pid: number): number | undefined {
  const m = /\/cr-shim\.(\d+)\.\d+(?:\.[A-Za-z0-9_-]+)?$/.exec(cgroupOf(pid) ?? '');
  return m === null ? undefined : Number(m[1]);
}

const dumpedSubject = (name: string) => served.dumpedSubject(name, started);
const restoreTicking = (args: readonly string[], s: served.DumpedSubject) => served.restoreTicking(args, s, sandbox, started);

describe('hand-over to cr-shim serve', () => {
  it('restore: the service supervises the restored tree, which keeps its persona; the root\'s status passes through', async () => {
    const s = await dumpedSubject('restore');
    const restore = await restoreTicking(['--socket', sandbox.socket], s);
    expect(guardedBy(s.pid)).toBe(sandbox.serve.pid);
    const report = await askReport(s.state);
    expect(report).toMatchObject({ release: '4.19', sysctl_osrelease: '4.19' });
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(REPORTED);
    expect(r.stderr).not.toMatch(/supervising here|error/);
  }, 90_000);

  it('restore --no-serve: supervised in cr-shim restore itself, as without a service', async () => {
    const s = await dumpedSubject('no-serve');
    const restore = await restoreTicking(['--no-serve', '--socket', sandbox.socket], s);
    expect(guardedBy(s.pid)).toBe(restore.pid);
    expect(await askReport(s.state)).toMatchObject({ release: '4.19' });
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(REPORTED);
  }, 90_000);

  it('restore, then cr-shim restore killed: the tree stays supervised by the service', async () => {
    const s = await dumpedSubject('client-killed');
    const restore = await restoreTicking(['--socket', sandbox.socket], s);
    process.kill(restore.pid, 'SIGKILL');
    await restore.result.catch(() => undefined);
    const at = readProgress(s.state)!.counter;
    // Still ticking, still seeing the persona: its trapped calls are answered by the service.
    await waitProgress(s.state, (p) => p.counter > at + 2, 10_000);
    expect(await askReport(s.state)).toMatchObject({ release: '4.19', sysctl_osrelease: '4.19' });
    await waitFor('the subject to exit', () => (alive(s.pid) ? undefined : true));
  }, 90_000);

  it('attach: the service supervises the attached tree', async () => {
    const s = await startSubject('threads');
    started.push(s.pid);
    const attach = startCli(['attach', '--quiet', '--kernel', '3.10.0', '--socket', sandbox.socket, String(s.pid)], { timeoutMs: 60_000, env: sandbox.env });
    started.push(attach.pid);
    await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\ncr-shim attach said: ${attach.stderr()}\nserve said: ${sandbox.serve.stderr()}`);
    });
    expect(guardedBy(s.pid)).toBe(sandbox.serve.pid);
    const report = await askReport(s.state);
    expect(report).toMatchObject({ release: '3.10.0', threads: '4' });
    const r = await attach.result;
    // Not our child: its status cannot be read, as without the service.
    expect(r.status, describeResult(r)).toBe(0);
  }, 60_000);

  const hostile: { why: string; make: (dir: string) => { socket: string; refused: RegExp } }[] = [
    {
      why: 'a socket owned by a user other than root',
      make: (dir) => ({ socket: path.join(dir, 'user.sock'), refused: /is owned by uid 65534, not root; supervising here/ }),
    },
    {
      why: 'a socket in a directory others can write',
      make: (dir) => {
        const open = path.join(dir, 'open');
        fs.mkdirSync(open);
        fs.chmodSync(open, 0o777);
        return { socket: path.join(open, 'root.sock'), refused: /which others may write; only a root-only directory is trusted; supervising here/ };
      },
    },
  ];

  it('attach does not use a root-owned socket whose listening process runs as another user (SO_PEERCRED)', async () => {
    const dir = fs.mkdtempSync(path.join(sandbox.dir, 'peer-'));
    const socket = path.join(dir, 'peer.sock');
    // Bound as root (the file is root's), listening as uid 65534: the kernel records the listener's credentials.
    const script = [
      'import os, socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)',
      's.bind(sys.argv[1])',
      'os.setgid(65534); os.setuid(65534)',
      's.listen(4)',
      'print("listening", flush=True)',
      'while True:',
      '    c, _ = s.accept()',
      '    d = c.recv(65536)',
      '    if d: print("received", len(d), flush=True)',
    ].join('\n');
    const server = spawn('python3', ['-c', script, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    server.stdout!.on('data', (b: Buffer) => (said += b.toString()));
    try {
      await waitFor('the listener', () => (said.includes('listening') ? true : undefined));
      const s = await startSubject('single');
      started.push(s.pid);
      const attach = startCli(['attach', '--kernel', '3.10.0', '--socket', socket, String(s.pid)], { timeoutMs: 60_000, env: sandbox.env });
      started.push(attach.pid);
      await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000);
      expect(guardedBy(s.pid)).toBe(attach.pid);
      await askReport(s.state);
      const r = await attach.result;
      expect(r.status, describeResult(r)).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`the process serving ${socket} \\(pid ${server.pid}\\) runs as uid 65534, not root; supervising here`));
      // It connected (that is how the credentials are read) but sent nothing.
      expect(said).not.toContain('received');
    } finally {
      server.kill('SIGKILL');
    }
  }, 60_000);

  it.each(hostile)('attach does not use $why: supervised in cr-shim attach itself, nothing sent', async (row) => {
    const dir = fs.mkdtempSync(path.join(sandbox.dir, 'hostile-'));
    const { socket, refused } = row.make(dir);
    let connections = 0;
    const server = net.createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    if (socket.endsWith('user.sock')) fs.chownSync(socket, 65534, 65534);
    try {
      const s = await startSubject('single');
      started.push(s.pid);
      const attach = startCli(['attach', '--kernel', '3.10.0', '--socket', socket, String(s.pid)], { timeoutMs: 60_000, env: sandbox.env });
      started.push(attach.pid);
      await waitProgress(s.state, (p) => p.release === '3.10.0', 30_000);
      expect(guardedBy(s.pid)).toBe(attach.pid);
      await askReport(s.state);
      const r = await attach.result;
      expect(r.status, describeResult(r)).toBe(0);
      expect(r.stderr).toMatch(refused);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  }, 60_000);
});

describe('the service killed', () => {
  it('SIGKILL to cr-shim serve: the tree it was handed dies (its guard), and cr-shim restore says so', async () => {
    // A service of its own: this one is killed.
    const own = await startServeSandbox({ prefix: 'cr-shim-handover-kill-' });
    try {
      const s = await dumpedSubject('service-killed');
      const restore = startCli(['restore', '--socket', own.socket, s.img], { timeoutMs: 60_000, env: own.env });
      started.push(restore.pid);
      await waitProgress(s.state, (p) => p.counter > s.atDump, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\ncr-shim restore said: ${restore.stderr()}\nserve said: ${own.serve.stderr()}`);
      });
      expect(guardedBy(s.pid)).toBe(own.serve.pid);
      const tasks = [s.pid, ...threadIds(s.pid)];
      process.kill(own.serve.pid, 'SIGKILL');
      await waitFor('every task of the tree gone', () => (tasks.some(alive) ? undefined : true), 5_000);
      const r = await restore.result;
      expect(r.status, describeResult(r)).toBe(EXIT_SHIM_FAILED);
      expect(r.stderr).toMatch(/went away \(its guard kills the tree\)/);
    } finally {
      await own.remove();
    }
  }, 90_000);
});
