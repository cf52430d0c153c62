/**
 * The exec watcher's READ_IMPLIES_EXEC (behaviour row read-implies-exec) on the real kernel:
 * the break reproduced natively, the persona's answer under `cr-shim run`, rows as data in
 * cases/read-implies-exec.json. The vDSO note the same watcher writes is tested in
 * test/inject/vdso-note.test.ts.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

requireShimBuilt();

interface Row {
  kernel: string;
  status: number;
  personality: string;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/read-implies-exec.json', import.meta.url), 'utf8')) as { rows: Row[] };

describe('READ_IMPLIES_EXEC for a 64-bit binary without PT_GNU_STACK (catalogue row read-implies-exec)', () => {
  it('natively (since 5.8): code in a RW mapping dies with SIGSEGV', async () => {
    const r = await runProcess(programPath('exec-rw'), []);
    expect(r.signal, describeResult(r)).toBe('SIGSEGV');
    expect(parseOutput(r.stdout, { partial: true }).fields).toMatchObject({ personality: '0x0' });
  });

  it.each(cases.rows)('run --kernel $kernel: status $status, personality $personality', async ({ kernel, status, personality }) => {
    const r = await runCli(['run', '--quiet', '--kernel', kernel, '--', programPath('exec-rw')], { timeoutMs: 30_000 });
    expect(r.status, describeResult(r)).toBe(status);
    const out = parseOutput(r.stdout, { partial: true }).fields;
    expect(out.personality, describeResult(r)).toBe(personality);
    expect(out.called).toBe(status === 0 ? '1' : undefined);
  });
});
