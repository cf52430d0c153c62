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
import { SignalForwarder } from '../../supervisor/signal-forwarder.js';
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { KernelError, ShimError } from '../../errors.js';
import { buildOutput } from '../../native/addon.js';
import { FrameReader, LAUNCHER_EXIT, encodeFilterFrame } from '../../native/launcher.js';
import { errnoName } from '../../native/errno.js';
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
  const signals = new SignalForwarder();
  const helper = spawn(PTRACE_LAUNCHER_PATH, [...flags, '--', ...opts.argv], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const channel = helper.stdio[3] as (Readable & Writable) | null | undefined;
  if (!channel) throw new ShimError('spawn cr-shim-ptrace-launch', 'no fd 3 channel', { code: 'EPROTO' });
  const exited = new Promise<number>((resolve, reject) => {
    helper.once('error', (cause) =>
      reject(new ShimError('spawn cr-shim-ptrace-launch', `cannot run ${PTRACE_LAUNCHER_PATH}: ${cause.message}`, {
        cause, code: (cause as NodeJS.ErrnoException).code, hint: 'run npm install to build native/',
      })));
    helper.once('exit', (code, signal) => resolve(signal ? 128 + os.constants.signals[signal] : code ?? LAUNCHER_EXIT.failed));
  });
  exited.catch(() => undefined);
  const reader = new FrameReader(channel);

  let worker: Worker | undefined;
  let pid = 0;
  try {
    channel.write(encodeFilterFrame(opts.filter));
    const frame = await Promise.race([reader.read(4, 'program pid'), exited.then(() => null)]);
    if (frame === null) throw new ShimError('cr-shim-ptrace-launch', 'the helper exited before starting the program (see its stderr)', { code: 'EPROTO' });
    pid = frame.readInt32LE(0);
    if (pid <= 0) throw new KernelError('fork', `fork: ${errnoName(-pid)}`, { code: errnoName(-pid) });

    worker = new Worker(new URL('./tracer.js', import.meta.url), { workerData: { ...opts.tracer, pid } satisfies TracerInput });
    const w = worker;
    const done = new Promise<TracerMessage & { type: 'done' }>((resolve, reject) => {
      w.on('message', (m: TracerMessage) => m.type === 'done' && resolve(m));
      w.once('error', reject);
      w.once('exit', (code) => code !== 0 && reject(new ShimError('ptrace tracer', `exited with code ${code}`)));
    });
    const seized = await new Promise<TracerMessage>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    if (seized.type === 'seized' && seized.error !== undefined) {
      throw new ShimError('ptrace', `cannot trace the program: ${seized.error}`, { hint: 'the ptrace mechanism needs PTRACE_MODE_ATTACH over the program (root, or the same uid with Yama ptrace_scope 0)' });
    }
    channel.write(Buffer.of(1));
    channel.end();

    signals.attach((s) => process.kill(pid, s));
    try {
      const status = await exited;
      const d = await done;
      if (d.error !== undefined) throw new ShimError('supervise', `the tracer failed: ${d.error}; the program was killed`);
      return { status, stats: d.stats, native: [] };
    } finally {
      signals.dispose();
    }
  } catch (err) {
    signals.dispose();
    // Nothing may run on untraced: the filter would fail every traced call with ENOSYS, not run it wrongly, but stop it anyway.
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
    throw err;
  } finally {
    channel.destroy();
    // Not awaited: a tracer blocked in waitpid ends only when its tracees do, and process exit ends it anyway.
    void worker?.terminate();
  }
}
