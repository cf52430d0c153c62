/** Order statistics, as data. */
import { describe, expect, it } from 'vitest';
import { median, paired, quantile, summarize } from '../../src/bench/stats.js';

describe('quantile', () => {
  it.each([
    [[5], 0.5, 5],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.25, 1.75],
    [[1, 2, 3, 4, 5], 0.75, 4],
    [[10, 20], 0, 10],
    [[10, 20], 1, 20],
    [[10, 20], 2, 20],
  ])('%j at %d is %d', (values, q, want) => {
    expect(quantile(values, q)).toBeCloseTo(want, 12);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});

describe('summarize', () => {
  it('gives median, extremes, quartiles and IQR relative to the median', () => {
    expect(summarize([3, 1, 2, 5, 4])).toEqual({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4, relIqr: 2 / 3 });
  });

  it('has no spread for one sample', () => {
    expect(summarize([7])).toMatchObject({ n: 1, median: 7, relIqr: 0 });
  });

  it('refuses an empty set', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('paired', () => {
  it('combines index by index and stops at the shorter list', () => {
    expect(paired([5, 7, 9], [1, 2], (a, b) => a - b)).toEqual([4, 5]);
  });
});
