/**
 * `cr-shim restore` through `cr-shim serve` answered by the native front (native/front/
 * restore-client.c) against the TypeScript thin client (CR_SHIM_FRONT=off, the same command
 * with the front stepping aside): the same stdout, stderr and status. A case the front answers
 * is also run with $CR_SHIM_NODE naming no program, which only the C client survives; a case it
 * declines then fails to start Node.js, which shows the CLI answered it. Real CRIU, a private
 * service. Each comparison runs the C client first, then the TypeScript one, on the same image.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { copyImage, killQuietly, startToFile, waitFree, waitGone } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runFront, startFront } from '../helpers/run-cli.js';
import { describeResult, type ProcessResult } from '../helpers/run-process.js';
import { waitProgress } from '../inject/subject.js';
import * as served from '../restore/served-subject.js';
import { startServeSandbox, type ServeSandbox } from '../serve/sandbox.js';

/** cr-subject's status after its report. */
const REPORTED = 42;
/** What the front prints when it execs the CLI and $CR_SHIM_NODE names nothing. */
const NO_NODE = /^cr-shim: start Node\.js: \/nonexistent\/node: No such file or directory;/;
/** For the C client where it must answer: no Node.js to start. */
const WITHOUT_NODE = { CR_SHIM_NODE: '/nonexistent/node' };

type Client = 'c' | 'ts';

let sandbox: ServeSandbox;
let scratch: string;
let subject: served.DumpedSubject;
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  sandbox = await startServeSandbox({ prefix: 'cr-shim-front-restore-' });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-front-restore-cases-'));
  subject = await served.dumpedSubject('front', started);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const pid of started) killQuietly(pid);
  await sandbox?.remove();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** The environment for one client: the front answers (c), or steps aside for the Node.js CLI (ts). */
function envFor(client: Client, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...sandbox.env, ...extra };
  delete env.CR_SHIM_FRONT;
  delete env.CR_SHIM_DEBUG;
  if (client === 'ts') env.CR_SHIM_FRONT = 'off';
  return env;
}

const same = (c: ProcessResult, ts: ProcessResult) => {
  expect({ status: c.status, stdout: c.stdout, stderr: c.stderr }, `C client:\n${describeResult(c)}\nTypeScript client:\n${describeResult(ts)}`).toEqual({
    status: ts.status,
    stdout: ts.stdout,
    stderr: ts.stderr,
  });
};

/** Restore the subject's image with `args` (before IMG); the subject reports and exits at once (its .go is there). */
async function restoreReporting(client: Client, args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  await waitFree(subject.pid);
  fs.rmSync(subject.state, { force: true });
  fs.writeFileSync(`${subject.state}.go`, '');
  return runFront(['restore', ...args, subject.img], { env: envFor(client, extra), timeoutMs: 60_000 });
}

describe('cr-shim restore through cr-shim serve: the C client as the TypeScript one', () => {
  it('a good restore: the restored program\'s status comes back, the notices the same, and no Node.js ran', async () => {
    const c = await restoreReporting('c', ['--socket', sandbox.socket], WITHOUT_NODE);
    const ts = await restoreReporting('ts', ['--socket', sandbox.socket]);
    expect(c.status, describeResult(c)).toBe(REPORTED);
    expect(fs.readFileSync(subject.state, 'utf8')).toMatch(/^release=4\.19$/m);
    same(c, ts);
  }, 120_000);

  it('--quiet: no notices, the same status', async () => {
    const c = await restoreReporting('c', ['--quiet', `--socket=${sandbox.socket}`], WITHOUT_NODE);
    const ts = await restoreReporting('ts', ['--quiet', `--socket=${sandbox.socket}`]);
    expect(c.status, describeResult(c)).toBe(REPORTED);
    expect(c.stderr).toBe('');
    same(c, ts);
  }, 120_000);

  it('SIGTERM to the client reaches the restored program through the service; the client exits with its status', async () => {
    const results: ProcessResult[] = [];
    for (const client of ['c', 'ts'] as const) {
      await waitFree(subject.pid);
      fs.rmSync(`${subject.state}.go`, { force: true });
      const before = (await waitProgress(subject.state, () => true)).counter;
      const restore = startFront(['restore', '--socket', sandbox.socket, subject.img], { env: envFor(client, client === 'c' ? WITHOUT_NODE : {}), timeoutMs: 60_000 });
      started.push(restore.pid);
      await waitProgress(subject.state, (p) => p.counter > before, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\ncr-shim restore said: ${restore.stderr()}\nserve said: ${sandbox.serve.stderr()}`);
      });
      restore.kill('SIGTERM');
      results.push(await restore.result);
    }
    const [c, ts] = results as [ProcessResult, ProcessResult];
    expect(c.status, describeResult(c)).toBe(128 + os.constants.signals.SIGTERM);
    same(c, ts);
  }, 120_000);

  it('SIGINT while criu restores: the service stops it, the same line and 130 (a failed reply with its own status)', async () => {
    // An image whose pages-1.img is cut short: CRIU's restored task spins and CRIU never returns (watchdog.test.ts).
    const s = await startToFile([programPath('sleeper')], path.join(scratch, 'sleeper.out'));
    started.push(s.pid);
    const img = path.join(scratch, 'sleeper-img');
    const dump = await runFront(['dump', String(s.pid), img]);
    expect(dump.status, describeResult(dump)).toBe(0);
    await waitGone(s.pid);
    const bad = path.join(scratch, 'truncated');
    copyImage(img, bad);
    fs.truncateSync(path.join(bad, 'pages-1.img'), 8192);
    const results: ProcessResult[] = [];
    for (const client of ['c', 'ts'] as const) {
      await waitFree(s.pid);
      const restore = startFront(['restore', '--quiet', '--criu-log-limit', '100000', '--socket', sandbox.socket, bad], { env: envFor(client, client === 'c' ? WITHOUT_NODE : {}), timeoutMs: 120_000 });
      started.push(restore.pid);
      // CRIU restores with the image's pid: once that process exists, criu is at work.
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(`/proc/${s.pid}`)) {
        if (Date.now() > deadline) throw new Error(`criu never started:\n${restore.stderr()}\nserve said: ${sandbox.serve.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      restore.kill('SIGINT');
      results.push(await restore.result);
    }
    const [c, ts] = results as [ProcessResult, ProcessResult];
    expect(c.status, describeResult(c)).toBe(128 + os.constants.signals.SIGINT);
    expect(c.stderr).toBe('cr-shim: restore: stopped by SIGINT while criu restored the image; the partially restored tree was killed\n');
    same(c, ts);
    await waitFree(s.pid);
  }, 120_000);

  // Each row fails in the service before CRIU runs: the same error line and status from both clients.
  // The names carry what the request's JSON must escape and what path.resolve normalises.
  const failing: { why: string; args: (dir: string) => string[]; cwd?: (dir: string) => string; status: number }[] = [
    { why: 'a directory that is no image', args: (dir) => [path.join(dir, 'notimg')], status: 125 },
    { why: 'a name with a quote, a backslash, a tab, a newline and UTF-8', args: (dir) => [path.join(dir, 'odd "\\\t\nname é\u0085')], status: 125 },
    { why: 'a relative path with . and ..', args: () => ['./x/../notimg//'], cwd: (dir) => dir, status: 125 },
    { why: 'a criu option cr-shim sets itself', args: (dir) => [path.join(dir, 'notimg'), '--', '--restore-sibling'], status: 2 },
    { why: '--kernel, --criu-timeout, --criu-log-limit and --allow-io-uring', args: (dir) => ['--kernel', '4.19', '--criu-timeout=30', '--criu-log-limit', '8', '--allow-io-uring', path.join(dir, 'notimg')], status: 125 },
  ];

  it.each(failing)('a failed restore, $why: the same line and status', async (row) => {
    for (const name of ['notimg', 'odd "\\\t\nname é\u0085']) fs.mkdirSync(path.join(scratch, name), { recursive: true });
    const opts = (client: Client, extra: NodeJS.ProcessEnv = {}) => ({ env: envFor(client, extra), timeoutMs: 60_000, ...(row.cwd ? { cwd: row.cwd(scratch) } : {}) });
    const c = await runFront(['restore', '--socket', sandbox.socket, ...row.args(scratch)], opts('c', WITHOUT_NODE));
    const ts = await runFront(['restore', '--socket', sandbox.socket, ...row.args(scratch)], opts('ts'));
    expect(c.status, describeResult(c)).toBe(row.status);
    expect(c.stderr.trim().split('\n'), describeResult(c)).toHaveLength(1);
    same(c, ts);
  }, 60_000);

  // Each row is one the front leaves to the CLI: with no Node.js to start it says so, with one the answer is the CLI's.
  const declined: { why: string; args: (dir: string, socket: string) => string[] }[] = [
    { why: 'an option the thin client does not take (--stats: restore in process)', args: (dir, socket) => ['--stats', '--socket', socket, path.join(dir, 'notimg')] },
    { why: 'a fractional --criu-timeout', args: (dir, socket) => ['--criu-timeout', '0.5', '--socket', socket, path.join(dir, 'notimg')] },
    { why: 'an unknown option', args: (dir, socket) => ['--socket', socket, '--frobnicate', path.join(dir, 'notimg')] },
    { why: 'two image directories', args: (dir, socket) => ['--socket', socket, path.join(dir, 'notimg'), dir] },
    { why: 'no service listening on the named socket', args: (dir) => ['--socket', path.join(dir, 'nobody.sock'), path.join(dir, 'notimg')] },
    { why: 'a socket not to trust (in a directory others may write)', args: (dir) => ['--socket', path.join(dir, 'open', 'serve.sock'), path.join(dir, 'notimg')] },
    { why: 'a socket path that is no socket', args: (dir) => ['--socket', path.join(dir, 'notimg'), path.join(dir, 'notimg')] },
  ];

  it.each(declined)('declines $why: the CLI answers', async (row) => {
    fs.mkdirSync(path.join(scratch, 'notimg'), { recursive: true });
    // root's socket, listening, in a directory every user may write: the file could be swapped.
    const open = path.join(scratch, 'open');
    fs.rmSync(open, { recursive: true, force: true });
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(path.join(open, 'serve.sock'), resolve));
    try {
      const args = ['restore', ...row.args(scratch, sandbox.socket)];
      const noNode = await runFront(args, { env: envFor('c', WITHOUT_NODE) });
      expect(noNode.stderr, describeResult(noNode)).toMatch(NO_NODE);
      expect(noNode.status).toBe(125);
      const c = await runFront(args, { env: envFor('c'), timeoutMs: 60_000 });
      const ts = await runFront(args, { env: envFor('ts'), timeoutMs: 60_000 });
      expect(c.status, describeResult(c)).not.toBe(0);
      same(c, ts);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  }, 60_000);

  it('declines when nobody listens on the default socket ($CR_SHIM_SOCKET): silently, the CLI restores in process', async () => {
    const args = ['restore', path.join(scratch, 'notimg')];
    fs.mkdirSync(path.join(scratch, 'notimg'), { recursive: true });
    const socketEnv = { CR_SHIM_SOCKET: path.join(scratch, 'nobody.sock') };
    const noNode = await runFront(args, { env: envFor('c', { ...socketEnv, ...WITHOUT_NODE }) });
    expect(noNode.stderr, describeResult(noNode)).toMatch(NO_NODE);
    const c = await runFront(args, { env: envFor('c', socketEnv), timeoutMs: 60_000 });
    const ts = await runFront(args, { env: envFor('ts', socketEnv), timeoutMs: 60_000 });
    expect(c.stderr).not.toMatch(/serve/);
    same(c, ts);
  }, 60_000);
});
