/**
 * `cr-shim bpf disasm|asm|emu|dump` as users run it: round trips through
 * files and stdin, verdicts, refusals as data (cases/bpf-errors.json), and the
 * filter of a process running under cr-shim read back with ptrace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asm } from '../../src/bpf/asm.js';
import { encode } from '../../src/bpf/encode.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli, startCli } from '../helpers/run-cli.js';
import { describeResult, type RunningProcess } from '../helpers/run-process.js';

beforeAll(() => requireShimBuilt());

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bpf-cli-'));
const file = (name: string): string => path.join(dir, name);

const TEXT = ['A = arch', 'if (A != ARCH_X86_64) goto 0006', 'A = sys_number', 'if (A == getppid) goto 0007', 'if (A >= 0x40000000) goto 0006', 'return ALLOW', 'return KILL_PROCESS', 'return ERRNO(1)'].join('\n');
const BYTES = encode(asm(TEXT, { syscallNumber: (arch, name) => new TableRegistry().byName(arch, '6.18', name)?.nr }));

beforeAll(() => {
  const ret = encode(asm('return ALLOW'));
  fs.writeFileSync(file('text.bpf'), `${TEXT}\n`);
  fs.writeFileSync(file('bytes.bin'), BYTES);
  fs.writeFileSync(file('truncated.bin'), BYTES.subarray(0, 13));
  fs.writeFileSync(file('invalid.bin'), Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0]), ret]));
  fs.writeFileSync(file('long.bin'), Buffer.concat(Array.from({ length: 4097 }, () => ret)));
  fs.writeFileSync(file('bad.bpf'), 'A = sys_number\nA = = 3\nreturn ALLOW\n');
  fs.writeFileSync(file('invalid.bpf'), 'A = sys_number\n0xff 0x00 0x00 0x00000000\nreturn ALLOW\n');
  fs.mkdirSync(file('empty'));
});

/** Run the CLI with binary stdin (runCli takes text). */
function runWithStdin(args: string[], input: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { input, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('disasm and asm round trips', () => {
  it('asm FILE -o OUT, then disasm OUT, then asm of that text: the same bytes', async () => {
    const a = await runCli(['bpf', 'asm', file('text.bpf'), '-o', file('a.bin')]);
    expect(a.status, describeResult(a)).toBe(0);
    expect(fs.readFileSync(file('a.bin'))).toEqual(BYTES);
    const d = await runCli(['bpf', 'disasm', file('a.bin')]);
    expect(d.status, describeResult(d)).toBe(0);
    expect(d.stdout).toContain(' 0003: 0x15 0x03 0x00 0x0000006e  if (A == getppid) goto 0007');
    fs.writeFileSync(file('d.bpf'), d.stdout);
    const again = await runCli(['bpf', 'asm', file('d.bpf'), '--output', file('b.bin')]);
    expect(again.status, describeResult(again)).toBe(0);
    expect(fs.readFileSync(file('b.bin'))).toEqual(BYTES);
  });

  it('through stdin and stdout: disasm - and asm -', () => {
    const d = runWithStdin(['bpf', 'disasm', '-'], BYTES);
    expect(d.status, d.stderr).toBe(0);
    const a = runWithStdin(['bpf', 'asm', '-'], d.stdout);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toEqual(BYTES);
    // No FILE at all reads stdin too.
    expect(runWithStdin(['bpf', 'disasm'], BYTES).stdout).toEqual(d.stdout);
  });

  it('--kernel names with an older release\'s tables, falling back to the host\'s', async () => {
    const r = await runCli(['bpf', 'disasm', '--kernel', '2.6.32', '--arch', 'x86_64', file('bytes.bin')]);
    expect(r.stdout).toContain('if (A == getppid) goto 0007');
  });
});

describe('emu', () => {
  it.concurrent.each([
    ['bytes.bin', 'getppid', [], 'ERRNO(1)'],
    ['text.bpf', '110', [], 'ERRNO(1)'],
    ['bytes.bin', 'getpid', ['1', '-1', '0xffffffffffffffff'], 'ALLOW'],
    ['text.bpf', '0x40000001', [], 'KILL_PROCESS'],
  ])('%s: %s %j is %s', async (input, call, args, verdict) => {
    const r = await runCli(['bpf', 'emu', file(input), '--arch', 'x86_64', call, ...args]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toBe(`${verdict}\n`);
  });

  it.concurrent.each([
    ['i386', 'getppid', 'KILL_PROCESS'],
    ['amd64', 'getppid', 'ERRNO(1)'],
    ['x32', '110', 'KILL_PROCESS'],
    ['x32', '0x4000006e', 'KILL_PROCESS'],
  ])('libseccomp\'s and seccomp-tools\' names: --arch %s %s is %s', async (arch, call, verdict) => {
    const r = await runCli(['bpf', 'emu', file('bytes.bin'), '--arch', arch, call]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toBe(`${verdict}\n`);
  });

  it.concurrent('another arch, and --path: the instructions executed', async () => {
    const r = await runCli(['bpf', 'emu', file('bytes.bin'), '--arch', 'ia32', 'getppid', '--path']);
    expect(r.stdout.split('\n')).toEqual([
      'KILL_PROCESS',
      ' 0000: 0x20 0x00 0x00 0x00000004  A = arch',
      ' 0001: 0x15 0x00 0x04 0xc000003e  if (A != ARCH_X86_64) goto 0006',
      ' 0006: 0x06 0x00 0x00 0x80000000  return KILL_PROCESS',
      '',
    ]);
  });

  it.concurrent('an action the kernel does not define is KILL_PROCESS', async () => {
    fs.writeFileSync(file('odd.bpf'), 'return 0x12340005\n');
    const r = await runCli(['bpf', 'emu', file('odd.bpf'), 'getpid']);
    expect(r.stdout).toMatch(/^KILL_PROCESS \(return value 0x12340005 is no action the kernel knows; data 5\)\n$/);
  });
});

describe('refusals (cases/bpf-errors.json)', () => {
  const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/bpf-errors.json', import.meta.url), 'utf8')) as { rows: { args: string[]; status: number; stderr: string }[] };
  const esc = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  it.concurrent.each(rows.map((r) => [r.args.join(' '), r] as const))('bpf %s', async (_label, row) => {
    const r = await runCli(['bpf', ...row.args.map((a) => a.replace('{dir}', dir))]);
    expect(r.status, describeResult(r)).toBe(row.status);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
    expect(r.stderr.trimEnd()).toMatch(new RegExp(row.stderr.replaceAll('{dir}', esc)));
  });

  it('asm --allow-invalid writes what the kernel would refuse', async () => {
    const r = await runCli(['bpf', 'asm', '--allow-invalid', file('invalid.bpf'), '-o', file('inv.bin')]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(fs.readFileSync(file('inv.bin')).subarray(8, 16)).toEqual(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('asm will not write binary to a terminal', () => {
    // script(1) (util-linux, Essential in Debian) gives the command a pseudo-terminal.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI_PATH} bpf asm ${file('text.bpf')}; echo status=$?`, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.replace(/\r/g, '')).toBe('cr-shim: bpf asm: refusing to write binary to a terminal; give -o OUT or redirect stdout\nstatus=2\n');
  });

  it('disasm still shows an invalid program before refusing it', async () => {
    const r = await runCli(['bpf', 'disasm', file('invalid.bin')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(' 0000: 0xff 0x00 0x00 0x00000000  ??? opcode 0xff');
  });
});

describe('dump', () => {
  let sleeper: RunningProcess | undefined;
  afterEach(async () => {
    sleeper?.kill('SIGTERM');
    await sleeper?.result.catch(() => undefined);
    sleeper = undefined;
  });

  it('a program under cr-shim run --kernel 4.19 holds exactly the filter cr-shim filter prints', async () => {
    const kernel = '4.19';
    sleeper = startCli(['run', '--quiet', '--kernel', kernel, '--', programPath('sleeper')]);
    await sleeper.waitForLine('ready=1');
    const pid = Number(parseOutput(sleeper.stdout(), { partial: true }).get('pid'));
    // The two dumps one after the other: a task has one tracer at a time.
    const [dumped, expected] = await Promise.all([
      runCli(['bpf', 'dump', String(pid), '--json']),
      runCli(['filter', '--quiet', '--kernel', kernel, '--json']),
    ]);
    const text = await runCli(['bpf', 'dump', String(pid), '--all-threads']);
    expect(dumped.status, describeResult(dumped)).toBe(0);
    const d = JSON.parse(dumped.stdout) as { pid: number; comm: string; holders: unknown[]; filters: { bytes: string; threads: number[]; prev: number | null }[] };
    const f = JSON.parse(expected.stdout) as { bytes: string };
    expect(d).toMatchObject({ pid, comm: 'sleeper', holders: [{ tid: pid, mode: 2, filters: [0] }] });
    expect(d.filters).toHaveLength(1);
    expect(d.filters[0]).toMatchObject({ bytes: f.bytes, threads: [pid], prev: null });
    // The text dump of one filter reassembles to the same bytes.
    expect(text.stdout).toMatch(new RegExp(`^# pid ${pid} \\(sleeper\\): 1 thread, 1 filter;`));
    const back = runWithStdin(['bpf', 'asm', '-'], Buffer.from(text.stdout));
    expect(back.stdout.toString('hex')).toBe(f.bytes);
    // The program keeps running: dumping detached cleanly.
    const counted = parseOutput(sleeper.stdout(), { partial: true }).all('counter').length;
    await expect.poll(() => parseOutput(sleeper!.stdout(), { partial: true }).all('counter').length, { timeout: 5000 }).toBeGreaterThan(counted);
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
  });

  it('a CRIU image directory: the filters of seccomp.img, through the image reader', async () => {
    const img = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-img-')), 'img');
    // The image reader's own helpers write the image (loaded here only, so the other tests run without it).
    const { newFilter, serializeSeccomp } = await import('../../src/criu/image/seccomp.js');
    const { writeSyntheticImage } = await import('../criu/helpers/synthetic-image.js');
    writeSyntheticImage(img, { processes: [{ pid: 4242, threads: [{ tid: 4242, caps: 0n }] }], filters: [] });
    const allow = encode(asm('return ALLOW'));
    fs.writeFileSync(path.join(img, 'seccomp.img'), serializeSeccomp([newFilter(allow), newFilter(BYTES, 0, 1)]));
    const r = await runCli(['bpf', 'dump', img, '--json']);
    expect(r.status, describeResult(r)).toBe(0);
    const j = JSON.parse(r.stdout) as { image: string; filters: { id: number; prev: number | null; flagNames: string; bytes: string }[] };
    expect(j.image).toBe(img);
    expect(j.filters.map((x) => [x.id, x.prev, x.flagNames, x.bytes])).toEqual([
      [0, null, 'none', allow.toString('hex')],
      [1, 0, 'TSYNC', BYTES.toString('hex')],
    ]);
  });
});

describe('help', () => {
  it('bpf --help lists the subcommands; a subcommand has its own', async () => {
    expect((await runCli(['bpf', '--help'])).stdout).toMatch(/usage: cr-shim bpf disasm .*\n\s+cr-shim bpf asm .*\n\s+cr-shim bpf emu .*\n\s+cr-shim bpf dump/);
    const sub = await runCli(['bpf', 'emu', '--help']);
    expect(sub.stdout).toMatch(/^usage: cr-shim bpf emu FILE/);
    expect(sub.stdout).toContain('--path');
  });
});
