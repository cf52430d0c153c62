/** Which removed sysctl files each persona gets, and what they read: cases as data. */
import { describe, expect, it } from 'vitest';
import { cpusLogFactor, removedStandIns, removedSysctlFiles, standInPermits } from '../../src/handlers/sysctl-removed.js';
import type { TraceeCreds } from '../../src/native/tracee-creds.js';
import { loadSysctlRemovedFile } from '../../src/tables/load.js';

const FILES = loadSysctlRemovedFile().files;

const CASES: { persona: string; cpus: number; path: string; expect: string | undefined }[] = [
  { persona: '4.9', cpus: 2, path: 'net/ipv4/tcp_tw_recycle', expect: '0\n' },
  { persona: '4.11', cpus: 2, path: 'net/ipv4/tcp_tw_recycle', expect: '0\n' },
  { persona: '4.12', cpus: 2, path: 'net/ipv4/tcp_tw_recycle', expect: undefined },
  { persona: '2.6.16', cpus: 2, path: 'kernel/sched_latency_ns', expect: undefined },
  { persona: '2.6.23', cpus: 1, path: 'kernel/sched_latency_ns', expect: '6000000\n' },
  { persona: '5.10', cpus: 2, path: 'kernel/sched_min_granularity_ns', expect: '1500000\n' },
  { persona: '5.12', cpus: 64, path: 'kernel/sched_wakeup_granularity_ns', expect: '4000000\n' },
  { persona: '5.12', cpus: 64, path: 'kernel/sched_migration_cost_ns', expect: '500000\n' },
  { persona: '5.13', cpus: 2, path: 'kernel/sched_latency_ns', expect: undefined },
];

describe('removed sysctl files per persona', () => {
  it.each(CASES)('$persona ($cpus CPUs): $path reads $expect', ({ persona, cpus, path, expect: want }) => {
    expect(removedSysctlFiles(persona, FILES, cpus).get(path)).toBe(want);
  });

  it.each([[1, 1], [2, 2], [3, 2], [4, 3], [8, 4], [256, 4]])('%i CPUs scale the sched latencies by %i', (cpus, factor) => {
    expect(cpusLogFactor(cpus)).toBe(factor);
  });
});

const TW = removedStandIns('4.9', FILES, 2).find((s) => s.path === 'net/ipv4/tcp_tw_recycle')!;
const SCHED = removedStandIns('4.9', FILES, 2).find((s) => s.path === 'kernel/sched_nr_migrate')!;
const CAP_NET_ADMIN = 1n << 12n;
const creds = (euid: number, egid: number, groups: number[], capEff = 0n): TraceeCreds => ({ euid, egid, fsuid: euid, groups, capEff });

/** proc_sys_permission() of the old kernel on a 0644 root file: want is MAY_READ 4 | MAY_WRITE 2 | MAY_EXEC 1. */
const PERMITS: { who: string; file: 'tw' | 'sched'; c: TraceeCreds; sameUserns: boolean; want: number; expect: boolean }[] = [
  { who: 'euid 0 reads', file: 'tw', c: creds(0, 0, []), sameUserns: true, want: 4, expect: true },
  { who: 'euid 0 writes', file: 'tw', c: creds(0, 0, []), sameUserns: true, want: 2, expect: true },
  { who: 'euid 0 without capabilities writes (root by uid)', file: 'sched', c: creds(0, 0, [], 0n), sameUserns: true, want: 6, expect: true },
  { who: 'nobody reads', file: 'tw', c: creds(65534, 65534, []), sameUserns: true, want: 4, expect: true },
  { who: 'nobody writes: EACCES', file: 'tw', c: creds(65534, 65534, []), sameUserns: true, want: 2, expect: false },
  { who: 'a member of group 0 writes: the group bits, r--', file: 'sched', c: creds(1000, 1000, [0]), sameUserns: true, want: 2, expect: false },
  { who: 'CAP_NET_ADMIN writes a net/ file', file: 'tw', c: creds(1000, 1000, [], CAP_NET_ADMIN), sameUserns: true, want: 2, expect: true },
  { who: 'CAP_NET_ADMIN writes a kernel/ file: EACCES', file: 'sched', c: creds(1000, 1000, [], CAP_NET_ADMIN), sameUserns: true, want: 2, expect: false },
  { who: 'CAP_NET_ADMIN in another user namespace does not count', file: 'tw', c: creds(1000, 1000, [], CAP_NET_ADMIN), sameUserns: false, want: 2, expect: false },
  { who: 'nobody executes: EACCES for any regular file', file: 'tw', c: creds(0, 0, []), sameUserns: true, want: 1, expect: false },
];

describe('stand-ins: mode from the table, the old kernel\'s permission check', () => {
  it('tcp_tw_recycle and the sched tunables are 0644, net/ files let CAP_NET_ADMIN write', () => {
    expect([TW.mode, TW.netAdmin, TW.text]).toEqual([0o644, true, '0\n']);
    expect([SCHED.mode, SCHED.netAdmin]).toEqual([0o644, false]);
  });

  it.each(PERMITS)('$who → $expect', ({ file, c, sameUserns, want, expect: ok }) => {
    expect(standInPermits(file === 'tw' ? TW : SCHED, want, c, sameUserns)).toBe(ok);
  });
});
