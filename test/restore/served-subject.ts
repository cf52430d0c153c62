/**
 * Test helper for restores through `cr-shim serve` (hand-over.test.ts, thin-client.test.ts):
 * a cr-subject dumped by cr-shim under a persona, and a restore that resolves once the
 * restored subject ticks again. Every pid it starts goes into `started`, for the caller's
 * afterAll to kill.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { waitFree } from '../criu/helpers/images.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult, type RunningProcess } from '../helpers/run-process.js';
import { readProgress, waitProgress } from '../inject/subject.js';
import { startUnderShim } from '../inject/shim-subject.js';
import type { ServeSandbox } from '../serve/sandbox.js';

export interface DumpedSubject {
  pid: number;
  state: string;
  img: string;
  /** The subject's counter when it was dumped. */
  atDump: number;
}

/** A cr-subject under `cr-shim run --kernel 4.19`, dumped by cr-shim into a new image beside its state file. */
export async function dumpedSubject(name: string, started: number[]) {
  const s = await startUnderShim('single', '4.19');
  started.push(s.pid);
  const img = path.join(path.dirname(s.state), `img-${name}`);
  const dump = await runCli(['dump', String(s.pid), img], { timeoutMs: 60_000 });
  expect(dump.status, describeResult(dump)).toBe(0);
  await s.shimExited;
  await waitFree(s.pid);
  return { ...s, img, atDump: readProgress(s.state)!.counter };
}

/** `cr-shim restore ARGS IMG` in the sandbox's environment, once the restored subject counts on past its dump. */
export async function restoreTicking(args: readonly string[], s: DumpedSubject, sandbox: ServeSandbox, started: number[]): Promise<RunningProcess> {
  const restore = startCli(['restore', ...args, s.img], { timeoutMs: 60_000, env: sandbox.env });
  started.push(restore.pid);
  await waitProgress(s.state, (p) => p.counter > s.atDump, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\ncr-shim restore said: ${restore.stderr()}\nserve said: ${sandbox.serve.stderr()}`);
  });
  return restore;
}
