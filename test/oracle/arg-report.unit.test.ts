import { describe, expect, it } from 'vitest';
import { renderArgSection } from '../../src/oracle/arg-report.js';
import { summarizeArgs, type ArgCompareRow } from '../../src/oracle/arg-compare.js';

const row = (over: Partial<ArgCompareRow>): ArgCompareRow => ({
  group: 'prctl-option', syscall: 'prctl', call: 'prctl', value: 1, name: 'PR_SET_PDEATHSIG', real: 'ok', shim: 'ok', native: 'ok', agrees: true, class: 'agree', reason: '', ...over,
});

describe('renderArgSection', () => {
  const same = [...Array(98).keys()].map((i) => row({ value: i + 100, name: 'unnamed' }));
  const diff = row({ value: 8, name: 'MAP_DROPPABLE', group: 'mmap-flag', syscall: 'mmap', call: 'mmap', real: 'EINVAL', shim: 'ok', native: 'ok', agrees: false, class: 'no-rule', reason: 'x | y' });
  const rows = [...same, diff, row({ value: 9, group: 'mmap-flag', syscall: 'mmap', call: 'mmap' })];
  const text = renderArgSection({
    calls: ['prctl-option (prctl): prctl(VALUE, 0, 0, 0, 0)'],
    target: 99,
    kernels: [
      { release: '5.10.0-1-amd64', suite: 'bullseye', mainline: '5.10', rows, summary: summarizeArgs(rows) },
      { release: '6.1.0-1-amd64', suite: 'bookworm', mainline: '6.1', rows: same, summary: summarizeArgs(same) },
      { release: '7.0.0-1-amd64', suite: 'sid', mainline: '7.0', rows: [], summary: { probed: 100, agree: 97, byClass: { 'host-build': 2, environment: 1 }, byGroup: {} } },
    ],
  }).join('\n');

  it.each([
    ['the per-kernel line: cases, same answer, percent rounded down, classes', '| 5.10.0-1-amd64 (bullseye) | 100 | 99/100 | 99.0% | no-rule 1 | 99/100 (99.0%) |'],
    ['host-build and environment left out of the last column', '| 7.0.0-1-amd64 (sid) | 100 | 97/100 | 97.0% | host-build 2, environment 1 | 97/97 (100.0%) |'],
    ['a kernel without differences', '| 6.1.0-1-amd64 (bookworm) | 98 | 98/98 | 100.0% | none | 98/98 (100.0%) |'],
    ['the per-group table, with a dash where a kernel has no such case', '| mmap-flag (mmap) | 1/2 | — |'],
    ['a difference row, its reason escaped', '| mmap | 8 | MAP_DROPPABLE | EINVAL | ok | ok | no-rule | x \\| y |'],
    ['the calls', '- prctl-option (prctl): prctl(VALUE, 0, 0, 0, 0)'],
    ['the target', 'Target: 99% or more'],
    ['every case the same', '### Arguments: 6.1.0-1-amd64 (Debian bookworm, mainline 6.1)\n\nEvery case answers the same.'],
  ])('%s', (_what, want) => {
    expect(text).toContain(want);
  });
});
