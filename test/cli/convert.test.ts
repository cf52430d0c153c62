/**
 * `cr-shim convert` on real dumps: cr-shim's filter dropped and the program's own kept, then
 * restored by CRIU with only the program's filter in force; capabilities this host cannot grant
 * dropped, turning a restore that crashed CRIU's restorer into one that works; the original
 * byte-identical after every command; refusals as data (test/criu/cases/bad-images.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CriuBinary } from '../../src/criu/binary.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { readThreadCaps } from '../../src/criu/image/thread-caps.js';
import { readManifest } from '../../src/criu/manifest.js';
import { CriuError, runCriu } from '../../src/criu/run-criu.js';
import { BAD_IMAGES, makeBadImage, stderrPattern } from '../criu/helpers/bad-images.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { copyImage, grantCaps, hashDir, killQuietly, startToFile, tempDir, underShim, waitFree, waitGone, type Started } from '../criu/helpers/images.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

const CAP_SYS_RESOURCE = 1n << 24n;
const work = tempDir('convert');
const pids: number[] = [];
let criu: CriuBinary;
let shim: { img: string; program: Started };
let plain: { img: string; program: Started };

async function dumped(argv: string[], name: string, dumpArgs: string[] = []): Promise<{ img: string; program: Started }> {
  const program = await startToFile(argv, path.join(work, `${name}.out`));
  pids.push(program.pid);
  const img = path.join(work, name);
  const r = await runCli(['dump', ...dumpArgs, String(program.pid), img]);
  expect(r.status, describeResult(r)).toBe(0);
  await waitGone(program.pid);
  return { img, program };
}

/** criu restore -d of `img`; resolves once the restored program has printed a new probe line. */
async function restore(img: string, program: Started): Promise<void> {
  const before = program.output().length;
  await waitFree(program.pid);
  await runCriu(criu.path, 'restore', ['-d', '-D', img]);
  pids.push(program.pid);
  const deadline = Date.now() + 15_000;
  while (!/probe\.errname=/.test(program.output().slice(before))) {
    if (Date.now() > deadline) throw new Error(`restored ${program.pid} printed nothing new:\n${program.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  requireShimBuilt();
  criu = await ensureCriu();
  shim = await dumped(underShim('4.19', programPath('own-filter'), '--setsid'), 'shim');
  plain = await dumped([programPath('own-filter'), '--setsid'], 'plain');
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of pids) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('convert', () => {
  it('drops cr-shim\'s filter, keeps the program\'s own, and leaves the original byte-identical', async () => {
    const original = hashDir(shim.img);
    const out = path.join(work, 'shim-converted');
    const r = await runCli(['convert', shim.img, out]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^dropped cr-shim's filter \(1 copy, sha256 [0-9a-f]{12}\); 1 other filters kept$/m);
    expect(r.stdout).toContain(`${shim.img} is unchanged`);
    expect(hashDir(shim.img)).toBe(original);

    const before = readImageFilters(shim.img);
    const m = readManifest(shim.img)!;
    const own = before.filters.find((f) => f.index !== m.shimFilter!.index)!;
    const after = readImageFilters(out);
    expect(after.filters.map((f) => f.insns.toString('hex'))).toEqual([own.insns.toString('hex')]);
    expect(after.tasks).toEqual([{ pid: shim.program.pid, filterIndex: 0, mode: 2 }]);

    const converted = readManifest(out)!;
    expect(converted.shimFilter).toBeUndefined();
    expect(converted.persona).toEqual(m.persona);
    expect(converted.shimRoot).toBeUndefined();
    expect(converted.conversions?.map((c) => c.kind)).toEqual(['drop-shim-filter', 'clear-pdeath-signal']);
    expect(r.stdout).toContain(`cleared the parent-death signal cr-shim's launcher set on PID ${shim.program.pid}`);
    // Nothing is left to convert.
    const again = await runCli(['convert', out, path.join(work, 'shim-converted-twice')]);
    expect(again.stdout).toMatch(/^no conversion needed/);
  });

  // Without clear-pdeath-signal the restored program would get SIGKILL as soon as `criu restore -d` exits.
  it('the converted image restores with the program\'s own filter alone in force, and keeps running', async () => {
    const out = path.join(work, 'shim-converted');
    await restore(out, shim.program);
    const status = fs.readFileSync(`/proc/${shim.program.pid}/status`, 'utf8');
    expect(status).toMatch(/^Seccomp_filters:\s+1$/m);
    expect(shim.program.output().trimEnd().split('\n').pop()).toBe('probe.errname=EPERM');
    killQuietly(shim.program.pid);
    await waitGone(shim.program.pid);
  });

  it('drops CAP_SYS_RESOURCE from an image that holds it: CRIU\'s restore fails before and works after', async () => {
    const forged = path.join(work, 'caps');
    copyImage(plain.img, forged);
    grantCaps(forged, CAP_SYS_RESOURCE);
    const original = hashDir(forged);

    const failed = await runCriu(criu.path, 'restore', ['-d', '-D', forged]).then(() => undefined, (e: unknown) => e);
    expect(failed).toBeInstanceOf(CriuError);
    expect((failed as CriuError).message).toMatch(/Unable to restore capabilities/);
    expect((failed as CriuError).hint).toMatch(/cr-shim convert IMG OUT --drop-caps/);
    expect(hashDir(forged)).toBe(original);
    await waitGone(plain.program.pid);

    const out = path.join(work, 'caps-converted');
    const r = await runCli(['convert', forged, out]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('dropped CAP_SYS_RESOURCE from every task\'s capability sets');
    expect(hashDir(forged)).toBe(original);
    for (const t of readThreadCaps(out)) for (const set of Object.values(t.caps)) expect(set & CAP_SYS_RESOURCE).toBe(0n);

    await restore(out, plain.program);
    const capPrm = /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${plain.program.pid}/status`, 'utf8'))![1]!;
    expect(BigInt(`0x${capPrm}`) & CAP_SYS_RESOURCE).toBe(0n);
    killQuietly(plain.program.pid);
    await waitGone(plain.program.pid);
  });

  it('--drop-caps drops the capabilities named, from every set of every thread', async () => {
    const out = path.join(work, 'dropped');
    const r = await runCli(['convert', '--drop-caps', 'CAP_NET_RAW,sys_ptrace', '--json', plain.img, out]);
    expect(r.status, describeResult(r)).toBe(0);
    const report = JSON.parse(r.stdout) as { conversions: { kind: string; caps?: string[] }[] };
    expect(report.conversions).toEqual([expect.objectContaining({ kind: 'drop-caps', caps: ['CAP_NET_RAW', 'CAP_SYS_PTRACE'] })]);
    const dropped = (1n << 13n) | (1n << 19n);
    const before = readThreadCaps(plain.img);
    for (const [i, t] of readThreadCaps(out).entries()) {
      for (const [set, mask] of Object.entries(t.caps)) expect(mask, set).toBe(before[i]!.caps[set as keyof typeof t.caps] & ~dropped);
    }
  });
});

describe('convert refusals', () => {
  it('an output directory that exists and is not empty', async () => {
    const out = path.join(work, 'taken');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep'), 'x');
    const [src, dst] = [hashDir(plain.img), hashDir(out)];
    const r = await runCli(['convert', plain.img, out]);
    expect(r.status, describeResult(r)).toBe(2);
    expect(r.stderr).toMatch(stderrPattern('convert: {img} exists and is not an empty directory; give a new directory', out));
    expect([hashDir(plain.img), hashDir(out)]).toEqual([src, dst]);
  });

  it.each(BAD_IMAGES)('$fixture: $why', async (row) => {
    const img = path.join(work, `bad-${row.fixture}`);
    makeBadImage(row.fixture, plain.img, img);
    const before = hashDir(img);
    const out = path.join(work, `bad-${row.fixture}-out`);
    const r = await runCli(['convert', img, out]);
    expect(r.status, describeResult(r)).toBe(row.convert.status);
    expect(r.stderr).toMatch(stderrPattern(row.convert.stderr, img));
    expect(hashDir(img)).toBe(before);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.includes('.cr-shim-'))).toEqual([]);
  });
});
