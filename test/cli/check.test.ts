/**
 * `cr-shim check` on real dumps: a plain image, an image of a program under cr-shim, an image
 * without a manifest, another source kernel, a PID in use, a device the host lacks, a
 * capability the host cannot grant; text and --json; refusals as data (bad-images.json).
 * check only reads: every image is byte-identical afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/criu/check.js';
import { bytesField, WireMessage } from '../../src/criu/image/protobuf-wire.js';
import { decodeEntries, readImage, serializeImage } from '../../src/criu/image/image-file.js';
import { BAD_IMAGES, makeBadImage, stderrPattern } from '../criu/helpers/bad-images.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { copyImage, grantCaps, hashDir, killQuietly, startToFile, tempDir, underShim, waitFree } from '../criu/helpers/images.js';
import { readPstree } from '../../src/criu/image/pstree.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { liveVdsoVersion } from '../helpers/live-vdso.js';
import { describeResult } from '../helpers/run-process.js';

const work = tempDir('check');
const pids: number[] = [];
let plainImg: string;
let shimImg: string;

async function dump(argv: string[], name: string, dumpArgs: string[] = []): Promise<{ img: string; pid: number }> {
  const program = await startToFile(argv, path.join(work, `${name}.out`));
  pids.push(program.pid);
  const img = path.join(work, name);
  const r = await runCli(['dump', ...dumpArgs, String(program.pid), img]);
  expect(r.status, describeResult(r)).toBe(0);
  return { img, pid: program.pid };
}

/** Run check, assert the exit status and that the image was only read; returns the parsed --json report. */
async function check(img: string, status: number, extra: string[] = []): Promise<CheckReport> {
  const before = hashDir(img);
  const r = await runCli(['check', '--json', ...extra, img]);
  expect(r.status, describeResult(r)).toBe(status);
  expect(hashDir(img)).toBe(before);
  return JSON.parse(r.stdout) as CheckReport;
}

/** Rename a regular file of the image (files.img), as if the dump had held another path. */
function renameFile(img: string, from: string, to: string): void {
  const file = path.join(img, 'files.img');
  const image = readImage(file, 'files');
  const entries = decodeEntries(image, file).map((fe) => {
    const reg = fe.message(3);
    if (reg?.string(6) !== from) return fe.encode();
    reg.replace(6, [bytesField(6, Buffer.from(to))]);
    fe.setMessage(3, reg);
    return fe.encode();
  });
  fs.writeFileSync(file, serializeImage({ kind: 'files', entries }));
}

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  const plain = await dump([programPath('sleeper')], 'plain');
  const shim = await dump(underShim('4.19', programPath('sleeper')), 'shim', ['--shell-job']);
  [plainImg, shimImg] = [plain.img, shim.img];
  await Promise.all([waitFree(plain.pid), waitFree(shim.pid)]);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const pid of pids) killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/**
 * Damage a restore would stumble on, that check must find first (issue 14: a pages-1.img cut
 * short made the restored task spin while criu never returned). `file` is a pattern for the
 * image file, cut to `keep` bytes (a fraction of its size, or a byte count).
 */
const DAMAGE: { file: RegExp; keep: number | 'half'; damaged: RegExp }[] = [
  { file: /^pages-\d+\.img$/, keep: 8192, damaged: /pages-\d+\.img holds 8192 bytes; pagemap-\d+\.img counts \d+ pages \(\d+ (to \d+ )?bytes\): cut short or overwritten/ },
  { file: /^pages-\d+\.img$/, keep: 4097, damaged: /pages-\d+\.img holds 4097 bytes; .*cut short or overwritten/ },
  { file: /^pagemap-\d+\.img$/, keep: 'half', damaged: /pagemap-\d+\.img: entry \d+ at byte \d+: (\d+ bytes announced|size field cut short)/ },
  { file: /^mm-\d+\.img$/, keep: 'half', damaged: /mm-\d+\.img: entry \d+ at byte \d+: (\d+ bytes announced|size field cut short)/ },
  { file: /^fs-\d+\.img$/, keep: 12, damaged: /fs-\d+\.img: entry 0 at byte 8: (\d+ bytes announced|size field cut short)/ },
  { file: /^timens-0\.img$/, keep: 'half', damaged: /timens-0\.img: entry 0 at byte 8: /},
];

describe('check finds damage that would make a restore fail or hang', () => {
  it.each(DAMAGE.map((d) => [`${d.file.source} cut to ${d.keep}`, d] as const))('%s: cannot be restored', async (name, d) => {
    const img = path.join(work, `damaged-${DAMAGE.indexOf(d)}`);
    copyImage(plainImg, img);
    const victim = fs.readdirSync(img).find((f) => d.file.test(f))!;
    expect(victim, name).toBeDefined();
    const size = fs.statSync(path.join(img, victim)).size;
    fs.truncateSync(path.join(img, victim), d.keep === 'half' ? Math.floor(size / 2) : d.keep);
    const report = await check(img, 1);
    expect(report.restorable).toBe(false);
    expect(report.damaged).toEqual([expect.stringMatching(d.damaged)]);
    const text = await runCli(['check', img]);
    expect(text.stdout).toMatch(/^verdict {5}cannot be restored here: 1 problem above$/m);
  });

  it('the undamaged image: memory and task images add up', async () => {
    expect((await check(plainImg, 0)).damaged).toEqual([]);
  });
});

describe('check', () => {
  it('a plain image dumped here: same kernel, nothing in the way (text)', async () => {
    const r = await runCli(['check', plainImg]);
    expect(r.status, describeResult(r)).toBe(0);
    const lines = r.stdout.split('\n');
    for (const label of ['image', 'source', 'host', 'tasks', 'syscalls', 'files', 'PIDs', 'conversions', 'criu', 'verdict']) {
      expect(lines.some((l) => l.startsWith(label.padEnd(12))), label).toBe(true);
    }
    expect(r.stdout).toContain(`source      ${os.release()} (the kernel it was dumped on)`);
    expect(r.stdout).toMatch(/^tasks {7}1 process, 1 thread: \d+ sleeper$/m);
    expect(r.stdout).toMatch(/^criu {8}\d+\.\d+(\.\d+)? at .*criu check: ok/m);
    expect(r.stdout).toMatch(/^verdict {5}restorable$/m);
  });

  it('a plain image (--json): the report as data', async () => {
    const rep = await check(plainImg, 0);
    expect(rep.source).toEqual({ release: os.release(), mainline: rep.host.mainline, from: 'manifest' });
    expect(rep.persona).toBeUndefined();
    expect(rep.syscalls.emulated).toEqual([]);
    expect(rep.syscalls.unsupported).toEqual([]);
    expect(rep.files).toEqual([]);
    expect(rep.pids).toEqual([]);
    expect(rep.conversions).toEqual([]);
    expect(rep.criu.ok).toBe(true);
    expect(rep.restorable).toBe(true);
  });

  it('an image of a program under cr-shim run --kernel 4.19: its persona, the calls that differ, the conversions', async () => {
    const rep = await check(shimImg, 0);
    expect(rep.source.from).toBe('persona');
    expect(rep.persona).toEqual({ release: '4.19', mainline: '4.19' });
    expect(rep.syscalls.surface).toBe('4.19');
    expect(rep.syscalls.emulated.map((s) => s.name)).toEqual(expect.arrayContaining(['uname', 'lookup_dcookie']));
    expect(rep.syscalls.emulated.find((s) => s.name === 'uname')?.action).toBe('emulated by uname');
    expect(rep.conversions.map((c) => c.kind)).toEqual(['drop-shim-filter', 'clear-pdeath-signal']);
    expect(rep.restorable).toBe(true);
    const text = await runCli(['check', shimImg]);
    expect(text.stdout).toMatch(/^source {6}4\.19 \(the kernel cr-shim presented to the program; dumped on /m);
    expect(text.stdout).toMatch(/^ +covered +uname \(63\): emulated by uname; /m);
    expect(text.stdout).toMatch(/^ +drop-shim-filter: seccomp\.img holds cr-shim's own filter \(persona 4\.19\) once/m);
    expect(text.stdout).toMatch(/^verdict {5}restorable after the conversions above$/m);
  });

  it('without a manifest: the source kernel is read from the vDSO note in the image, and said to be inferred', async () => {
    const img = path.join(work, 'no-manifest');
    copyImage(plainImg, img);
    fs.rmSync(path.join(img, 'cr-shim.json'));
    const live = liveVdsoVersion();
    const rep = await check(img, 0);
    expect(rep.source).toMatchObject({ release: live.release, from: 'image vDSO' });
    expect(rep.warnings[0]).toMatch(new RegExp(`^${img.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no cr-shim\\.json and no --kernel was given: the vDSO of process \\d+ in the image says Linux ${live.release.replaceAll('.', '\\.')} \\(LINUX_VERSION_CODE 0x0*${live.code.toString(16)}\\), .*the note cannot tell the distribution's release suffix`));
    const text = (await runCli(['check', img])).stdout;
    expect(text).toMatch(/^image {7}.* \(no cr-shim\.json: a plain CRIU image\)$/m);
    expect(text).toContain(`source      ${live.release} (inferred from the LINUX_VERSION_CODE in the image's vDSO; the distribution's release suffix is unknown)\n`);
    // --kernel still wins.
    expect((await check(img, 0, ['--kernel', '4.19'])).source).toEqual({ release: '4.19', mainline: '4.19', from: '--kernel' });
  });

  it('without a manifest and without a readable vDSO: the host kernel, assumed, with the reason', async () => {
    const img = path.join(work, 'no-manifest-no-mm');
    copyImage(plainImg, img);
    fs.rmSync(path.join(img, 'cr-shim.json'));
    for (const f of fs.readdirSync(img).filter((n) => n.startsWith('mm-'))) fs.rmSync(path.join(img, f));
    const rep = await check(img, 0);
    expect(rep.source).toMatchObject({ release: os.release(), from: 'assumed host' });
    expect(rep.warnings[0]).toBe('unknown source kernel (no cr-shim.json, no --kernel, no version note in the image\'s vDSO): assuming this host\'s kernel');
  });

  it('--kernel 2.6.32 names the calls that old kernel had and this host lacks or changed', async () => {
    const rep = await check(plainImg, 0, ['--kernel', '2.6.32']);
    expect(rep.source).toEqual({ release: '2.6.32', mainline: '2.6.32', from: '--kernel' });
    expect(rep.syscalls.emulated.map((s) => s.name)).toEqual(expect.arrayContaining(['uname', '_sysctl']));
  });

  it('a tree with a zombie: CRIU dumps it as a dead task, check reads it', async () => {
    // The shell forks `true` and execs the sleeper, which never reaps it.
    const { img } = await dump(['/bin/sh', '-c', `true & exec ${programPath('sleeper')}`], 'zombie');
    // The dump killed the sleeper; its zombie child goes to init, which reaps it in its own time.
    for (const t of readPstree(img)) await waitFree(t.pid);
    const rep = await check(img, 0);
    expect(rep.tasks).toHaveLength(2);
    expect(rep.tasks[1]).toMatchObject({ ppid: rep.tasks[0]!.pid, threads: [], zombie: true });
    expect((await runCli(['check', img])).stdout).toMatch(/^tasks {7}2 processes, 1 thread: \d+ sleeper, \d+ (sh|true) \(zombie\)$/m);
  });

  it('a PID in use (the process left running): cannot be restored now, exit 1', async () => {
    const { img, pid } = await dump([programPath('sleeper')], 'running', ['--leave-running']);
    const rep = await check(img, 1);
    expect(rep.pids).toEqual([{ pid, problem: `PID ${pid} is in use here by sleeper`, fix: expect.stringMatching(/stop that process/) }]);
    expect(rep.restorable).toBe(false);
    // The running sleeper also keeps writing to its output file, which CRIU would find changed.
    const text = (await runCli(['check', img])).stdout;
    expect(text).toMatch(new RegExp(`^PIDs {8}PID ${pid} is in use here by sleeper; `, 'm'));
    expect(text).toMatch(/^verdict {5}cannot be restored here: \d problems? above$/m);
    killQuietly(pid);
  });

  it('a device file the host lacks cannot move, exit 1', async () => {
    const img = path.join(work, 'device');
    copyImage(plainImg, img);
    renameFile(img, '/dev/null', '/dev/cr-shim-no-such-device');
    const rep = await check(img, 1);
    expect(rep.files).toEqual([
      expect.objectContaining({ path: '/dev/cr-shim-no-such-device', problem: expect.stringMatching(/^character device \/dev\/cr-shim-no-such-device does not exist on this host: the hardware or driver behind it is not here$/), heldBy: expect.stringMatching(/^fd 0 of pid \d+$/) }),
    ]);
    expect((await runCli(['check', img])).stdout).toMatch(/^cannot move 1 file:$/m);
  });

  it('a capability this host cannot grant: the drop-caps conversion, still restorable', async () => {
    const img = path.join(work, 'caps');
    copyImage(plainImg, img);
    grantCaps(img, 1n << 24n);
    const rep = await check(img, 0);
    expect(rep.conversions).toEqual([expect.objectContaining({ kind: 'drop-caps', caps: ['CAP_SYS_RESOURCE'] })]);
    expect(rep.conversions[0]!.why).toMatch(/^thread \d+ holds CAP_SYS_RESOURCE \(permitted, effective, bounding\): not in this host's bounding set/);
  });
});

describe('check refusals', () => {
  it('criu missing: one line, exit 125', async () => {
    const before = hashDir(plainImg);
    const r = await runCli(['check', '--criu', '/nonexistent/criu', plainImg]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^cr-shim: locate criu: criu \/nonexistent\/criu \(from --criu\) is missing or not executable: run scripts\/setup-criu\.sh or pass --criu PATH\n$/);
    expect(hashDir(plainImg)).toBe(before);
  });

  it.each(BAD_IMAGES)('$fixture: $why', async (row) => {
    const img = path.join(work, `bad-${row.fixture}`);
    makeBadImage(row.fixture, plainImg, img);
    const before = hashDir(img);
    const r = await runCli(['check', img]);
    expect(r.status, describeResult(r)).toBe(row.check.status);
    expect(r.stderr).toMatch(stderrPattern(row.check.stderr, img));
    expect(r.stdout).toBe('');
    expect(hashDir(img)).toBe(before);
  });
});
