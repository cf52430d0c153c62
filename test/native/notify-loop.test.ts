// The notification loop addon against the real kernel: cr-shim-launch installs
// a hand-written filter, the listener goes to cr_shim_notify, recv runs on a
// worker thread as in the supervisor.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { NativeKind, type NativeAction, type NotifyHandle } from '../../src/native/addon-types.js';
import { loadAddon } from '../../src/native/addon.js';
import { launchUnderFilter, type LaunchedChild } from '../../src/native/launcher.js';
import { buildProbe, notifyFilter, RecvWorker } from './fixtures/harness.js';

const addon = loadAddon();
const X86_64 = AUDIT_ARCH.x86_64;
const { EPERM, ENOSYS, EFAULT, ENOENT, EINPROGRESS } = constants.errno;
// Syscall numbers of the x86_64 ABI, for the hand-written filter only.
const NR = { getpid: 39, uname: 63, getppid: 110, openat: 257 } as const;
const AT_FDCWD = -100;

interface Run {
  child: LaunchedChild;
  handle: NotifyHandle;
  worker: RecvWorker;
  /** stdout, stderr and exit status once the program has exited and its pipes closed. */
  result: Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }>;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Once `stream` has closed (the program's end of its pipe is gone). */
function closedOf(stream: NodeJS.ReadableStream | undefined): Promise<void> {
  return new Promise((resolve) => (stream ? stream.on('close', () => resolve()) : resolve()));
}

/** A shell status as an exit code or signal name. */
function codeOrSignal(shell: number): { code: number | null; signal: NodeJS.Signals | null } {
  const signal = shell > 128 ? ((Object.entries(constants.signals).find(([, n]) => n === shell - 128)?.[0] as NodeJS.Signals | undefined) ?? null) : null;
  return { code: signal ? null : shell, signal };
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Launch program under a filter trapping `nrs`, with `actions` for x86_64 set before exec. */
async function run(program: string, args: string[], nrs: number[], actions: NativeAction[] = []): Promise<Run> {
  let handle = -1;
  const launched = await launchUnderFilter(program, args, notifyFilter(nrs), {
    stdio: ['ignore', 'pipe', 'pipe'],
    beforeExec: (fd) => {
      handle = addon.open(fd);
      addon.setActions(handle, X86_64, actions);
    },
  });
  const { child } = launched;
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = Promise.all([child.exited, closedOf(child.stdout), closedOf(child.stderr)]).then(([shell]) => ({ stdout, stderr, ...codeOrSignal(shell) }));
  const worker = new RecvWorker(handle);
  cleanups.push(async () => {
    child.kill('SIGKILL');
    addon.close(handle);
    await worker.terminate();
  });
  expect(await launched.exec).toBeNull();
  return { child, handle, worker, result };
}

function utsname(fields: string[]): Uint8Array {
  const b = Buffer.alloc(6 * 65);
  fields.forEach((f, i) => b.write(f, i * 65));
  return b;
}

let probe: string;
beforeAll(() => {
  probe = buildProbe();
});

describe('native verdicts', () => {
  it('writeArg makes uname -r print a fake release, and is counted', async () => {
    const bytes = utsname(['Linux', 'oldbox', '5.10.0-fake', '#1 SMP', 'x86_64', '(none)']);
    const r = await run('uname', ['-r'], [NR.uname], [{ nr: NR.uname, kind: NativeKind.writeArg, arg: 0, bytes, val: 0 }]);
    const out = await r.result;
    expect(out).toMatchObject({ code: 0, stdout: '5.10.0-fake\n' });
    const stat = addon.stats(r.handle).find((s) => s.nr === NR.uname);
    expect(stat).toMatchObject({ arch: X86_64, nr: NR.uname });
    expect(stat!.count).toBeGreaterThanOrEqual(1);
    expect(stat!.totalNs).toBeGreaterThan(0);
    expect(await r.worker.next()).toBeNull();
  });

  it('writeArg to an unwritable address fails the call with EFAULT', async () => {
    const bytes = utsname(['Linux']);
    const r = await run(probe, [String(NR.uname), '0x1'], [NR.uname], [{ nr: NR.uname, kind: NativeKind.writeArg, arg: 0, bytes, val: 0 }]);
    expect((await r.result).stdout).toBe(`ret=-1 errno=${EFAULT}\n`);
  });

  it('errno fails the call with that errno', async () => {
    const r = await run(probe, [String(NR.getppid)], [NR.getppid], [{ nr: NR.getppid, kind: NativeKind.errno, errno: EPERM }]);
    expect((await r.result).stdout).toBe(`ret=-1 errno=${EPERM}\n`);
    expect(addon.stats(r.handle)).toEqual([{ arch: X86_64, nr: NR.getppid, count: 1, totalNs: expect.any(Number) }]);
  });

  it('continue lets the kernel run the call', async () => {
    const r = await run(probe, [String(NR.getpid)], [NR.getpid], [{ nr: NR.getpid, kind: NativeKind.continue }]);
    expect((await r.result).stdout).toBe(`ret=${r.child.pid} errno=0\n`);
  });

  it('pathWatch continues other paths natively and defers the watched name to JS', async () => {
    const watch = [{ nr: NR.openat, kind: NativeKind.pathWatch, arg: 1, names: ['version'] }];
    // The dynamic loader's own openat calls are continued natively; only /proc/version reaches JS.
    const r = await run(probe, [String(NR.openat), String(AT_FDCWD), 's:/proc/version', '0'], [NR.openat], watch);
    const n = (await r.worker.next())!;
    expect(n.nr).toBe(NR.openat);
    expect(addon.respond(r.handle, n.id, 0n, ENOENT, 0)).toBe(0);
    expect((await r.result).stdout).toBe(`ret=-1 errno=${ENOENT}\n`);
    expect(addon.stats(r.handle)[0]!.count).toBeGreaterThan(0);
  });

  it('pathWatch defers an unreadable path to JS', async () => {
    const watch = [{ nr: NR.openat, kind: NativeKind.pathWatch, arg: 1, names: ['version'] }];
    const r = await run(probe, [String(NR.openat), String(AT_FDCWD), '0x1', '0'], [NR.openat], watch);
    const n = (await r.worker.next())!;
    expect(n.args[1]).toBe(1n);
    addon.respond(r.handle, n.id, 0n, EFAULT, 0);
    expect((await r.result).stdout).toBe(`ret=-1 errno=${EFAULT}\n`);
  });
});

describe('deferred notifications', () => {
  it('reach JS with nr, arch, pid and args; respond and idValid work', async () => {
    const r = await run(probe, [String(NR.getppid), '1', '2', '3', '4', '5', '0xffffffffffffffff'], [NR.getppid]);
    const n = (await r.worker.next())!;
    expect(n).toMatchObject({ nr: NR.getppid, arch: X86_64, pid: r.child.pid, flags: 0 });
    expect(n.args).toEqual([1n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn]);
    expect(typeof n.id).toBe('bigint');
    expect(n.receivedNs).toBeGreaterThan(0n);
    expect(addon.idValid(r.handle, n.id)).toBe(true);
    expect(addon.respond(r.handle, n.id, 4242n, 0, 0)).toBe(0);
    expect(addon.idValid(r.handle, n.id)).toBe(false);
    // Answering twice: EINPROGRESS while the task has not yet woken up, ENOENT once it has.
    expect([ENOENT, EINPROGRESS]).toContain(addon.respond(r.handle, n.id, 0n, 0, 0));
    expect((await r.result).stdout).toBe('ret=4242 errno=0\n');
  });

  it('addFdAndSend installs an fd in the tracee and answers with its number', async () => {
    const r = await run(probe, [String(NR.getppid)], [NR.getppid]);
    const n = (await r.worker.next())!;
    const fd = openSync('/dev/null', 'r');
    cleanups.push(() => closeSync(fd));
    const O_CLOEXEC = 0o2000000;
    const remote = addon.addFdAndSend(r.handle, n.id, fd, O_CLOEXEC);
    expect(remote).toBeGreaterThanOrEqual(3);
    expect((await r.result).stdout).toBe(`ret=${remote} errno=0\n`);
  });

  it('setActions replaces the table while the loop runs', async () => {
    const r = await run(probe, [String(NR.getppid)], [NR.getppid]);
    const n = (await r.worker.next())!;
    // Swapped while the worker is blocked in recv; the next notification would use it.
    addon.setActions(r.handle, X86_64, [{ nr: NR.getppid, kind: NativeKind.errno, errno: EPERM }]);
    addon.setActions(r.handle, AUDIT_ARCH.ia32, [{ nr: 64, kind: NativeKind.continue }]);
    addon.respond(r.handle, n.id, 7n, 0, 0);
    expect((await r.result).stdout).toBe('ret=7 errno=0\n');
  });
});

/** Launch program under a filter trapping `nrs`, the loop watched natively (no recv worker) from before exec. */
async function watched(program: string, args: string[], nrs: number[], actions: NativeAction[] = []) {
  let handle = -1;
  let event!: Promise<{ what: string; message: string }>;
  const { child, exec } = await launchUnderFilter(program, args, notifyFilter(nrs), {
    stdio: ['ignore', 'pipe', 'pipe'],
    beforeExec: (fd) => {
      handle = addon.open(fd);
      addon.setActions(handle, X86_64, actions);
      event = new Promise((resolve) => addon.watch(handle, (what, message) => resolve({ what, message })));
    },
  });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const result = Promise.all([child.exited, closedOf(child.stdout)]).then(() => stdout);
  cleanups.push(() => {
    child.kill('SIGKILL');
    addon.close(handle);
  });
  expect(await exec).toBeNull();
  return { child, handle, event, result };
}

describe('watch: the loop on a native thread until JS is needed', () => {
  it('answers natively and reports the end once every task is gone, with no worker', async () => {
    const r = await watched(probe, [String(NR.getppid)], [NR.getppid], [{ nr: NR.getppid, kind: NativeKind.errno, errno: EPERM }]);
    expect(await r.result).toBe(`ret=-1 errno=${EPERM}\n`);
    expect(await r.event).toEqual({ what: 'end', message: '' });
    expect(addon.stats(r.handle)).toEqual([{ arch: X86_64, nr: NR.getppid, count: 1, totalNs: expect.any(Number) }]);
  });

  it('hands the first notification that needs JS to the next recv, then the worker carries on', async () => {
    const r = await watched(probe, [String(NR.getppid), '7'], [NR.getppid]);
    expect(await r.event).toEqual({ what: 'js', message: '' });
    const worker = new RecvWorker(r.handle);
    cleanups.push(() => worker.terminate());
    const n = (await worker.next())!;
    expect(n).toMatchObject({ nr: NR.getppid, pid: r.child.pid, handle: r.handle });
    expect(n.args[0]).toBe(7n);
    addon.respond(n.handle, n.id, 4242n, 0, 0);
    expect(await r.result).toBe('ret=4242 errno=0\n');
    expect(await worker.next()).toBeNull();
  });

  it('stop wakes the watching thread, which reports the end', async () => {
    // sleep never makes the trapped call: the thread waits in poll until stopped.
    const r = await watched('sleep', ['30'], [NR.getppid]);
    addon.stop(r.handle);
    expect(await r.event).toEqual({ what: 'end', message: '' });
    r.child.kill('SIGKILL');
    await r.result;
  });
});

describe('loop lifecycle', () => {
  it('recv returns null once the program has exited (POLLHUP)', async () => {
    const r = await run('true', [], [NR.uname]);
    expect((await r.result).code).toBe(0);
    expect(await r.worker.next()).toBeNull();
  });

  it('stop wakes a blocked recv', async () => {
    const r = await run('sleep', ['30'], [NR.uname]);
    // Give the worker time to block in NOTIF_RECV (sleep makes no trapped call), then stop it
    // from the main thread. A stop that came first is also answered with null, so the verdict
    // holds either way; the test's own timeout bounds how long the wake-up may take.
    setTimeout(() => addon.stop(r.handle), 100);
    expect(await r.worker.next()).toBeNull();
    // Later calls return null at once.
    expect(addon.recv(r.handle)).toBeNull();
  });

  it('closing the listener makes trapped calls fail with ENOSYS', async () => {
    const r = await run(probe, [String(NR.getppid)], [NR.getppid]);
    await r.worker.next();
    addon.close(r.handle);
    expect(await r.worker.next()).toBeNull();
    expect((await r.result).stdout).toBe(`ret=-1 errno=${ENOSYS}\n`);
  });

  it('names the operation and errno in thrown errors', () => {
    expect(() => addon.open(9999)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^E/) }));
    expect(() => addon.recv(0x7fffffff)).toThrow(/unknown or closed handle/);
    const h = addon.open(openSync('/dev/null', 'r'));
    expect(() => addon.setActions(h, X86_64, [{ nr: 5000, kind: NativeKind.errno, errno: 1 }])).toThrow(/nr out of range/);
    expect(() => addon.setActions(h, X86_64, [{ nr: 1, kind: NativeKind.errno }])).toThrow(/errno missing/);
    expect(() => addon.setActions(h, X86_64, [{ nr: 59, kind: NativeKind.execVdso, helper: '/bin/true' }])).toThrow(/val \(the version code\) missing/);
    expect(() => addon.setActions(h, X86_64, [{ nr: 59, kind: NativeKind.execVdso, val: -1, helper: '/bin/true' }])).toThrow(/must be 0\.\.2\^32-1/);
    expect(() => addon.setActions(h, X86_64, [{ nr: 59, kind: NativeKind.execVdso, val: 0x41300 }])).toThrow(/helper must be the path/);
    addon.close(h);
    // A worker returning to recv after close() sees the end of the loop, not an error.
    expect(addon.recv(h)).toBeNull();
    expect(() => addon.stats(h)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
  it('takes a verdict for every syscall number the table schema allows, and none beyond', () => {
    const schema = JSON.parse(readFileSync(new URL('../../tables/schema/syscall-table.schema.json', import.meta.url), 'utf8')) as {
      properties: { syscalls: { items: { properties: { nr: { maximum: number } } } } };
    };
    const max = schema.properties.syscalls.items.properties.nr.maximum;
    const h = addon.open(openSync('/dev/null', 'r'));
    try {
      expect(() => addon.setActions(h, X86_64, [{ nr: max, kind: NativeKind.errno, errno: 1 }])).not.toThrow();
      expect(() => addon.setActions(h, X86_64, [{ nr: max + 1, kind: NativeKind.errno, errno: 1 }])).toThrow(/nr out of range/);
    } finally {
      addon.close(h);
    }
  });
});

describe('several listeners in one loop', () => {
  it('polls a listener added while recv is blocked; each notification names its listener; null once all are gone', async () => {
    let handle = -1;
    let second = -1;
    const launch = (beforeExec: (fd: number) => void, arg: string) =>
      launchUnderFilter(probe, [String(NR.getppid), arg], notifyFilter([NR.getppid]), { stdio: ['ignore', 'pipe', 'pipe'], beforeExec });
    const outputOf = (child: LaunchedChild) =>
      new Promise<string>((resolve) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stdout!.on('close', () => resolve(out));
      });

    const a = await launch((fd) => (handle = addon.open(fd)), '1');
    const worker = new RecvWorker(handle);
    cleanups.push(async () => {
      addon.close(handle);
      await worker.terminate();
    });
    const aOut = outputOf(a.child);
    const first = (await worker.next())!;
    expect(first.handle).toBe(handle);
    // The worker is back in recv, blocked on the first listener only, when the second one arrives.
    const b = await launch((fd) => (second = addon.addListener(handle, fd)), '2');
    const bOut = outputOf(b.child);
    expect(second).not.toBe(handle);
    const n = (await worker.next())!;
    expect(n).toMatchObject({ handle: second, pid: b.child.pid, args: [2n, 0n, 0n, 0n, 0n, 0n] });
    // An id belongs to one listener: the other does not know it.
    expect(addon.respond(handle, n.id, 0n, 0, 0)).toBe(ENOENT);
    expect(addon.idValid(n.handle, n.id)).toBe(true);
    expect(addon.respond(n.handle, n.id, 22n, 0, 0)).toBe(0);
    expect(addon.respond(first.handle, first.id, 11n, 0, 0)).toBe(0);
    expect(await aOut).toBe('ret=11 errno=0\n');
    expect(await bOut).toBe('ret=22 errno=0\n');
    expect(await worker.next()).toBeNull();
  });

  it('rejects a listener index the loop does not have', () => {
    const h = addon.open(openSync('/dev/null', 'r'));
    expect(() => addon.respond(h + 1, 1n, 0n, 0, 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    addon.close(h);
  });
});
