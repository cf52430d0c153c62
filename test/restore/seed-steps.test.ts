// The seed's three steps, end to end under the shim, plus a multi-threaded
// program: cr-subject runs under `cr-shim run --kernel 4.19`, `cr-shim dump`
// checkpoints it (killing it), `cr-shim restore` brings it back, and its report
// shows it went on where it was with the translation still in force.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { askReport, readProgress, waitProgress, type SubjectMode } from '../inject/subject.js';
import { alive, fingerprint, startUnderShim } from '../inject/shim-subject.js';

requireShimBuilt();

const KERNEL = '4.19';
const EXIT_REPORTED = 42;

/** What each mode's report must say after the restore, besides counter, release and _sysctl. */
const EXPECT: Record<SubjectMode, Record<string, string>> = {
  single: {},
  tree: { zombie_state: 'Z', reaped: '1', child_status: '7' },
  files: {
    file_offset: '7',
    file_next: '789',
    pipe_data: 'pipe-data',
    socket_data: 'sock-data',
    sigusr1_pending: '1',
    sigusr2_count: '1',
  },
  threads: {
    threads: '4',
    threads_alive: '4',
    'thread.0.release': KERNEL,
    'thread.1.release': KERNEL,
    'thread.2.release': KERNEL,
    'thread.3.release': KERNEL,
  },
  divergent: {},
  // Dumped by the daemon's pid, a descendant of the process cr-shim run started (which exited).
  daemon: {
    threads: '4',
    threads_alive: '4',
    'thread.0.release': KERNEL,
    'thread.3.release': KERNEL,
  },
};

async function dump(pid: number, img: string): Promise<void> {
  const r = await runCli(['dump', String(pid), img], { timeoutMs: 60_000 });
  expect(r.status, describeResult(r)).toBe(0);
}

/** Run, dump, restore, report. Returns the report and the restore's result. */
async function cycle(mode: SubjectMode) {
  const s = await startUnderShim(mode, KERNEL);
  const img = path.join(path.dirname(s.state), 'img');
  await dump(s.pid, img);
  await s.shimExited;
  expect(alive(s.pid)).toBe(false);
  const atDump = readProgress(s.state)!.counter;
  const before = fingerprint(img);

  const restore = startCli(['restore', img], { timeoutMs: 60_000 });
  try {
    // Running again, and on from where it was: not restarted at 0.
    await waitProgress(s.state, (p) => p.counter > atDump, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\ncr-shim restore said: ${restore.stderr()}`);
    });
    if (mode === 'files') process.kill(s.pid, 'SIGUSR2');
    const report = await askReport(s.state);
    const result = await restore.result;
    expect(result.status, describeResult(result)).toBe(EXIT_REPORTED);
    // IMG was only read (the shim's own filter was dropped in a converted copy).
    expect(fingerprint(img)).toEqual(before);
    return { report, atDump, pid: s.pid, stderr: result.stderr };
  } finally {
    restore.kill('SIGKILL');
    fs.rmSync(path.dirname(s.state), { recursive: true, force: true });
  }
}

describe.concurrent.each(['single', 'tree', 'files', 'threads', 'daemon'] as const)('restore of %s', (mode) => {
  it('goes on where it was, still seeing the persona; cr-shim restore exits with its status', async () => {
    const { report, atDump, pid, stderr } = await cycle(mode);
    expect(Number(report.counter)).toBeGreaterThan(atDump);
    expect(report).toMatchObject({ mode, pid: String(pid), release: KERNEL, sysctl_osrelease: KERNEL, ...EXPECT[mode] });
    // open() works: no stale USER_NOTIF filter left without its listener.
    expect(report.proc_version).toMatch(/^Linux version 4\.19 /);
    expect(stderr).toMatch(/converted copy .*dropped cr-shim's filter/);
  }, 120_000);
});
