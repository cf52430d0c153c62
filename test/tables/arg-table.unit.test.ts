import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeArgTable } from '../../scripts/gen-arg-tables.js';
import { argTableFileName, knownIn, unknownValues, type ArgValue } from '../../src/tables/arg-table.js';
import { loadArgTableFile, validateJson } from '../../src/tables/load.js';
import { defaultTablesDir } from '../../src/tables/paths.js';

interface KnownCase { value: Partial<ArgValue> & { name: string }; release: string; syscall?: string; expect: 'yes' | 'no' | 'unknown' }
const cases = JSON.parse(fs.readFileSync(new URL('../plan/cases/arg-known.json', import.meta.url), 'utf8')) as KnownCase[];

describe('arg tables', () => {
  const table = loadArgTableFile();

  it('the committed table passes the schema and is what the generator would write for its own content', () => {
    const file = argTableFileName(defaultTablesDir(), 'x86_64');
    expect(serializeArgTable(table)).toBe(fs.readFileSync(file, 'utf8'));
  });

  it('covers every group the issue names, each value with a source', () => {
    expect(Object.keys(table.groups).sort()).toEqual([
      'clone-flag', 'fcntl-command', 'getrandom-flag', 'madvise-advice', 'mmap-flag', 'open-flag', 'prctl-option',
      'socket-family', 'socket-option', 'socket-type', 'statx-mask',
    ]);
    for (const g of Object.values(table.groups)) for (const v of g.values) expect(v.source.length).toBeGreaterThan(0);
  });

  it('records the values the issue saw succeed under old personas, with their release', () => {
    const find = (g: string, n: string): ArgValue | undefined => table.groups[g]?.values.find((v) => v.name === n);
    expect(find('prctl-option', 'PR_GET_AUXV')).toMatchObject({ value: 0x41555856, since: '6.4' });
    expect(find('prctl-option', 'PR_FUTEX_HASH')).toMatchObject({ value: 78, since: '6.17' });
    expect(find('fcntl-command', 'F_DUPFD_QUERY')).toMatchObject({ value: 1027, since: '6.10' });
    expect(find('madvise-advice', 'MADV_GUARD_INSTALL')).toMatchObject({ value: 102, since: '6.13' });
    expect(find('getrandom-flag', 'GRND_INSECURE')).toMatchObject({ value: 4, since: '5.6' });
    expect(find('open-flag', 'O_TMPFILE')).toMatchObject({ since: '3.11' });
    expect(find('mmap-flag', 'MAP_FIXED_NOREPLACE')).toMatchObject({ value: 0x100000, since: '4.17' });
    expect(find('socket-family', 'AF_MCTP')).toMatchObject({ value: 45, since: '5.15' });
    expect(find('statx-mask', 'STATX_SUBVOL')).toMatchObject({ value: 0x8000, since: '6.10' });
  });

  it.each(cases)('knownIn($value.name, $release, $syscall) = $expect', ({ value, release, syscall, expect: want }) => {
    expect(knownIn({ value: 0, source: 'test', ...value } as ArgValue, release, syscall)).toBe(want);
  });

  it('unknownValues of 4.19 for getrandom is GRND_INSECURE alone; 6.18 knows every prctl option up to 6.17', () => {
    expect(unknownValues(table.groups['getrandom-flag']!, '4.19').map((v) => v.name)).toEqual(['GRND_INSECURE']);
    expect(unknownValues(table.groups['prctl-option']!, '6.18').map((v) => v.name)).not.toContain('PR_FUTEX_HASH');
  });

  it('the schema refuses a value without a source, naming the path', () => {
    const bad = structuredClone(table);
    delete (bad.groups['prctl-option']!.values[0] as Partial<ArgValue>).source;
    expect(() => validateJson(bad, 'arg-table', 'bad.json')).toThrow(/bad\.json: \/groups\/prctl-option\/values\/0: must have required property 'source'/);
  });
});
