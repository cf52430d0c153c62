import { describe, expect, it } from 'vitest';
import { columns } from '../../../src/cli/format/text-columns.js';

describe('columns', () => {
  it('pads every column but the last, right-aligns numbers', () => {
    expect(columns([{ title: 'NR', align: 'right' }, { title: 'NAME' }, { title: 'NOTE' }], [['0', 'read', ''], ['212', 'lookup_dcookie', 'removed in 5.12']])).toEqual([
      '   NR  NAME            NOTE',
      '    0  read',
      '  212  lookup_dcookie  removed in 5.12',
    ]);
  });

  it('takes an indent', () => {
    expect(columns([{ title: 'A' }, { title: 'B' }], [['x', 'y']], '')).toEqual(['A  B', 'x  y']);
  });
});
