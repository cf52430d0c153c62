/** The bench's pure parts: loop-mt's output, call counts, the table and the SVG, from data. */
import { describe, expect, it } from 'vitest';
import { parseLoopMt } from '../../src/mechanisms/bench/loop-mt-output.js';
import { budgetedCalls, callsPerThread } from '../../src/mechanisms/bench/run-bench.js';
import { fmtNs, formatTable, tableRows } from '../../src/mechanisms/bench/table.js';
import { renderSvg } from '../../src/mechanisms/bench/svg.js';
import { mechScenarios } from '../../src/mechanisms/bench/scenarios.js';
import type { MechBenchReport } from '../../src/mechanisms/bench/report.js';
import { summarize } from '../../src/bench/stats.js';

describe('parseLoopMt', () => {
  it('reads the numbers and the last errname', () => {
    const out = 'syscall=uname\nthreads=2\ncalls=10\nwall_ns=2000\nns_per_call=100.0\nthread_ns_per_call=200.0\nret=0\nerrno=0\nerrname=\n';
    expect(parseLoopMt(out)).toEqual({ threads: 2, calls: 10, nsPerCall: 100, threadNsPerCall: 200, errname: '' });
  });
  it('ignores a wrapper\'s own lines, and names a missing key', () => {
    expect(parseLoopMt('runsc: hello\nthreads=1\ncalls=1\nns_per_call=5\nthread_ns_per_call=5\nerrname=ENOSYS\n').errname).toBe('ENOSYS');
    expect(() => parseLoopMt('threads=1\nerrname=\n')).toThrow(/no numeric calls=/);
    expect(() => parseLoopMt('threads=1\n')).toThrow(/no errname=/);
  });
});

describe('callsPerThread', () => {
  it.each([
    [20000, 1, 1, 20000],
    [20000, 10, 8, 25000],
    [200, 1, 3, 67],
    [1, 1, 8, 1],
  ])('%i calls × weight %i over %i threads → %i each', (calls, weight, threads, want) => {
    expect(callsPerThread(calls, weight, threads)).toBe(want);
  });
});

describe('budgetedCalls', () => {
  it.each([
    [200_000, undefined, 250, 200_000],
    [200_000, 100, 250, 200_000],
    [200_000, 100_000, 250, 2_500],
    [200_000, 10_000_000, 250, 500],
    [300, 10_000_000, 250, 300],
  ])('at most %i, pilot %s ns, %i ms → %i', (most, pilot, budget, want) => {
    expect(budgetedCalls(most, pilot, budget)).toBe(want);
  });
});

describe('fmtNs', () => {
  it.each([[85, '85 ns'], [1234, '1.23 µs'], [45_600, '45.6 µs'], [1_200_000, '1.20 ms'], [Number.NaN, '—']])('%d → %s', (ns, s) => {
    expect(fmtNs(ns)).toBe(s);
  });
});

const report: MechBenchReport = {
  format: 1,
  tool: 'cr-shim bench',
  host: { date: '2026-01-01T00:00:00.000Z', kernel: '6.18', cpuModel: 'x', cpus: 2, node: 'v20', loadStart: [0, 0, 0], loadEnd: [0, 0, 0] },
  config: { kernel: '5.10', calls: 100, budgetMs: 250, threads: [1, 2], rounds: 1, wallSeconds: 1 },
  scenarios: mechScenarios({ nr: 451, name: 'cachestat' }, { nr: 184, name: 'tuxcall' }).slice(0, 2),
  targets: [
    { id: 'native', title: 'native', note: '' },
    { id: 'ptrace', title: 'cr-shim ptrace', note: '' },
    { id: 'runsc', title: 'gVisor runsc', note: '', unavailable: 'not installed' },
  ],
  cells: [
    { scenario: 'left-alone', target: 'native', threads: 1, samples: [100], threadSamples: [100], summary: summarize([100]) },
    { scenario: 'left-alone', target: 'ptrace', threads: 1, samples: [120, 130], threadSamples: [120, 130], summary: summarize([120, 130]) },
    { scenario: 'refused', target: 'ptrace', threads: 2, samples: [90_000], threadSamples: [180_000], summary: summarize([90_000]) },
  ],
};

describe('table', () => {
  it('one row per scenario × threads, one column per available target, — for a missing cell', () => {
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

describe('svg', () => {
  it('a bar per cell, a swatch per available target, a log axis covering every value', () => {
    const svg = renderSvg(report);
    expect(svg.match(/<rect /g)).toHaveLength(1 + report.cells.length + 2);
    expect(svg).toContain('>100 ns<');
    expect(svg).toContain('>100.0 µs<');
    expect(svg).not.toContain('runsc');
  });
});
