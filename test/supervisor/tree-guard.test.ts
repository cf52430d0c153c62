/**
 * Never unsupervised (src/supervisor/tree-guard.ts): SIGKILL to cr-shim under run, restore and
 * attach, and every task of the tree it supervised is gone within a second, the daemonized one
 * included; the guard's cgroup goes with it. Real processes, real CRIU. And the mountinfo
 * parsing that finds the cgroup2 hierarchy, as data.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/criu/manifest.js';
import { cgroupOf } from '../../src/criu/supervised-record.js';
import { cgroup2Mount, cgroup2Root } from '../../src/supervisor/tree-guard.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { killQuietly, tempDir, waitFree } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { readProgress, waitProgress } from '../inject/subject.js';
import { alive } from '../inject/shim-subject.js';
import { waitFor } from '../helpers/wait-for.js';

/** What the issue asks: every task dead within a second of cr-shim's SIGKILL. */
const DEATH_BOUND_MS = 1000;

const mountinfoRows: { why: string; mountinfo: string; expect: string | undefined }[] = [
  {
    why: 'v1 hybrid: the unified hierarchy beside the v1 controllers',
    mountinfo:
      '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n',
    expect: '/sys/fs/cgroup/unified',
  },
  { why: 'pure v2', mountinfo: '30 22 0:27 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n', expect: '/sys/fs/cgroup' },
  { why: 'a bind of a sub-cgroup is not the root', mountinfo: '50 22 0:27 /sub /mnt/cg rw - cgroup2 cgroup2 rw\n', expect: undefined },
  { why: 'an escaped mount point', mountinfo: '50 22 0:27 / /mnt/my\\040cg rw - cgroup2 none rw\n', expect: '/mnt/my cg' },
  { why: 'none mounted', mountinfo: '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n', expect: undefined },
];

describe('cgroup2Mount', () => {
  it.each(mountinfoRows)('$why', (row) => {
    expect(cgroup2Mount(row.mountinfo)).toBe(row.expect);
  });
});

const work = tempDir('guard');
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Poll until every pid is gone (zombies count as gone); the ones still alive at the deadline. */
async function aliveAfter(pids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readDaemonPid(state: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(`${state}.daemon`, 'utf8').trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** For a failure message: each pid's state and wait channel, and cr-shim's children. */
function describeTasks(pids: readonly number[]): string {
  const line = (p: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return `${p} ${stat.slice(stat.indexOf('(') , stat.lastIndexOf(')') + 3)} wchan=${fs.readFileSync(`/proc/${p}/wchan`, 'utf8')}`;
    } catch {
      return `${p} gone`;
    }
  };
  const kids = pids.flatMap((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return [...pids, ...kids].map(line).join('\n');
}

function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** The guard cgroup's directory as the daemon sees it, checked to be cr-shim's. */
function guardCgroup(pid: number): string {
  const cg = cgroupOf(pid);
  expect(cg).toMatch(/\/cr-shim\.\d+\.\d+$/);
  return cg!;
}

/** A fresh state file; `cr-subject daemon` under `cr-shim run`, its daemon ticking under the persona. */
async function daemonUnderRun(kernel: string, name: string) {
  const state = path.join(fs.mkdtempSync(path.join(work, `${name}-`)), 'state');
  const shim = spawn(process.execPath, [CLI_PATH, 'run', '--quiet', '--dumpable', '--kernel', kernel, '--', programPath('cr-subject'), 'daemon', state], { stdio: 'ignore', detached: true });
  started.push(shim.pid!);
  const daemon = await waitFor('the daemon pid file', () => readDaemonPid(state));
  started.push(daemon);
  await waitProgress(state, (p) => p.release === kernel && p.counter >= 2, 20_000);
  return { shim, daemon, state };
}

async function expectAllDeadAfterKill(shimPid: number, tasks: number[], cgroup: string) {
  process.kill(shimPid, 'SIGKILL');
  expect(await aliveAfter(tasks, DEATH_BOUND_MS)).toEqual([]);
  // The guard removes its cgroup once it is empty.
  await waitFor('the guard cgroup removed', () => (fs.existsSync(path.join(cgroup2Root(), cgroup)) ? undefined : true), 10_000);
}

describe('SIGKILL of cr-shim while it supervises', () => {
  it('run: the daemonized descendant and its threads die with it, and never see ENOSYS meanwhile', async () => {
    const { shim, daemon, state } = await daemonUnderRun('4.19', 'run');
    const cgroup = guardCgroup(daemon);
    const tasks = [daemon, ...threadsOf(daemon)];
    expect(tasks.length).toBe(6);
    await expectAllDeadAfterKill(shim.pid!, tasks, cgroup);
    // Its last tick still saw the persona: the guard held the listener, so no call failed with ENOSYS.
    expect(readProgress(state)!.release).toBe('4.19');
  }, 60_000);

  it('restore (of a daemon dumped by a thread\'s id): the restored daemon dies with it', async () => {
    const { shim, daemon, state } = await daemonUnderRun('4.19', 'restore');
    const img = path.join(path.dirname(state), 'img');
    const tids = threadsOf(daemon);
    const dumpedIn = guardCgroup(daemon);
    // Dumped by one of its threads' ids: its process is what CRIU dumps, under its persona.
    const thread = tids.find((t) => t !== daemon)!;
    const dump = await runCli(['dump', String(thread), img], { timeoutMs: 60_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    expect(dump.stderr).toContain(`${thread} is a thread of process ${daemon}: dumping that process and its descendants`);
    expect(readManifest(img), describeResult(dump)).toMatchObject({ persona: { release: '4.19' }, dump: { pid: daemon } });
    await waitFor('cr-shim run to end', () => (shim.exitCode !== null ? true : undefined));
    const atDump = readProgress(state)!.counter;
    // CRIU restores every task into its old PID: none may be taken meanwhile.
    for (const t of tids) await waitFree(t);
    const restore = startCli(['restore', img], { timeoutMs: 60_000 });
    started.push(restore.pid);
    await waitProgress(state, (p) => p.counter > atDump, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\ncr-shim restore said: ${restore.stderr()}\n${describeTasks([restore.pid, daemon])}`);
    });
    const cgroup = guardCgroup(daemon);
    expect(cgroup).toContain(`/cr-shim.${restore.pid}.`);
    // CRIU put the tree back into the cgroup of the cr-shim run it was dumped under; left behind empty, it is removed.
    expect(fs.existsSync(path.join(cgroup2Root(), dumpedIn))).toBe(false);
    await expectAllDeadAfterKill(restore.pid, [daemon, ...threadsOf(daemon)], cgroup);
    const r = await restore.result;
    expect(r.signal).toBe('SIGKILL');
  }, 90_000);

  it('attach: the attached daemon dies with it', async () => {
    const state = path.join(fs.mkdtempSync(path.join(work, 'attach-')), 'state');
    spawn(programPath('cr-subject'), ['daemon', state], { stdio: 'ignore' });
    const daemon = await waitFor('the daemon pid file', () => readDaemonPid(state));
    started.push(daemon);
    const attach = startCli(['attach', '--quiet', '--kernel', '3.10.0', String(daemon)], { timeoutMs: 60_000 });
    started.push(attach.pid);
    await waitProgress(state, (p) => p.release === '3.10.0', 30_000);
    const cgroup = guardCgroup(daemon);
    await expectAllDeadAfterKill(attach.pid, [daemon, ...threadsOf(daemon)], cgroup);
  }, 60_000);

  it('a normal end releases the guard: nothing killed, the cgroup removed', async () => {
    const { shim, daemon, state } = await daemonUnderRun('4.19', 'normal');
    const cgroup = guardCgroup(daemon);
    fs.writeFileSync(`${state}.go`, '');
    const code = await new Promise<number | null>((resolve) => (shim.exitCode !== null ? resolve(shim.exitCode) : shim.once('exit', (c) => resolve(c))));
    // The launched process exited 0 when it daemonized; cr-shim waited for the daemon's report.
    expect(code).toBe(0);
    expect(fs.readFileSync(state, 'utf8')).toMatch(/^release=4\.19$/m);
    expect(fs.existsSync(path.join(cgroup2Root(), cgroup))).toBe(false);
  }, 60_000);
});
