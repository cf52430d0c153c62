/** The matrix chart, from data. */
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../src/bench/svg.js';
import { fixtureReport, MATRIX_CELLS } from './report-fixture.js';

describe('svg', () => {
  it('a bar per calls cell, a swatch per available target, a log axis covering every value', () => {
    const report = fixtureReport(MATRIX_CELLS);
    const svg = renderSvg(report);
    // The start-up cell (ms) is not a bar: the chart is ns per call.
    expect(svg.match(/<rect /g)).toHaveLength(1 + 3 + 2);
    expect(svg).toContain('>100 ns<');
    expect(svg).toContain('>100.0 µs<');
    expect(svg).not.toContain('runsc');
  });
});
