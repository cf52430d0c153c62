/**
 * `cr-shim run` on the real kernel with real processes: verdicts as data
 * (cases/run-verdicts.json), identity, process handling, failures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { programPath } from '../helpers/programs.js';
import { parseOutput } from '../helpers/parse-output.js';
import { describeResult } from '../helpers/run-process.js';
import { hostSyscallNumber } from '../helpers/syscall-numbers.js';
import { ia32Available } from '../helpers/host-ia32.js';

interface VerdictRow {
  kernel: string | null;
  syscall: string;
  /** Only for calls newer than this host's C headers (Debian 12's 6.1). */
  nr?: number;
  args: number[];
  errname?: string;
  ret?: number;
  retPositive?: boolean;
  why: string;
}

interface ExecFailureRow {
  why: string;
  file: 'ia32' | 'aout' | 'path-aout' | 'script';
  status: number;
  stderr: string;
}
const execFailures = (JSON.parse(fs.readFileSync(new URL('./cases/exec-failures.json', import.meta.url), 'utf8')) as { rows: ExecFailureRow[] }).rows;

const verdicts = JSON.parse(fs.readFileSync(new URL('./cases/run-verdicts.json', import.meta.url), 'utf8')) as { rows: VerdictRow[] };

beforeAll(() => requireShimBuilt());

const kernelArgs = (k: string | null): string[] => (k === null ? [] : ['--kernel', k]);

async function runUnder(kernel: string | null, program: Parameters<typeof programPath>[0], args: string[] = []) {
  const r = await runCli(['run', '--quiet', ...kernelArgs(kernel), '--', programPath(program), ...args]);
  expect(r.status, describeResult(r)).toBe(0);
  return parseOutput(r.stdout);
}

describe('syscall verdicts', () => {
  it.each(verdicts.rows)('$kernel $syscall($args): $why', async (row) => {
    const nr = row.nr ?? hostSyscallNumber(row.syscall);
    const out = await runUnder(row.kernel, 'syscall', [String(nr), ...row.args.map(String)]);
    if (row.errname !== undefined) expect(out.get('errname')).toBe(row.errname);
    if (row.ret !== undefined) expect(out.get('ret')).toBe(String(row.ret));
    if (row.retPositive) expect(Number(out.get('ret'))).toBeGreaterThan(0);
  });
});

describe('identity', () => {
  it.each(['2.6.32', '3.10.0', '4.19', '5.4.0-150-generic'])('uname reports %s', async (k) => {
    const out = await runUnder(k, 'uname');
    expect(out.get('release')).toBe(k);
    expect(out.get('sysname')).toBe('Linux');
    expect(out.get('nodename')).toBe(os.hostname());
    expect(out.get('machine')).toBe('x86_64');
    expect(out.get('version')).toMatch(/^#1 SMP \w{3} \w{3} \d+ 12:00:00 UTC \d{4}$/);
  });

  it('the legacy program reads kernel.osrelease through _sysctl and uname agrees', async () => {
    const out = await runUnder('2.6.32', 'legacy-sysctl');
    expect(out.get('sysctl_osrelease')).toBe('2.6.32');
    expect(out.get('sysctl_oldlen')).toBe('6');
    expect(out.get('uname_release')).toBe('2.6.32');
  });

  it('_sysctl reads a real integer sysctl (kernel.pid_max, 1.55)', async () => {
    const out = await runUnder('4.4', 'legacy-sysctl', ['--name', '1.55']);
    // The program prints the raw oldval bytes: one little-endian int for an int sysctl.
    expect(out.get('sysctl_oldlen')).toBe('4');
    expect(Buffer.from(out.get('sysctl_value'), 'latin1').readUInt32LE(0)).toBe(Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')));
  });

  it('_sysctl refuses to write a read-only sysctl even for root (kernel.osrelease is 0444)', async () => {
    const out = await runUnder('4.4', 'legacy-sysctl', ['--name', '1.2', '--write', '9.9.9']);
    expect(out.get('sysctl_write_errno')).toBe('EACCES');
    expect(out.get('sysctl_osrelease')).toBe('4.4');
  });

  it('_sysctl with a bad args pointer gets EFAULT', async () => {
    const out = await runUnder('2.6.32', 'legacy-sysctl', ['--bad-pointer']);
    expect(out.get('sysctl_errno')).toBe('EFAULT');
  });

  it('_sysctl with an unwritable oldval gets EFAULT', async () => {
    const out = await runUnder('2.6.32', 'legacy-sysctl', ['--bad-oldval']);
    expect(out.get('sysctl_errno')).toBe('EFAULT');
  });

  it('uname with a bad pointer gets EFAULT', async () => {
    const out = await runUnder('2.6.32', 'uname', ['--bad-pointer']);
    expect(out.get('errname')).toBe('EFAULT');
  });

  it('/proc identity files read the persona however they are opened', async () => {
    const out = await runUnder('3.2', 'proc-identity');
    const keys = Object.keys(out.fields).filter((k) => k.endsWith('.osrelease'));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const k of keys) expect(out.get(k)).toBe('3.2\n');
    for (const k of Object.keys(out.fields).filter((k) => k.endsWith('.proc_version'))) expect(out.get(k)).toMatch(/^Linux version 3\.2 \(/);
  });

  it('a dynamically linked system program sees the persona (uname -r, cat /proc/version)', async () => {
    const r = await runCli(['run', '--quiet', '--kernel', '2.6.32', '--', 'sh', '-c', 'uname -r; cat /proc/version /proc/sys/kernel/osrelease']);
    expect(r.status, describeResult(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('2.6.32');
    expect(lines[1]).toMatch(/^Linux version 2\.6\.32 /);
    expect(lines[2]).toBe('2.6.32');
  });
});

describe('processes', () => {
  it('threads all see the persona', async () => {
    const out = await runUnder('4.19', 'threads', ['8']);
    expect(out.get('consistent')).toBe('1');
  });

  it('children, exec\'d programs and orphaned grandchildren stay under the shim; zombies are reaped', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-tree-')), 'grandchild');
    const out = await runUnder('3.10.0', 'tree', [programPath('uname'), file]);
    expect(out.get('child_release')).toBe('3.10.0');
    // cr-shim waits for the whole tree: the grandchild finished before cr-shim exited.
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('release=3.10.0');
  });

  it.each([['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const)('%s sent to cr-shim reaches the program', async (sig, n) => {
    const p = startCli(['run', '--quiet', '--kernel', '4.19', '--', programPath('signals')]);
    await p.waitForLine('ready=1');
    p.kill(sig);
    const r = await p.result;
    expect(r.stdout).toContain(`got=${sig}`);
    expect(r.status, describeResult(r)).toBe(10 + n);
  });

  it('exits 128+N when the program is killed by signal N', async () => {
    const p = startCli(['run', '--quiet', '--', programPath('signals'), '--die-by-signal']);
    await p.waitForLine('ready=1');
    const pid = Number(/^pid=(\d+)$/m.exec(p.stdout())![1]);
    process.kill(pid, 'SIGTERM');
    const r = await p.result;
    expect(r.status, describeResult(r)).toBe(128 + 15);
  });

  it('passes the exit status through', async () => {
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', 'exit 7']);
    expect(r.status).toBe(7);
  });

  it('passes stdin and stdout through untouched', async () => {
    const r = await runCli(['run', '--quiet', '--kernel', '2.6.32', '--', 'cat'], { input: 'hello\nworld\n' });
    expect(r.stdout).toBe('hello\nworld\n');
  });

  it('if the supervisor dies, the program does not hang: it is killed with it', async () => {
    const p = startCli(['run', '--quiet', '--kernel', '4.19', '--', programPath('sleeper')]);
    await p.waitForLine('ready=1');
    const pid = Number(/^pid=(\d+)$/m.exec(p.stdout())![1]);
    p.kill('SIGKILL');
    await p.result;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`))).toBe(false);
  });
});

function safeRead(f: string): string {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

describe('failures', () => {
  it('a program that does not exist: exit 127 with a message', async () => {
    const r = await runCli(['run', '--', '/nonexistent/prog']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/\/nonexistent\/prog: No such file or directory/);
  });

  it.each(execFailures)('exec refused with ENOEXEC: $why', async (row) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-exec-'));
    try {
      // struct exec: a_info (ZMAGIC 0413 in its low 16 bits), then text, data, bss sizes...; nothing runs it.
      const aout = Buffer.alloc(32);
      aout.writeUInt32LE(0o413 | (0x64 << 16), 0);
      fs.writeFileSync(path.join(dir, 'aout'), aout, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'script'), 'echo ran-by-a-shell\n', { mode: 0o755 });
      const argv = { ia32: programPath('uname', 'ia32'), aout: path.join(dir, 'aout'), 'path-aout': 'aout', script: path.join(dir, 'script') }[row.file];
      const r = await runCli(['run', '--quiet', '--', argv], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` } });
      if (row.file === 'ia32' && ia32Available()) {
        // This host runs ia32 programs: nothing to refuse.
        expect(r.status, describeResult(r)).toBe(0);
        return;
      }
      expect(r.status, describeResult(r)).toBe(row.status);
      expect(r.stdout).toBe('');
      const escaped = argv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // One line, the cause in parentheses at its end.
      expect(r.stderr).toMatch(new RegExp(`^cr-shim: ${escaped}: ${row.stderr}[^\\n]*\\)\\n$`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['1.2', /older than/],
    ['3.25', /no mainline release 3\.25; nearest known: 3\.19, 4\.0/],
    ['9.1', /newer than the newest known release 6\.18/],
    ['banana', /banana/],
  ])('unknown release %s: one-line error naming the nearest known releases', async (k, re) => {
    const r = await runCli(['run', '--kernel', k, '--', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['a directory', (dir: string) => dir],
    ['a file in a missing directory', (dir: string) => path.join(dir, 'missing', 'trace.jsonl')],
  ])('--trace to %s: refused on one line before the program starts', async (_what, tracePath) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-trace-'));
    try {
      const marker = path.join(dir, 'ran');
      const file = tracePath(dir);
      // uname is translated under 2.6.32: with a dead supervisor it would block forever.
      const r = await runCli(['run', '--trace', file, '--kernel', '2.6.32', '--', 'sh', '-c', `uname -r; : > ${marker}`], { timeoutMs: 20_000 });
      expect(r.status, describeResult(r)).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`^cr-shim: --trace: cannot write ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*\n$`));
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no program: usage error', async () => {
    const r = await runCli(['run', '--kernel', '4.19']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no program given/);
  });
});

describe('observability', () => {
  it('--stats counts translated calls with their mean latency', async () => {
    const r = await runCli(['run', '--stats', '--kernel', '2.6.32', '--', programPath('legacy-sysctl')]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stderr).toMatch(/^\s+_sysctl\s+x86_64\s+js\s+1\s+[\d.]+$/m);
    expect(r.stderr).toMatch(/^\s+uname\s+x86_64\s+native\s+1\s+[\d.]+$/m);
  });

  it('--trace writes one JSON line per translated call with decoded arguments', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-trace-')), 'trace.jsonl');
    const r = await runCli(['run', '--quiet', '--dumpable', '--trace', file, '--kernel', '2.6.32', '--', programPath('proc-identity')]);
    expect(r.status, describeResult(r)).toBe(0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const opens = lines.filter((l) => l.syscall === 'open' || l.syscall === 'openat');
    expect(opens.length).toBeGreaterThan(4);
    const version = opens.find((l) => Object.values(l.args as object).includes('/proc/version'));
    expect(version).toMatchObject({ arch: 'x86_64', pid: expect.any(Number), t: expect.any(Number), result: expect.any(Number) });
    expect(version!.result as number).toBeGreaterThanOrEqual(0);
  });
});
