/**
 * The main thread's half of `run --mechanism ptrace`: start the program through
 * cr-shim-ptrace-launch, let the tracer worker seize it, release it, forward
 * signals, and report its status once every tracee is gone.
 *
 * The program is the helper's child, not ours: the tracer is a thread of this
 * process, and ptrace stops are reported to the tracer's whole thread group,
 * where libuv's waitpid for its own children would otherwise consume them.
 * The tracer waits with __WNOTHREAD, so it never reaps the helper either.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { KernelError, ShimError } from '../../errors.js';
import { buildOutput } from '../../native/addon.js';
import { FrameReader, LAUNCHER_EXIT, encodeFilterFrame } from '../../native/launcher.js';
import { errnoName } from '../../native/errno.js';
import { exitStatus, Lifecycle, type SupervisorThread } from '../../supervisor/lifecycle.js';
import type { SuperviseResult } from '../../supervisor/supervise.js';
import type { TracerInput, TracerMessage } from './tracer-protocol.js';

export const PTRACE_LAUNCHER_PATH = buildOutput('cr-shim-ptrace-launch');


export interface PtraceOptions {
  argv: string[];
  /** The plan compiled with notifyReturn SECCOMP_RET_TRACE. */
  filter: Uint8Array;
  tracer: Omit<TracerInput, 'pid'>;
  noNewPrivs?: boolean;
}

/** Run argv under the tracer. Throws ShimError when the helper or the seize fails; the program's own failures are its status. */
export async function supervisePtrace(opts: PtraceOptions): Promise<SuperviseResult> {
  const flags = opts.noNewPrivs ? ['--no-new-privs'] : [];
  const life = new Lifecycle({ thread: 'tracer', loop: 'tracer', tree: 'program' });
  const helper = spawn(PTRACE_LAUNCHER_PATH, [...flags, '--', ...opts.argv], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const channel = helper.stdio[3] as (Readable & Writable) | null | undefined;
  if (!channel) throw new ShimError('spawn cr-shim-ptrace-launch', 'no fd 3 channel', { code: 'EPROTO' });
  const exited = new Promise<number>((resolve, reject) => {
    helper.once('error', (cause) =>
      reject(new ShimError('spawn cr-shim-ptrace-launch', `cannot run ${PTRACE_LAUNCHER_PATH}: ${cause.message}`, {
        cause, code: (cause as NodeJS.ErrnoException).code, hint: 'run npm install to build native/',
      })));
    helper.once('exit', (code, signal) => resolve(exitStatus(code, signal, LAUNCHER_EXIT.failed)));
  });
  exited.catch(() => undefined);
  const reader = new FrameReader(channel);

  let tracer: SupervisorThread | undefined;
  let pid = 0;
  const kill = (): void => {
    // Nothing may run on untraced: the filter would fail every traced call with ENOSYS, not run it wrongly, but stop it anyway.
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
  };
  try {
    channel.write(encodeFilterFrame(opts.filter));
    const frame = await Promise.race([reader.read(4, 'program pid'), exited.then(() => null)]);
    if (frame === null) throw new ShimError('cr-shim-ptrace-launch', 'the helper exited before starting the program (see its stderr)', { code: 'EPROTO' });
    pid = frame.readInt32LE(0);
    if (pid <= 0) throw new KernelError('fork', `fork: ${errnoName(-pid)}`, { code: errnoName(-pid) });

    const started = startTracer({ ...opts.tracer, pid });
    tracer = started.thread;
    const seized = await started.seized;
    if (seized.type === 'seized' && seized.error !== undefined) {
      throw new ShimError('ptrace', `cannot trace the program: ${seized.error}`, { hint: 'the ptrace mechanism needs PTRACE_MODE_ATTACH over the program (root, or the same uid with Yama ptrace_scope 0)' });
    }
    channel.write(Buffer.of(1));
    channel.end();

    life.forward((s) => process.kill(pid, s));
    const d = await life.awaitEnd(tracer, kill);
    return { status: await exited, stats: d.stats, native: [] };
  } catch (err) {
    kill();
    throw err;
  } finally {
    channel.destroy();
    await life.close(tracer);
  }
}

/** Start the tracer worker on `input`; `seized` is its first message. */
function startTracer(input: TracerInput): { thread: SupervisorThread; seized: Promise<TracerMessage> } {
  const w = new Worker(new URL('./tracer.js', import.meta.url), { workerData: input });
  const done = new Promise<TracerMessage & { type: 'done' }>((resolve, reject) => {
    w.on('message', (m: TracerMessage) => m.type === 'done' && resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new ShimError('ptrace tracer', `exited with code ${code}`)));
  });
  const seized = new Promise<TracerMessage>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  // Not awaited: a tracer blocked in waitpid ends only when its tracees do, and process exit ends it anyway.
  const end = async (): Promise<void> => void w.terminate();
  const ended = done.then((m) => ({ stats: m.stats, native: [], ...(m.error === undefined ? {} : { error: m.error }) }));
  // Observed by the caller; never an unhandled rejection when the seize fails first.
  ended.catch(() => undefined);
  return { thread: { done: ended, stop: end, release: end }, seized };
}
