/**
 * One raw syscall (test/programs/syscall) natively and under `cr-shim run --kernel PERSONA`: the
 * errno name each answered with. The behaviour rows about what this host's build lacks compare them.
 */
import { expect } from 'vitest';
import { parseOutput } from './parse-output.js';
import { programPath } from './programs.js';
import { runCli } from './run-cli.js';
import { describeResult, runProcess } from './run-process.js';

export async function syscallAnswers(persona: string, nr: string, args: readonly string[]): Promise<{ native: string | undefined; shim: string | undefined }> {
  const argv = [nr, ...args];
  const native = await runProcess(programPath('syscall'), argv);
  expect(native.status, describeResult(native)).toBe(0);
  const shim = await runCli(['run', '--kernel', persona, '--', programPath('syscall'), ...argv]);
  expect(shim.status, describeResult(shim)).toBe(0);
  return { native: parseOutput(native.stdout).get('errname'), shim: parseOutput(shim.stdout).get('errname') };
}
