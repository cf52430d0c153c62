/** The persona's statx: which mask bits it did not know, and the struct it would have written. Cases as data. */
import { describe, expect, it } from 'vitest';
import { personaStatx, unknownStatxBits } from '../../src/handlers/statx-mask.js';
import { loadArgTableFile } from '../../src/tables/load.js';

const TABLE = loadArgTableFile();

const UNKNOWN: { persona: string; mask: number }[] = [
  { persona: '5.10', mask: 0x4000 | 0x8000 | 0x10000 | 0x20000 },
  { persona: '6.1', mask: 0x4000 | 0x8000 | 0x10000 | 0x20000 },
  { persona: '6.8', mask: 0x8000 | 0x10000 | 0x20000 },
  { persona: '6.12', mask: 0x20000 },
  { persona: '6.14', mask: 0 },
];

describe('unknownStatxBits', () => {
  it.each(UNKNOWN)('$persona did not know 0x$mask', ({ persona, mask }) => {
    // STATX_DIOALIGN's release (6.1) is dated by man-pages; 5.10 lacked it too.
    const got = unknownStatxBits(persona, TABLE) & ~0x2000;
    expect(got).toBe(mask);
  });
  it('5.10 did not know STATX_DIOALIGN, 6.1 did', () => {
    expect(unknownStatxBits('5.10', TABLE) & 0x2000).toBe(0x2000);
    expect(unknownStatxBits('6.1', TABLE) & 0x2000).toBe(0);
  });
});

function statx(mask: number, fill: number): Buffer {
  const b = Buffer.alloc(256, fill);
  b.writeUInt32LE(mask, 0);
  return b;
}

describe('personaStatx', () => {
  it('clears dropped bits and zeroes their fields (btime at 80..96, mnt_id at 144..152)', () => {
    const b = personaStatx(statx(0x4f3f, 0xaa), 0x4800);
    expect(b.readUInt32LE(0)).toBe(0x073f);
    expect(b.subarray(80, 96).every((x) => x === 0)).toBe(true);
    expect(b.subarray(144, 152).every((x) => x === 0)).toBe(true);
    expect(b[64]).toBe(0xaa); // atime kept
  });
  it('keeps stx_mnt_id while STATX_MNT_ID is still reported', () => {
    const b = personaStatx(statx(0x5000, 0xaa), 0x4000);
    expect(b.readUInt32LE(0)).toBe(0x1000);
    expect(b[144]).toBe(0xaa);
  });
  it('leaves a struct without dropped bits alone', () => {
    const b = statx(0x7ff, 0xaa);
    expect(personaStatx(b, 0x4800).equals(statx(0x7ff, 0xaa))).toBe(true);
  });
});
