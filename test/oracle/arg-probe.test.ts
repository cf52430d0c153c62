/**
 * The argument probe on this host's real kernel, natively and under cr-shim against each Debian
 * kernel's recorded answers (test/oracle/recorded, written by `npm run fidelity` from the qemu
 * guests) without booting them: every difference must be classified.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { argCases, argProbeArgv } from '../../src/oracle/arg-cases.js';
import { compareArgProbes, summarizeArgs } from '../../src/oracle/arg-compare.js';
import { argOutcomes, caseKey, parseArgProbeOutput, type ArgProbeResult } from '../../src/oracle/arg-probe-output.js';
import { prepareSession } from '../../src/supervisor/session.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { REPO_ROOT } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';

const table = new TableRegistry().argTable('x86_64')!;
const cases = argCases(table);
const argv = argProbeArgv(cases);
const RECORDED = path.join(REPO_ROOT, 'test', 'oracle', 'recorded');
let probe: string;
let native: ArgProbeResult;

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-arg-probe-'));
  probe = path.join(dir, 'arg-probe');
  const cc = spawnSync('gcc', ['-static', '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', probe, path.join(REPO_ROOT, 'test', 'oracle', 'arg-probe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc -static test/oracle/arg-probe.c failed: ${cc.stderr}`);
  const devNullMode = fs.statSync('/dev/null').mode;
  const hostname = os.hostname();
  native = parseArgProbeOutput(execFileSync(probe, argv, { encoding: 'utf8', maxBuffer: 16 << 20 }), 'native arg-probe');
  // The probe runs as root here: nothing it calls may change the machine.
  expect(fs.statSync('/dev/null').mode).toBe(devNullMode);
  expect(os.hostname()).toBe(hostname);
}, 120_000);

const outcomeOf = (p: ArgProbeResult, call: string, name: string) => {
  const c = cases.find((x) => x.call === call && x.name.split('/').includes(name));
  expect(c, `${call} ${name} in the cases`).toBeDefined();
  return argOutcomes(p).get(caseKey(c!.call, c!.value));
};

describe('argument probe on this host', () => {
  // Answers any kernel since 6.1 gives the probe's harmless arguments, whatever its build.
  it.each([
    ['prctl', 'PR_GET_DUMPABLE', 'ok'],
    ['prctl', 'PR_SET_NO_NEW_PRIVS', 'EINVAL'],
    ['prctl', 'PR_SET_NAME', 'EFAULT'],
    ['fcntl', 'F_GETFD', 'ok'],
    ['fcntl', 'F_SETLK', 'EFAULT'],
    ['madvise', 'MADV_DONTNEED', 'ok'],
    ['mmap', 'MAP_FIXED_NOREPLACE', 'EEXIST'],
    ['mmap', 'MAP_FIXED', 'ok'],
    ['clone3', 'CLONE_DETACHED', 'EINVAL'],
    ['clone3', 'CLONE_NEWUTS', 'ok'],
    ['getrandom', 'GRND_INSECURE', 'ok'],
    ['statx', 'STATX_TYPE', 'ok, reported'],
    ['socket', 'AF_UNIX', 'ok'],
    ['socket-type', 'SOCK_STREAM', 'ok'],
    ['setsockopt', 'SO_REUSEADDR', 'ok'],
    ['getsockopt', 'SO_TYPE', 'ok'],
  ])('%s %s answers %s', (call, name, want) => {
    expect(outcomeOf(native, call, name)).toBe(want);
  });

  it('answers every case once', () => {
    expect(native.results.map((r) => caseKey(r.call, r.value)).sort()).toEqual(cases.map((c) => caseKey(c.call, c.value)).sort());
  });
});

const recorded = fs.existsSync(RECORDED) ? fs.readdirSync(RECORDED).filter((f) => f.endsWith('.args.json')).sort() : [];

describe('cr-shim against the recorded Debian kernels', () => {
  it('has a recording per Debian kernel of the oracle', () => {
    expect(recorded.length, 'test/oracle/recorded: run npm run fidelity').toBeGreaterThanOrEqual(3);
  });

  it.each(recorded)('%s: every difference from the recorded answers is classified', async (file) => {
    requireShimBuilt();
    const real = parseArgProbeOutput(fs.readFileSync(path.join(RECORDED, file), 'utf8'), file);
    const r = await runCli(['run', '--quiet', '--kernel', real.release, '--', probe, ...argv], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const shim = parseArgProbeOutput(r.stdout, `cr-shim run --kernel ${real.release} arg-probe`);
    const session = prepareSession(real.release);
    const rows = compareArgProbes({
      cases, real, shim, native, table, mainline: session.persona.mainline,
      plan: session.plan.arches.find((a) => a.arch === 'x86_64')!.entries,
    });
    expect(rows.filter((x) => x.class === 'unexplained')).toEqual([]);
    expect(summarizeArgs(rows).probed).toBe(cases.length);
  }, 180_000);
});
