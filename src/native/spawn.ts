/**
 * Starting cr-shim's own processes (cr-shim-launch, cr-shim-guard) through the notify addon's
 * posix_spawn (native/spawn-calls.c) instead of node:child_process, which forks the whole Node
 * process on the main thread and wraps every stdio fd in a stream (a CPU profile of
 * `run -- /bin/true` put 18 ms of main-thread time in child_process for its two helpers). The exit status comes from a claim
 * (src/native/child-claims.ts), not from child_process's SIGCHLD handling.
 */
import fs from 'node:fs';
import net from 'node:net';
import { KernelError } from '../errors.js';
import { errnoName } from './errno.js';
import { loadAddon } from './addon.js';

/** What the child's fd 1 or 2 is: ours, /dev/null, or a pipe whose other end we read. */
export type StdioSpec = 'inherit' | 'ignore' | 'pipe';
/** What the child's fd 0 is: ours or /dev/null. */
export type StdinSpec = 'inherit' | 'ignore';

export interface SpawnOptions {
  /** The child's fds 0 to 2 (default: ours). */
  stdio?: readonly [StdinSpec, StdioSpec, StdioSpec];
  /** The child's fds 3 and on: fds of ours, copied. */
  extraFds?: readonly number[];
  /** 'same': our process group (a terminal's signals reach it); 'session': setsid (none do). */
  group?: 'same' | 'own' | 'session';
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnedProcess {
  pid: number;
  /** With stdio 'pipe' at 1 and 2: what the child writes there. */
  stdout?: net.Socket;
  stderr?: net.Socket;
}

const GROUP = { same: 0, own: 1, session: 2 } as const;

/** A fresh close-on-exec pair, from `call` (socketpair, pipe); throws KernelError. */
export function fdPair(call: 'socketpair' | 'pipe'): [number, number] {
  const r = loadAddon()[call]();
  if (typeof r === 'number') throw new KernelError(call, `${call}: ${errnoName(-r)}`, { code: errnoName(-r) });
  return r;
}

/** Start `path` with `argv` (argv[0] included). Throws KernelError when posix_spawn fails (exec errors included). */
export function spawnProcess(path: string, argv: readonly string[], opts: SpawnOptions = {}): SpawnedProcess {
  const stdio = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
  const close: number[] = [];
  const ours: (number | undefined)[] = [];
  try {
    const fds = stdio.map((s, i) => {
      // Our fd i itself, copied by dup2 in the child: Node's own stdio fds may be close-on-exec,
      // which only a dup2 onto the number clears (as child_process does).
      if (s === 'inherit') return i;
      if (s === 'ignore') {
        const fd = fs.openSync('/dev/null', i === 0 ? 'r' : 'w');
        close.push(fd);
        return fd;
      }
      const [r, w] = fdPair('pipe');
      ours[i] = r;
      close.push(w);
      return w;
    });
    const env = opts.env === undefined ? null : Object.entries(opts.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const pid = loadAddon().spawn(path, [...argv], [...fds, ...(opts.extraFds ?? [])], GROUP[opts.group ?? 'same'], opts.cwd ?? null, env);
    if (pid < 0) {
      for (const fd of ours) if (fd !== undefined) fs.closeSync(fd);
      throw new KernelError(`spawn ${path}`, `cannot run ${path}: ${errnoName(-pid)}`, { code: errnoName(-pid), hint: 'run npm install to build native/' });
    }
    const stream = (fd: number | undefined) => (fd === undefined ? undefined : new net.Socket({ fd, readable: true, writable: false }));
    const out: SpawnedProcess = { pid };
    const stdout = stream(ours[1]);
    const stderr = stream(ours[2]);
    if (stdout) out.stdout = stdout;
    if (stderr) out.stderr = stderr;
    return out;
  } finally {
    for (const fd of close) fs.closeSync(fd);
  }
}

/** Send `signal` to `pid`; a process already gone is no error. */
export function killQuietly(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: exited (and maybe reaped) meanwhile.
  }
}
