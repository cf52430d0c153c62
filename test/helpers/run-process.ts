/**
 * Spawning processes from tests: run to completion with a timeout, or start one
 * and wait for a line of its output (programs that print ready=1 and wait).
 * On timeout the whole process group is killed and the error carries
 * everything the process printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface ProcessResult {
  readonly command: string;
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status, or null if the process was killed by a signal. */
  readonly status: number | null;
  /** Terminating signal, or null if the process exited. */
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
}

export interface RunOptions {
  /** Kill the process (and its group) after this long and reject. Default 20 s. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. stdin is /dev/null otherwise. */
  readonly input?: string;
}

export class ProcessTimeoutError extends Error {
  readonly result: ProcessResult;
  constructor(what: string, result: ProcessResult) {
    super(`${what}\n${describeResult(result)}`);
    this.name = 'ProcessTimeoutError';
    this.result = result;
  }
}

/** One block of text with the command line, status and both streams, for failure messages. */
export function describeResult(result: ProcessResult): string {
  const how = result.signal !== null ? `signal ${result.signal}` : `status ${String(result.status)}`;
  return [
    `$ ${[result.command, ...result.args].join(' ')}  (${how}, ${Math.round(result.durationMs)} ms)`,
    `--- stdout ---\n${result.stdout}`,
    `--- stderr ---\n${result.stderr}`,
  ].join('\n');
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolve once stdout contains a complete line matching `line` (a string is
   * matched as the whole line, e.g. 'ready=1'). Rejects with the captured
   * output if the process ends first or `timeoutMs` passes.
   */
  waitForLine(line: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Send a signal to the process (not its group). */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited and its stdio has closed. */
  readonly result: Promise<ProcessResult>;
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** Start `command` in its own process group; see RunningProcess. */
export function startProcess(command: string, args: readonly string[], opts: RunOptions = {}): RunningProcess {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(command, [...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    // Own group, so a timeout also kills the grandchildren a supervisor starts.
    detached: true,
  });
  let out = '';
  let err = '';
  const stdoutGrew = new EventEmitter();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    stdoutGrew.emit('data');
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  if (opts.input !== undefined) child.stdin?.end(opts.input);

  const snapshot = (status: number | null, signal: NodeJS.Signals | null): ProcessResult => ({
    command,
    args,
    stdout: out,
    stderr: err,
    status,
    signal,
    durationMs: performance.now() - started,
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);

  const result = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(new Error(`spawn ${command}: ${cause.message}`, { cause }));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const res = snapshot(status, signal);
      if (timedOut) reject(new ProcessTimeoutError(`timed out after ${timeoutMs} ms; killed`, res));
      else resolve(res);
    });
  });
  // Callers that only use waitForLine must not see an unhandled rejection.
  result.catch(() => undefined);

  const waitForLine = (line: string | RegExp, waitMs = timeoutMs): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const matches = (l: string) => (typeof line === 'string' ? l === line : line.test(l));
      const check = (): boolean => {
        const complete = out.slice(0, out.lastIndexOf('\n') + 1).split('\n');
        const found = complete.find(matches);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const onEnd = () => {
        if (check()) return;
        cleanup();
        reject(new Error(`process ended before printing ${String(line)}\n${describeResult(snapshot(child.exitCode, child.signalCode))}`));
      };
      const waitTimer = setTimeout(() => {
        cleanup();
        reject(new ProcessTimeoutError(`no ${String(line)} line within ${waitMs} ms`, snapshot(child.exitCode, child.signalCode)));
      }, waitMs);
      const cleanup = () => {
        clearTimeout(waitTimer);
        stdoutGrew.off('data', check);
        child.off('close', onEnd);
      };
      stdoutGrew.on('data', check);
      child.on('close', onEnd);
      check();
    });

  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    result,
  };
}

/** Run `command` to completion. Rejects with ProcessTimeoutError (with the output) on timeout. */
export function runProcess(command: string, args: readonly string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return startProcess(command, args, opts).result;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone: nothing left to kill.
    child.kill(signal);
  }
}
