/**
 * `cr-shim filter`: the filter `cr-shim run` installs, checked against the
 * real kernel. For each persona the emulator's verdict on `filter --json`'s
 * bytes must be what the program sees under `cr-shim run` (cases/
 * filter-kernel-verdicts.json); the text output must reassemble to those bytes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { returnName } from '../../src/bpf/disasm.js';
import { decode } from '../../src/bpf/encode.js';
import { emulate } from '../../src/bpf/emulate.js';
import { tableNaming } from '../../src/bpf/syscall-names.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

beforeAll(() => requireShimBuilt());

interface Row {
  kernel: string;
  syscall: string;
  args: number[];
  kind: 'absent' | 'present' | 'errno' | 'USER_NOTIF';
  /** USER_NOTIF: the errno the handler answers (0: success). */
  errno?: number;
  why: string;
}
const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/filter-kernel-verdicts.json', import.meta.url), 'utf8')) as { rows: Row[] };
const kernels = [...new Set(rows.map((r) => r.kernel))];
const names = tableNaming(new TableRegistry());
const ENOSYS = 38;

function nrOf(name: string): number {
  const nr = names.syscallNumber('x86_64', name);
  if (nr === undefined) throw new Error(`no x86_64 syscall ${name} in the tables`);
  return nr;
}

/** The errno each call gets: one `syscall` result per `nr=` block of the program's output. */
function errnos(stdout: string): number[] {
  return parseOutput(stdout).entries.filter(([k]) => k === 'errno').map(([, v]) => Number(v));
}

describe.concurrent('emulator verdict = kernel verdict under cr-shim run', () => {
  it.each(kernels)('--kernel %s', async (kernel) => {
    const sample = rows.filter((r) => r.kernel === kernel);
    const syscall = programPath('syscall');
    const calls = sample.map((r) => [syscall, nrOf(r.syscall), ...r.args].join(' '));
    const [f, under] = await Promise.all([
      runCli(['filter', '--quiet', '--kernel', kernel, '--json']),
      // One supervisor for the whole sample: a shell under the persona runs each call.
      runCli(['run', '--quiet', '--kernel', kernel, '--', 'sh', '-c', calls.join('; ')]),
    ]);
    expect(f.status, describeResult(f)).toBe(0);
    expect(under.status, describeResult(under)).toBe(0);
    const bytes = Buffer.from((JSON.parse(f.stdout) as { bytes: string }).bytes, 'hex');
    const insns = decode(bytes);
    const got = errnos(under.stdout);
    expect(got).toHaveLength(sample.length);

    sample.forEach((row, i) => {
      const nr = nrOf(row.syscall);
      const v = emulate(insns, { nr, arch: AUDIT_ARCH.x86_64, args: row.args.map(BigInt) });
      const what = `${kernel} ${row.syscall}(${row.args.join(', ')}): ${returnName(v.value)} (${row.why})`;
      const kind = v.action === 'ALLOW' ? 'present' : v.action === 'ERRNO' ? (v.data === ENOSYS ? 'absent' : 'errno') : v.action;
      expect(kind, what).toBe(row.kind);
      // ALLOW: the host answers as it does without cr-shim.
      const native = spawnSync(syscall, [String(nr), ...row.args.map(String)], { encoding: 'utf8' });
      // USER_NOTIF: the handler's answer, kept in the row.
      const want = v.action === 'ALLOW' ? Number(parseOutput(native.stdout).get('errno')) : v.action === 'USER_NOTIF' ? row.errno : v.data;
      expect(got[i], what).toBe(want);
    });

    // The CLI's emulator agrees with the library's on the same bytes.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-filter-')), `${kernel}.bin`);
    fs.writeFileSync(file, bytes);
    const row = sample[sample.length - 1]!;
    const emu = await runCli(['bpf', 'emu', file, '--arch', 'x86_64', row.syscall, ...row.args.map(String)]);
    expect(emu.stdout).toBe(`${returnName(emulate(insns, { nr: nrOf(row.syscall), arch: AUDIT_ARCH.x86_64 }).value)}\n`);
  });
});

describe.concurrent('output', () => {
  it('the text reassembles to the bytes --json reports, with a comment on every insn', async () => {
    const [text, json, run] = await Promise.all([
      runCli(['filter', '--kernel', '5.10', '--dumpable']),
      runCli(['filter', '--kernel', '5.10', '--dumpable', '--json']),
      runCli(['filter', '--kernel', '5.10']),
    ]);
    expect(text.status, describeResult(text)).toBe(0);
    const j = JSON.parse(json.stdout) as { bytes: string; insns: number; kernel: string; tables: string; program: { comment: string | null }[] };
    expect(j).toMatchObject({ kernel: '5.10', tables: '5.10' });
    expect(j.program.every((p) => p.comment !== null)).toBe(true);
    const back = spawnSync(process.execPath, [CLI_PATH, 'bpf', 'asm', '-'], { input: text.stdout });
    expect(back.status, back.stderr.toString()).toBe(0);
    expect(back.stdout.toString('hex')).toBe(j.bytes);
    expect(text.stdout).toMatch(/^ \d{4}: 0x06 0x00 0x00 0x7fc00000 {2}return USER_NOTIF {2}# x86_64 notify: .*proc-identity \[open, openat, openat2\]; sysctl-removed-stat \[stat, lstat, access, … \(9\)\]; exec-vdso \[execve, execveat\]; uname; /m);
    expect(text.stdout).toMatch(/^# plan for x86_64 \(persona tables 5\.10, host tables 6\.\d+\)/m);
    expect(text.stdout.split('\n').filter((l) => /^ \d{4}: /.test(l))).toHaveLength(j.insns);
    // A plain run presents the identity files by bind mount: its filter sends no open to the
    // supervisor by number, only by argument (behaviour rows o-direct-tmpfs, openat2-fmode-nonotify).
    expect(run.stdout).toMatch(/^ \d{4}: 0x06 0x00 0x00 0x7fc00000 {2}return USER_NOTIF {2}# x86_64 notify: .*uname; /m);
    expect(run.stdout).not.toMatch(/proc-identity \[/);
    expect(run.stdout.split('\n').filter((l) => l.includes('proc-identity')).map((l) => l.replace(/^.*# /, ''))).toEqual([
      'open: args[1] & 0x4000: notify(proc-identity)',
      'openat: args[2] & 0x4000: notify(proc-identity)',
      'openat2: args[3] & 0xffffffff: notify(proc-identity)',
    ]);
  });

  it('--arch ia32: that ABI\'s part and plan only', async () => {
    const r = await runCli(['filter', '--kernel', '4.19', '--arch', 'ia32']);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('# plan for ia32');
    expect(r.stdout).not.toContain('# plan for x86_64');
    expect(r.stdout).toMatch(/^# \d{4}\.\.\d{4} not reached by ia32 syscalls$/m);
  });

  it('a release no table stands for, or a bad option: one line, exit 2', async () => {
    for (const args of [['--kernel', '3.25'], ['--arch', 'mips'], ['extra']]) {
      const r = await runCli(['filter', ...args]);
      expect(r.status, describeResult(r)).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
