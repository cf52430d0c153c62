/** The phase trace's lines ($CR_SHIM_PHASES): what parsePhases keeps, as data. */
import { describe, expect, it } from 'vitest';
import { parsePhases } from '../src/phase-trace.js';

/** [why, text, records kept]. */
const CASES: [string, string, number][] = [
  ['one record per line', '{"proc":"cli","phase":"a","start":1,"end":2}\n{"proc":"serve","phase":"b","start":2,"end":3}\n', 2],
  ['a torn last line (a process killed mid-write) is skipped', '{"proc":"cli","phase":"a","start":1,"end":2}\n{"proc":"se', 1],
  ['a line without a number for end is not a record', '{"proc":"cli","phase":"a","start":1}\n', 0],
  ['empty file', '', 0],
];

describe('parsePhases', () => {
  it.each(CASES)('%s', (_why, text, kept) => {
    expect(parsePhases(text)).toHaveLength(kept);
  });

  it('keeps each field', () => {
    expect(parsePhases('{"proc":"serve","phase":"criu restore","start":10.5,"end":130.25}\n')).toEqual([{ proc: 'serve', phase: 'criu restore', start: 10.5, end: 130.25 }]);
  });
});
