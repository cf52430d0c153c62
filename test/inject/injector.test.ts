// cr-shim-inject against real processes (no CRIU): cr-subject run natively is
// put under a filter that sends uname to a listener. Whoever holds the listener
// answers; once it is closed the kernel fails the trapped call with ENOSYS and
// cr-subject exits with that errno (38), which proves the filter is in force.
import { closeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { injectFilter, InjectError } from '../../src/inject/injector.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { notifyFilter } from '../native/fixtures/harness.js';
import { readProgress, startSubject, statusField, threadIds, waitProgress, type Subject } from './subject.js';

requireShimBuilt();

const NR_UNAME = 63;
const ENOSYS = 38;
const filter = notifyFilter([NR_UNAME]);

const started: Subject[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const s of started.splice(0)) s.child.kill('SIGKILL');
});

async function subject(mode: Parameters<typeof startSubject>[0]): Promise<Subject> {
  const s = await startSubject(mode);
  started.push(s);
  return s;
}

function state(pid: number): string | undefined {
  return statusField(pid, 'State')?.[0];
}

describe('cr-shim-inject', () => {
  it('puts every thread of a running process under one filter, and the process runs on', async () => {
    const s = await subject('threads');
    const before = readProgress(s.state)!;
    const r = await injectFilter({ pids: [s.pid], filter });
    expect(r.processes).toEqual([s.pid]);
    expect(r.listeners.map((l) => l.pid)).toEqual([s.pid]);
    for (const tid of threadIds(s.pid)) expect(statusField(s.pid, 'Seccomp_filters', tid)).toBe('1');
    // Root holds CAP_SYS_ADMIN: no_new_privs was not needed, so not set.
    expect(statusField(s.pid, 'NoNewPrivs')).toBe('0');
    expect(state(s.pid)).not.toBe('T');
    // The listener is ours, not the task's: no seccomp anon fd was left behind in it.
    closeSync(r.listeners[0]!.fd);
    expect(await s.exited).toEqual({ code: ENOSYS, signal: null });
    expect(readProgress(s.state)!.counter).toBeGreaterThanOrEqual(before.counter);
  });

  it('leaves a stopped process stopped, with its registers as they were', async () => {
    const s = await subject('single');
    s.child.kill('SIGSTOP');
    await expect.poll(() => state(s.pid)).toBe('T');
    const r = await injectFilter({ pids: [s.pid], filter });
    fds.push(...r.listeners.map((l) => l.fd));
    // Detached, a task in group stop wakes only to stop again in the kernel's signal path (its
    // JOBCTL_STOP_PENDING survives the detach), running no user code: 'R' for a moment, then 'T'.
    await expect.poll(() => state(s.pid)).toBe('T');
    expect(statusField(s.pid, 'Seccomp_filters')).toBe('1');
    // Resumed with nobody answering uname: it blocks there, so the counter stops at most one tick on.
    const stopped = readProgress(s.state)!.counter;
    s.child.kill('SIGCONT');
    await expect.poll(() => state(s.pid)).not.toBe('T');
    closeSync(fds.pop()!);
    expect(await s.exited).toEqual({ code: ENOSYS, signal: null });
    expect(readProgress(s.state)!.counter).toBeLessThanOrEqual(stopped + 1);
  });

  it('walks descendants and passes over a zombie child', async () => {
    const s = await subject('tree');
    const r = await injectFilter({ pids: [s.pid], descendants: true, filter });
    fds.push(...r.listeners.map((l) => l.fd));
    expect(r.processes).toEqual([s.pid]);
  });

  it('a pid that does not exist: InjectError ESRCH, nothing filtered', async () => {
    const err = await injectFilter({ pids: [999_999_999], filter }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InjectError);
    expect(err).toMatchObject({ code: 'ESRCH', step: 'seize', filtered: [], processes: [] });
    expect((err as Error).message).toMatch(/no such process 999999999/);
  });

  it('a process already under a listener: EBUSY, and no second filter', async () => {
    const s = await subject('single');
    const first = await injectFilter({ pids: [s.pid], filter });
    fds.push(...first.listeners.map((l) => l.fd));
    const err = await injectFilter({ pids: [s.pid], filter }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EBUSY', step: 'seccomp', filtered: [], processes: [s.pid] });
    expect((err as Error).message).toMatch(/already runs under another supervisor's seccomp listener/);
    expect(statusField(s.pid, 'Seccomp_filters')).toBe('1');
  });

  it('threads under different filters: TSYNC refuses, so every thread gets the filter itself, one listener each', async () => {
    const s = await subject('divergent');
    const tids = threadIds(s.pid);
    const injected = await injectFilter({ pids: [s.pid], filter });
    fds.push(...injected.listeners.map((l) => l.fd));
    expect(injected.listeners.length).toBe(tids.length);
    expect(injected.listeners.every((l) => l.pid === s.pid)).toBe(true);
    // Every thread has one filter more than before: thread 0 of the subject had its own already.
    const counts = tids.map((t) => Number(statusField(s.pid, 'Seccomp_filters', t)));
    expect(counts.sort()).toEqual([...Array(tids.length - 1).fill(1), 2]);
    const now = readProgress(s.state)!.counter;
    for (const l of injected.listeners.splice(0)) closeSync(l.fd);
    fds.length = 0;
    // Closed: the trapped uname fails with ENOSYS and the subject exits with it.
    expect(await s.exited).toEqual({ code: ENOSYS, signal: null });
    expect(readProgress(s.state)!.counter).toBeLessThanOrEqual(now + 1);
  });
});
