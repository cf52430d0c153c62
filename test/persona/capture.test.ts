import { describe, expect, it } from 'vitest';
import { capturePersona } from '../../src/persona/capture.js';
import { validatePersonaFile } from '../../src/persona/file.js';
import { judgedAbsent, type ProbeRecord } from '../../src/persona/probe-result.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();
const t61 = registry.indexed('x86_64', '6.1');
const nr = (name: string) => registry.indexed('x86_64', registry.releases('x86_64').at(-1)!).byName.get(name)!.nr;

// A 6.1 build without memfd_secret (ENOSYS to both probes though the 6.1 table has it), with
// quotactl_fd answering ENOSYS from inside (fd 0 has no quota operations; EBADF for fd -1), and
// with a call the table lacks.
const RESULTS: ProbeRecord[] = [
  { nr: nr('read'), ret: 0 },
  { nr: nr('memfd_secret'), errno: 38, recheck: { errno: 38 } },
  { nr: nr('quotactl_fd'), errno: 38, recheck: { errno: 9 } },
  { nr: nr('exit'), skipped: 'unsafe' },
  { nr: nr('cachestat'), errno: 22 },
  { nr: nr('pause'), errno: 4, blocked: true },
];

describe('capturePersona', () => {
  const p = capturePersona(
    { sysname: 'Linux', release: '6.1.0-99-amd64', version: '#1 SMP Debian 6.1.1-1', machine: 'x86_64', procVersion: 'Linux version 6.1.0-99-amd64', results: RESULTS },
    registry,
    { kind: 'debian-package', suite: 'bookworm', package: 'linux-image-6.1.0-99-amd64', packageVersion: '6.1.1-1', method: 'test', captured: '2026-01-02' },
  );

  it('keeps the identity, newline-terminating /proc/version', () => {
    expect(p).toMatchObject({ release: '6.1.0-99-amd64', mainline: '6.1', version: '#1 SMP Debian 6.1.1-1', procVersion: 'Linux version 6.1.0-99-amd64\n' });
    expect(p.source).toEqual({ kind: 'debian-package', suite: 'bookworm', package: 'linux-image-6.1.0-99-amd64', packageVersion: '6.1.1-1', method: 'test', captured: '2026-01-02' });
  });

  it.each([
    ['absent', ['memfd_secret']],
    ['extra', ['cachestat']],
    ['unsafe', [nr('exit')]],
  ] as const)('records %s against the 6.1 table', (field, want) => {
    expect(p.probe[field]).toEqual(want);
  });

  it('keeps the rechecks: quotactl_fd\'s EBADF makes it present', () => {
    expect(p.probe.rechecks).toEqual({ [String(nr('memfd_secret'))]: 'ENOSYS', [String(nr('quotactl_fd'))]: 'EBADF' });
    expect(p.probe.absent).not.toContain('quotactl_fd');
  });

  it.each([
    { first: 'ENOSYS', recheck: 'ENOSYS', absent: true },
    { first: 'ENOSYS', recheck: 'EBADF', absent: false },
    { first: 'ENOSYS', recheck: 'EFAULT', absent: false },
    { first: 'ENOSYS', recheck: undefined, absent: true },
    { first: 'EINVAL', recheck: undefined, absent: false },
  ])('ENOSYS judged by both probes: $first then $recheck → absent $absent', ({ first, recheck, absent }) => {
    expect(judgedAbsent(first, recheck)).toBe(absent);
  });

  it('records every outcome word and passes its schema', () => {
    expect(t61.byName.has('cachestat')).toBe(false);
    expect(p.probe.outcomes[String(nr('pause'))]).toBe('EINTR(blocked)');
    expect(() => validatePersonaFile(p, 'test')).not.toThrow();
  });
});
