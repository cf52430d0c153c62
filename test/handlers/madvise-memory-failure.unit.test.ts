/** do_madvise()'s range checks before a memory-failure injection, as data. */
import { describe, expect, it } from 'vitest';
import { rangeCheck } from '../../src/handlers/madvise-memory-failure.js';
import { errnoName } from '../../src/native/errno.js';

const cases: { start: bigint; len: bigint; expect: string; why: string }[] = [
  { start: 0n, len: 0n, expect: '0', why: 'an empty range: nothing to do' },
  { start: 0x7f0000001000n, len: 0n, expect: '0', why: 'empty, anywhere' },
  { start: 1n, len: 0n, expect: 'EINVAL', why: 'start not page-aligned, even when empty' },
  { start: 0n, len: 0xffffffffffffffffn, expect: 'EINVAL', why: 'the length rounds up to 0' },
  { start: 0n, len: 0xfffffffffffff001n, expect: 'EINVAL', why: 'rounds up to 0 too' },
  { start: 0xfffffffffffff000n, len: 8192n, expect: 'EINVAL', why: 'start + len wraps' },
  { start: 0x1000n, len: 1n, expect: 'go on', why: 'one page: the capability check comes next' },
];

describe('rangeCheck', () => {
  it.each(cases)('($start, $len) → $expect ($why)', ({ start, len, expect: want }) => {
    const r = rangeCheck(start, len);
    expect(r === undefined ? 'go on' : r === 0 ? '0' : errnoName(r)).toBe(want);
  });
});
