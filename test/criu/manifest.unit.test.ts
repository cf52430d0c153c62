/** IMG/cr-shim.json: schema verdicts as data (cases/manifests.json), reading and writing. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TableError } from '../../src/errors.js';
import { MANIFEST_FILE, readManifest, validateManifest, writeManifest, type Manifest } from '../../src/criu/manifest.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Row {
  why: string;
  set: Record<string, unknown>;
  valid?: boolean;
  path?: string;
  reason?: string;
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/manifests.json', import.meta.url), 'utf8')) as { base: Manifest; rows: Row[] };

/** The base with each JSON pointer set (null deletes). */
function edited(set: Record<string, unknown>): unknown {
  const m = structuredClone(cases.base) as unknown as Record<string, unknown>;
  for (const [pointer, value] of Object.entries(set)) {
    const keys = pointer.split('/').slice(1);
    const last = keys.pop()!;
    let at = m;
    for (const k of keys) at = at[k] as Record<string, unknown>;
    if (value === null) delete at[last];
    else at[last] = value;
  }
  return m;
}

describe('manifest schema', () => {
  it.each(cases.rows)('$why', (row) => {
    const data = edited(row.set);
    if (row.valid) {
      expect(validateManifest(data, 'cr-shim.json')).toBe(data);
      return;
    }
    let err: unknown;
    try {
      validateManifest(data, 'cr-shim.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TableError);
    expect((err as TableError).message).toMatch(new RegExp(`^cr-shim\\.json: ${row.path!.replace(/\//g, '\\/')}: .*${row.reason!}`));
    expect((err as TableError).hint).toMatch(/fix or delete cr-shim\.json/);
  });
});

describe('reading and writing', () => {
  const dir = tempDir('manifest');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an image without a manifest has none', () => {
    expect(readManifest(dir)).toBeUndefined();
  });

  it('writes what it reads back', () => {
    writeManifest(dir, cases.base);
    expect(readManifest(dir)).toEqual(cases.base);
    expect(fs.readdirSync(dir)).toEqual([MANIFEST_FILE]);
  });

  it('refuses to write an invalid manifest and leaves the old one', () => {
    const bad = { ...cases.base, arch: 'vax' } as Manifest;
    expect(() => writeManifest(dir, bad)).toThrow(/\/arch: /);
    expect(readManifest(dir)).toEqual(cases.base);
  });

  it('names the file and the JSON problem for a manifest that is not JSON', () => {
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), '{ "schema": 1,');
    expect(() => readManifest(dir)).toThrow(new RegExp(`${path.join(dir, MANIFEST_FILE).replace(/\//g, '\\/')}: /: not JSON`));
  });
});

describe('writeManifest in a directory someone else could write', () => {
  it('a symlink planted at the temporary name makes the write fail; its target is untouched', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-planted-'));
    const victim = path.join(d, 'root-only');
    fs.writeFileSync(victim, 'keep\n', { mode: 0o600 });
    fs.symlinkSync(victim, path.join(d, `${MANIFEST_FILE}.${process.pid}.tmp`));
    expect(() => writeManifest(d, cases.base)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(fs.existsSync(path.join(d, MANIFEST_FILE))).toBe(false);
  });

  it('writes 0600 by default, the mode asked otherwise', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-mode-'));
    writeManifest(d, cases.base);
    expect(fs.statSync(path.join(d, MANIFEST_FILE)).mode & 0o7777).toBe(0o600);
    writeManifest(d, cases.base, 0o644);
    expect(fs.statSync(path.join(d, MANIFEST_FILE)).mode & 0o7777).toBe(0o644);
  });
});
