import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TableError, UsageError } from '../../src/errors.js';
import { TableRegistry } from '../../src/tables/registry.js';

describe('TableRegistry', () => {
  const registry = new TableRegistry();

  it('lists releases oldest first, across the 2.6 -> 3.0 step', () => {
    const r = registry.releases('x86_64');
    expect(r[0]).toBe('2.6.16');
    expect(r[r.length - 1]).toBe('6.18');
    expect(r.indexOf('3.0')).toBe(r.indexOf('2.6.39') + 1);
    expect(r.indexOf('3.10')).toBe(r.indexOf('3.9') + 1);
    const a = registry.releases('aarch64');
    expect([a[0], a[a.length - 1], a.length]).toEqual(['5.0', '6.18', 39]);
  });

  it('loads a table once and keeps it', () => {
    const a = registry.get('x86_64', '5.10');
    expect(registry.get('x86_64', '5.10')).toBe(a);
    expect(registry.byNumber('x86_64', '5.10', 63)?.name).toBe('uname');
    expect(registry.byName('x86_64', '5.10', 'uname')?.nr).toBe(63);
    expect(registry.byNumber('x86_64', '5.10', 181)).toBeUndefined(); // getpmsg: never implemented
  });

  it('resolves a distribution release to its mainline table', () => {
    const r = registry.resolve('ia32', '5.4.0-150-generic');
    expect(r.release).toBe('5.4');
    expect(r.exact).toBe(true);
    expect(r.table.arch).toBe('ia32');
    expect(() => registry.resolve('x86_64', '3.20')).toThrow(UsageError);
    expect(() => registry.resolve('x86_64', '2.6.10')).toThrow(/2\.6\.16/);
  });

  it('refuses a release without a table', () => {
    expect(() => registry.get('x86_64', '3.20')).toThrow(TableError);
  });

  it('gives release dates for persona version strings', () => {
    expect(registry.releaseInfo('4.19')).toEqual({ date: '2018-10-22', gcc: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it('reads only the tables asked for, each once (the CLI needs two per run)', () => {
    const fresh = new TableRegistry();
    const reads = vi.spyOn(fs, 'readFileSync');
    try {
      fresh.get('x86_64', '4.4');
      fresh.get('ia32', '4.4');
      fresh.get('x86_64', '4.4');
      const files = reads.mock.calls.map(([f]) => path.relative(fresh.dir, String(f)));
      expect(files).toEqual([path.join('x86_64', 'linux-4.4.json'), path.join('ia32', 'linux-4.4.json')]);
    } finally {
      reads.mockRestore();
    }
  });
});
