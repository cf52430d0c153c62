/**
 * The watchdog on criu restore, with real CRIU: an image whose pages-1.img is cut short makes the
 * restored task spin while CRIU's log grows and never returns (seen on this kernel). cr-shim must
 * end it (log limit, time limit, or Ctrl-C), kill the partial tree, leave no temporary directory
 * but a log it names, and say so in one line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { copyImage, killQuietly, startToFile, tempDir, waitFree, waitGone } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

const work = tempDir('watchdog');
let pid: number;
let bad: string;

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  const s = await startToFile([programPath('sleeper')], path.join(work, 'sleeper.out'));
  pid = s.pid;
  const img = path.join(work, 'img');
  const r = await runCli(['dump', String(pid), img]);
  expect(r.status, describeResult(r)).toBe(0);
  await waitGone(pid);
  bad = path.join(work, 'truncated');
  copyImage(img, bad);
  fs.truncateSync(path.join(bad, 'pages-1.img'), 8192);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh $TMPDIR for one restore, so what it leaves behind can be listed. */
function tmpdir(name: string): string {
  const d = path.join(work, `tmp-${name}`);
  fs.mkdirSync(d);
  return d;
}

const cliLines = (stderr: string) => stderr.trimEnd().split('\n');

describe('criu restore watchdog', () => {
  it('log limit: criu and the spinning task are killed, one line, no temporary directory left', async () => {
    await waitFree(pid);
    const tmp = tmpdir('log');
    const r = await runCli(['restore', '--quiet', '--criu-log-limit', '4', bad], { env: { ...process.env, TMPDIR: tmp }, timeoutMs: 120_000 });
    expect(r.status, describeResult(r)).toBe(125);
    expect(cliLines(r.stderr)).toEqual([expect.stringMatching(/^cr-shim: criu restore: criu restore killed: its log passed 4 MiB, the sign of a restore that never ends; .*--criu-log-limit MIB allows more$/)]);
    expect(fs.readdirSync(tmp)).toEqual([]);
    await waitFree(pid);
  });

  it('time limit: killed after --criu-timeout, the log kept and named, nothing else left', async () => {
    await waitFree(pid);
    const tmp = tmpdir('time');
    const r = await runCli(['restore', '--quiet', '--criu-timeout', '3', '--criu-log-limit', '100000', bad], { env: { ...process.env, TMPDIR: tmp }, timeoutMs: 120_000 });
    expect(r.status, describeResult(r)).toBe(125);
    const [line] = cliLines(r.stderr);
    expect(line).toMatch(/^cr-shim: criu restore: criu restore killed: did not finish within 3 s; .*; log: (\S+)$/);
    const log = /log: (\S+)$/.exec(line!)![1]!;
    expect(fs.readdirSync(tmp)).toEqual([path.basename(path.dirname(log))]);
    expect(fs.existsSync(log)).toBe(true);
    await waitFree(pid);
  });

  it('Ctrl-C while criu restores: exit 130, the partial tree killed, no temporary directory left', async () => {
    await waitFree(pid);
    const tmp = tmpdir('int');
    const cli = startCli(['restore', '--quiet', '--criu-log-limit', '100000', bad], { env: { ...process.env, TMPDIR: tmp }, timeoutMs: 120_000 });
    // criu is running once its log directory exists.
    const deadline = Date.now() + 60_000;
    while (!fs.readdirSync(tmp).some((n) => n.startsWith('cr-shim-criu-'))) {
      if (Date.now() > deadline) throw new Error(`criu never started:\n${cli.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.status, describeResult(r)).toBe(130);
    expect(cliLines(r.stderr)).toEqual(['cr-shim: restore: stopped by SIGINT while criu restored the image; the partially restored tree was killed']);
    expect(fs.readdirSync(tmp)).toEqual([]);
    await waitFree(pid);
  });
});
