/** Which fix a failed criu run gets, from its log lines (cases/criu-hints.json). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorLines, hintFor } from '../../src/criu/criu-hints.js';

const cases = JSON.parse(fs.readFileSync(new URL('./cases/criu-hints.json', import.meta.url), 'utf8')) as { rows: { line: string; fix: string | null }[] };

describe('criu hints', () => {
  it.each(cases.rows)('$line', ({ line, fix }) => {
    const hint = hintFor(errorLines(`(00.000001) Version: 4.1.1\n${line}\n(00.300000) Dumping FAILED.\n`));
    if (fix === null) expect(hint).toBeUndefined();
    else expect(hint).toContain(fix);
  });

  it('keeps error lines without their timestamps and drops the harmless RLIMIT_NOFILE one', () => {
    const log = [
      '(00.058793) Error (criu/util.c:1533): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted',
      '(00.060000) Warn  (compel/arch/x86/src/lib/infect.c:418): Will restore 1 with interrupted system call',
      '(00.070000) Error (criu/pstree.c:300): The root process 1 is not a session leader.',
    ].join('\n');
    expect(errorLines(log)).toEqual(['Error (criu/pstree.c:300): The root process 1 is not a session leader.']);
  });
});
