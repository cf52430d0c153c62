import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPersonaFile } from '../../src/persona/file.js';
import { bannerDate, resolvePersona } from '../../src/persona/resolve.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();

describe('resolvePersona', () => {
  it.each([
    ['2.6.32', '2.6.32', /^#1 SMP Thu Dec 3 12:00:00 UTC 2009$/],
    ['3.10.0', '3.10', /2013$/],
    ['5.4.0-150-generic', '5.4', /2019$/],
    ['6.1.0-13-amd64', '6.1', /2022$/],
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

  it('uses a captured persona when the release matches one exactly', () => {
    const p = resolvePersona('6.1.0-56-amd64', registry);
    const file = loadPersonaFile('6.1.0-56-amd64')!;
    expect(p).toMatchObject({ release: '6.1.0-56-amd64', mainline: '6.1', version: file.version, procVersion: file.procVersion, absent: file.probe.absent });
    expect(p.version).toMatch(/Debian 6\.1\./);
    expect(p.origin).toMatch(/^captured from linux-image-6\.1\.0-56-amd64 /);
  });

  it('refuses a persona file that fails its schema, naming the file and the fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'personas-'));
    fs.cpSync(registry.dir, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}personas${path.sep}`) });
    fs.writeFileSync(path.join(dir, 'personas', '6.1.0-99-amd64.json'), JSON.stringify({ release: '6.1.0-99-amd64' }));
    expect(() => resolvePersona('6.1.0-99-amd64', new TableRegistry(dir))).toThrow(/6\.1\.0-99-amd64\.json: \/: must have required property .*/);
  });
});
