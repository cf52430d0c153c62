/**
 * The vDSO note (issue 11 item 3) on the real kernel: the LINUX_VERSION_CODE a program reads
 * from its own vDSO is the persona's under run (the launcher's exec included), after every
 * exec (a PATH search whose first tries fail too), after attach and after restore; natively
 * the live host's. Expected codes are data in cases/vdso-note.json.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { VDSO_HELPER_PATH } from '../../src/inject/vdso-note.js';
import { liveVdsoVersion } from '../helpers/live-vdso.js';
import { parseOutput } from '../helpers/parse-output.js';
import { PROGRAMS_BIN_DIR, programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { describeResult, runProcess, startProcess } from '../helpers/run-process.js';
import { fingerprint, startUnderShim } from './shim-subject.js';
import { askReport, readProgress, waitProgress } from './subject.js';

requireShimBuilt();

const cases = JSON.parse(fs.readFileSync(new URL('./cases/vdso-note.json', import.meta.url), 'utf8')) as { personas: { kernel: string; code: string }[] };
const hex = (code: number): string => '0x' + code.toString(16).padStart(6, '0');
const HOST_CODE = hex(liveVdsoVersion().code);
const PROG = programPath('vdso-note');

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-vdso-'));
afterAll(() => fs.rmSync(scratchRoot, { recursive: true, force: true }));

function fields(stdout: string): Record<string, string> {
  return parseOutput(stdout, { partial: true }).fields;
}

describe('the vDSO note a program reads', () => {
  it('natively: the host\'s, in each image', async () => {
    const r = await runProcess(PROG, ['first', PROG, 'second']);
    expect(r.status, describeResult(r)).toBe(0);
    expect(fields(r.stdout)).toMatchObject({ 'first.vdso_note': HOST_CODE, 'second.vdso_note': HOST_CODE });
  });

  it.each(cases.personas)('run --kernel $kernel: $code from the first image on, and after an exec', async ({ kernel, code }) => {
    const r = await runCli(['run', '--quiet', '--kernel', kernel, '--', PROG, 'first', PROG, 'second'], { timeoutMs: 30_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(fields(r.stdout)).toMatchObject({ 'first.vdso_note': code, 'second.vdso_note': code });
  });

  it('run: an exec from a thread other than the leader (the image takes over the thread group\'s id)', async () => {
    const { kernel, code } = cases.personas[0]!;
    const r = await runCli(['run', '--quiet', '--kernel', kernel, '--', PROG, 'first', '--thread', PROG, 'second'], { timeoutMs: 30_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(fields(r.stdout)).toMatchObject({ 'first.vdso_note': code, 'second.vdso_note': code });
  });

  it('run --dumpable: after a PATH search whose first tries fail, the image found reads the persona\'s; no tracer is left', async () => {
    const { kernel, code } = cases.personas[0]!;
    const env = { ...process.env, PATH: `/nonexistent-a:/nonexistent-b:${PROGRAMS_BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const r = await runCli(['run', '--quiet', '--dumpable', '--kernel', kernel, '--', PROG, 'first', 'vdso-note', 'second', 'sh', '-c', 'grep TracerPid /proc/$$/status | tr -d "\\t " | tr A-Z: a-z=; exec vdso-note third'], { env, timeoutMs: 30_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(fields(r.stdout)).toMatchObject({ 'first.vdso_note': code, 'second.vdso_note': code, tracerpid: '0', 'third.vdso_note': code });
  });

  it('cr-shim-vdso writes one process\'s note only: its parent and a fresh exec still read the host\'s', async () => {
    const go = path.join(fs.mkdtempSync(path.join(scratchRoot, 'own-')), 'go');
    const program = startProcess(PROG, ['start', '--wait-file', go, PROG, 'exec'], { timeoutMs: 30_000 });
    try {
      await program.waitForLine('ready=1');
      await promisify(execFile)(VDSO_HELPER_PATH, ['0x041300', String(program.pid)]);
      const { stdout } = await promisify(execFile)(VDSO_HELPER_PATH, ['--read', String(program.pid)]);
      expect(stdout.trim()).toBe('0x041300');
      expect(hex(liveVdsoVersion().code)).toBe(HOST_CODE);
      fs.writeFileSync(go, '');
      const r = await program.result;
      expect(r.status, describeResult(r)).toBe(0);
      expect(fields(r.stdout)).toMatchObject({ 'start.vdso_note': HOST_CODE, 'start.after_wait.vdso_note': '0x041300', 'exec.vdso_note': HOST_CODE });
    } finally {
      program.kill('SIGKILL');
    }
  });

  it('attach: the running image and the next exec read the persona\'s', async () => {
    const { kernel, code } = cases.personas[0]!;
    const go = path.join(fs.mkdtempSync(path.join(scratchRoot, 'attach-')), 'go');
    const program = startProcess(PROG, ['start', '--wait-file', go, PROG, 'exec'], { timeoutMs: 30_000 });
    try {
      await program.waitForLine('ready=1');
      const attach = startCli(['attach', '--kernel', kernel, String(program.pid)], { timeoutMs: 30_000 });
      const deadline = Date.now() + 20_000;
      while (!attach.stderr().includes('the filter stays installed')) {
        if (Date.now() > deadline) throw new Error(`attach did not inject: ${attach.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      fs.writeFileSync(go, '');
      const r = await program.result;
      expect(r.status, describeResult(r)).toBe(0);
      expect(fields(r.stdout)).toMatchObject({ 'start.vdso_note': HOST_CODE, 'start.after_wait.vdso_note': code, 'exec.vdso_note': code });
      const a = await attach.result;
      expect(a.status, describeResult(a)).toBe(0);
    } finally {
      program.kill('SIGKILL');
    }
  }, 60_000);

  it('restore: the restored process reads the persona\'s, as it did when dumped', async () => {
    const { kernel, code } = cases.personas[0]!;
    const s = await startUnderShim('single', kernel);
    const img = path.join(path.dirname(s.state), 'img');
    const dump = await runCli(['dump', String(s.pid), img], { timeoutMs: 60_000 });
    expect(dump.status, describeResult(dump)).toBe(0);
    await s.shimExited;
    const before = fingerprint(img);
    const atDump = readProgress(s.state)!.counter;
    const restore = startCli(['restore', img], { timeoutMs: 60_000 });
    await waitProgress(s.state, (p) => p.counter > atDump, 30_000);
    const report = await askReport(s.state);
    const r = await restore.result;
    expect(r.status, describeResult(r)).toBe(42);
    expect(report).toMatchObject({ release: kernel, vdso_note: code });
    expect(fingerprint(img)).toEqual(before);
  }, 90_000);
});
