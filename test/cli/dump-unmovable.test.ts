/**
 * `cr-shim dump` of trees holding state that cannot move, on real processes with real CRIU:
 * a child with a perf event fd and a child with a device node open. The default dump refuses
 * before anything is frozen and leaves the tree running untouched; --dry-run lists the same;
 * --terminate-unmovable ends the two holders, dumps the rest, and `cr-shim restore` brings
 * the rest back under its persona, printing what was left behind. An established TCP
 * connection without --tcp-established is reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImageDir } from '../../src/criu/image-dir.js';
import { readManifest } from '../../src/criu/manifest.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { killQuietly, startToFile, tempDir, underShim, waitFree, waitGone, type Started } from '../criu/helpers/images.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { pickDevice } from '../criu/helpers/device-node.js';

const DEVICE = pickDevice();
const KERNEL = '4.19';
const work = tempDir('unmovable');
const started: number[] = [];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of started) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

interface Tree extends Started {
  children: Record<string, number>;
}

async function startHolders(name: string, kinds: string[], kernel?: string): Promise<Tree> {
  const argv = kernel ? underShim(kernel, programPath('holders'), ...kinds) : [programPath('holders'), ...kinds];
  const s = await startToFile(argv, path.join(work, `${name}.out`));
  started.push(s.pid);
  const out = parseOutput(s.output().slice(0, s.output().indexOf('ready=1')), { partial: true });
  const children: Record<string, number> = {};
  kinds.forEach((k, i) => {
    children[k] = Number(out.get(`child.${i}.pid`));
    started.push(children[k]);
  });
  return { ...s, children };
}

/** The last counter= the program printed. */
function counter(t: Started): number {
  const all = [...t.output().matchAll(/^counter=(\d+)$/gm)];
  return Number(all.at(-1)?.[1] ?? -1);
}

/** Wait (bounded) until the program prints a counter above `above`: it is running, not frozen. */
async function counts(t: Started, above: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (counter(t) <= above) {
    if (Date.now() > deadline) throw new Error(`counter still ${counter(t)} (not above ${above}) after ${timeoutMs} ms:\n${t.output().slice(-400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return counter(t);
}

/** The release= printed with the first counter above `above`, waiting (bounded) until there is one. */
async function releaseAfter(t: Started, above: number, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const m of t.output().matchAll(/^counter=(\d+)\nrelease=(.*)\n/gm)) if (Number(m[1]) > above) return m[2]!;
    if (Date.now() > deadline) throw new Error(`no counter above ${above} with its release after ${timeoutMs} ms:\n${t.output().slice(-400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function state(pid: number): string {
  return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

function fdLinks(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} ${fs.readlinkSync(`/proc/${pid}/fd/${fd}`)}`).sort();
}

describe(`a tree with a perf event child and a child holding ${DEVICE}`, () => {
  it('the default dump refuses before freezing, per task and with the choices, and leaves the tree running untouched', async () => {
    const t = await startHolders('refused', ['perf', `dev:${DEVICE}`, 'plain']);
    const pids = [t.pid, ...Object.values(t.children)];
    const fdsBefore = pids.map(fdLinks);
    const img = path.join(work, 'refused-img');

    const r = await runCli(['dump', String(t.pid), img], { timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(1);
    const perf = t.children.perf!;
    const dev = t.children[`dev:${DEVICE}`]!;
    expect(r.stderr).toContain(`PID ${perf} (holders), child of ${t.pid} (holders):\n  fd 3: anon_inode:[perf_event]: a perf event`);
    expect(r.stderr).toContain(`PID ${dev} (holders), child of ${t.pid} (holders):\n  fd 3: ${DEVICE} (char `);
    expect(r.stderr).toMatch(new RegExp(`^choices:\\n  --terminate-unmovable   end ${perf}, ${dev} \\(SIGTERM`, 'm'));
    expect(r.stderr).toMatch(/\ncr-shim: dump: 2 processes of the 4 processes under PID \d+ hold state that cannot move \(2 items\); nothing was frozen; pick one of the choices above\n$/);
    expect(r.stderr).not.toContain(`PID ${t.children.plain}`);
    expect(fs.existsSync(img)).toBe(false);

    // Not frozen, nothing signalled: every task is there and not stopped, the fds are as they were, and it keeps counting.
    const after = counter(t);
    await counts(t, after);
    for (const pid of pids) expect(state(pid), `task ${pid}`).toMatch(/^[RS]$/);
    expect(pids.map(fdLinks)).toEqual(fdsBefore);
  }, 90_000);

  it('--dry-run lists the same and dumps nothing; --json gives the findings', async () => {
    const t = await startHolders('dry', ['perf', `dev:${DEVICE}`, 'plain']);
    const text = await runCli(['dump', '--dry-run', String(t.pid)]);
    expect(text.status, describeResult(text)).toBe(1);
    expect(text.stdout).toMatch(/^PID \d+: 4 processes, 4 threads\n2 processes of the 4 processes under PID \d+ hold state that cannot move \(2 items\):\n/);
    const json = await runCli(['dump', '--dry-run', '--json', String(t.pid)]);
    expect(json.status, describeResult(json)).toBe(1);
    const report = JSON.parse(json.stdout) as { findings: { pid: number; kind: string }[] };
    expect(report.findings.map((f) => [f.pid, f.kind])).toEqual([
      [t.children.perf, 'anon-inode'],
      [t.children[`dev:${DEVICE}`], 'device'],
    ]);
    const plain = await runCli(['dump', '--dry-run', String(t.children.plain)]);
    expect(plain.status, describeResult(plain)).toBe(0);
    expect(plain.stdout).toContain('nothing found that cannot move');
  }, 60_000);

  it(`--terminate-unmovable says what it does, ends the holders, dumps the rest; restore brings it back under persona ${KERNEL} and says what was left behind`, async () => {
    const t = await startHolders('terminate', ['perf', `dev:${DEVICE}`, 'plain'], KERNEL);
    const perf = t.children.perf!;
    const dev = t.children[`dev:${DEVICE}`]!;
    const plain = t.children.plain!;
    const img = path.join(work, 'terminate-img');
    const r = await runCli(['dump', '--terminate-unmovable', '--grace', '3', String(t.pid), img], { timeoutMs: 90_000 });
    expect(r.status, describeResult(r)).toBe(0);
    const said = r.stderr.split('\n');
    const at = said.indexOf('cr-shim: --terminate-unmovable:');
    expect(at, r.stderr).toBeGreaterThan(0);
    expect(said[at + 1]).toBe(`cr-shim:   SIGTERM to ${perf} (holders), ${dev} (holders); SIGKILL to whichever is still there after 3 s.`);
    expect(said[at + 2]).toBe(`cr-shim:   ${t.pid} (holders), parent of ${perf}, ${dev}, gets SIGCHLD; each child stays a zombie until it is reaped, and is dumped as one.`);
    expect(r.stdout).toContain(`left behind: PID ${perf} (holders), ended by SIGTERM\nleft behind: PID ${dev} (holders), ended by SIGTERM\n`);

    const m = readManifest(img)!;
    expect(m.persona?.release).toBe(KERNEL);
    expect(m.leftBehind?.leftTree).toEqual([]);
    expect(m.leftBehind?.terminated.map((x) => [x.pid, x.signal, x.findings.map((f) => f.kind)])).toEqual([
      [perf, 'SIGTERM', ['anon-inode']],
      [dev, 'SIGTERM', ['device']],
    ]);
    const image = openImageDir(img);
    expect(image.pstree.map((p) => p.pid).sort((a, b) => a - b)).toEqual([t.pid, perf, dev, plain].sort((a, b) => a - b));
    expect(image.zombies.sort((a, b) => a - b)).toEqual([perf, dev].sort((a, b) => a - b));

    // cr-shim check reads the same record before any restore.
    const check = await runCli(['check', img], { timeoutMs: 60_000 });
    expect(check.stdout, describeResult(check)).toContain(`left behind at dump (--terminate-unmovable): PID ${perf} (holders), ended by SIGTERM, held fd 3: anon_inode:[perf_event]`);

    await waitGone(t.pid);
    for (const pid of [t.pid, perf, dev, plain]) await waitFree(pid);
    const atDump = counter(t);
    const restore = startCli(['restore', img], { timeoutMs: 90_000 });
    try {
      // On from where it was (not restarted), under its persona again.
      expect(await releaseAfter(t, atDump)).toBe(KERNEL);
      expect(state(plain)).toMatch(/^[RS]$/);
      expect(fs.readFileSync(`/proc/${plain}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]).toBe(String(t.pid));
    } finally {
      restore.kill('SIGTERM');
    }
    const done = await restore.result;
    expect(done.stderr).toContain(`cr-shim: left behind at dump (--terminate-unmovable): PID ${perf} (holders), ended by SIGTERM, held fd 3: anon_inode:[perf_event]\n`);
    expect(done.stderr).toContain(`cr-shim: left behind at dump (--terminate-unmovable): PID ${dev} (holders), ended by SIGTERM, held fd 3: ${DEVICE} (char `);
  }, 180_000);
});

describe('a holder that ignores SIGTERM, with --leave-running', () => {
  it('gets SIGKILL after the grace period; the rest is dumped and keeps running', async () => {
    const t = await startHolders('stubborn', ['perf+noterm', 'plain']);
    const perf = t.children['perf+noterm']!;
    const plain = t.children.plain!;
    const img = path.join(work, 'stubborn-img');
    const r = await runCli(['dump', '--terminate-unmovable', '--grace', '1', '--leave-running', String(t.pid), img], { timeoutMs: 90_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stderr).toContain(`cr-shim:   SIGTERM to ${perf} (holders); SIGKILL to whichever is still there after 1 s.\n`);
    expect(r.stdout).toContain(`left behind: PID ${perf} (holders), ended by SIGKILL\n`);
    expect(readManifest(img)!.leftBehind?.terminated).toEqual([
      { pid: perf, comm: 'holders', signal: 'SIGKILL', findings: [{ kind: 'anon-inode', what: 'fd 3: anon_inode:[perf_event]', why: expect.stringContaining('perf event') as string }] },
    ]);
    // --leave-running kept for the rest: the root counts on and the movable child is still there.
    await counts(t, counter(t));
    expect(state(t.pid)).toMatch(/^[RS]$/);
    expect(state(plain)).toMatch(/^[RS]$/);
    expect(state(perf)).toBe('Z');
  }, 90_000);
});

describe('an established TCP connection', () => {
  it('is reported without --tcp-established (and the dump refuses); with it, it is not', async () => {
    const t = await startHolders('tcp', ['tcp']);
    const child = t.children.tcp!;
    const dry = await runCli(['dump', '--dry-run', String(t.pid)]);
    expect(dry.status, describeResult(dry)).toBe(1);
    expect(dry.stdout).toMatch(new RegExp(`PID ${child} \\(holders\\), child of ${t.pid} \\(holders\\):\\n  fd \\d+: socket:\\[\\d+\\] \\(TCP ESTABLISHED 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+\\): a connected TCP socket`));
    expect(dry.stdout).toMatch(new RegExp(`^  --tcp-established +let CRIU take it along \\(held by ${child}\\)$`, 'm'));

    const img = path.join(work, 'tcp-img');
    const r = await runCli(['dump', String(t.pid), img], { timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('TCP ESTABLISHED');
    expect(fs.existsSync(img)).toBe(false);

    const flagged = await runCli(['dump', '--dry-run', '--tcp-established', String(t.pid)]);
    expect(flagged.status, describeResult(flagged)).toBe(0);
    expect(flagged.stdout).toContain('(criu --tcp-established)\nnothing found that cannot move');
  }, 90_000);
});
