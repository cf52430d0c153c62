/** Which files of a dump cannot be reopened here: rows against a described host. */
import type fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filesThatCannotMove, parseProcDevices, type HostFs } from '../../src/criu/file-check.js';
import type { ImageRegFile } from '../../src/criu/image/files.js';

const CHR = 0o020000;
const REG = 0o100000;
const DIR = 0o040000;

interface HostFile { mode: number; size?: number; major?: number }
const stats = (f: HostFile): fs.Stats => ({ mode: f.mode, size: f.size ?? 0, rdev: (f.major ?? 0) * 256 }) as fs.Stats;

const HOST: Record<string, HostFile> = {
  '/dev/null': { mode: CHR | 0o666, major: 1 },
  '/dev/orphan': { mode: CHR | 0o600, major: 240 },
  '/usr/bin/prog': { mode: REG | 0o755, size: 1000 },
  '/tmp': { mode: DIR | 0o1777 },
};
const host: HostFs = {
  stat: (p) => (HOST[p] ? stats(HOST[p]!) : undefined),
  devices: parseProcDevices('Character devices:\n  1 mem\n  4 tty\n\nBlock devices:\n  8 sd\n'),
};

const file = (name: string, mode: number, extra: Partial<ImageRegFile> = {}): ImageRegFile => ({
  id: 1, name, mode, ext: false, remapped: false, inMountNamespace: false, holders: [{ pid: 42, fd: 3 }], ...extra,
});

const ROWS: [string, ImageRegFile, RegExp | null][] = [
  ['a device the host has', file('/dev/null', CHR | 0o666), null],
  ['a device node the host lacks', file('/dev/kvm', CHR | 0o660), /character device \/dev\/kvm does not exist on this host: the hardware or driver/],
  ['a device node without a driver', file('/dev/orphan', CHR | 0o600), /major 240\) has no driver on this host/],
  ['an unchanged regular file', file('/usr/bin/prog', REG | 0o755, { size: 1000n }), null],
  ['a regular file that grew', file('/usr/bin/prog', REG | 0o755, { size: 900n }), /1000 bytes here, 900 in the image: it changed since the dump/],
  ['a regular file whose permissions changed', file('/usr/bin/prog', REG | 0o700, { size: 1000n }), /mode 0755 here, 0700 in the image/],
  ['a missing regular file', file('/opt/data', REG | 0o644, { size: 1n }), /\/opt\/data does not exist on this host/],
  ['a file that became a directory', file('/tmp', REG | 0o644), /is a directory here, a regular file in the image/],
  ['a ghost file CRIU carries in the image', file('/opt/deleted', REG | 0o644, { remapped: true }), null],
  ['an external file the user supplies', file('/opt/ext', REG | 0o644, { ext: true }), null],
  ['a file of the dump\'s own mount namespace', file('/opt/ns', REG | 0o644, { inMountNamespace: true }), null],
  ['a /proc path of a dumped task', file('/proc/4242/status', REG | 0o444), null],
];

describe('files that cannot move', () => {
  it.each(ROWS)('%s', (_why, f, problem) => {
    const found = filesThatCannotMove([f], host);
    if (problem === null) expect(found).toEqual([]);
    else {
      expect(found).toHaveLength(1);
      expect(found[0]!.problem).toMatch(problem);
      expect(found[0]!.heldBy).toBe('fd 3 of pid 42');
      expect(found[0]!.fix.length).toBeGreaterThan(0);
    }
  });

  it('names a file used only through a mapping as mapped', () => {
    expect(filesThatCannotMove([file('/opt/lib.so', REG | 0o644, { holders: [] })], host)[0]!.heldBy).toBe('mapped');
  });

  it('parses /proc/devices into character and block majors', () => {
    expect(host.devices.char).toEqual(new Set([1, 4]));
    expect(host.devices.block).toEqual(new Set([8]));
  });
});
