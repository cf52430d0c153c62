/**
 * The supervisor's side of native/injector.c (build/Release/cr-shim-inject):
 * put processes that already exist (restored by CRIU, or running) under a
 * filter, taking one listener per process.
 *
 * Line protocol (native/injector.c states it too); the filter goes in on fd 3:
 *   ← "seized PID NTHREADS"        every live thread of PID is held
 *   ← "listener PID FD"            the filter is in PID, its listener is fd FD there
 *   → "taken PID"                  sent once pidfd_getfd copied it; the helper closes FD in PID
 *   ← "done"                       every task detached as stopped or running as it was
 *   ← "error PID OP ERRNO"         then the helper exits with status ERRNO
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { getSystemErrorMap } from 'node:util';
import { ShimError } from '../errors.js';
import { buildOutput } from '../native/addon.js';
import { takeListener } from '../native/launcher.js';
import { errnoName } from '../native/errno.js';

export const INJECTOR_PATH = buildOutput('cr-shim-inject');

export interface InjectOptions {
  /** Processes to put under the filter (every thread of each). */
  pids: readonly number[];
  /** Also every descendant, found once the listed ones are held (none can fork unseen). */
  descendants?: boolean;
  /** Raw struct sock_filter bytes. */
  filter: Uint8Array;
}

export interface Injected {
  /** Every process the helper held, in the order it seized them. */
  processes: number[];
  /** One listener per process that got the filter, now fds of this process (the caller owns them). */
  listeners: { pid: number; fd: number }[];
}

/** A failed injection: which process, which step, which errno; and what had been done by then. */
export class InjectError extends ShimError {
  readonly pid: number;
  readonly step: string;
  /** Processes held when it failed: the tree to kill when nothing may run unsupervised. */
  readonly processes: number[];
  /** Processes that already carry the filter (it cannot be taken out again). */
  readonly filtered: number[];
  constructor(
    message: string,
    opts: { pid: number; step: string; code: string; processes: number[]; filtered: number[]; cause?: unknown; hint?: string },
  ) {
    super(`inject into ${opts.pid || 'the tree'}`, message, opts);
    this.pid = opts.pid;
    this.step = opts.step;
    this.processes = opts.processes;
    this.filtered = opts.filtered;
  }
}

/** The helper's one-word step names, for people. */
const STEPS: Record<string, string> = {
  seize: 'seize',
  'ptrace-seize': 'ptrace(PTRACE_SEIZE)',
  'ptrace-wait': 'waitpid on a seized thread',
  'list-threads': 'list /proc/PID/task',
  getregs: 'ptrace(PTRACE_GETREGS)',
  setregs: 'ptrace(PTRACE_SETREGS)',
  'find-syscall-site': 'find a syscall instruction in [vdso]',
  mmap: 'injected mmap',
  'write-filter': 'write the filter into the task',
  seccomp: 'injected seccomp(SET_MODE_FILTER, NEW_LISTENER|TSYNC)',
  'prctl-no-new-privs': 'injected prctl(PR_SET_NO_NEW_PRIVS)',
  munmap: 'injected munmap',
  'take-listener': 'hand the listener to the supervisor',
  'close-listener': 'injected close of the listener',
  'open-filter': 'open the filter',
  'read-filter': 'read the filter',
  'parse-pid': 'parse a pid',
};

/** [name, message]; libuv's map lacks some names (ENOEXEC), os.constants has them all. */
function describeErrno(errno: number): [string, string] {
  const [name, message] = getSystemErrorMap().get(-errno) ?? [undefined, undefined];
  return [name ?? errnoName(errno), message ?? `errno ${errno}`];
}

/** One line naming the process, the step and the fix where one is known. */
export function describeFailure(pid: number, step: string, errno: number): { message: string; code: string; hint?: string } {
  const [code, text] = describeErrno(errno);
  if (step === 'seccomp' && code === 'EBUSY') {
    return {
      code,
      message: `process ${pid} already runs under another supervisor's seccomp listener (a thread can have only one)`,
      hint: 'stop that supervisor first (cr-shim run, attach or restore of the same tree)',
    };
  }
  if (step === 'seccomp' && code === 'ESRCH') {
    return { code, message: `process ${pid}: its threads run under different seccomp filters, so TSYNC cannot put them all under one` };
  }
  if ((step === 'seize' || step === 'list-threads') && (code === 'ESRCH' || code === 'ENOENT')) {
    return { code: 'ESRCH', message: `no such process ${pid} (or only a zombie is left)` };
  }
  if (step === 'ptrace-seize' && code === 'EPERM') {
    return { code, message: `cannot trace process ${pid}: ${text}`, hint: 'is it already traced (a debugger, strace)? cr-shim must run as root' };
  }
  return { code, message: `${STEPS[step] ?? step} in process ${pid} failed: ${text}` };
}

/**
 * Run cr-shim-inject over `opts.pids`. Resolves once every task is detached;
 * throws InjectError when the helper reports a failure (the listeners taken so
 * far are closed then), ShimError when it cannot be run or breaks the protocol.
 */
export async function injectFilter(opts: InjectOptions): Promise<Injected> {
  const args = [...(opts.descendants ? ['--descendants'] : []), '--filter-fd', '3', ...opts.pids.map(String)];
  const child = spawn(INJECTOR_PATH, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const filterIn = child.stdio[3] as Writable;
  const processes: number[] = [];
  const listeners: { pid: number; fd: number }[] = [];
  /** Processes that reported a filter in, whether or not their listener could be taken. */
  const filtered: number[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  // A helper that dies early closes its ends: that is reported by the exit below, not as a stream error.
  filterIn.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);

  let failure: { pid: number; step: string; errno: number } | undefined;
  let done = false;
  let protocolError: Error | undefined;
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const [word, a, b, c] = line.split(' ');
    if (word === 'seized') {
      processes.push(Number(a));
    } else if (word === 'listener') {
      const pid = Number(a);
      filtered.push(pid);
      try {
        listeners.push({ pid, fd: takeListener(pid, Number(b)) });
        child.stdin!.write(`taken ${pid}\n`);
      } catch (cause) {
        // Not answering makes the helper cure the task and report take-listener.
        protocolError = cause as Error;
        child.stdin!.end();
      }
    } else if (word === 'done') {
      done = true;
    } else if (word === 'error') {
      failure = { pid: Number(a), step: b ?? '?', errno: Number(c) };
    } else {
      protocolError = new Error(`unexpected line from cr-shim-inject: ${line}`);
    }
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (cause) =>
      reject(
        new ShimError('spawn cr-shim-inject', `cannot run ${INJECTOR_PATH}: ${cause.message}`, {
          cause,
          code: (cause as NodeJS.ErrnoException).code,
          hint: 'run npm install to build native/',
        }),
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  filterIn.end(Buffer.from(opts.filter.buffer, opts.filter.byteOffset, opts.filter.byteLength));
  const { code, signal } = await exited;
  child.stdin!.destroy();

  if (done && code === 0) return { processes, listeners };
  for (const l of listeners) closeSync(l.fd);
  if (protocolError !== undefined && (failure === undefined || failure.step === 'take-listener')) {
    throw new InjectError(`taking the listener of process ${failure?.pid ?? '?'} failed: ${protocolError.message}`, {
      pid: failure?.pid ?? 0,
      step: 'take-listener',
      code: (protocolError as ShimError).code ?? 'EPROTO',
      processes,
      filtered,
      cause: protocolError,
    });
  }
  if (failure !== undefined) {
    const d = describeFailure(failure.pid, failure.step, failure.errno);
    throw new InjectError(d.message, { pid: failure.pid, step: failure.step, code: d.code, processes, filtered, ...(d.hint ? { hint: d.hint } : {}) });
  }
  const how = signal ? `was killed by ${signal}` : `exited with status ${String(code)}`;
  throw new InjectError(`cr-shim-inject ${how} without a verdict${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`, {
    pid: 0,
    step: 'run',
    code: 'EPROTO',
    processes,
    filtered,
  });
}
