/** The binary sysctl lookup, eager and lazy. */
import { describe, expect, it } from 'vitest';
import { lazySysctlLookup, loadSysctlLookup } from '../../src/handlers/sysctl-table.js';

describe('lazySysctlLookup', () => {
  it('answers as loadSysctlLookup does', () => {
    const eager = loadSysctlLookup();
    const lazy = lazySysctlLookup();
    for (const name of [[1, 2], [1], [1, 999999]]) expect(lazy(name)).toEqual(eager(name));
  });

  it('reads the table only when first asked', () => {
    const lazy = lazySysctlLookup('/nonexistent/tables');
    expect(() => lazy([1, 2])).toThrow(/nonexistent/);
  });
});
