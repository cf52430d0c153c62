// cr-shim-launch and its protocol (src/native/launcher.ts) on the real kernel.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../src/errors.js';
import {
  encodeFilterFrame,
  FrameReader,
  LAUNCHER_EXIT,
  LAUNCHER_PATH,
  launchUnderFilter,
  takeListener,
} from '../../src/native/launcher.js';
import { insn, notifyFilter } from './fixtures/harness.js';

const { ENOENT, EINVAL, EACCES, ESRCH } = constants.errno;

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

function collect(stream: Readable | null | undefined): () => string {
  let s = '';
  stream?.on('data', (d: Buffer) => (s += d.toString()));
  return () => s;
}

describe('cr-shim-launch', () => {
  it('runs the program once the supervisor acked; fd 3 reaches EOF at exec', async () => {
    const l = await launchUnderFilter('sh', ['-c', 'exit 7'], notifyFilter([]), { stdio: ['ignore', 'ignore', 'pipe'] });
    closeSync(l.listenerFd);
    expect(await l.exec).toBeNull();
    expect(await l.child.exited).toBe(7);
  });

  it('program not found: errno frame, one stderr line, exit 127', async () => {
    const l = await launchUnderFilter('/nonexistent/prog', [], notifyFilter([]), { stdio: ['ignore', 'ignore', 'pipe'] });
    closeSync(l.listenerFd);
    const stderr = collect(l.child.stderr);
    expect(await l.exec).toBe(ENOENT);
    expect(await l.child.exited).toBe(LAUNCHER_EXIT.notFound);
    expect(stderr()).toBe('cr-shim: /nonexistent/prog: No such file or directory\n');
  });

  it('program not executable: exit 126', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cr-shim-launch-')), 'not-executable');
    writeFileSync(file, 'data\n', { mode: 0o644 });
    const l = await launchUnderFilter(file, [], notifyFilter([]), { stdio: ['ignore', 'ignore', 'pipe'] });
    closeSync(l.listenerFd);
    expect(await l.exec).toBe(EACCES);
    expect(await l.child.exited).toBe(LAUNCHER_EXIT.execFailed);
  });

  it('a filter the kernel refuses: KernelError EINVAL, stderr names the call, exit 125', async () => {
    const noReturn = insn(0x20, 0, 0, 0); // ld [0] and nothing after it
    let stderr = '';
    const err = await launchUnderFilter('true', [], noReturn, {
      stdio: ['ignore', 'ignore', 'pipe'],
      beforeExec: () => {
        throw new Error('not reached');
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect(err).toMatchObject({ op: 'seccomp(SET_MODE_FILTER)', code: 'EINVAL' });

    // The same through the raw protocol, to see the launcher's own status and message.
    const child = spawn(LAUNCHER_PATH, ['--', 'true'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Readable & Writable;
    const reader = new FrameReader(channel);
    const getStderr = collect(child.stderr);
    channel.write(encodeFilterFrame(noReturn));
    const reply = await reader.read(4, 'listener fd');
    expect(reply!.readInt32LE(0)).toBe(-EINVAL);
    expect(await exited(child)).toBe(LAUNCHER_EXIT.failed);
    stderr = getStderr();
    expect(stderr).toBe('cr-shim-launch: seccomp(SET_MODE_FILTER): Invalid argument\n');
  });

  it('a frame that is not whole instructions: exit 125 before any reply', async () => {
    const child = spawn(LAUNCHER_PATH, ['--no-new-privs', '--', 'true'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Readable & Writable;
    const reader = new FrameReader(channel);
    const stderr = collect(child.stderr);
    const frame = Buffer.alloc(4 + 5);
    frame.writeUInt32LE(5, 0);
    channel.write(frame);
    expect(await reader.read(4, 'listener fd')).toBeNull();
    expect(await exited(child)).toBe(LAUNCHER_EXIT.failed);
    expect(stderr()).toBe('cr-shim-launch: filter length: Invalid argument\n');
  });

  it('usage errors exit 125', async () => {
    const child = spawn(LAUNCHER_PATH, ['--bogus'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    expect(await exited(child)).toBe(LAUNCHER_EXIT.failed);
  });

  it('the supervisor going away before the ack ends the launcher without running the program', async () => {
    const child = spawn(LAUNCHER_PATH, ['--', 'sh', '-c', 'echo ran'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Readable & Writable;
    const stdout = collect(child.stdout);
    const reader = new FrameReader(channel);
    channel.write(encodeFilterFrame(notifyFilter([])));
    expect((await reader.read(4, 'listener fd'))!.readInt32LE(0)).toBeGreaterThanOrEqual(0);
    channel.destroy();
    expect(await exited(child)).toBe(LAUNCHER_EXIT.failed);
    expect(stdout()).toBe('');
  });
});

describe('takeListener', () => {
  it('names the failing call', () => {
    expect(() => takeListener(0x3fffffff, 3)).toThrow(expect.objectContaining({ op: 'pidfd_open', code: 'ESRCH' }));
    expect(ESRCH).toBe(3);
    expect(() => takeListener(process.pid, 987654)).toThrow(expect.objectContaining({ op: 'pidfd_getfd', code: 'EBADF' }));
  });

  it('rejects a filter that is not whole instructions before spawning', () => {
    expect(() => encodeFilterFrame(new Uint8Array(5))).toThrow(/not a whole number/);
  });
});
