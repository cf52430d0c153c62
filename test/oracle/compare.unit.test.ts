import { describe, expect, it } from 'vitest';
import { compareProbes, summarize, type DiffClass } from '../../src/oracle/compare.js';
import type { ProbeRecord, ProbeResult } from '../../src/persona/probe-result.js';
import type { PlanEntry } from '../../src/plan/types.js';
import type { SyscallEntry, SyscallTable } from '../../src/tables/types.js';

const probe = (release: string, results: ProbeRecord[]): ProbeResult => ({ sysname: 'Linux', release, version: '#1', machine: 'x86_64', procVersion: 'Linux\n', results });

interface Case {
  what: string;
  real: ProbeRecord;
  shim: ProbeRecord;
  entry?: Partial<SyscallEntry>;
  basis?: PlanEntry['basis'];
  hostMissing?: boolean;
  kconfig?: string;
  want: DiffClass;
  reason?: RegExp;
}

// nr 400 is "demo" in the table unless `entry` is undefined; kconfig values are Debian's build.
const CASES: Case[] = [
  { what: 'same errno', real: { nr: 400, errno: 14 }, shim: { nr: 400, errno: 14 }, want: 'agree' },
  { what: 'both succeed with different values', real: { nr: 400, ret: 7 }, shim: { nr: 400, ret: 9 }, want: 'agree' },
  { what: 'host lacks the call', real: { nr: 400, ret: 0 }, shim: { nr: 400, errno: 1 }, hostMissing: true, basis: 'emulated', want: 'host-build', reason: /this host's kernel lacks it/ },
  { what: 'distro Kconfig off', real: { nr: 400, errno: 38 }, shim: { nr: 400, ret: 3 }, entry: { kconfig: 'CONFIG_DEMO' }, kconfig: 'n', want: 'distro-build', reason: /CONFIG_DEMO is not set in 5\.10\.0-1-amd64's build/ },
  { what: 'distro Kconfig on but off at boot', real: { nr: 400, errno: 38 }, shim: { nr: 400, ret: 3 }, entry: { kconfig: 'CONFIG_DEMO' }, kconfig: 'y', want: 'distro-build', reason: /CONFIG_DEMO=y .* switched off at boot or run time/ },
  { what: 'distro ENOSYS, no Kconfig named', real: { nr: 400, errno: 38 }, shim: { nr: 400, errno: 22 }, want: 'distro-build', reason: /names no Kconfig option/ },
  { what: 'table says absent, real kernel has it', real: { nr: 400, errno: 22 }, shim: { nr: 400, errno: 38 }, entry: undefined, basis: 'absent', want: 'table' },
  { what: 'known: uretprobe outside seccomp since 6.11', real: { nr: 335, errno: 38 }, shim: { nr: 335, signal: 4 }, want: 'seccomp' },
  { what: 'known name, other outcomes', real: { nr: 335, errno: 14 }, shim: { nr: 335, errno: 22 }, basis: 'same', want: 'unexplained' },
  { what: 'unexplained errno change', real: { nr: 400, errno: 14 }, shim: { nr: 400, errno: 22 }, basis: 'same', want: 'unexplained', reason: /allow/ },
];

describe('compareProbes', () => {
  it.each(CASES)('$what -> $want', (c) => {
    const entries: SyscallEntry[] = [{ nr: 335, name: 'uretprobe', status: 'present', args: [] }];
    if (!('entry' in c) || c.entry !== undefined) entries.push({ nr: 400, name: 'demo', status: 'present', args: [], ...c.entry });
    const table: SyscallTable = { arch: 'x86_64', release: '5.10', sources: [{ name: 'test', version: '1', facts: ['numbers'] }], syscalls: entries };
    const plan: PlanEntry[] = c.basis ? [{ nr: c.real.nr, name: 'demo', action: { kind: c.basis === 'absent' ? 'errno' : 'allow', ...(c.basis === 'absent' ? { errno: 38 } : {}) } as PlanEntry['action'], reason: 'why', basis: c.basis }] : [];
    const [row] = compareProbes({
      real: probe('5.10.0-1-amd64', [c.real]),
      shim: probe('5.10.0-1-amd64', [c.shim]),
      table,
      names: new Map([[400, 'demo']]),
      plan,
      hostMissing: new Set(c.hostMissing ? ['demo'] : []),
      kconfig: new Map(c.kconfig ? [['CONFIG_DEMO', c.kconfig]] : []),
    });
    expect(row!.class).toBe(c.want);
    if (c.reason) expect(row!.reason).toMatch(c.reason);
  });

  it('summarizes presence and answers, counting skipped numbers apart', () => {
    const rows = compareProbes({
      real: probe('r', [{ nr: 1, errno: 38 }, { nr: 2, ret: 0 }, { nr: 3, skipped: 'unsafe' }, { nr: 4, errno: 14 }]),
      shim: probe('r', [{ nr: 1, errno: 38 }, { nr: 2, errno: 38 }, { nr: 3, skipped: 'unsafe' }, { nr: 4, errno: 22 }]),
      table: { arch: 'x86_64', release: '5.10', sources: [{ name: 't', version: '1', facts: ['n'] }], syscalls: [] },
      names: new Map(),
      plan: [],
      hostMissing: new Set(),
    });
    expect(summarize(rows)).toEqual({ probed: 3, skipped: 1, presenceAgree: 2, agree: 1, byClass: { unexplained: 2 } });
  });
});
