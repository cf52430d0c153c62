/** Splicing filters out of CRIU's seccomp chains: rows of data (cases/filter-chain.json). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dropFilters, type ChainFilter, type ChainThread } from '../../src/criu/filter-chain.js';

interface Row {
  why: string;
  filters: ChainFilter[];
  threads: ChainThread[];
  drop: number[];
  kept: number[];
  prev: (number | null)[];
  threads_after: ChainThread[];
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/filter-chain.json', import.meta.url), 'utf8')) as {
  rows: Row[];
  bad: (Omit<Row, 'kept' | 'prev' | 'threads_after'> & { error: string })[];
};

describe('dropFilters', () => {
  it.each(cases.rows)('$why', (row) => {
    const edit = dropFilters(row.filters, row.threads, new Set(row.drop));
    expect(edit.kept).toEqual(row.kept);
    expect(edit.prev.map((p) => p ?? null)).toEqual(row.prev);
    expect(edit.threads).toEqual(row.threads_after);
  });

  it.each(cases.bad)('refuses $why', (row) => {
    expect(() => dropFilters(row.filters, row.threads, new Set(row.drop))).toThrow(new RegExp(row.error));
  });
});
