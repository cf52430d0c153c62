/**
 * The exec watcher's READ_IMPLIES_EXEC (behaviour row read-implies-exec) on the real kernel:
 * the break reproduced natively, the persona's answer under `cr-shim run`, rows as data in
 * cases/read-implies-exec.json. The vDSO note the same watcher writes is tested in
 * test/inject/vdso-note.test.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { dumpThenRestore } from '../helpers/dump-restore.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH, runCli } from '../helpers/run-cli.js';
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

  it('run --kernel 4.19: twelve execs at once, each stopped while its injected personality() waits on the supervisor', async () => {
    const prog = programPath('exec-rw');
    const r = await runCli(['run', '--quiet', '--kernel', '4.19', '--', 'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do ${prog} & done; wait`], { timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l === 'called=1')).toHaveLength(12);
  }, 60_000);

  it('restore under 4.19: CRIU brings the task back without it; restore sets it again before the task runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-rie-'));
    try {
      const [out, go, img] = [path.join(dir, 'out'), path.join(dir, 'go'), path.join(dir, 'img')];
      const outFd = fs.openSync(out, 'w');
      // Every stdio a file or /dev/null: CRIU dumps no pipe to the outside.
      const shim = spawn(process.execPath, [CLI_PATH, 'run', '--quiet', '--dumpable', '--kernel', '4.19', '--', programPath('exec-rw'), '--wait-file', go], { stdio: ['ignore', outFd, outFd] });
      const shimExited = new Promise((resolve) => shim.once('exit', resolve));
      fs.closeSync(outFd);
      const fields = (): Record<string, string> => parseOutput(fs.readFileSync(out, 'utf8'), { partial: true }).fields;
      const deadline = Date.now() + 20_000;
      while (fields().ready !== '1') {
        if (Date.now() > deadline) throw new Error(`exec-rw did not start: ${fs.readFileSync(out, 'utf8')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(fields()).toMatchObject({ personality: '0x400000' });
      await dumpThenRestore(fields().pid!, img, go, shimExited);
      expect(fields()).toMatchObject({ 'after_wait.personality': '0x400000', called: '1' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
