/** docs/PERFORMANCE.md is generated whole from a run's JSON. */
import { describe, expect, it } from 'vitest';
import { renderDoc } from '../../src/bench/doc.js';
import { cell, fixtureReport } from './report-fixture.js';

function report(nativeNs: number) {
  return fixtureReport([
    cell('left-alone', 'native', 1, [nativeNs, nativeNs + 10]),
    cell('left-alone', 'notify', 1, [nativeNs + 20, nativeNs + 30], 70000),
    cell('left-alone', 'native', 2, [nativeNs / 2]),
  ]);
}

describe('renderDoc', () => {
  it('writes the run facts, the goals with their verdicts, the matrix and the method', () => {
    const doc = renderDoc(report(1000));
    expect(doc.startsWith('# Performance\n')).toBe(true);
    expect(doc).toContain('Linux 6.18.44, AMD EPYC × 2 CPUs');
    expect(doc).toContain('Load average (1, 5, 15 min): 1.00, 2.00, 3.00 at the start, 1.50, 2.00, 3.00 at the end');
    expect(doc).toMatch(/\| \*\*passthrough\*\*.*\| \+0\.020 µs \|.*\| \*\*met\*\* \|/);
    expect(doc).toMatch(/\| \*\*memory\*\*.*\| \*\*met\*\* \|/);
    expect(doc).toMatch(/\| left alone \(getppid\) \| 2 \| 500 ns \|/);
    expect(doc).toContain('(not run: not installed)');
    expect(doc).not.toContain('About this run');
  });

  it('depends on the run alone, and says what its runner noted', () => {
    expect(renderDoc(report(2000))).toBe(renderDoc(report(2000)));
    expect(renderDoc(report(2000))).not.toContain('| 1.005 µs');
    expect(renderDoc(report(1000))).toContain('| 1.005 µs');
    const noted = report(1000);
    noted.config.note = 'quick settings on a loaded machine; the integrator re-runs it.';
    expect(renderDoc(noted)).toContain('**About this run:** quick settings on a loaded machine; the integrator re-runs it.');
  });

  it('says when goals were not judged', () => {
    const { goals: _goals, ...matrixOnly } = report(1000);
    expect(renderDoc(matrixOnly)).toContain('Not judged in this run');
  });
});
