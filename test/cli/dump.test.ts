/**
 * `cr-shim dump` with real CRIU and real processes: a plain process, a process under
 * `cr-shim run --kernel 4.19` (persona and cr-shim's filter recorded), --leave-running and
 * options passed through, and refusals as data (test/criu/cases/dump-refusals.json), each one
 * line, a non-zero exit and nothing left on disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CriuBinary } from '../../src/criu/binary.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { readManifest } from '../../src/criu/manifest.js';
import { findSupervision } from '../../src/criu/supervised-record.js';
import { prepareSession } from '../../src/supervisor/session.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { hashDir, killQuietly, startToFile, tempDir, underShim, waitGone } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

interface Refusal {
  why: string;
  args: string[];
  prepare?: 'non-empty' | 'file' | 'other-owner' | 'others-write' | 'others-write-no-sticky' | 'other-owner-holds-mine';
  status: number;
  stderr: string;
  after: 'absent' | 'unchanged';
}
const refusals = (JSON.parse(fs.readFileSync(new URL('../criu/cases/dump-refusals.json', import.meta.url), 'utf8')) as { rows: Refusal[] }).rows;

const work = tempDir('dump');
const started: number[] = [];
let criu: CriuBinary;

beforeAll(async () => {
  requireShimBuilt();
  criu = await ensureCriu();
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The distinct permission bits of the directories and of the files under `dir` (itself included). */
function modes(dir: string): { dirs: number[]; files: number[] } {
  const dirs = new Set<number>();
  const files = new Set<number>();
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      dirs.add(st.mode & 0o7777);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else if (st.isFile()) files.add(st.mode & 0o7777);
  };
  walk(dir);
  return { dirs: [...dirs].sort(), files: [...files].sort() };
}

async function start(argv: string[], name: string) {
  const s = await startToFile(argv, path.join(work, `${name}.out`));
  started.push(s.pid);
  return s;
}

describe('dump', () => {
  it('a plain process: CRIU\'s images and a valid manifest without persona; the process is gone', async () => {
    const s = await start([programPath('sleeper')], 'plain');
    const img = path.join(work, 'plain');
    const r = await runCli(['dump', String(s.pid), img]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toContain(`dumped PID ${s.pid} (1 process, 1 thread) into ${img}`);
    for (const f of ['inventory.img', 'pstree.img', `core-${s.pid}.img`, 'seccomp.img', 'cr-shim.json']) expect(fs.existsSync(path.join(img, f)), f).toBe(true);
    const m = readManifest(img)!;
    expect(m).toMatchObject({ schema: 1, arch: 'x86_64', kernel: { release: os.release(), version: os.version() }, criu: { version: criu.version }, dump: { pid: s.pid, criuArgs: [] } });
    expect(m.persona).toBeUndefined();
    expect(m.shimFilter).toBeUndefined();
    expect(Date.now() - Date.parse(m.time)).toBeLessThan(120_000);
    // The image holds the process's memory: private to root unless --share.
    expect(modes(img)).toEqual({ dirs: [0o700], files: [0o600] });
    await waitGone(s.pid);
  });

  it('a process under cr-shim run --kernel 4.19: persona and cr-shim\'s filter, byte for byte the filter cr-shim builds', async () => {
    const s = await start(underShim('4.19', programPath('sleeper')), 'shim');
    expect(findSupervision(s.pid)?.persona).toEqual({ release: '4.19', mainline: '4.19' });
    const img = path.join(work, 'shim');
    const r = await runCli(['dump', '--shell-job', String(s.pid), img]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/persona 4\.19 \(cr-shim run\); cr-shim's filter is seccomp\.img filter 0/);
    const m = readManifest(img)!;
    expect(m.persona).toEqual({ release: '4.19', mainline: '4.19' });
    expect(m.dump?.criuArgs).toEqual(['--shell-job']);
    expect(m.shimRoot).toEqual({ pid: s.pid });
    const { filters, tasks } = readImageFilters(img);
    const ours = filters[m.shimFilter!.index]!;
    expect(ours.insns.equals(prepareSession('4.19', { checkHost: false }).filter)).toBe(true);
    expect(tasks).toEqual([{ pid: s.pid, filterIndex: m.shimFilter!.index, mode: 2 }]);
    await waitGone(s.pid);
    // cr-shim run saw its program killed by the dump and removed its record on the way out.
    await vi.waitFor(() => expect(findSupervision(s.pid)).toBeUndefined(), { timeout: 10_000, interval: 50 });
  });

  it('--leave-running leaves the tree running; options after -- reach criu verbatim', async () => {
    const s = await start([programPath('sleeper')], 'leave');
    const img = path.join(work, 'leave');
    const r = await runCli(['dump', '--leave-running', '--share', String(s.pid), img, '--', '--file-locks']);
    expect(r.status, describeResult(r)).toBe(0);
    expect(modes(img)).toEqual({ dirs: [0o755], files: [0o644] });
    expect(readManifest(img)!.dump?.criuArgs).toEqual(['--leave-running', '--file-locks']);
    // Still running: it goes on writing (the sleeper prints a counter line once a second).
    const before = s.output().length;
    await vi.waitFor(() => expect(s.output().length).toBeGreaterThan(before), { timeout: 10_000, interval: 50 });
    expect(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8')).not.toMatch(/^State:\s+[ZX]/m);
  });

  it('--pre-dump: iterations where the kernel tracks memory, a clear refusal where it does not', async () => {
    const s = await start([programPath('sleeper')], 'pre');
    const img = path.join(work, 'pre');
    const tracks = await import('../../src/criu/run-criu.js').then((m) => m.runCriu(criu.path, 'check', ['--feature', 'mem_dirty_track']).then(() => true, () => false));
    const r = await runCli(['dump', '--pre-dump', '1', String(s.pid), img]);
    if (tracks) {
      expect(r.status, describeResult(r)).toBe(0);
      expect(fs.readlinkSync(path.join(img, 'parent'))).toBe('pre-1');
      expect(readManifest(img)!.dump?.preDumps).toBe(1);
    } else {
      expect(r.status, describeResult(r)).toBe(125);
      expect(r.stderr).toMatch(/^cr-shim: dump --pre-dump: this kernel cannot track memory changes .*; dump without --pre-dump\n$/);
      expect(fs.existsSync(img)).toBe(false);
      expect(fs.existsSync(`/proc/${s.pid}`)).toBe(true);
    }
  });
});

describe('dump without root', () => {
  it('criu refuses without CAP_SYS_ADMIN: one line with the fix, nothing created, the process untouched', async () => {
    const s = await start([programPath('sleeper')], 'unprivileged');
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-open-'));
    fs.chmodSync(open, 0o1777);
    // Root's record directory holds a record left by a supervisor killed with SIGKILL: the
    // unprivileged lookup cannot remove it, and must neither fail on it nor trust it.
    const records = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-records-'));
    fs.chmodSync(records, 0o755);
    const stale = path.join(records, 'tree-999998.json');
    fs.writeFileSync(stale, JSON.stringify({ pid: s.pid, startTime: '1', supervisor: 999998, supervisorStartTime: '1', persona: { release: '4.19', mainline: '4.19' }, filterSha256: '0'.repeat(64) }));
    try {
      const img = path.join(open, 'img');
      const r = await runProcess('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI_PATH, 'dump', String(s.pid), img], {
        env: { ...process.env, CR_SHIM_RUN_DIR: records },
      });
      expect(r.status, describeResult(r)).toBe(125);
      expect(r.stderr).toMatch(/^cr-shim: criu dump: criu dump failed \(exit 1\): CRIU needs to have the CAP_SYS_ADMIN .*; criu needs root .*: run cr-shim as root\n$/);
      expect(fs.existsSync(stale)).toBe(true);
      expect(fs.existsSync(img)).toBe(false);
      expect(fs.existsSync(`/proc/${s.pid}`)).toBe(true);
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
      fs.rmSync(records, { recursive: true, force: true });
    }
  });
});

describe('dump refusals', () => {
  let live: number;
  let dead: number;
  beforeAll(async () => {
    live = (await start(underShim('4.19', programPath('sleeper')), 'refusals')).pid;
    const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    dead = max - 1;
    while (fs.existsSync(`/proc/${dead}`)) dead--;
  });

  it.each(refusals)('$why', async (row) => {
    const img = path.join(work, `refused-${refusals.indexOf(row)}`);
    if (row.prepare === 'non-empty') {
      fs.mkdirSync(img);
      fs.writeFileSync(path.join(img, 'notes.txt'), 'keep me\n');
    } else if (row.prepare === 'file') {
      fs.writeFileSync(img, 'a file\n');
    } else if (row.prepare === 'other-owner') {
      fs.mkdirSync(img, { mode: 0o755 });
      fs.chownSync(img, 65534, 65534);
    } else if (row.prepare === 'others-write') {
      fs.mkdirSync(img);
      fs.chmodSync(img, 0o1777);
    } else if (row.prepare === 'others-write-no-sticky') {
      fs.mkdirSync(img);
      fs.chmodSync(img, 0o777);
    } else if (row.prepare === 'other-owner-holds-mine') {
      fs.mkdirSync(path.join(img, 'mine'), { recursive: true, mode: 0o700 });
      fs.chmodSync(img, 0o755);
      fs.chownSync(img, 65534, 65534);
    }
    const before = hashDir(img);
    const fill = (s: string) => s.replaceAll('{pid}', String(live)).replaceAll('{dead}', String(dead)).replaceAll('{img}', img);
    const r = await runCli(row.args.map(fill));
    expect(r.status, describeResult(r)).toBe(row.status);
    expect(r.stderr).toMatch(new RegExp(`^cr-shim: ${fill(row.stderr)}.*\\n$`));
    if (row.after === 'absent') expect(fs.existsSync(img)).toBe(false);
    else expect(hashDir(img)).toBe(before);
    expect(fs.existsSync(`/proc/${live}`), 'a refused dump leaves the process running').toBe(true);
  });
});
