import { describe, expect, it } from 'vitest';
import { ARG_PROBES, argCases, argProbeArgv, valuesFor } from '../../src/oracle/arg-cases.js';
import type { ArgGroup, ArgTable } from '../../src/tables/arg-table.js';
import { TableRegistry } from '../../src/tables/registry.js';

const group = (kind: ArgGroup['kind'], values: [string, number][]): ArgGroup => ({
  title: 't', syscalls: ['x'], arg: 0, kind, headers: [], values: values.map(([name, value]) => ({ name, value, by: '5.10', source: 's' })),
});

describe('values tried per group', () => {
  it.each([
    { what: 'options: 0, each value, the number after each unless named', g: group('value', [['A', 1], ['B', 2], ['C', 7]]), bits: undefined, want: [0, 1, 2, 3, 7, 8] },
    { what: 'flags: each named value (several bits too) and every bit of the width', g: group('flag', [['S', 0x101]]), bits: 4, want: [1, 2, 4, 8, 0x101] },
    { what: 'flags beyond 32 bits (clone3)', g: group('flag', []), bits: 34, want: [...Array(34).keys()].map((b) => 2 ** b) },
  ])('$what', ({ g, bits, want }) => {
    expect(valuesFor(g, bits)).toEqual(want);
  });

  it('names values from the table, bits by number, and sends physical-memory advice to the no-page call', () => {
    const table: ArgTable = {
      arch: 'x86_64', releases: ['5.10'], sources: [],
      groups: {
        'madvise-advice': group('value', [['MADV_DONTNEED', 4], ['MADV_HWPOISON', 100]]),
        'getrandom-flag': { ...group('flag', [['GRND_NONBLOCK', 1]]), values: [{ name: 'GRND_NONBLOCK', value: 1, aliases: ['GRND_NB'], by: '5.10', source: 's' }] },
      },
    };
    const cases = argCases(table);
    expect(cases.filter((c) => c.group === 'madvise-advice').map((c) => [c.call, c.value, c.name])).toEqual([
      ['madvise', 0, 'unnamed'], ['madvise', 4, 'MADV_DONTNEED'], ['madvise', 5, 'unnamed'], ['madvise-nopages', 100, 'MADV_HWPOISON'], ['madvise', 101, 'unnamed'],
    ]);
    expect(cases.filter((c) => c.group === 'getrandom-flag').slice(0, 2).map((c) => c.name)).toEqual(['GRND_NONBLOCK/GRND_NB', 'bit 1']);
    expect(argProbeArgv(cases)[0]).toBe('madvise=0,4,5,101');
    expect(argProbeArgv(cases)).toContain('madvise-nopages=100');
  });

  it('covers every group of the real table, and writes 64-bit values exactly', () => {
    const table = new TableRegistry().argTable('x86_64')!;
    const probed = new Set(ARG_PROBES.map((p) => p.group));
    expect(Object.keys(table.groups).filter((g) => !probed.has(g))).toEqual([]);
    const argv = argProbeArgv(argCases(table));
    expect(argv.find((a) => a.startsWith('clone3='))).toContain(',9223372036854775808');
  });
});
