/**
 * Running the cr-shim CLI the way a user does: `node bin/cr-shim.js ARGS`.
 * Call requireShimBuilt() (require-build.ts) in the test file first, so a
 * missing build fails with its fix rather than with a module-not-found trace.
 */
import path from 'node:path';

import { REPO_ROOT } from './programs.js';
import { runProcess, startProcess, type ProcessResult, type RunningProcess, type RunOptions } from './run-process.js';

export const CLI_PATH = path.join(REPO_ROOT, 'bin', 'cr-shim.js');

export type CliResult = ProcessResult;

/** Run `cr-shim ARGS` to completion; rejects with the captured output on timeout. */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI_PATH, ...args], opts);
}

/** Start `cr-shim ARGS` and return at once, for tests that signal it or read it as it runs. */
export function startCli(args: readonly string[], opts: RunOptions = {}): RunningProcess {
  return startProcess(process.execPath, [CLI_PATH, ...args], opts);
}
