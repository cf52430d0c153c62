/**
 * Running the cr-shim CLI: `node bin/cr-shim.js ARGS` (the Node.js CLI itself), or `bin/cr-shim
 * ARGS`, the command a user types (the native front, which answers some paths in C and execs
 * the CLI for the rest; docs/FRONT.md).
 * Call requireShimBuilt() (require-build.ts) in the test file first, so a
 * missing build fails with its fix rather than with a module-not-found trace.
 */
import path from 'node:path';

import { REPO_ROOT } from './programs.js';
import { runProcess, startProcess, type ProcessResult, type RunningProcess, type RunOptions } from './run-process.js';

export const CLI_PATH = path.join(REPO_ROOT, 'bin', 'cr-shim.js');

/** The package's bin: the native front. */
export const FRONT_PATH = path.join(REPO_ROOT, 'bin', 'cr-shim');

export type CliResult = ProcessResult;

/**
 * Run `cr-shim ARGS` to completion as a user types it: bin/cr-shim, the front (so every test of
 * `run` on a session-cache hit checks the front's C path, and every other command its hand-over
 * to the CLI). Rejects with the captured output on timeout.
 */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runProcess(FRONT_PATH, args, opts);
}

/** Start `cr-shim ARGS` (bin/cr-shim) and return at once, for tests that signal it or read it as it runs. */
export function startCli(args: readonly string[], opts: RunOptions = {}): RunningProcess {
  return startProcess(FRONT_PATH, args, opts);
}

/** Run the Node.js CLI itself, `node bin/cr-shim.js ARGS`, never the front. */
export function runNodeCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI_PATH, ...args], opts);
}

/** Run `bin/cr-shim ARGS` (the front) to completion; rejects with the captured output on timeout. */
export function runFront(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runProcess(FRONT_PATH, args, opts);
}

/** Start `bin/cr-shim ARGS` (the front) and return at once. */
export function startFront(args: readonly string[], opts: RunOptions = {}): RunningProcess {
  return startProcess(FRONT_PATH, args, opts);
}
