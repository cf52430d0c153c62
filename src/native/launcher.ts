/**
 * The supervisor's side of native/launcher.c (build/Release/cr-shim-launch), started by
 * posix_spawn (src/native/spawn.ts), not child_process.
 *
 * Protocol on the child's fd 3, a Unix stream socket (one end of a socketpair);
 * integers are 32-bit little-endian. native/launcher.c states it too.
 *
 *   → FILTER ::= LEN:u32 INSNS     LEN bytes of struct sock_filter
 *   ← REPLY  ::= FD:s32            listener fd in the launcher, or -errno of seccomp()
 *   → ACK    ::= 1 byte            after pidfd_getfd copied the listener
 *   ← RESULT ::= EOF               exec succeeded (fd 3 is close-on-exec)
 *              | ERRNO:u32 EOF     exec failed
 */
import { closeSync, mkdtempSync, rmdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { getSystemErrorMap } from 'node:util';
import { KernelError, ShimError } from '../errors.js';
import { claimChild } from './child-claims.js';
import { buildOutput } from './addon.js';
import { nativeSys } from './libc.js';
import { fdPair, killQuietly, spawnProcess, type StdinSpec, type StdioSpec } from './spawn.js';

export const LAUNCHER_PATH = buildOutput('cr-shim-launch');

/** cr-shim-launch's own exit statuses (after a successful exec the status is the program's). */
export const LAUNCHER_EXIT = {
  /** Failure before exec: usage, fd 3 protocol, prctl, seccomp. */
  failed: 125,
  /** exec failed with an errno other than ENOENT. */
  execFailed: 126,
  /** exec failed with ENOENT. */
  notFound: 127,
} as const;

const SOCK_FILTER_SIZE = 8;

/** [name, message] for an errno, e.g. [ 'EINVAL', 'invalid argument' ]. */
function describeErrno(errno: number): [string, string] {
  return getSystemErrorMap().get(-errno) ?? [`E${errno}`, `errno ${errno}`];
}

function kernelError(op: string, errno: number, cause?: unknown): KernelError {
  const [code, message] = describeErrno(errno);
  return new KernelError(op, `${op}: ${message}`, { code, cause });
}

/** FILTER frame: the length prefix and the raw struct sock_filter array. */
export function encodeFilterFrame(filter: Uint8Array): Buffer {
  if (filter.length === 0 || filter.length % SOCK_FILTER_SIZE !== 0) {
    throw new ShimError('encode filter frame', `filter is ${filter.length} bytes, not a whole number of 8-byte instructions`, {
      code: 'EINVAL',
    });
  }
  const frame = Buffer.alloc(4 + filter.length);
  frame.writeUInt32LE(filter.length, 0);
  frame.set(filter, 4);
  return frame;
}

/** Reads fixed-size frames, or lines, from a byte stream (the launcher's and the guard's channels). */
export class FrameReader {
  private buf = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.notify();
    });
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // A Unix socket whose peer exits with our bytes unread reports ECONNRESET: that is EOF here.
      if (err.code !== 'ECONNRESET') this.failure = err;
      this.finish();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** No more data will come (the stream ended, or its writer is known to be gone). */
  finish(): void {
    this.ended = true;
    this.notify();
  }

  private async more(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** The next "\n"-terminated line, without it; null at EOF (an unterminated rest is dropped). */
  async line(): Promise<string | null> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        const out = this.buf.subarray(0, nl).toString();
        this.buf = this.buf.subarray(nl + 1);
        return out;
      }
      if (this.ended) return null;
      await this.more();
    }
  }

  /** Exactly n bytes; null on EOF before the first byte. Throws on EOF mid-frame. */
  async read(n: number, what: string): Promise<Buffer | null> {
    while (this.buf.length < n && !this.ended) await this.more();
    if (this.buf.length >= n) {
      const out = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      return out;
    }
    if (this.buf.length === 0 && !this.failure) return null;
    throw new ShimError(`read ${what} from cr-shim-launch`, `stream ended after ${this.buf.length} of ${n} bytes`, {
      code: 'EPROTO',
      cause: this.failure,
    });
  }
}

/**
 * Copy fd `fd` of process `pid` into this process (pidfd_open + pidfd_getfd;
 * the copy is close-on-exec). Needs PTRACE_MODE_ATTACH rights over pid.
 * Throws KernelError naming the failing call.
 */
export function takeListener(pid: number, fd: number): number {
  const pidfd = nativeSys.pidfdOpen(pid);
  if (pidfd < 0) throw kernelError('pidfd_open', -pidfd);
  try {
    const local = nativeSys.pidfdGetfd(pidfd, fd);
    if (local < 0) throw kernelError('pidfd_getfd', -local);
    return local;
  } finally {
    closeSync(pidfd);
  }
}

export interface LaunchOptions {
  /** Set PR_SET_NO_NEW_PRIVS before installing the filter (it is set anyway when seccomp needs it). */
  noNewPrivs?: boolean;
  /** stdin, stdout, stderr of the program; fd 3 is always the protocol socket. Default: inherit all. */
  stdio?: [StdinSpec, StdioSpec, StdioSpec];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Identity files by bind mount: target path → text. The launcher enters a private mount
   * namespace and binds each text read-only over its target before the filter (native/identity-mount.c).
   */
  identity?: ReadonlyMap<string, string>;
  /**
   * Files the host's kernel no longer has (removed sysctls): target path → text until written. Added,
   * writable, to the same private mount namespace; a target the host has is left alone.
   */
  added?: ReadonlyMap<string, string>;
  /** Runs once the listener is ours and before the launcher may exec (`pid` is the launcher's): set up the loop here. */
  beforeExec?: (listenerFd: number, pid: number) => void | Promise<void>;
}

/** The launcher, then the program it became. */
export interface LaunchedChild {
  pid: number;
  /** With stdio 'pipe': the program's output. */
  stdout?: Readable;
  stderr?: Readable;
  /** Its shell status once it exits (it is reaped then: src/native/child-claims.ts). */
  exited: Promise<number>;
  /** Signal it, unless it has exited (and been reaped). */
  kill(signal: NodeJS.Signals | number): void;
}

export interface Launched {
  child: LaunchedChild;
  /** The supervisor's copy of the listener; the caller owns it (hand it to NotifyAddon.open). */
  listenerFd: number;
  /** Resolves null once the program is exec'd, or the errno with which exec failed. */
  exec: Promise<number | null>;
}

/**
 * Spawn cr-shim-launch for `program`, install `filter` (raw struct sock_filter
 * bytes) in it and take the listener. Throws KernelError when seccomp refuses
 * the filter (code = errno name) and ShimError when the launcher dies early.
 */
export async function launchUnderFilter(
  program: string,
  args: readonly string[],
  filter: Uint8Array,
  opts: LaunchOptions = {},
): Promise<Launched> {
  const flags = opts.noNewPrivs ? ['--no-new-privs'] : [];
  // The launcher mounts a tmpfs on this empty directory inside its own namespace only; the host sees it empty.
  const files = (opts.identity?.size ?? 0) + (opts.added?.size ?? 0);
  const stage = files > 0 ? mkdtempSync(path.join(os.tmpdir(), 'cr-shim-identity-')) : undefined;
  if (stage !== undefined) {
    flags.push('--identity-stage', stage);
    for (const [target, text] of opts.identity ?? []) flags.push('--identity', `${target}=${text}`);
    for (const [target, text] of opts.added ?? []) flags.push('--add', `${target}=${text}`);
  }
  let staged = stage !== undefined;
  const removeStage = (): void => {
    if (staged) rmdirSync(stage!);
    staged = false;
  };
  const [ours, theirs] = fdPair('socketpair');
  let spawned;
  try {
    spawned = spawnProcess(LAUNCHER_PATH, [LAUNCHER_PATH, ...flags, '--', program, ...args], {
      stdio: opts.stdio ?? ['inherit', 'inherit', 'inherit'],
      extraFds: [theirs],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
  } catch (err) {
    closeSync(ours);
    removeStage();
    throw err;
  } finally {
    closeSync(theirs);
  }
  const pid = spawned.pid;
  let exited = false;
  const child: LaunchedChild = {
    pid,
    exited: claimChild(pid, { keepAlive: true }),
    // Once reaped its pid may be another process's: nothing is sent then.
    kill: (signal) => {
      if (!exited) killQuietly(pid, signal);
    },
    ...(spawned.stdout ? { stdout: spawned.stdout } : {}),
    ...(spawned.stderr ? { stderr: spawned.stderr } : {}),
  };
  void child.exited.then(() => (exited = true));
  const channel = new net.Socket({ fd: ours, readable: true, writable: true });
  const reader = new FrameReader(channel);

  try {
    channel.write(encodeFilterFrame(filter));
    const reply = await reader.read(4, 'listener fd').finally(removeStage);
    if (!reply) {
      throw new ShimError('cr-shim-launch', 'the launcher exited before installing the filter (see its stderr)', {
        code: 'EPROTO',
      });
    }
    const remoteFd = reply.readInt32LE(0);
    if (remoteFd < 0) throw kernelError('seccomp(SET_MODE_FILTER)', -remoteFd);
    const listenerFd = takeListener(pid, remoteFd);
    try {
      await opts.beforeExec?.(listenerFd, pid);
    } catch (err) {
      closeSync(listenerFd);
      throw err;
    }
    channel.write(Buffer.of(1));
    const exec = reader.read(4, 'exec result').then((frame) => {
      channel.destroy();
      return frame ? frame.readUInt32LE(0) : null;
    });
    return { child, listenerFd, exec };
  } catch (err) {
    removeStage();
    channel.destroy();
    child.kill('SIGKILL');
    throw err;
  }
}
