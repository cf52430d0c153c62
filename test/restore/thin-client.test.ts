/**
 * `cr-shim restore` as a thin client of `cr-shim serve` (src/restore/thin-client.ts,
 * src/serve/image-restore.ts): the service restores, so the tree keeps its persona (uname and
 * the vDSO note), the root's status passes through, a signal to the client reaches the tree,
 * and a restore that fails fails with the same line and status as the in-process one.
 * Real processes, real CRIU, a private service.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { copyImage, killQuietly, startToFile, waitFree, waitGone } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { askReport } from '../inject/subject.js';
import { startServeSandbox, type ServeSandbox } from '../serve/sandbox.js';
import * as served from './served-subject.js';

/** cr-subject's status after its report. */
const REPORTED = 42;

let sandbox: ServeSandbox;
let scratch: string;
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  sandbox = await startServeSandbox({ prefix: 'cr-shim-thin-' });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-thin-cases-'));
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const pid of started) killQuietly(pid);
  await sandbox?.remove();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const dumpedSubject = (name: string) => served.dumpedSubject(name, started);
const restoreThin = (s: served.DumpedSubject) => served.restoreTicking(['--socket', sandbox.socket], s, sandbox, started);

describe('cr-shim restore as a thin client of cr-shim serve', () => {
  it('the service restores: uname and the vDSO note say 4.19, the status passes through, the client restored nothing itself', async () => {
    const s = await dumpedSubject('persona');
    const restore = await restoreThin(s);
    // The root is the service's child (--restore-sibling from the service's criu), not the client's.
    expect(Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'))?.[1])).toBe(sandbox.serve.pid);
    expect(await askReport(s.state)).toMatchObject({ release: '4.19', sysctl_osrelease: '4.19', vdso_note: '0x041300' });
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(REPORTED);
    expect(r.stderr).not.toMatch(/supervising here|error/);
  }, 90_000);

  it('SIGTERM to the client reaches the restored tree, and the client exits with its status', async () => {
    const s = await dumpedSubject('sigterm');
    const restore = await restoreThin(s);
    process.kill(restore.pid, 'SIGTERM');
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(128 + os.constants.signals.SIGTERM);
  }, 90_000);

  // Each row fails before CRIU runs; through the service and in process alike.
  const failing: { why: string; args: (dir: string) => string[]; status: number }[] = [
    { why: 'a directory that is no image', args: (dir) => [path.join(dir, 'notimg')], status: 125 },
    { why: 'a directory that does not exist', args: (dir) => [path.join(dir, 'missing')], status: 125 },
    { why: 'a criu option cr-shim sets itself', args: (dir) => [path.join(dir, 'notimg'), '--', '--restore-sibling'], status: 2 },
  ];

  it('SIGINT to the client while criu restores: the service stops criu and kills the partial tree, exit 130 with restore\'s line', async () => {
    // An image whose pages-1.img is cut short: CRIU's restored task spins and CRIU never returns (watchdog.test.ts).
    const s = await startToFile([programPath('sleeper')], path.join(scratch, 'sleeper.out'));
    started.push(s.pid);
    const img = path.join(scratch, 'sleeper-img');
    const dump = await runCli(['dump', String(s.pid), img]);
    expect(dump.status, describeResult(dump)).toBe(0);
    await waitGone(s.pid);
    const bad = path.join(scratch, 'truncated');
    copyImage(img, bad);
    fs.truncateSync(path.join(bad, 'pages-1.img'), 8192);
    const cli = startCli(['restore', '--quiet', '--criu-log-limit', '100000', '--socket', sandbox.socket, bad], { env: sandbox.env, timeoutMs: 120_000 });
    // CRIU restores with the image's pid: once that process exists, criu is at work.
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(`/proc/${s.pid}`)) {
      if (Date.now() > deadline) throw new Error(`criu never started:\n${cli.stderr()}\nserve said: ${sandbox.serve.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.status, describeResult(r)).toBe(130);
    expect(r.stderr.trim()).toBe('cr-shim: restore: stopped by SIGINT while criu restored the image; the partially restored tree was killed');
    await waitFree(s.pid);
  }, 120_000);

  it.each(failing)('$why: the same line and status through the service as without', async (row) => {
    fs.mkdirSync(path.join(scratch, 'notimg'), { recursive: true });
    const served = await runCli(['restore', '--socket', sandbox.socket, ...row.args(scratch)], { timeoutMs: 60_000, env: sandbox.env });
    const here = await runCli(['restore', '--no-serve', ...row.args(scratch)], { timeoutMs: 60_000, env: sandbox.env });
    expect(served.status, describeResult(served)).toBe(row.status);
    expect(here.status, describeResult(here)).toBe(row.status);
    expect(served.stderr).toBe(here.stderr);
    expect(served.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
