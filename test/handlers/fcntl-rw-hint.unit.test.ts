/** Which write hints 5.10's F_SET_FILE_RW_HINT took: it cast the u64 to enum rw_hint (an int) and checked the range. */
import { describe, expect, it } from 'vitest';
import { FILE_RW_HINT_CMDS, FILE_RW_HINT_REMOVED, validHint } from '../../src/handlers/fcntl-rw-hint.js';

const HINTS: [bigint, boolean][] = [
  [0n, true], // RWH_WRITE_LIFE_NOT_SET
  [1n, true],
  [5n, true], // RWH_WRITE_LIFE_EXTREME
  [6n, false],
  [0xffffffffn, false],
  [0x100000000n, true], // the cast keeps the low 32 bits: 0
  [0x100000006n, false],
];

describe('validHint', () => {
  it.each(HINTS)('%s → %s', (h, ok) => {
    expect(validHint(h)).toBe(ok);
  });
  it('names the two commands and the release that removed them', () => {
    expect([...FILE_RW_HINT_CMDS]).toEqual([1037, 1038]);
    expect(FILE_RW_HINT_REMOVED).toBe('5.18');
  });
});
