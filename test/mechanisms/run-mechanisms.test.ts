/**
 * `cr-shim run --mechanism M` on the real kernel with real processes: the
 * persona a program sees is the same under every mechanism (cases as data in
 * cases/same-persona.json, compared with notify's output), and each mechanism
 * keeps the process handling of `run`: threads, children, signals, statuses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { programPath, type ProgramName } from '../helpers/programs.js';
import { parseOutput } from '../helpers/parse-output.js';
import { describeResult } from '../helpers/run-process.js';
import { hostSyscallNumber } from '../helpers/syscall-numbers.js';

interface Row {
  kernel: string;
  program?: ProgramName;
  syscall?: string;
  nr?: number;
  args: (string | number)[];
  expect: Record<string, string>;
  /** Under sigsys instead of matching notify: these keys (the call's handler runs only in TypeScript). */
  sigsys?: Record<string, string>;
  why: string;
}

const cases = JSON.parse(fs.readFileSync(new URL('./cases/same-persona.json', import.meta.url), 'utf8')) as { rows: Row[] };

/** Mechanisms that serve every case and run's whole process handling; the reference is notify, the default. sigsys serves less (see its describe). */
const FULL = ['ptrace'] as const;

beforeAll(() => requireShimBuilt());

/** Run under a mechanism, expecting status 0; returns stdout. */
async function run(mechanism: string, kernel: string, argv: string[]) {
  const r = await runCli(['run', '--quiet', '--mechanism', mechanism, '--kernel', kernel, '--', ...argv]);
  // Thrown, not expect(): concurrent tests must assert through their own context.
  if (r.status !== 0) throw new Error(`expected status 0\n${describeResult(r)}`);
  return r.stdout;
}

function argvOf(row: Row): string[] {
  if (row.program) return [programPath(row.program), ...row.args.map(String)];
  const nr = row.nr ?? hostSyscallNumber(row.syscall!);
  return [programPath('syscall'), String(nr), ...row.args.map(String)];
}

describe('every mechanism presents the same persona as notify', () => {
  // Concurrent: each case is a few short processes, mostly waiting on exec and the dynamic loader.
  it.concurrent.for(cases.rows.map((r) => ({ ...r, what: r.program ?? r.syscall })))('$kernel $what $args: $why', async (row, { expect }) => {
    const [reference, ...others] = await Promise.all(['notify', ...FULL, 'sigsys'].map((m) => run(m, row.kernel, argvOf(row))));
    for (const [i, got] of others.entries()) {
      const mechanism = [...FULL, 'sigsys'][i]!;
      const out = parseOutput(got);
      const want = mechanism === 'sigsys' && row.sigsys !== undefined ? row.sigsys : row.expect;
      for (const [k, v] of Object.entries(want)) expect(out.get(k), `${mechanism}: ${k}`).toBe(v);
      if (want === row.expect) expect(got, mechanism).toBe(reference);
    }
  });

  it.each(FULL)('%s: a dynamically linked shell and its children see the persona', async (mechanism) => {
    const out = await run(mechanism, '2.6.32', ['sh', '-c', 'uname -r; cat /proc/version /proc/sys/kernel/osrelease']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('2.6.32');
    expect(lines[1]).toMatch(/^Linux version 2\.6\.32 /);
    expect(lines[2]).toBe('2.6.32');
  });
});

describe('sigsys: where it fits', () => {
  it('says which calls it answers ENOSYS because their handler runs in TypeScript', async () => {
    const r = await runCli(['run', '--mechanism', 'sigsys', '--kernel', '2.6.32', '--', programPath('legacy-sysctl')]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stderr).toMatch(/sigsys: .*_sysctl.* answered ENOSYS/);
  });

  it('threads all see the persona', async () => {
    const out = parseOutput(await run('sigsys', '4.19', [programPath('threads'), '8']));
    expect(out.get('consistent')).toBe('1');
  });

  it('refuses exec inside the program with a message (the new image would lose the handler)', async () => {
    const r = await runCli(['run', '--quiet', '--mechanism', 'sigsys', '--kernel', '4.19', '--', 'sh', '-c', 'exec true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/exec is refused under --mechanism sigsys/);
  });

  it('refuses a statically linked program before starting it', async () => {
    const r = await runCli(['run', '--mechanism', 'sigsys', '--', path.join(path.dirname(programPath('loop-mt')), 'loop-mt-static'), 'getppid', '1', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/statically linked.*use --mechanism notify or ptrace/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('passes the exit status through, and SIGTERM sent to cr-shim reaches the program', async () => {
    const r = await runCli(['run', '--quiet', '--mechanism', 'sigsys', '--', programPath('syscall'), '999999']);
    expect(r.status, describeResult(r)).toBe(0);
    const p = startCli(['run', '--quiet', '--mechanism', 'sigsys', '--kernel', '4.19', '--', programPath('signals')]);
    await p.waitForLine('ready=1');
    p.kill('SIGTERM');
    const s = await p.result;
    expect(s.stdout).toContain('got=SIGTERM');
    expect(s.status, describeResult(s)).toBe(10 + 15);
  });
});

describe.each(FULL)('%s keeps run\'s process handling', (mechanism) => {
  it('threads all see the persona', async () => {
    const out = parseOutput(await run(mechanism, '4.19', [programPath('threads'), '8']));
    expect(out.get('consistent')).toBe('1');
    expect(out.get('reference_release')).toBe('4.19');
  });

  it('children, exec\'d programs and orphaned grandchildren stay under it until the tree is gone', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-mech-tree-')), 'grandchild');
    const out = parseOutput(await run(mechanism, '3.10.0', [programPath('tree'), programPath('uname'), file]));
    expect(out.get('child_release')).toBe('3.10.0');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('release=3.10.0');
  });

  it('passes the exit status through, and 128+N for a program killed by signal N', async () => {
    const r = await runCli(['run', '--quiet', '--mechanism', mechanism, '--', 'sh', '-c', 'exit 7']);
    expect(r.status, describeResult(r)).toBe(7);
    const k = await runCli(['run', '--quiet', '--mechanism', mechanism, '--', 'sh', '-c', 'kill -TERM $$']);
    expect(k.status, describeResult(k)).toBe(128 + 15);
  });

  it('SIGTERM sent to cr-shim reaches the program', async () => {
    const p = startCli(['run', '--quiet', '--mechanism', mechanism, '--kernel', '4.19', '--', programPath('signals')]);
    await p.waitForLine('ready=1');
    p.kill('SIGTERM');
    const r = await p.result;
    expect(r.stdout).toContain('got=SIGTERM');
    expect(r.status, describeResult(r)).toBe(10 + 15);
  });

  it('if cr-shim dies, the program dies with it', async () => {
    const p = startCli(['run', '--quiet', '--mechanism', mechanism, '--kernel', '4.19', '--', programPath('sleeper')]);
    await p.waitForLine('ready=1');
    const pid = Number(/^pid=(\d+)$/m.exec(p.stdout())![1]);
    p.kill('SIGKILL');
    await p.result;
    const gone = (): boolean => !fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readOr(`/proc/${pid}/status`));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !gone()) await new Promise((r) => setTimeout(r, 50));
    expect(gone()).toBe(true);
  });

  it('a missing program: exit 127 with the launcher\'s message', async () => {
    const r = await runCli(['run', '--mechanism', mechanism, '--', '/nonexistent/prog']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/\/nonexistent\/prog: No such file or directory/);
  });

  it('--trace writes one JSON line per handled call', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-mech-trace-')), 'trace.jsonl');
    const r = await runCli(['run', '--quiet', '--mechanism', mechanism, '--kernel', '2.6.32', '--trace', file, '--', programPath('uname')]);
    expect(r.status, describeResult(r)).toBe(0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { syscall: string; result: number | string });
    expect(lines.find((l) => l.syscall === 'uname')?.result).toBe(0);
  });
});

describe('--mechanism', () => {
  it('an unknown mechanism is a usage error naming the known ones', async () => {
    const r = await runCli(['run', '--mechanism', 'magic', '--', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown mechanism magic.*notify, ptrace, sigsys/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

function readOr(f: string): string {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
