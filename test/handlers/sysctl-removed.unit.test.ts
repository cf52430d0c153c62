/** Which removed sysctl files each persona gets, and what they read: cases as data. */
import { describe, expect, it } from 'vitest';
import { cpusLogFactor, removedSysctlFiles } from '../../src/handlers/sysctl-removed.js';
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
