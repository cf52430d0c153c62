/**
 * Running criu: the log goes to a temporary directory (never the image directory), is removed
 * after a success and kept after a failure, whose one-line error names criu's first real error
 * and a fix. Stand-in criu scripts play the failures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CriuError, runCriu } from '../../src/criu/run-criu.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('fake-criu');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A criu stand-in: writes LOG lines to the -o file, prints OUT, exits STATUS. */
function fakeCriu(name: string, log: string[], status: number, out = ''): string {
  const file = path.join(dir, name);
  const script = [
    '#!/bin/sh',
    'for a; do [ "$prev" = -o ] && log=$a; prev=$a; done',
    `printf '%s\\n' ${log.map((l) => `'${l.replace(/'/g, "'\\''")}'`).join(' ')} > "$log"`,
    out ? `echo '${out}' >&2` : '',
    `exit ${status}`,
  ].join('\n');
  fs.writeFileSync(file, `${script}\n`, { mode: 0o755 });
  return file;
}

describe('runCriu', () => {
  it('returns the log of a successful run and removes it', async () => {
    const criu = fakeCriu('ok', ['(00.000001) Version: 4.1.1', '(00.200000) Dumping finished successfully'], 0);
    const run = await runCriu(criu, 'dump', ['-t', '1', '-D', dir]);
    expect(run.status).toBe(0);
    expect(run.log).toContain('Dumping finished successfully');
    expect(run.logFile).toBeUndefined();
  });

  it('a failure: one line with the first real error and its fix, the log kept outside the image', async () => {
    const criu = fakeCriu('fail', [
      '(00.058793) Error (criu/util.c:1533): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted',
      '(00.060000) Error (criu/pstree.c:300): The root process 42 is not a session leader. Consider using --shell-job option',
      '(00.070000) Error (criu/cr-dump.c:2000): Dumping FAILED.',
    ], 1);
    const err = await runCriu(criu, 'dump', ['-t', '42', '-D', dir]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CriuError);
    const e = err as CriuError;
    expect(e.op).toBe('criu dump');
    expect(e.code).toBe('ECRIU');
    expect(e.message).toBe('criu dump failed (exit 1): The root process 42 is not a session leader. Consider using --shell-job option');
    expect(e.hint).toMatch(/^the task shares its session with processes outside the dump: add --shell-job; log: \/.*\/dump\.log$/);
    expect(e.errors).toHaveLength(2);
    expect(fs.readFileSync(e.logFile!, 'utf8')).toContain('Dumping FAILED.');
    expect(path.dirname(e.logFile!).startsWith(dir)).toBe(false);
    fs.rmSync(path.dirname(e.logFile!), { recursive: true });
  });

  it('a criu that dies on its options before logging: its own words', async () => {
    const criu = path.join(dir, 'usage');
    fs.writeFileSync(criu, "#!/bin/sh\necho \"criu: unrecognized option '--bogus'\" >&2\nexit 1\n", { mode: 0o755 });
    await expect(runCriu(criu, 'dump', ['--bogus'])).rejects.toThrow("criu dump failed (exit 1): criu: unrecognized option '--bogus'");
  });

  it('a criu that cannot be run', async () => {
    await expect(runCriu(path.join(dir, 'absent'), 'check', [])).rejects.toMatchObject({ code: 'ECRIU', message: expect.stringMatching(/^cannot run .*absent: .*ENOENT/) });
  });
});
