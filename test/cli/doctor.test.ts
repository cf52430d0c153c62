/**
 * `cr-shim doctor` on this host: the criu in use and its check, each kernel feature one line,
 * --json, and a missing criu reported as missing (exit 1) rather than as a crash.
 */
import fs from 'node:fs';
import os from 'node:os';
import { criuFloor } from '../../src/criu/binary.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Feature } from '../../src/criu/kernel-features.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from '../criu/helpers/criu.js';
import { ia32Available } from '../helpers/host-ia32.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

const FEATURES = [
  'criu',
  'criu check',
  'kernel',
  'SECCOMP_RET_USER_NOTIF',
  'pidfd_getfd',
  'SECCOMP_FILTER_FLAG_TSYNC_ESRCH',
  'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP',
  'ptrace',
  'CONFIG_CHECKPOINT_RESTORE',
  'CONFIG_MEM_SOFT_DIRTY',
  'ia32 emulation',
  'pid_max',
  'capabilities',
];

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
}, SETUP_TIMEOUT_MS);

describe('doctor', () => {
  it('one line per finding; everything cr-shim needs is here (exit 0)', async () => {
    const r = await runCli(['doctor']);
    expect(r.status, describeResult(r)).toBe(0);
    const names = r.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/)[0]);
    expect(names).toEqual(FEATURES);
    expect(r.stdout).toMatch(/^criu +ok +\d+\.\d+(\.\d+)? at \S+ \(from /m);
    // Which floor, and why: the same rule scripts/setup-criu.sh applies.
    const floor = criuFloor(os.release());
    expect(r.stdout).toContain(`; at least ${floor.major}.${floor.minor} here: ${floor.reason}\n`);
    expect(r.stdout).toMatch(/^criu check +ok +Looks good\.$/m);
    expect(r.stdout).toMatch(/^SECCOMP_RET_USER_NOTIF +ok /m);
  });

  it('--json: the same findings as data, consistent with other probes of this host', async () => {
    const r = await runCli(['doctor', '--json']);
    expect(r.status, describeResult(r)).toBe(0);
    const { ok, features } = JSON.parse(r.stdout) as { ok: boolean; features: Feature[] };
    expect(ok).toBe(true);
    const by = Object.fromEntries(features.map((f) => [f.name, f]));
    expect(by['ia32 emulation']!.state).toBe(ia32Available() ? 'ok' : 'off');
    expect(by.pid_max!.detail).toMatch(new RegExp(`^${fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()}:`));
    for (const f of features.filter((x) => x.required)) expect(f.state, f.name).toBe('ok');
  });

  it('a criu that is not there is a finding: missing, with the fix, exit 1', async () => {
    const r = await runCli(['doctor', '--criu', '/nonexistent/criu']);
    expect(r.status, describeResult(r)).toBe(1);
    expect(r.stdout).toMatch(/^criu +missing +criu \/nonexistent\/criu \(from --criu\) is missing or not executable: run scripts\/setup-criu\.sh or pass --criu PATH$/m);
    expect(r.stdout).toMatch(/^something cr-shim needs is missing/m);
  });
});
