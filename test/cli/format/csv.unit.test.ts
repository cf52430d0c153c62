import { describe, expect, it } from 'vitest';
import { toCsv, type CsvValue } from '../../../src/cli/format/csv.js';

describe('toCsv', () => {
  const fields: [CsvValue, string][] = [
    ['plain', 'plain'],
    [42, '42'],
    [undefined, ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [['int fd', 'char *buf'], 'int fd; char *buf'],
    [[], ''],
  ];
  it.each(fields)('%j -> %s', (value, text) => {
    expect(toCsv(['h'], [[value]])).toBe(`h\n${text}\n`);
  });

  it('writes the header and one line per row', () => {
    expect(toCsv(['nr', 'name'], [[0, 'read'], [1, 'write']])).toBe('nr,name\n0,read\n1,write\n');
  });
});
