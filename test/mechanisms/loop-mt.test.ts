/** The benchmark's workload, natively: its counts, threads and last result. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { programPath } from '../helpers/programs.js';
import { parseOutput } from '../helpers/parse-output.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

const STATIC = path.join(path.dirname(programPath('loop-mt')), 'loop-mt-static');

describe('loop-mt', () => {
  it.each([
    [programPath('loop-mt'), 'getppid', ''],
    [programPath('loop-mt'), 'nr=184', 'ENOSYS'],
    [STATIC, 'uname', ''],
    [STATIC, 'open=/proc/version', ''],
    [programPath('loop-mt'), 'open=/nonexistent', 'ENOENT'],
  ])('%s %s in 3 threads ends with "%s"', async (file, call, errname) => {
    const r = await runProcess(file, [call, '50', '3']);
    expect(r.status, describeResult(r)).toBe(0);
    const out = parseOutput(r.stdout);
    expect(out.get('threads')).toBe('3');
    expect(out.get('calls')).toBe('50');
    expect(out.get('errname')).toBe(errname);
    // Wall time over all 150 calls, and what one thread waited for its 50.
    expect(Number(out.get('thread_ns_per_call'))).toBeCloseTo(Number(out.get('ns_per_call')) * 3, 0);
  });

  it('refuses a denied number as loop does', async () => {
    const r = await runProcess(programPath('loop-mt'), ['nr=62', '1', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing 62/);
  });
});
