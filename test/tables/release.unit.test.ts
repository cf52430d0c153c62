import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { compareReleases, mainlineOf, nearestKnown, parseRelease } from '../../src/tables/release.js';

const KNOWN = ['2.6.16', '2.6.32', '2.6.39', '3.0', '3.10', '3.19', '4.0', '4.19', '4.20', '5.0', '5.4', '6.17', '6.18'];

describe('parseRelease / mainlineOf', () => {
  const rows: [string, string][] = [
    ['2.6.32', '2.6.32'],
    ['2.6.32.27', '2.6.32'],
    ['2.6.32-754.el6.x86_64', '2.6.32'],
    ['3.10.0', '3.10'],
    ['3.10.0-1160.el7.x86_64', '3.10'],
    ['4.19', '4.19'],
    ['5.4.0-150-generic', '5.4'],
    ['6.1.0-56-amd64', '6.1'],
    ['6.18.44-fc-v782', '6.18'],
    ['3.0', '3.0'],
  ];
  it.each(rows)('%s -> %s', (text, mainline) => expect(mainlineOf(text)).toBe(mainline));

  it.each(['', 'linux', '5', '2.6', '2.4.37', 'v5.4', '5.x'])('refuses %j', (text) => {
    expect(() => parseRelease(text)).toThrow(UsageError);
  });
});

describe('compareReleases', () => {
  const rows: [string, string, number][] = [
    ['2.6.39', '3.0', -1],
    ['3.19', '4.0', -1],
    ['3.2', '3.10', -1],
    ['5.4.0-150-generic', '5.4', 0],
    ['6.18', '6.9', 1],
    ['2.6.9', '2.6.16', -1],
  ];
  it.each(rows)('%s vs %s', (a, b, sign) => expect(Math.sign(compareReleases(a, b))).toBe(sign));
});

describe('nearestKnown', () => {
  const found: { requested: string; release: string; exact: boolean }[] = [
    { requested: '2.6.32', release: '2.6.32', exact: true },
    { requested: '2.6.32-754.el6.x86_64', release: '2.6.32', exact: true },
    { requested: '3.10.0', release: '3.10', exact: true },
    { requested: '4.19', release: '4.19', exact: true },
    { requested: '5.4.0-150-generic', release: '5.4', exact: true },
    { requested: '2.6.35', release: '2.6.32', exact: false },
    { requested: '3.16.0-4-amd64', release: '3.10', exact: false },
    { requested: '5.10', release: '5.4', exact: false },
    { requested: '6.1.0-56-amd64', release: '5.4', exact: false },
  ];
  it.each(found)('$requested -> $release (exact $exact)', ({ requested, release, exact }) => {
    expect(nearestKnown(requested, KNOWN)).toEqual({ release, exact });
  });

  const refused: { requested: string; names: string[] }[] = [
    { requested: '2.6.15', names: ['2.6.16'] },
    { requested: '2.6.40', names: ['2.6.39', '3.0'] },
    { requested: '3.20', names: ['3.19', '4.0'] },
    { requested: '4.21', names: ['4.20', '5.0'] },
    { requested: '7.0', names: ['6.18'] },
    { requested: 'banana', names: [] },
  ];
  it.each(refused)('refuses $requested, naming $names', ({ requested, names }) => {
    let err: unknown;
    try {
      nearestKnown(requested, KNOWN);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    for (const n of names) expect((err as Error).message).toContain(n);
  });
});
