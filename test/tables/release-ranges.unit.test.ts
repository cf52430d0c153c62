import { describe, expect, it } from 'vitest';
import { nextMainline } from '../../src/tables/release.js';
import { rangeText, releaseRanges } from '../../src/tables/release-ranges.js';

describe('nextMainline', () => {
  const rows: [string, string][] = [
    ['2.6.16', '2.6.17'], ['2.6.39', '3.0'], ['3.9', '3.10'], ['3.19', '4.0'],
    ['4.20', '5.0'], ['5.19', '6.0'], ['6.18', '6.19'], ['5.4.0-150-generic', '5.5'],
  ];
  it.each(rows)('%s -> %s', (r, next) => expect(nextMainline(r)).toBe(next));
});

describe('releaseRanges', () => {
  const rows: { releases: string[]; ranges: string[] }[] = [
    { releases: [], ranges: [] },
    { releases: ['5.4'], ranges: ['5.4'] },
    { releases: ['2.6.38', '2.6.39', '3.0', '3.1'], ranges: ['2.6.38-3.1'] },
    { releases: ['4.19', '4.20', '5.0', '5.2', '5.3'], ranges: ['4.19-5.0', '5.2-5.3'] },
    { releases: ['3.10', '3.9', '3.10', '2.6.32'], ranges: ['2.6.32', '3.9-3.10'] },
  ];
  it.each(rows)('$releases -> $ranges', ({ releases, ranges }) => {
    expect(releaseRanges(releases).map(rangeText)).toEqual(ranges);
  });

  it('counts the releases in a run', () => {
    expect(releaseRanges(['5.18', '5.19', '6.0'])).toEqual([{ from: '5.18', to: '6.0', count: 3 }]);
  });
});
