/** Parsing /proc/pressure/cpu. */
import { describe, expect, it } from 'vitest';
import { cpuPressure, kernelForReport } from '../../src/bench/host-info.js';

describe('cpuPressure', () => {
  it.each([
    ['some avg10=96.95 avg60=90.98 avg300=88.64 total=1608721430\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 90.98],
    ['', undefined],
  ])('%j → %s', (text, want) => {
    expect(cpuPressure(text)).toBe(want);
  });
});

describe('kernelForReport', () => {
  // A committed report names the upstream release, never the machine's build string.
  it.each([
    ['6.18.44-build-v0', '6.18.44'],
    ['6.1.0-56-amd64', '6.1.0'],
    ['5.10', '5.10'],
    ['not-a-release', 'not-a-release'],
  ])('%s → %s', (release, want) => {
    expect(kernelForReport(release)).toBe(want);
  });
});
