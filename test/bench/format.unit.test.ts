/** Number formats and the text table, as data. */
import { describe, expect, it } from 'vitest';
import { fmtDelta, fmtKiB, fmtRatio, fmtValue, fmtVerdict, textTable } from '../../src/bench/format.js';
import { GOALS } from '../../src/bench/goals.js';
import type { GoalResult } from '../../src/bench/types.js';

describe('number formats', () => {
  it.each([
    [fmtValue(1023.4, 'ns'), '1.023 µs'],
    [fmtValue(16440, 'ns'), '16.440 µs'],
    [fmtValue(476.84, 'ms'), '476.8 ms'],
    [fmtDelta(21, 'ns'), '+0.021 µs'],
    [fmtDelta(-222, 'ns'), '−0.222 µs'],
    [fmtDelta(466.1, 'ms'), '+466.1 ms'],
    [fmtRatio(1.1649), '1.16×'],
    [fmtKiB(75356), '77.2 MB'],
  ])('%s', (got, want) => {
    expect(got).toBe(want);
  });
});

describe('fmtVerdict', () => {
  const g = GOALS[0]!;
  it.each<[Partial<GoalResult>, string]>([
    [{ verdict: 'PASS', clear: true }, 'met'],
    [{ verdict: 'PASS', clear: false }, 'met (within noise)'],
    [{ verdict: 'MISS', clear: true }, 'missed'],
    [{ verdict: 'MISS', clear: false }, 'missed (within noise)'],
    [{ verdict: 'INFO' }, 'reported'],
    [{ verdict: 'N/A', reason: 'notify did not run left-alone' }, 'not measured (notify did not run left-alone)'],
  ])('%j → %s', (r, want) => {
    expect(fmtVerdict({ goal: g, verdict: 'INFO', ...r })).toBe(want);
  });
});

describe('textTable', () => {
  it('pads columns to the widest cell (counting µs as one character) and underlines the header', () => {
    expect(textTable([['a', 'bb'], ['µµµ', 'c']])).toBe('a    bb\n---  --\nµµµ  c\n');
  });
});
