import { describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { compareReleases } from '../../src/tables/release.js';
import type { SyscallStatus } from '../../src/tables/types.js';

const registry = new TableRegistry();

/** Spot facts: status 'absent' means the table has no entry with that name. */
const FACTS: { arch: Arch; release: string; name: string; status: SyscallStatus | 'absent'; nr?: number; changedIn?: string; since?: string }[] = [
  { arch: 'x86_64', release: '2.6.32', name: 'nfsservctl', status: 'present', nr: 180 },
  { arch: 'x86_64', release: '3.0', name: 'nfsservctl', status: 'present', nr: 180 },
  { arch: 'x86_64', release: '3.1', name: 'nfsservctl', status: 'removed', nr: 180, changedIn: '3.1' },
  { arch: 'ia32', release: '6.18', name: 'nfsservctl', status: 'removed', nr: 169, changedIn: '3.1' },
  { arch: 'x86_64', release: '5.4', name: '_sysctl', status: 'present', nr: 156 },
  { arch: 'x86_64', release: '5.5', name: '_sysctl', status: 'gutted', nr: 156, changedIn: '5.5' },
  { arch: 'x86_64', release: '5.8', name: '_sysctl', status: 'gutted', nr: 156, changedIn: '5.5' },
  { arch: 'x86_64', release: '5.9', name: '_sysctl', status: 'removed', nr: 156, changedIn: '5.9' },
  { arch: 'ia32', release: '5.9', name: '_sysctl', status: 'removed', nr: 149, changedIn: '5.9' },
  { arch: 'x86_64', release: '5.11', name: 'lookup_dcookie', status: 'present', nr: 212 },
  { arch: 'x86_64', release: '5.12', name: 'lookup_dcookie', status: 'removed', nr: 212, changedIn: '5.12' },
  { arch: 'ia32', release: '5.12', name: 'lookup_dcookie', status: 'removed', nr: 253, changedIn: '5.12' },
  { arch: 'x86_64', release: '3.16', name: 'getrandom', status: 'absent' },
  { arch: 'x86_64', release: '2.6.32', name: 'getrandom', status: 'absent' },
  { arch: 'x86_64', release: '3.17', name: 'getrandom', status: 'present', nr: 318, since: '3.17' },
  { arch: 'ia32', release: '3.17', name: 'getrandom', status: 'present', nr: 355, since: '3.17' },
  { arch: 'ia32', release: '4.2', name: 'socket', status: 'absent' },
  { arch: 'ia32', release: '3.10', name: 'socket', status: 'absent' },
  { arch: 'ia32', release: '4.3', name: 'socket', status: 'present', nr: 359, since: '4.3' },
  { arch: 'ia32', release: '2.6.32', name: 'socketcall', status: 'present', nr: 102 },
  { arch: 'ia32', release: '4.11', name: 'arch_prctl', status: 'absent' },
  { arch: 'ia32', release: '4.12', name: 'arch_prctl', status: 'present', nr: 384, since: '4.12' },
  { arch: 'ia32', release: '5.4', name: 'uname', status: 'present', nr: 122 },
  { arch: 'ia32', release: '5.4', name: 'olduname', status: 'present', nr: 109 },
  { arch: 'ia32', release: '5.4', name: 'oldolduname', status: 'present', nr: 59 },
  { arch: 'ia32', release: '2.6.16', name: 'uname', status: 'present', nr: 122 },
  { arch: 'x86_64', release: '5.4', name: 'uname', status: 'present', nr: 63 },
  { arch: 'x86_64', release: '2.6.16', name: 'uname', status: 'present', nr: 63 },
  { arch: 'x86_64', release: '5.2', name: 'clone3', status: 'absent' },
  { arch: 'x86_64', release: '5.3', name: 'clone3', status: 'present', nr: 435, since: '5.3' },
  { arch: 'ia32', release: '5.3', name: 'clone3', status: 'present', nr: 435, since: '5.3' },
  { arch: 'x86_64', release: '3.0', name: 'getcpu', status: 'absent' },
  { arch: 'x86_64', release: '3.1', name: 'getcpu', status: 'present', nr: 309, since: '3.1' },
  { arch: 'x86_64', release: '2.6.38', name: 'syncfs', status: 'absent' },
  { arch: 'x86_64', release: '2.6.39', name: 'syncfs', status: 'present', nr: 306, since: '2.6.39' },
  { arch: 'x86_64', release: '3.0', name: 'setns', status: 'present', nr: 308, since: '3.0' },
  { arch: 'x86_64', release: '3.18', name: 'bpf', status: 'present', nr: 321, since: '3.18' },
  { arch: 'x86_64', release: '3.19', name: 'execveat', status: 'present', nr: 322, since: '3.19' },
  { arch: 'x86_64', release: '3.18', name: 'execveat', status: 'absent' },
  { arch: 'x86_64', release: '3.19', name: 'remap_file_pages', status: 'present', nr: 216 },
  { arch: 'x86_64', release: '4.0', name: 'remap_file_pages', status: 'gutted', nr: 216, changedIn: '4.0' },
  { arch: 'ia32', release: '5.14', name: 'bdflush', status: 'gutted', nr: 134 },
  { arch: 'ia32', release: '5.15', name: 'bdflush', status: 'removed', nr: 134, changedIn: '5.15' },
  { arch: 'x86_64', release: '5.15', name: 'bdflush', status: 'absent' },
  { arch: 'ia32', release: '6.15', name: 'uselib', status: 'present', nr: 86 },
  { arch: 'ia32', release: '6.16', name: 'uselib', status: 'removed', nr: 86, changedIn: '6.16' },
  { arch: 'x86_64', release: '6.16', name: 'uselib', status: 'absent' },
  { arch: 'x86_64', release: '6.17', name: 'file_getattr', status: 'present', nr: 468, since: '6.17' },
  { arch: 'x86_64', release: '6.18', name: 'uprobe', status: 'present', nr: 336, since: '6.18' },
  { arch: 'x86_64', release: '6.18', name: 'listns', status: 'absent' },
  { arch: 'ia32', release: '6.18', name: 'uprobe', status: 'absent' },
  { arch: 'x86_64', release: '6.18', name: 'stat', status: 'present', nr: 4 },
  { arch: 'x86_64', release: '6.18', name: 'tuxcall', status: 'absent' },
  // aarch64 (asm-generic numbering): no open, stat, fork or uname-era leftovers; 5.0 is the first table.
  { arch: 'aarch64', release: '5.0', name: 'open', status: 'absent' },
  { arch: 'aarch64', release: '5.0', name: 'openat', status: 'present', nr: 56 },
  { arch: 'aarch64', release: '5.0', name: 'uname', status: 'present', nr: 160 },
  { arch: 'aarch64', release: '5.0', name: 'fstat', status: 'present', nr: 80 },
  { arch: 'aarch64', release: '5.0', name: 'umount2', status: 'present', nr: 39 },
  { arch: 'aarch64', release: '6.18', name: 'fork', status: 'absent' },
  { arch: 'aarch64', release: '6.18', name: 'nfsservctl', status: 'absent' },
  { arch: 'aarch64', release: '5.11', name: 'lookup_dcookie', status: 'present', nr: 18 },
  { arch: 'aarch64', release: '5.12', name: 'lookup_dcookie', status: 'removed', nr: 18, changedIn: '5.12' },
  { arch: 'aarch64', release: '5.2', name: 'clone3', status: 'absent' },
  { arch: 'aarch64', release: '5.3', name: 'clone3', status: 'present', nr: 435, since: '5.3' },
  { arch: 'aarch64', release: '5.9', name: 'close_range', status: 'present', nr: 436, since: '5.9' },
  { arch: 'aarch64', release: '5.0', name: 'remap_file_pages', status: 'gutted', nr: 234, changedIn: '4.0' },
  // pkey_*: config-gated (CONFIG_ARCH_HAS_PKEYS) before 6.12, present throughout, never removed.
  { arch: 'aarch64', release: '5.0', name: 'pkey_mprotect', status: 'present', nr: 288 },
  { arch: 'aarch64', release: '6.5', name: 'pkey_alloc', status: 'present', nr: 289 },
  { arch: 'aarch64', release: '6.12', name: 'pkey_free', status: 'present', nr: 290 },
  { arch: 'aarch64', release: '6.13', name: 'map_shadow_stack', status: 'present', nr: 453, since: '6.13' },
  { arch: 'aarch64', release: '6.17', name: 'file_setattr', status: 'present', nr: 469, since: '6.17' },
  { arch: 'aarch64', release: '6.18', name: 'uprobe', status: 'absent' },
];

describe('spot facts', () => {
  it.each(FACTS)('$arch $release $name: $status', ({ arch, release, name, status, nr, changedIn, since }) => {
    const e = registry.byName(arch, release, name);
    if (status === 'absent') {
      expect(e).toBeUndefined();
      return;
    }
    expect(e).toBeDefined();
    expect(e?.status).toBe(status);
    if (nr !== undefined) {
      expect(e?.nr).toBe(nr);
      expect(registry.byNumber(arch, release, nr)?.name).toBe(name);
    }
    if (changedIn !== undefined) expect(e?.changedIn).toBe(changedIn);
    if (since !== undefined) expect(e?.since).toBe(since);
  });
});

describe('table invariants', () => {
  it.each(['x86_64', 'ia32', 'aarch64'] as const)('%s: a call once present stays listed (removed) in every later release', (arch) => {
    const releases = registry.releases(arch);
    for (let i = 1; i < releases.length; i++) {
      const before = registry.get(arch, releases[i - 1] as string);
      const after = registry.indexed(arch, releases[i] as string);
      for (const e of before.syscalls) expect(after.byName.get(e.name)?.nr, `${arch} ${releases[i]} ${e.name}`).toBe(e.nr);
    }
  });

  it('6.18 says it is 6.17 data plus a probe', () => {
    for (const arch of ['x86_64', 'ia32'] as const) {
      const t = registry.get(arch, '6.18');
      expect(t.sources.find((s) => s.name === 'systrack')?.version).toBe('v6.17');
      expect(t.notes?.join(' ')).toMatch(/6\.17/);
      if (t.probe) {
        expect(t.probe.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(t.sources.some((s) => s.name === 'probe')).toBe(true);
      }
    }
  });

  it('aarch64 6.18 is 6.17\'s set, unprobed, and says so', () => {
    const t = registry.get('aarch64', '6.18');
    expect(t.probe).toBeUndefined();
    expect(t.sources.find((s) => s.name === 'systrack')?.version).toBe('v6.17');
    expect(t.notes?.join(' ')).toMatch(/6\.17 data.*Not probed/);
    expect(t.syscalls).toEqual(registry.get('aarch64', '6.17').syscalls);
  });

  it('aarch64 pkey_* are gated by CONFIG_ARCH_HAS_PKEYS before 6.12 and CONFIG_ARM64_POE after, with a note', () => {
    for (const release of registry.releases('aarch64')) {
      const poe = compareReleases(release, '6.12') >= 0;
      for (const name of ['pkey_mprotect', 'pkey_alloc', 'pkey_free']) {
        const e = registry.byName('aarch64', release, name);
        expect(e?.status, `${release} ${name}`).toBe('present');
        expect(e?.since).toBeUndefined();
        expect(e?.kconfig).toBe(poe ? 'CONFIG_ARM64_POE' : 'CONFIG_ARCH_HAS_PKEYS');
        expect(e?.note).toMatch(/6\.12/);
      }
      expect(registry.get('aarch64', release).notes?.some((n) => n.includes('pkey_mprotect'))).toBe(!poe);
    }
  });
});
