/** docs/PERFORMANCE.md regeneration: the generated block is replaced, the hand-written part kept. */
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, renderDoc } from '../../src/bench/doc.js';
import { summarize } from '../../src/bench/stats.js';
import { evaluateTargets } from '../../src/bench/targets.js';
import type { BenchReport, Cell } from '../../src/bench/types.js';

function cell(scenario: string, mechanism: string, values: number[]): Cell {
  return { scenario, mechanism, unit: scenario === 'startup' ? 'ms' : 'ns', samples: values.map((value) => ({ value, peakRssKiB: 70000 })), summary: summarize(values) };
}

function report(nativeNs: number): BenchReport {
  const cells = [cell('getppid', 'native', [nativeNs, nativeNs + 10]), cell('getppid', 'cr-shim', [nativeNs + 20, nativeNs + 30])];
  return {
    format: 1,
    host: { date: '2026-11-27T08:00:00.000Z', kernel: '6.18.44', cpuModel: 'AMD EPYC', cpus: 2, node: 'v20.20.2', loadStart: [1, 2, 3], loadEnd: [1.5, 2, 3] },
    config: { kernel: '5.10', rounds: 2, refused: { nr: 451, name: 'cachestat' }, wallSeconds: 100 },
    scenarios: [{ kind: 'calls', id: 'getppid', title: 'getppid', calls: 10, filtered: 'getppid', unfiltered: 'getppid', expect: '', note: 'allowed' }],
    mechanisms: [
      { id: 'native', title: 'native', note: 'no filter' },
      { id: 'proot', title: 'proot', note: 'ptrace', unavailable: 'not installed' },
    ],
    cells,
    targets: evaluateTargets(cells),
  };
}

describe('renderDoc', () => {
  it('writes a fresh document with the markers, the run facts, the targets and a stub for the analysis', () => {
    const doc = renderDoc(report(1000), undefined);
    expect(doc).toContain(BEGIN_MARKER);
    expect(doc).toContain(END_MARKER);
    expect(doc).toContain('Linux 6.18.44, AMD EPYC × 2 CPUs');
    expect(doc).toContain('Load average (1, 5, 15 min): 1.00, 2.00, 3.00 at the start, 1.50, 2.00, 3.00 at the end');
    expect(doc).toMatch(/\| \*\*passthrough\*\*.*\| \+0\.020 µs \|.*\| \*\*PASS\*\* \|/);
    expect(doc).toContain('(not run: not installed)');
    expect(doc.indexOf('## Analysis')).toBeGreaterThan(doc.indexOf(END_MARKER));
  });

  it('replaces only the generated block and keeps what is around it', () => {
    const first = renderDoc(report(1000), undefined);
    const edited = first.replace('# Performance', '# Performance (edited title)').replace('(Written by hand: what the numbers mean and why.)', 'Hand-written analysis.\n\nMore.');
    const second = renderDoc(report(2000), edited);
    expect(second).toContain('# Performance (edited title)');
    expect(second).toContain('Hand-written analysis.\n\nMore.');
    expect(second).toContain('2.000 µs');
    expect(second).not.toContain('| 1.000 µs');
    expect(second.split(END_MARKER).length).toBe(2);
    expect(renderDoc(report(2000), second)).toBe(second);
  });
});
