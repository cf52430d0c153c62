/**
 * The oracle probe on this host's real kernel, natively and under cr-shim, and cr-shim
 * against a captured Debian kernel (tables/personas/) without booting it. Booting the
 * Debian kernels themselves is the long suite (scripts/long-tests.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareSession } from '../../src/supervisor/session.js';
import { compareProbes, type CompareRow } from '../../src/oracle/compare.js';
import { probeArgs } from '../../src/oracle/probe-args.js';
import { judgedAbsent, outcomes, parseProbeOutput, recheckOutcomes, recordOf, type ProbeResult } from '../../src/persona/probe-result.js';
import { loadPersonaFile } from '../../src/persona/file.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { REPO_ROOT } from '../helpers/programs.js';
import { runCli } from '../helpers/run-cli.js';
import { requireShimBuilt } from '../helpers/require-build.js';

const registry = new TableRegistry();
const args = probeArgs(registry);
const newest = registry.indexed('x86_64', registry.releases('x86_64').at(-1)!);
const nrOf = (name: string) => newest.byName.get(name)!.nr;
let probe: string;
let native: ProbeResult;

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-probe-'));
  probe = path.join(dir, 'probe');
  const cc = spawnSync('gcc', ['-static', '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', probe, path.join(REPO_ROOT, 'test', 'oracle', 'probe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc -static test/oracle/probe.c failed: ${cc.stderr}`);
  const devNullMode = fs.statSync('/dev/null').mode;
  const hostname = os.hostname();
  native = parseProbeOutput(execFileSync(probe, args.argv, { encoding: 'utf8' }), 'native probe');
  // The probe runs as root here: nothing it calls may change the machine.
  expect(fs.statSync('/dev/null').mode).toBe(devNullMode);
  expect(os.hostname()).toBe(hostname);
}, 60_000);

async function underShim(kernel?: string): Promise<ProbeResult> {
  requireShimBuilt();
  const r = await runCli(['run', '--quiet', ...(kernel ? ['--kernel', kernel] : []), '--', probe, ...args.argv], { timeoutMs: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return parseProbeOutput(r.stdout, `cr-shim run ${kernel ?? ''} probe`);
}

function unexplained(real: ProbeResult, shim: ProbeResult, kernel: string | undefined): CompareRow[] {
  const s = prepareSession(kernel);
  return compareProbes({
    real,
    shim,
    table: registry.get('x86_64', s.persona.mainline),
    names: new Map([...newest.byNumber].map(([nr, e]) => [nr, e.name])),
    plan: s.plan.arches.find((a) => a.arch === 'x86_64')!.entries,
    hostMissing: new Set(s.host.missing.x86_64),
  }).filter((r) => r.class === 'unexplained');
}

describe('oracle probe on this host', () => {
  it.each([
    ['getpid', 'ok'],
    ['open', 'EFAULT'],
    ['pause', 'EINTR(blocked)'],
    ['nfsservctl', 'ENOSYS'],
    ['exit_group', 'skipped'],
    ['reboot', 'skipped'],
  ])('%s answers %s', (name, want) => {
    expect(outcomes(native).get(nrOf(name))).toBe(want);
  });

  it.each([
    // An existing call answering ENOSYS from inside (fd 0, a memfd, has no quota operations): EBADF for fd -1.
    ['quotactl_fd', 'ENOSYS', 'EBADF', false],
    // Removed in 3.1: ENOSYS whatever the arguments.
    ['nfsservctl', 'ENOSYS', 'ENOSYS', true],
  ] as const)('%s answers %s, then %s to the recheck: absent %s', (name, first, recheck, absent) => {
    expect([outcomes(native).get(nrOf(name)), recheckOutcomes(native).get(nrOf(name))]).toEqual([first, recheck]);
    expect(judgedAbsent(first, recheck)).toBe(absent);
  });

  it('probes every number up to the newest table\'s highest', () => {
    expect(native.results.map((r) => r.nr)).toEqual([...Array(args.maxNr + 1).keys()]);
    expect(native.release).toBe(os.release());
  });

  it('answers the same under cr-shim with the host\'s own persona, but for classified differences', async () => {
    const shim = await underShim();
    expect(unexplained(native, shim, undefined)).toEqual([]);
  }, 60_000);
});

describe('cr-shim against a captured Debian kernel', () => {
  const release = '6.1.0-56-amd64';
  it(`${release}: every difference from the recorded probe is classified, and the identity is the build's`, async () => {
    const persona = loadPersonaFile(release);
    expect(persona, `tables/personas/${release}.json: run npm run fidelity`).toBeDefined();
    const real: ProbeResult = {
      sysname: persona!.sysname,
      release,
      version: persona!.version,
      machine: persona!.machine,
      procVersion: persona!.procVersion,
      results: Object.entries(persona!.probe.outcomes).map(([nr, o]) => recordOf(Number(nr), o)),
    };
    const shim = await underShim(release);
    expect(unexplained(real, shim, release)).toEqual([]);
    expect({ release: shim.release, version: shim.version, procVersion: shim.procVersion }).toEqual({ release, version: real.version, procVersion: real.procVersion });
  }, 60_000);
});
