/**
 * The native front's TypeScript helper (dist/supervisor/handover-main.js, docs/FRONT.md "When a
 * call needs TypeScript"), with this test playing the front: the program runs under a compiled
 * run's filter with the native loop until a call needs a TypeScript handler; then the loop is
 * closed, and the helper gets the listener, the tables and the held call, and supervises the
 * rest. The program must print what `cr-shim run` makes it print.
 *
 * The call: _sysctl under 2.6.32 (removed in 5.5, answered by handlers/sysctl.ts; no native verdict).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadNotifyAddon } from '../../src/native/addon.js';
import { AUDIT_ARCH } from '../../src/arch.js';
import type { NativeStat, Notification, NotifyHandle } from '../../src/native/addon-types.js';
import { claimChild } from '../../src/native/child-claims.js';
import { FrameReader, launchUnderFilter, takeListener } from '../../src/native/launcher.js';
import { fdPair, killQuietly, spawnProcess } from '../../src/native/spawn.js';
import type { CompiledRun } from '../../src/supervisor/compiled-run-types.js';
import { encodeRecords, FrontTag, MAX_RECORD_BODY } from '../../src/supervisor/front-records.js';
import { encodeHandover } from '../../src/supervisor/handover-records.js';
import { FORWARDED_SIGNALS } from '../../src/supervisor/signal-forwarder.js';
import { programPath, REPO_ROOT } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const HELPER = path.join(REPO_ROOT, 'dist', 'supervisor', 'handover-main.js');
const KERNEL = '2.6.32';
const addon = loadNotifyAddon();

let run: CompiledRun;
/** Each arch's table in the binary form the front reads from the session cache. */
let tables: Uint8Array[];

beforeAll(() => requireShimBuilt());

/** Processes a test started and still has to end, should it fail half-way. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) killQuietly(pid, 'SIGKILL');
});

/** struct seccomp_notif as NOTIF_RECV writes it: id u64, pid u32, flags u32, nr i32, arch u32, instruction_pointer u64, args 6 × u64. */
function rawNotification(n: Notification): Buffer {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(n.id, 0);
  b.writeUInt32LE(n.pid, 8);
  b.writeUInt32LE(n.flags, 12);
  b.writeInt32LE(n.nr, 16);
  b.writeUInt32LE(n.arch >>> 0, 20);
  b.writeBigUInt64LE(n.instructionPointer, 24);
  n.args.forEach((a, i) => b.writeBigUInt64LE(a, 32 + 8 * i));
  return b;
}

function collect(stream: Readable | undefined): Promise<string> {
  if (stream === undefined) return Promise.resolve('');
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return new Promise((resolve) => stream.on('close', () => resolve(text)));
}

interface Helper {
  pid: number;
  /** The front's end of fd 3. */
  channel: net.Socket;
  reader: FrameReader;
  status: Promise<number>;
  stderr: Promise<string>;
}

/** Start the helper as the front does: fd 3 a stream socket to us, fd 4 `listenerFd` (copied). */
function startHelper(listenerFd: number, frontPid = process.pid): Helper {
  const [ours, theirs] = fdPair('socketpair');
  let spawned;
  try {
    spawned = spawnProcess(process.execPath, [process.execPath, HELPER, String(frontPid)], { stdio: ['ignore', 'inherit', 'pipe'], extraFds: [theirs, listenerFd] });
  } finally {
    fs.closeSync(theirs);
  }
  started.push(spawned.pid);
  const status = claimChild(spawned.pid, { keepAlive: true });
  const channel = new net.Socket({ fd: ours, readable: true, writable: true });
  return { pid: spawned.pid, channel, reader: new FrameReader(channel), status, stderr: collect(spawned.stderr) };
}

/** Past the prctl, the parent check and its signal handlers: blocked reading fd 3 (read is syscall 0 on x86_64). */
async function waitingForRecords(pid: number): Promise<void> {
  const syscallOf = (): string | undefined => {
    try {
      return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      return undefined;
    }
  };
  await waitFor(`helper ${pid} waiting for its records`, () => (/^0 0x3 /.test(syscallOf() ?? '') ? true : undefined));
}

/** The helper's one line, parsed, and its exit status. */
async function helperEnd(h: Helper): Promise<{ line: Record<string, unknown>; status: number; stderr: string }> {
  const text = await h.reader.line();
  const status = await h.status;
  const stderr = await h.stderr;
  expect(text, `the helper wrote no line; stderr: ${stderr}`).not.toBeNull();
  return { line: JSON.parse(text!) as Record<string, unknown>, status, stderr };
}

/**
 * Run `program` as the front would: native loop until "js", then the helper. `damage` changes
 * the tables sent. Returns the program's output and status with the helper's end.
 */
async function runHandedOver(program: string, args: string[], damage?: (t: Uint8Array[]) => Uint8Array[]) {
  let h: NotifyHandle | undefined;
  let helperListener = -1;
  let needsJs!: Promise<void>;
  const { child } = await launchUnderFilter(program, args, run.filter, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(run.identity ? { identity: new Map(run.identity) } : {}),
    ...(run.added ? { added: new Map(run.added) } : {}),
    beforeExec: (listenerFd) => {
      // The loop owns its fd: the helper gets a copy of its own.
      helperListener = takeListener(process.pid, listenerFd);
      h = addon.open(listenerFd);
      for (const t of tables) addon.setEncodedActions(h, t);
      needsJs = new Promise((resolve, reject) => addon.watch(h!, (what, message) => (what === 'js' ? resolve() : reject(new Error(`the loop ended before a call needed TypeScript: ${what} ${message}`)))));
    },
  });
  started.push(child.pid);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  await needsJs;
  // The call watch stopped at; held by the loop, so this recv does not block.
  const n = addon.recv(h!);
  expect(n, 'the held notification').not.toBeNull();
  // Our copy keeps the listener open (as the front's guard does): the held call waits, it does not fail.
  addon.close(h!);
  const helper = startHelper(helperListener);
  fs.closeSync(helperListener);
  helper.channel.write(encodeHandover({ worker: run.worker, tables: damage ? damage(tables) : tables, notification: rawNotification(n!), receivedNs: n!.receivedNs }));
  const end = await helperEnd(helper);
  if (end.status !== 0) child.kill('SIGKILL');
  return { n: n!, helper: end, program: { status: await child.exited, stdout: await stdout, stderr: await stderr } };
}

describe('the helper takes over a held call', () => {
  beforeAll(async () => {
    const { prepareSession } = await import('../../src/supervisor/session.js');
    const { compileRun } = await import('../../src/supervisor/compiled-run.js');
    // As `run` compiles it for root: identity files bind-mounted, io_uring refused (src/cli/run-view.ts).
    run = compileRun(prepareSession(KERNEL, { view: { identityMounted: true, ioUring: false } }), { native: true });
    tables = run.nativeActions.map(([audit, actions]) => addon.encodeActions(audit, actions));
  });

  it('and the program prints what cr-shim run makes it print', async () => {
    const prog = programPath('legacy-sysctl');
    const got = await runHandedOver(prog, []);
    const cli = await runCli(['run', '--kernel', KERNEL, '--', prog], { env: { ...process.env, CR_SHIM_SESSION_CACHE: 'off' } });
    expect(cli.status, cli.stderr).toBe(0);

    expect(got.n.nr, 'the call that needed TypeScript').toBe(run.worker.routes.find((r) => r.name === '_sysctl')!.nr);
    expect(got.helper.status, got.helper.stderr).toBe(0);
    expect(got.program).toMatchObject({ status: 0, stdout: cli.stdout });
    expect(got.program.stdout).toMatch(new RegExp(`^sysctl_osrelease=${KERNEL.replace(/\./g, '\\.')}`, 'm'));

    const line = got.helper.line as { stats: { name: string; path: string; count: number }[]; native: NativeStat[]; maxRssKiB: number };
    expect(Object.keys(line).sort()).toEqual(['maxRssKiB', 'native', 'stats']);
    expect(line.stats).toContainEqual(expect.objectContaining({ name: '_sysctl', path: 'js', count: 1 }));
    // uname comes after _sysctl: answered in C by the helper's loop, from the tables the front sent.
    const uname = run.worker.routes.find((r) => r.name === 'uname' && r.arch === 'x86_64')!;
    expect(line.native).toContainEqual(expect.objectContaining({ arch: AUDIT_ARCH.x86_64, nr: uname.nr, count: 1 }));
    expect(line.maxRssKiB).toBeGreaterThan(1024);
  });

  it('and reports a damaged table as an error, exit 1', async () => {
    const got = await runHandedOver(programPath('legacy-sysctl'), [], (t) => t.map((bytes) => bytes.subarray(0, bytes.length - 1)));
    expect(got.helper.status).toBe(1);
    expect(Object.keys(got.helper.line)).toEqual(['error']);
    expect(got.helper.line.error).toMatch(/setEncodedActions: truncated/);
  });
});

describe('the helper refuses', () => {
  const worker = (): Buffer => Buffer.from(JSON.stringify({ persona: { release: KERNEL }, routes: [] }));
  const end = { tag: FrontTag.end, body: new Uint8Array(0) };
  const held = { tag: FrontTag.held, body: new Uint8Array(88) };
  const over = Buffer.alloc(8);
  over.writeUInt32LE(FrontTag.worker, 0);
  over.writeUInt32LE(MAX_RECORD_BODY + 1, 4);
  const CASES: { why: string; bytes: Buffer; endWrite?: boolean; error: RegExp }[] = [
    { why: 'WORKER that is not JSON', bytes: encodeRecords([{ tag: FrontTag.worker, body: Buffer.from('{"persona"') }, held, end]), error: /WORKER is not JSON/ },
    { why: 'a record of the cache entry (KEY)', bytes: encodeRecords([{ tag: FrontTag.key, body: Buffer.from('k') }, { tag: FrontTag.worker, body: worker() }, held, end]), error: /unexpected record tag 1/ },
    { why: 'no HELD', bytes: encodeRecords([{ tag: FrontTag.worker, body: worker() }, end]), error: /no HELD record/ },
    { why: 'a length over the limit', bytes: over, error: /over/ },
    { why: 'a stream that ends before END', bytes: encodeRecords([{ tag: FrontTag.worker, body: worker() }]).subarray(0, 12), endWrite: true, error: /ended before END/ },
  ];
  it.each(CASES)('$why: {"error"} and exit 1', async ({ bytes, endWrite, error }) => {
    // The stream is refused before the listener is touched: any fd serves as fd 4.
    const devNull = fs.openSync('/dev/null', 'r');
    const helper = startHelper(devNull);
    fs.closeSync(devNull);
    if (endWrite) helper.channel.end(bytes);
    else helper.channel.write(bytes);
    const got = await helperEnd(helper);
    expect(got.status).toBe(1);
    expect(got.line).toEqual({ error: expect.stringMatching(error) });
  });

  it('to start for a front that is not its parent', async () => {
    const devNull = fs.openSync('/dev/null', 'r');
    const helper = startHelper(devNull, 1);
    fs.closeSync(devNull);
    const got = await helperEnd(helper);
    expect(got.status).toBe(1);
    expect(got.line).toEqual({ error: expect.stringMatching(/the front \(pid 1\) is gone/) });
  });
});

describe('the helper and the signals the front forwards', () => {
  it('lives on through them (a terminal sends them to a whole process group)', async () => {
    const devNull = fs.openSync('/dev/null', 'r');
    const helper = startHelper(devNull);
    fs.closeSync(devNull);
    await waitingForRecords(helper.pid);
    for (const sig of FORWARDED_SIGNALS) process.kill(helper.pid, sig);
    // Still there to read the stream and answer it.
    helper.channel.write(encodeRecords([{ tag: FrontTag.worker, body: Buffer.from('not json') }, { tag: FrontTag.end, body: new Uint8Array(0) }]));
    const got = await helperEnd(helper);
    expect(got.status).toBe(1);
    expect(got.line).toEqual({ error: expect.stringMatching(/^read the hand-over: WORKER is not JSON/) });
  });
});

describe('the helper never outlives its front', () => {
  /** A front that starts the helper with our fds 3 and 4, prints its pid, and waits to be killed. */
  const FRONT = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, [process.argv[1], String(process.pid)], { stdio: ['ignore', 'ignore', 'inherit', 3, 4] });
    process.stdout.write(c.pid + '\\n');
    setInterval(() => {}, 1000);
  `;

  it('is killed (PR_SET_PDEATHSIG) when the front dies', async () => {
    const [ours, theirs] = fdPair('socketpair');
    const devNull = fs.openSync('/dev/null', 'r');
    let front;
    try {
      front = spawnProcess(process.execPath, [process.execPath, '-e', FRONT, HELPER], { stdio: ['ignore', 'pipe', 'inherit'], extraFds: [theirs, devNull] });
    } finally {
      fs.closeSync(theirs);
      fs.closeSync(devNull);
    }
    started.push(front.pid);
    const frontStatus = claimChild(front.pid, { keepAlive: true });
    const pidLine = await new FrameReader(front.stdout!).line();
    const helperPid = Number(pidLine);
    started.push(helperPid);
    await waitingForRecords(helperPid);
    killQuietly(front.pid, 'SIGKILL');
    expect(await frontStatus).toBe(128 + 9);
    // Gone, or a zombie waiting for its new parent (a subreaper) to reap it.
    const state = (): string | undefined => {
      try {
        return /^\d+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${helperPid}/stat`, 'utf8'))![1];
      } catch {
        return 'gone';
      }
    };
    await waitFor('the helper to die with its front', () => (state() === 'gone' || state() === 'Z' ? true : undefined));
    // Killed while it waited: no line, and we still hold our end, so EOF came only from its death.
    const channel = new net.Socket({ fd: ours, readable: true, writable: true });
    expect(await new FrameReader(channel).line()).toBeNull();
    channel.destroy();
  });
});
