import { describe, expect, it } from 'vitest';
import { bannerDate, resolvePersona } from '../../src/persona/resolve.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();

describe('resolvePersona', () => {
  it.each([
    ['2.6.32', '2.6.32', /^#1 SMP Thu Dec 3 12:00:00 UTC 2009$/],
    ['3.10.0', '3.10', /2013$/],
    ['5.4.0-150-generic', '5.4', /2019$/],
    ['6.1.0-56-amd64', '6.1', /2022$/],
  ])('%s uses the tables of %s and a version string of its day', (req, mainline, version) => {
    const p = resolvePersona(req, registry);
    expect(p.release).toBe(req);
    expect(p.mainline).toBe(mainline);
    expect(p.version).toMatch(version);
    expect(p.procVersion).toBe(`Linux version ${req} (cr-shim@persona) (gcc version ${registry.releaseInfo(mainline).gcc} (GCC) ) ${p.version}\n`);
  });

  it.each(['1.2', '3.25', '9.1', 'x'])('refuses %s', (req) => {
    expect(() => resolvePersona(req, registry)).toThrow();
  });

  it('formats dates as the kernel banner does', () => {
    expect(bannerDate('2019-11-24')).toBe('Sun Nov 24 12:00:00 UTC 2019');
  });
});
