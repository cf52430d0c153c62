/**
 * Reading the filters of live tasks with ptrace (src/bpf/task-filters.ts),
 * against processes of the seccomp fixture that installed known filters.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { asm } from '../../src/bpf/asm.js';
import { encode } from '../../src/bpf/encode.js';
import { shareChains } from '../../src/bpf/filter-sharing.js';
import { readThreadFilters, threadsOf } from '../../src/bpf/task-filters.js';
import { KernelError } from '../../src/errors.js';
import { parseOutput } from '../helpers/parse-output.js';
import { startProcess, type RunningProcess } from '../helpers/run-process.js';
import { buildFixture, hex } from './fixtures/seccomp-fixture.js';

const fixture = buildFixture();

// Three distinct filters that allow everything the fixture does while it waits.
const FIRST = asm('return ALLOW');
const SECOND = asm(['A = sys_number', 'if (A != 0x3e7) goto 0003', 'return ERRNO(1)', 'return ALLOW'].join('\n'));
const THIRD = asm(['A = sys_number', 'if (A != 0x3e8) goto 0003', 'return ERRNO(2)', 'return ALLOW'].join('\n'));

const running: RunningProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
});

async function start(args: string[]): Promise<{ pid: number; tid: number }> {
  const p = startProcess(fixture, args);
  running.push(p);
  await p.waitForLine('ready=1', 10_000);
  const out = parseOutput(p.stdout());
  return { pid: Number(out.get('pid')), tid: Number(out.has('tid') ? out.get('tid') : 0) };
}

function caught(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
  throw new Error('expected a KernelError');
}

describe('readThreadFilters', () => {
  it('index 0 is the oldest filter (not the newest, as ptrace(2) says), each as installed', async () => {
    const { pid } = await start(['hold', hex(FIRST), hex(SECOND), hex(THIRD)]);
    const [t] = readThreadFilters([pid]);
    expect(t!.tid).toBe(pid);
    expect(t!.mode).toBe(2);
    expect(t!.filters.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(t!.filters.map((f) => f.insns)).toEqual([encode(FIRST), encode(SECOND), encode(THIRD)]);
  });

  it('reports SECCOMP_FILTER_FLAG_LOG per filter (PTRACE_SECCOMP_GET_METADATA)', async () => {
    const { pid } = await start(['hold', hex(FIRST), `log:${hex(SECOND)}`]);
    expect(readThreadFilters([pid])[0]!.filters.map((f) => f.flags)).toEqual([0, 2]);
  });

  it('leaves the task running, untraced', async () => {
    const { pid } = await start(['hold', hex(FIRST)]);
    readThreadFilters([pid]);
    readThreadFilters([pid]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^TracerPid:\s+0$/m);
    // Running or sleeping, as it was: not left stopped (T) or in a trace stop (t).
    expect(status).toMatch(/^State:\s+[RS]/m);
  });

  it('a task without filters: mode 0, no filters', async () => {
    const { pid } = await start(['hold']);
    expect(readThreadFilters([pid])).toEqual([{ tid: pid, mode: 0, filters: [] }]);
  });

  it('threads: a filter installed by one thread is its own; inherited ones are shared', async () => {
    const { pid, tid } = await start(['hold', hex(FIRST), '--thread', hex(SECOND)]);
    const tids = threadsOf(pid);
    expect(tids).toEqual([pid, tid]);
    const threads = readThreadFilters(tids);
    expect(threads.map((t) => t.filters.length)).toEqual([1, 2]);
    const sharing = shareChains(threads);
    expect(sharing.filters.map((f) => ({ prev: f.prev, holders: f.holders, insns: f.insns }))).toEqual([
      { prev: undefined, holders: [pid, tid], insns: encode(FIRST) },
      { prev: 0, holders: [tid], insns: encode(SECOND) },
    ]);
    expect(sharing.holders).toEqual([
      { id: pid, mode: 2, chain: [0] },
      { id: tid, mode: 2, chain: [0, 1] },
    ]);
  });

  it('a task another tracer holds: EBUSY naming the tracer', async () => {
    const { pid } = await start(['traced']);
    const err = caught(() => readThreadFilters([pid]));
    expect(err.code).toBe('EBUSY');
    expect(err.op).toBe(`ptrace(PTRACE_SEIZE, ${pid})`);
    expect(err.message).toMatch(new RegExp(`task ${pid} is already traced by pid \\d+ \\(seccomp-fixture\\)`));
  });

  it('no such task: ESRCH', () => {
    const err = caught(() => readThreadFilters([0x3ffffff0]));
    expect(err.code).toBe('ESRCH');
    expect(err.message).toBe(`no task ${0x3ffffff0}`);
    expect(caught(() => threadsOf(0x3ffffff0)).code).toBe('ESRCH');
  });

  it('its own process: EPERM with a hint', () => {
    const err = caught(() => readThreadFilters([process.pid]));
    expect(err.code).toBe('EPERM');
    expect(err.hint).toMatch(/CAP_SYS_PTRACE.*CAP_SYS_ADMIN/);
  });
});
