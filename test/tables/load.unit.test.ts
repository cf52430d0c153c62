import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHES } from '../../src/arch.js';
import { TableError } from '../../src/errors.js';
import { loadReleasesFile, loadSysctlBinaryFile, loadSysctlRemovedFile, loadTableFile, validateJson } from '../../src/tables/load.js';
import { defaultTablesDir } from '../../src/tables/paths.js';
import { RELEASES, releasesOf } from '../../scripts/gen-tables.js';

const TABLES = defaultTablesDir();
const files = ARCHES.flatMap((arch) => {
  const dir = path.join(TABLES, arch);
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
});

describe('committed tables', () => {
  it('has one file per release per ABI', () => {
    for (const arch of ARCHES) {
      const have = fs.readdirSync(path.join(TABLES, arch)).sort();
      expect(have).toEqual(releasesOf(arch).map((r) => `linux-${r}.json`).sort());
    }
    expect(releasesOf('x86_64')).toEqual(RELEASES);
    expect(releasesOf('aarch64')[0]).toBe('5.0');
  });

  it.each(files.map((f) => [path.relative(TABLES, f), f]))('%s validates', (_rel, file) => {
    const t = loadTableFile(file);
    expect(path.basename(file)).toBe(`linux-${t.release}.json`);
    expect(path.basename(path.dirname(file))).toBe(t.arch);
    expect(t.sources.length).toBeGreaterThan(0);
  });

  it('releases.json and sysctl-binary.json validate', () => {
    const rel = loadReleasesFile();
    expect(Object.keys(rel.releases)).toEqual([...RELEASES]);
    expect(rel.releases['2.6.32']?.date).toBe('2009-12-03');
    const sysctl = loadSysctlBinaryFile();
    expect(sysctl.entries).toHaveLength(585);
    expect(sysctl.entries.find((e) => e.path === 'kernel/osrelease')).toMatchObject({ name: [1, 2], type: 'string' });
  });

  it('sysctl-removed.json validates, one row per file, each with its source', () => {
    const t = loadSysctlRemovedFile();
    expect(t.files.find((f) => f.path === 'net/ipv4/tcp_tw_recycle')).toMatchObject({ removedIn: '4.12', default: '0' });
    expect(new Set(t.files.map((f) => f.path)).size).toBe(t.files.length);
    const bad = { ...t, files: [{ ...t.files[0], removedIn: 'soon' }] };
    expect(() => validateJson(bad, 'sysctl-removed', 'x.json')).toThrow(/x\.json: \/files\/0\/removedIn: .*pattern/);
  });
});

describe('malformed tables', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bad-table-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const good = JSON.parse(fs.readFileSync(path.join(TABLES, 'x86_64', 'linux-5.4.json'), 'utf8'));

  const cases: { what: string; mutate: (t: any) => void; at: string; reason: RegExp }[] = [
    { what: 'bad status', mutate: (t) => (t.syscalls[3].status = 'maybe'), at: '/syscalls/3/status', reason: /allowed values/ },
    { what: 'unknown key', mutate: (t) => (t.syscalls[0].colour = 'red'), at: '/syscalls/0', reason: /additional properties.*colour/ },
    { what: 'bad arch', mutate: (t) => (t.arch = 'x86'), at: '/arch', reason: /allowed values/ },
    { what: 'bad release', mutate: (t) => (t.release = '5.4.0-150-generic'), at: '/release', reason: /pattern/ },
    { what: 'negative nr', mutate: (t) => (t.syscalls[1].nr = -1), at: '/syscalls/1/nr', reason: />= 0/ },
    { what: 'removed without changedIn', mutate: (t) => (t.syscalls[2].status = 'removed'), at: '/syscalls/2', reason: /changedIn/ },
    { what: 'no sources', mutate: (t) => (t.sources = []), at: '/sources', reason: /fewer than 1/ },
    { what: 'duplicate number', mutate: (t) => (t.syscalls[5].nr = t.syscalls[4].nr), at: '/syscalls/5/nr', reason: /duplicate number/ },
  ];
  it.each(cases)('refuses $what with file, path and reason', ({ mutate, at, reason }) => {
    const t = structuredClone(good);
    mutate(t);
    const file = path.join(tmp, 'linux-5.4.json');
    fs.writeFileSync(file, JSON.stringify(t));
    let err: unknown;
    try {
      loadTableFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TableError);
    const msg = (err as Error).message;
    expect(msg).toContain(file);
    expect(msg).toContain(`${at}:`);
    expect(msg).toMatch(reason);
  });

  it('refuses a file that is not JSON', () => {
    const file = path.join(tmp, 'linux-3.0.json');
    fs.writeFileSync(file, '{"arch": ');
    expect(() => loadTableFile(file)).toThrow(TableError);
    expect(() => loadTableFile(file)).toThrow(file);
  });
});
