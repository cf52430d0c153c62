import { describe, expect, it } from 'vitest';
import { writeCpio, type CpioEntry } from '../../src/oracle/cpio.js';

/** Read a newc archive back: the grammar in src/oracle/cpio.ts, checked field by field. */
function readCpio(buf: Buffer): { name: string; mode: number; size: number; rdev: [number, number]; data: Buffer }[] {
  const out = [];
  let off = 0;
  for (;;) {
    expect(buf.toString('ascii', off, off + 6)).toBe('070701');
    const f = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const [mode, size, rmaj, rmin, namesize] = [f(1), f(6), f(9), f(10), f(11)];
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1);
    expect(buf[off + 110 + namesize - 1]).toBe(0);
    off = (off + 110 + namesize + 3) & ~3;
    const data = buf.subarray(off, off + size);
    off = (off + size + 3) & ~3;
    if (name === 'TRAILER!!!') break;
    out.push({ name, mode, size, rdev: [rmaj, rmin] as [number, number], data });
  }
  expect(off).toBe(buf.length);
  return out;
}

const CASES: { what: string; entry: CpioEntry; mode: number; data: string; rdev?: [number, number] }[] = [
  { what: 'a directory', entry: { kind: 'dir', name: 'bin' }, mode: 0o040755, data: '' },
  { what: 'a file, leading slash dropped', entry: { kind: 'file', name: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }, mode: 0o100755, data: '#!/bin/sh\n' },
  { what: 'an odd-length file', entry: { kind: 'file', name: 'payload/x', data: Buffer.from('abcde') }, mode: 0o100644, data: 'abcde' },
  { what: 'a symlink', entry: { kind: 'symlink', name: 'bin/sh', target: 'busybox' }, mode: 0o120777, data: 'busybox' },
  { what: 'the console device', entry: { kind: 'chardev', name: 'dev/console', major: 5, minor: 1 }, mode: 0o020600, data: '', rdev: [5, 1] },
];

describe('writeCpio (newc)', () => {
  it.each(CASES)('writes $what', ({ entry, mode, data, rdev }) => {
    const [e] = readCpio(writeCpio([entry]));
    expect(e!.name).toBe(entry.name.replace(/^\//, ''));
    expect(e!.mode).toBe(mode);
    expect(e!.data.toString()).toBe(data);
    expect(e!.rdev).toEqual(rdev ?? [0, 0]);
  });

  it('keeps every entry 4-byte aligned in a mixed archive, and is deterministic', () => {
    const entries = CASES.map((c) => c.entry);
    const a = writeCpio(entries);
    expect(readCpio(a).map((e) => e.name)).toEqual(entries.map((e) => e.name.replace(/^\//, '')));
    expect(writeCpio(entries).equals(a)).toBe(true);
  });
});
