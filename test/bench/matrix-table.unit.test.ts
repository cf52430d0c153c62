/** The matrix view's table, from data. */
import { describe, expect, it } from 'vitest';
import { fmtNs, formatTable, tableRows } from '../../src/bench/matrix-table.js';
import { fixtureReport, MATRIX_CELLS } from './report-fixture.js';

describe('fmtNs', () => {
  it.each([[85, '85 ns'], [1234, '1.23 µs'], [45_600, '45.6 µs'], [1_200_000, '1.20 ms'], [Number.NaN, '—']])('%d → %s', (ns, s) => {
    expect(fmtNs(ns)).toBe(s);
  });
});

describe('table', () => {
  it('one row per calls scenario × threads, one column per available target, — for a missing cell', () => {
    const report = fixtureReport(MATRIX_CELLS);
    expect(tableRows(report)).toEqual([
      ['scenario', 'threads', 'native', 'ptrace'],
      ['left alone (getppid)', '1', '100 ns', '125 ns'],
      ['left alone (getppid)', '2', '—', '—'],
      ['refused (cachestat)', '1', '—', '—'],
      ['refused (cachestat)', '2', '—', '90.0 µs'],
    ]);
    expect(formatTable(report)).toMatch(/not run: runsc: not installed\n$/);
  });
});
