/**
 * The test programs, run natively (no cr-shim): each must print the documented
 * key=value lines and report what the host kernel says. This validates the
 * programs, so integration tests can trust them as probes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ia32Available } from '../helpers/host-ia32.js';
import { parseOutput } from '../helpers/parse-output.js';
import { PROGRAM_NAMES, programPath, type ProgramAbi, type ProgramName } from '../helpers/programs.js';
import { describeResult, runProcess, startProcess, type ProcessResult } from '../helpers/run-process.js';
import { hostSyscallNumber } from '../helpers/syscall-numbers.js';

const HOST_RELEASE = os.release();
const EINVAL = 22;
const EPERM = 1;
const IA32 = ia32Available();

async function run(name: ProgramName, args: readonly string[] = [], abi: ProgramAbi = 'x86_64'): Promise<ProcessResult> {
  return runProcess(programPath(name, abi), args, { timeoutMs: 20_000 });
}

/** Run and require exit 0, returning the parsed output. */
async function runOk(name: ProgramName, args: readonly string[] = [], abi: ProgramAbi = 'x86_64') {
  const result = await run(name, args, abi);
  expect(result.status, describeResult(result)).toBe(0);
  return parseOutput(result.stdout);
}

// ia32 programs build everywhere but run only where the kernel allows it. This
// host (and CI's, the same kind) boots with 32-bit emulation switched off, which
// no package can change: the ia32 rows exist only where it is on, and the test
// below states which case holds instead of skipping silently.
const ABIS: ReadonlyArray<{ abi: ProgramAbi }> = [
  { abi: 'x86_64' },
  ...(IA32 ? [{ abi: 'ia32' as const }] : []),
];

describe('ia32 on this host', () => {
  it('runs ia32 programs, or refuses them because 32-bit emulation is off', () => {
    if (IA32) return expect(IA32).toBe(true);
    // The kernel refuses the ELF class: glibc's execvp retries through /bin/sh, which fails too.
    const probe = spawnSync(programPath('uname', 'ia32'), [], { encoding: 'utf8' });
    expect(probe.status).not.toBe(0);
    expect(probe.stdout).not.toMatch(/abi=i386/);
  });
});

describe('usage errors exit EINVAL', () => {
  const cases: ReadonlyArray<{ name: ProgramName; args: string[] }> = [
    { name: 'uname', args: ['--nope'] },
    { name: 'legacy-sysctl', args: ['--name', '1.x'] },
    { name: 'legacy-sysctl', args: ['--bad-pointer', '--bad-oldval'] },
    { name: 'proc-identity', args: ['extra'] },
    { name: 'syscall', args: [] },
    { name: 'syscall', args: ['1', '2', '3', '4', '5', '6', '7', '8'] },
    { name: 'syscall', args: ['12abc'] },
    { name: 'threads', args: ['0'] },
    { name: 'tree', args: ['only-one'] },
    { name: 'signals', args: ['--nope'] },
    { name: 'loop', args: ['enosys', '10'] },
    { name: 'loop', args: ['getppid', '0'] },
    { name: 'loop-mt', args: ['getppid', '10', '0'] },
    { name: 'loop-mt', args: ['open=', '10', '1'] },
    { name: 'sleeper', args: ['x'] },
    { name: 'own-filter', args: ['--nope'] },
    { name: 'net-server', args: ['extra'] },
    { name: 'uts-switch', args: ['only-one'] },
    { name: 'stamp', args: [] },
    { name: 'identity-leaks', args: [] },
    { name: 'identity-leaks', args: ['a', 'b'] },
    { name: 'vdso-note', args: [] },
    { name: 'exec-rw', args: ['extra'] },
    { name: 'cr-subject', args: ['nope', '/tmp/cr-subject-usage'] },
    { name: 'cr-subject', args: [] },
    { name: 'holders', args: [] },
    { name: 'sockopt', args: ['inet'] },
    { name: 'sockopt', args: ['ax25', 'passcred'] },
    { name: 'sendfile-proc', args: [] },
    { name: 'tiocsti', args: ['extra'] },
    { name: 'gid-map', args: ['extra'] },
    { name: 'strict-mode', args: ['nope'] },
    { name: 'rw-hint', args: ['extra'] },
    { name: 'open-direct', args: ['memfd'] },
    { name: 'statx-mask', args: [] },
  ];
  it('covers every program', () => {
    expect(new Set(cases.map((c) => c.name))).toEqual(new Set(PROGRAM_NAMES));
  });
  it.each(cases)('$name $args', async ({ name, args }) => {
    const result = await run(name, args);
    expect(result.status, describeResult(result)).toBe(EINVAL);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^usage: /);
  });
});

describe.each(ABIS)('uname ($abi)', ({ abi }) => {
  it('prints the host identity', async () => {
    const out = await runOk('uname', [], abi);
    expect(out.get('abi')).toBe(abi === 'ia32' ? 'i386' : 'x86_64');
    expect(out.get('sysname')).toBe('Linux');
    expect(out.get('release')).toBe(HOST_RELEASE);
    expect(out.get('nodename')).toBe(os.hostname());
    expect(out.get('machine')).toBe(abi === 'ia32' ? 'i686' : 'x86_64');
    for (const key of ['version', 'domainname']) expect(out.has(key)).toBe(true);
    if (abi === 'ia32') {
      expect(out.get('olduname.release')).toBe(HOST_RELEASE);
      // oldold_utsname fields are 9 bytes: 8 characters and a NUL.
      expect(out.get('oldolduname.release')).toBe(HOST_RELEASE.slice(0, 8));
    }
  });

  it('--bad-pointer reports EFAULT', async () => {
    const out = await runOk('uname', ['--bad-pointer'], abi);
    expect(out.fields).toMatchObject({ ret: '-1', errno: '14', errname: 'EFAULT' });
    if (abi === 'ia32') expect(out.get('oldolduname.errname')).toBe('EFAULT');
  });
});

describe.each(ABIS)('legacy-sysctl ($abi)', ({ abi }) => {
  // Linux 5.5 removed _sysctl: the host answers ENOSYS to every variant.
  const variants: ReadonlyArray<{ args: string[]; name: string; write?: true }> = [
    { args: [], name: '1.2' },
    { args: ['--name', '1.4'], name: '1.4' },
    { args: ['--bad-pointer'], name: '1.2' },
    { args: ['--bad-oldval'], name: '1.2' },
    { args: ['--write', 'x'], name: '1.2', write: true },
  ];
  it.each(variants)('$args', async ({ args, name, write }) => {
    const out = await runOk('legacy-sysctl', args, abi);
    expect(out.get('sysctl_name')).toBe(name);
    expect(out.fields).toMatchObject({ sysctl_ret: '-1', sysctl_errno: 'ENOSYS', sysctl_errnum: '38' });
    if (write) expect(out.fields).toMatchObject({ sysctl_write_ret: '-1', sysctl_write_errno: 'ENOSYS' });
    expect(out.get('uname_release')).toBe(HOST_RELEASE);
    expect(out.entries.map(([k]) => k).at(-1)).toBe('uname_release');
  });
});

describe('proc-identity', () => {
  it('reads the same identity by every path', async () => {
    const out = await runOk('proc-identity');
    const expected: Record<string, string> = {
      proc_version: readFileSync('/proc/version', 'utf8'),
      osrelease: `${HOST_RELEASE}\n`,
      kernel_version: readFileSync('/proc/sys/kernel/version', 'utf8'),
      ostype: 'Linux\n',
    };
    for (const method of ['open', 'openat', 'openat_dirfd', 'fopen', 'relative']) {
      for (const [file, content] of Object.entries(expected)) {
        expect(out.get(`${method}.${file}`), `${method}.${file}`).toBe(content);
      }
    }
    expect(out.entries).toHaveLength(20);
  });
});

describe.each(ABIS)('syscall ($abi)', ({ abi }) => {
  it('reports a successful call', async () => {
    const out = await runOk('syscall', [String(hostSyscallNumber('getppid', abi))], abi);
    expect(out.fields).toMatchObject({ ret: String(process.pid), errno: '0', errname: '' });
  });

  it('reports ENOSYS for a number no kernel has, given in hex', async () => {
    const out = await runOk('syscall', ['0x7fff', '0x10', '-1'], abi);
    expect(out.fields).toMatchObject({ nr: String(0x7fff), ret: '-1', errno: '38', errname: 'ENOSYS' });
  });

  it('reports EFAULT with an integer for a pointer', async () => {
    const out = await runOk('syscall', [String(hostSyscallNumber('uname', abi)), '1'], abi);
    expect(out.get('errname')).toBe('EFAULT');
  });

  const refused = ['kill', 'reboot', 'ftruncate', 'unlinkat', 'ptrace'].flatMap((name) =>
    [{ name }],
  );
  it.each(refused)('refuses $name', async ({ name }) => {
    const nr = hostSyscallNumber(name, abi);
    // Arguments that would do harm if the call were made: kill(-1, SIGKILL), ftruncate(1, 0).
    const result = await run('syscall', [String(nr), '-1', '9'], abi);
    expect(result.status, describeResult(result)).toBe(EPERM);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`(${name})`);
  });
});

describe('syscall (x86_64 aliases)', () => {
  it.each([
    { label: 'x32 alias of kill', nr: String(0x40000000 + hostSyscallNumber('kill')) },
    { label: 'x32-only range', nr: String(0x40000000 + 521) },
    { label: 'number that truncates to kill', nr: `0x1${hostSyscallNumber('kill').toString(16).padStart(8, '0')}` },
  ])('refuses the $label', async ({ nr }) => {
    const result = await run('syscall', [nr, '-1', '9']);
    expect(result.status, describeResult(result)).toBe(EPERM);
  });
});

describe('threads', () => {
  it('sees one release from every thread', async () => {
    const out = await runOk('threads', ['3']);
    expect(out.fields).toMatchObject({ threads: '3', consistent: '1', reference_release: HOST_RELEASE });
    for (const i of [0, 1, 2]) {
      expect(out.get(`thread.${i}.release`)).toBe(HOST_RELEASE);
      expect(out.get(`thread.${i}.mismatches`)).toBe('0');
    }
  });

  it('defaults to 4 threads', async () => {
    const out = await runOk('threads');
    expect(out.get('threads')).toBe('4');
    expect(out.has('thread.3.release')).toBe(true);
  });
});

describe('tree', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-shim-tree-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs an exec child, leaves an orphan that writes its release, reaps a zombie', async () => {
    const outFile = path.join(dir, 'grandchild');
    const out = await runOk('tree', [programPath('uname'), outFile]);
    expect(out.fields).toMatchObject({ child_release: HOST_RELEASE, child_status: '0' });
    expect(Number(out.get('zombie_pid'))).toBeGreaterThan(0);
    expect(Number(out.get('grandchild_pid'))).toBeGreaterThan(0);

    // The grandchild writes ~200 ms after its start; the file appears whole (rename).
    await expect.poll(() => existsSync(outFile), { timeout: 5_000, interval: 50 }).toBe(true);
    expect(parseOutput(readFileSync(outFile, 'utf8')).get('release')).toBe(HOST_RELEASE);
  });

  it('reports an exec failure as child_status', async () => {
    const out = await runOk('tree', [path.join(dir, 'no-such-program'), path.join(dir, 'unused')]);
    expect(out.get('child_release')).toBe('');
    expect(out.get('child_status')).toBe('2'); // ENOENT from execl, as the child's exit status
  });
});

describe('signals', () => {
  it.each([
    { signal: 'SIGINT', signo: 2 },
    { signal: 'SIGTERM', signo: 15 },
    { signal: 'SIGHUP', signo: 1 },
    { signal: 'SIGUSR1', signo: 10 },
  ] as const)('exits 10 + signo on $signal', async ({ signal, signo }) => {
    const proc = startProcess(programPath('signals'), []);
    await proc.waitForLine('ready=1', 10_000);
    expect(parseOutput(proc.stdout()).get('pid')).toBe(String(proc.pid));
    proc.kill(signal);
    const result = await proc.result;
    expect(result.status, describeResult(result)).toBe(10 + signo);
    expect(parseOutput(result.stdout).get('got')).toBe(signal);
  });

  it('--die-by-signal is killed by SIGTERM', async () => {
    const proc = startProcess(programPath('signals'), ['--die-by-signal']);
    await proc.waitForLine('ready=1', 10_000);
    proc.kill('SIGTERM');
    const result = await proc.result;
    expect(result.signal, describeResult(result)).toBe('SIGTERM');
    expect(parseOutput(result.stdout).has('got')).toBe(false);
  });
});

describe('loop', () => {
  it.each([
    { args: ['getppid', '1000'], errname: '' },
    { args: ['uname', '1000'], errname: '' },
    { args: ['nr=0x7fff', '1000'], errname: 'ENOSYS' },
  ])('$args', async ({ args, errname }) => {
    const out = await runOk('loop', args);
    expect(out.get('syscall')).toBe(args[0]);
    expect(out.get('calls')).toBe('1000');
    expect(Number(out.get('total_ns'))).toBeGreaterThan(0);
    expect(out.get('ns_per_call')).toMatch(/^\d+\.\d$/);
    expect(out.get('errname')).toBe(errname);
  });

  it('refuses a denied number', async () => {
    const result = await run('loop', [`nr=${hostSyscallNumber('kill')}`, '1']);
    expect(result.status, describeResult(result)).toBe(EPERM);
    expect(result.stdout).toBe('');
  });
});

describe('sleeper', () => {
  it('prints pid, ready, then a counter that grows by 20 a second', async () => {
    const proc = startProcess(programPath('sleeper'), [], { timeoutMs: 15_000 });
    try {
      await proc.waitForLine('ready=1', 10_000);
      await proc.waitForLine('counter=40', 10_000);
      const out = parseOutput(proc.stdout(), { partial: true });
      expect(out.get('pid')).toBe(String(proc.pid));
      expect(out.all('counter')).toEqual(['20', '40']);
    } finally {
      proc.kill('SIGKILL');
    }
    expect((await proc.result).signal).toBe('SIGKILL');
  });
});
