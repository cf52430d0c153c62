/**
 * Write errors on stdout end the command with a status: a full disk (/dev/full) with one line and
 * 125, never a lost output with exit 0 or a stack trace; a reader that went away (EPIPE, as in
 * `| head -1`) quietly with 141.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH } from '../helpers/run-cli.js';

beforeAll(() => requireShimBuilt());

const COMMANDS = [
  ['filter', '--kernel', '2.6.32'],
  ['tables', 'show', '5.10'],
  ['tables', 'list'],
  ['--help'],
];

/** Run cr-shim with stdout on `out` ('full': /dev/full; 'closed': a pipe whose reader is gone). */
function runWithStdout(args: string[], out: 'full' | 'closed'): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const fd = out === 'full' ? fs.openSync('/dev/full', 'w') : 'pipe';
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', fd, 'pipe'] });
    if (typeof fd === 'number') fs.closeSync(fd);
    // Closing our end at once: every write of the child's fails with EPIPE.
    else child.stdout!.destroy();
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('stdout write errors', () => {
  it.each(COMMANDS)('cr-shim %s > /dev/full: one line, exit 125', async (...args) => {
    const r = await runWithStdout(args, 'full');
    expect(r.stderr).toBe('cr-shim: write stdout: no space left on device (ENOSPC): the output is incomplete\n');
    expect(r.status).toBe(125);
  });

  it.each(COMMANDS)('cr-shim %s | (reader gone): nothing on stderr, exit 141', async (...args) => {
    const r = await runWithStdout(args, 'closed');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(141);
  });
});
