/**
 * A task in strict mode, dumped and restored under the shim (issue 9, point 5). strict-mode
 * enters SECCOMP_MODE_STRICT and waits in read(0) on a FIFO; `cr-shim dump` takes it, `cr-shim
 * restore` brings it back under a filter of cr-shim's, and one byte on the FIFO makes it call
 * getpid, which must still kill it. Started natively, the image holds strict mode itself and
 * restore converts it (strict-to-filter: a copy; the image is never written); started under
 * `cr-shim run`, the image holds the strict-equivalent filter and only cr-shim's own is dropped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { hashDir, killQuietly, tempDir, underShim, waitGone } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { startStrictSubject } from '../helpers/strict-subject.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { waitFor } from '../helpers/wait-for.js';

/** SIGSYS: the strict-equivalent filter's death (native/strict-mode.c says why not SIGKILL). */
const KILLED_BY_SIGSYS = 128 + 31;

// Under cr-shim run the program shares run's session: CRIU takes it with --shell-job.
// The threaded row: only the strict thread ends; the main thread joins it and exits 0.
const rows = [
  { how: 'started natively', argv: (p: string) => [p, 'prctl', '--wait'], converts: true, criu: [], status: KILLED_BY_SIGSYS, printed: [] },
  { how: 'started natively, strict in one thread of two', argv: (p: string) => [p, 'seccomp', '--wait', '--thread'], converts: true, criu: [], status: 0, printed: ['main.joined=1'] },
  { how: 'started under cr-shim run --kernel 4.19', argv: (p: string) => underShim('4.19', p, 'seccomp', '--wait'), converts: false, criu: ['--', '--shell-job'], status: KILLED_BY_SIGSYS, printed: [] },
];

const work = tempDir('strict-restore');
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The "Key:" field of /proc/PID/task/TID/status, or undefined when the task is gone. */
function statusField(pid: number, key: string, tid = pid): string | undefined {
  try {
    return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The thread of `pid` that is not its main thread when it has two, else `pid`: the one in strict mode. */
function strictTid(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid) ?? pid;
  } catch {
    return pid;
  }
}

describe('a task in strict mode, dumped and restored', () => {
  it.each(rows)('$how', async (row) => {
    const dir = path.join(work, row.how.replace(/\W+/g, '-'));
    fs.mkdirSync(dir);
    const img = path.join(dir, 'img');
    const { pid, fifo, outFile } = await startStrictSubject(dir, row.argv(programPath('strict-mode')));
    started.push(pid);
    const tid = strictTid(pid);
    expect(statusField(pid, 'Seccomp', tid)).toBe(row.converts ? '1' : '2');

    const dump = await runCli(['dump', String(pid), img, ...row.criu], { timeoutMs: 90_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    await waitGone(pid);

    const check = await runCli(['check', img], { timeoutMs: 60_000 });
    if (row.converts) expect(check.stdout, describeResult(check)).toMatch(/strict-to-filter: thread \d+ is in SECCOMP_MODE_STRICT/);
    else expect(check.stdout, describeResult(check)).not.toContain('strict-to-filter');

    const before = hashDir(img);
    const restore = startCli(['restore', img, ...row.criu], { timeoutMs: 120_000 });
    // Restored and under both filters (the strict-equivalent one and cr-shim's) before it goes on.
    await waitFor('the restored strict thread under two filters', () => (statusField(pid, 'Seccomp_filters', tid) === '2' ? true : undefined), 60_000);
    expect(statusField(pid, 'Seccomp', tid)).toBe('2');
    if (tid !== pid) expect(statusField(pid, 'Seccomp_filters')).toBe('1');
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(writer, 'x');
    fs.closeSync(writer);
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(row.status);
    for (const line of row.printed) expect(fs.readFileSync(outFile, 'utf8').split('\n')).toContain(line);
    if (row.converts) expect(r.stderr).toContain('strict-equivalent filter in place of SECCOMP_MODE_STRICT');
    expect(fs.readFileSync(outFile, 'utf8')).not.toMatch(/^survived=/m);
    expect(hashDir(img)).toBe(before);
  }, 300_000);
});
