/**
 * A strict-mode test program (test/programs/strict-mode.c) started detached, its stdin a FIFO in
 * `dir` (opened read-write, so the open never blocks and the FIFO always has a reader and a
 * writer) and its output in `dir`/out; resolved once it waits in read(0), after entering
 * SECCOMP_MODE_STRICT (or asking cr-shim to, under `cr-shim run`).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseOutput } from './parse-output.js';
import { waitFor } from './wait-for.js';

export interface StrictSubject {
  pid: number;
  /** One byte written here makes it leave read(0) and make its forbidden call. */
  fifo: string;
  outFile: string;
}

export async function startStrictSubject(dir: string, argv: readonly string[]): Promise<StrictSubject> {
  const fifo = path.join(dir, 'in');
  const outFile = path.join(dir, 'out');
  execFileSync('mkfifo', [fifo]);
  fs.writeFileSync(outFile, '');
  const stdin = fs.openSync(fifo, fs.constants.O_RDWR);
  const out = fs.openSync(outFile, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, out, out], detached: true });
  child.unref();
  fs.closeSync(stdin);
  fs.closeSync(out);
  const text = await waitFor('waiting=1', () => {
    const t = fs.readFileSync(outFile, 'utf8');
    return /^waiting=1$/m.test(t) ? t : undefined;
  });
  return { pid: Number(parseOutput(text, { partial: true }).get('pid')), fifo, outFile };
}
