/**
 * Issue 11's leak vectors on the real kernel: test/programs/identity-leaks
 * under `cr-shim run` (identity by bind mount), `run --dumpable` and `attach`
 * (the native loop performs every open itself), verdicts as data in
 * cases/identity-leaks.json. "host" is the live host's text, read at test time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { programPath } from '../helpers/programs.js';
import { parseOutput } from '../helpers/parse-output.js';
import { describeResult, startProcess } from '../helpers/run-process.js';

requireShimBuilt();

type View = 'run' | 'dumpable' | 'attach';
interface Row {
  vector: string;
  run: string;
  dumpable: string;
  attach: string;
  why: string;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/identity-leaks.json', import.meta.url), 'utf8')) as { persona: string; rows: Row[] };

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-leaks-'));
afterAll(() => fs.rmSync(scratchRoot, { recursive: true, force: true }));
let scratchCount = 0;
const scratch = (): string => fs.mkdtempSync(path.join(scratchRoot, `${scratchCount++}-`));

const HOST_RELEASE = os.release();
const HOST_VERSION_LINE = fs.readFileSync('/proc/version', 'utf8').split('\n')[0]!;
const env = { ...process.env, HOST_RELEASE };

/** The text each vector read, or 'E...' for its error. */
function outcomes(stdout: string): Map<string, string> {
  const out = parseOutput(stdout, { partial: true });
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(out.fields)) m.set(k.endsWith('.error') ? k.slice(0, -'.error'.length) : k, k.endsWith('.error') ? v : `=${v}`);
  return m;
}

function check(view: View, got: Map<string, string>): void {
  for (const row of cases.rows) {
    const want = row[view];
    const value = got.get(row.vector);
    const where = `${view} ${row.vector} (${row.why}): ${value}`;
    expect(value, where).toBeDefined();
    if (want === 'persona') {
      expect(value!.startsWith('='), where).toBe(true);
      expect(value, where).toContain(cases.persona);
      expect(value, where).not.toContain(HOST_RELEASE);
    } else if (want === 'host') {
      expect(value, where).toBe(`=${HOST_VERSION_LINE}`);
    } else if (want.startsWith('0x')) {
      expect(value, where).toBe(`=${want}`);
    } else {
      expect(value, where).toBe(want);
    }
  }
  // The racing thread flipped the path between a harmless file and osrelease thousands of times.
  expect(got.get('race.host'), `${view}: reads of the host's release under a path race`).toBe('=0');
  expect(Number(got.get('race.persona')!.slice(1)), `${view}: race reads`).toBeGreaterThan(0);
}

describe('identity leak vectors', () => {
  it('run: bind mounts in a private mount namespace, no open trapped', async () => {
    const r = await runCli(['run', '--quiet', '--stats', '--kernel', cases.persona, '--', programPath('identity-leaks'), scratch()], { env, timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(0);
    check('run', outcomes(r.stdout));
    // No open-family call reached the supervisor.
    expect(r.stderr).not.toMatch(/^\s+open(at2?)?\s/m);
  }, 60_000);

  it('run leaves no trace on the host: no mount appears, the staging directory is gone', async () => {
    const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const staged = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('cr-shim-identity-'));
    const r = await runCli(['run', '--quiet', '--kernel', cases.persona, '--', 'cat', '/proc/self/mountinfo'], { env });
    expect(r.status, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/ \/proc\/version ro,/);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('cr-shim-identity');
    expect(before).not.toContain('cr-shim-identity');
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('cr-shim-identity-') && !staged.includes(n))).toEqual([]);
  });

  it('run --dumpable: the supervisor performs each open as the task and decides by inode', async () => {
    const r = await runCli(['run', '--quiet', '--dumpable', '--kernel', cases.persona, '--', programPath('identity-leaks'), scratch()], { env, timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(0);
    check('dumpable', outcomes(r.stdout));
  }, 60_000);

  it('attach: the same native open in a running program', async () => {
    const go = path.join(scratch(), 'go');
    const program = startProcess(programPath('identity-leaks'), ['--wait-file', go, scratch()], { env, timeoutMs: 60_000 });
    try {
      await program.waitForLine('ready=1');
      const attach = startCli(['attach', '--kernel', cases.persona, String(program.pid)], { timeoutMs: 60_000 });
      const deadline = Date.now() + 30_000;
      while (!attach.stderr().includes('the filter stays installed')) {
        if (Date.now() > deadline) throw new Error(`attach did not inject: ${attach.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      fs.writeFileSync(go, '');
      await program.waitForLine('done=1');
      check('attach', outcomes(program.stdout()));
      const r = await attach.result;
      expect(r.status, describeResult(r)).toBe(0);
    } finally {
      program.kill('SIGKILL');
    }
  }, 60_000);

  it('--allow-io-uring lets rings be made, as its help says', async () => {
    const r = await runCli(['run', '--quiet', '--allow-io-uring', '--kernel', cases.persona, '--', programPath('identity-leaks'), scratch()], { env, timeoutMs: 60_000 });
    expect(r.status, describeResult(r)).toBe(0);
    expect(outcomes(r.stdout).get('io_uring_setup')).toBe('=ok');
  }, 60_000);

  it('Node with UV_USE_IO_URING=1: fs.readFile and readFileSync both read the persona', async () => {
    const script = "const fs=require('fs');fs.readFile('/proc/sys/kernel/osrelease','utf8',(e,a)=>{if(e)throw e;console.log(a.trim()+' '+fs.readFileSync('/proc/sys/kernel/osrelease','utf8').trim())})";
    for (const extra of [[], ['--dumpable']]) {
      const r = await runCli(['run', '--quiet', ...extra, '--kernel', cases.persona, '--', process.execPath, '-e', script], { env: { ...env, UV_USE_IO_URING: '1' }, timeoutMs: 60_000 });
      expect(r.status, describeResult(r)).toBe(0);
      expect(r.stdout.trim(), extra.join(' ')).toBe(`${cases.persona} ${cases.persona}`);
    }
  }, 120_000);

  it('cr-shim dump refuses a tree in run\'s private mount namespace with the fix, and leaves it running', async () => {
    const sleeper = startCli(['run', '--quiet', '--kernel', cases.persona, '--', programPath('sleeper')], { timeoutMs: 60_000 });
    try {
      await sleeper.waitForLine('ready=1');
      const pid = Number(/^pid=(\d+)$/m.exec(sleeper.stdout())?.[1]);
      const img = path.join(scratch(), 'img');
      const r = await runCli(['dump', String(pid), img]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`cr-shim: dump: process ${pid} runs in cr-shim run's private mount namespace (the persona's /proc files are bind mounts there), which CRIU cannot dump; start the program with cr-shim run --dumpable to checkpoint it later\n`);
      expect(fs.existsSync(img)).toBe(false);
      expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
    }
  }, 60_000);
});
