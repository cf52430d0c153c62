/**
 * The kernel facts behind cr-shim's strict-mode emulation (native/strict-mode.c), measured on
 * the running kernel by fixtures/strict-facts.c: why the strict-equivalent filter kills with
 * SECCOMP_RET_KILL_THREAD rather than sending forbidden calls to a listener of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E } from '../../src/native/errno.js';
import { parseOutput, type ProgramOutput } from '../helpers/parse-output.js';

let dir: string;
let out: ProgramOutput;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-shim-strict-facts-'));
  const program = join(dir, 'strict-facts');
  execFileSync('gcc', ['-O2', '-Wall', '-o', program, fileURLToPath(new URL('./fixtures/strict-facts.c', import.meta.url))]);
  out = parseOutput(execFileSync(program, { encoding: 'utf8' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kernel facts of strict mode under a filter', () => {
  it('a second filter with a listener is refused while the first listener lives (has_duplicate_listener)', () => {
    expect(Number(out.get('second_listener'))).toBe(E.EBUSY);
  });
  it('a USER_NOTIF from a filter without a listener fails the call with ENOSYS, even beside one with a listener', () => {
    expect(Number(out.get('notif_no_listener'))).toBe(E.ENOSYS);
  });
  it('strict mode is refused to a task under a filter (seccomp_may_assign_mode)', () => {
    expect(Number(out.get('strict_after_filter'))).toBe(E.EINVAL);
  });
});
