/** The --stats peak RSS line: written and read back. */
import { describe, expect, it } from 'vitest';
import { formatPeakRss, parsePeakRss } from '../../src/supervisor/peak-rss.js';

describe('peak RSS line', () => {
  it('rounds to whole KiB and reads back from the end of --stats output', () => {
    expect(formatPeakRss(41234.6)).toBe('cr-shim: peak RSS 41235 KiB\n');
    expect(parsePeakRss(`cr-shim: translated syscalls\n  (none)\n${formatPeakRss(41234.6)}`)).toBe(41235);
  });

  it('is undefined when there is no such line', () => {
    expect(parsePeakRss('cr-shim: translated syscalls\n')).toBeUndefined();
  });
});
