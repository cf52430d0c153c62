/**
 * The session cache (src/supervisor/run-cache.ts) in a temporary directory: entries
 * round-trip, everything a compiled run depends on changes its key or makes its entry
 * a miss. Its trust rules, which need files of another owner, are run-cache.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledRun } from '../../src/supervisor/compiled-run-types.js';
import { dependencies, entryName, isCacheable, readCachedRun, runCacheKey, trustedDir, writeCachedRun, type RunCacheInputs, type RunCacheRequest } from '../../src/supervisor/run-cache.js';

const RUN: CompiledRun = {
  filter: Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]),
  filterSha256: 'f'.repeat(64),
  notices: ['kernel 4.19.1: using the syscall tables of 4.19'],
  worker: { persona: { release: '4.19.0' } as CompiledRun['worker']['persona'], routes: [{ arch: 'x86_64', nr: 63, name: 'uname', handler: 'uname', args: ['struct old_utsname *'] }] },
  nativeActions: [[0xc000003e, [{ nr: 63, kind: 1, arg: 0, bytes: new Uint8Array([1, 2, 3]), val: 0 }]]],
  identity: [['/srv/identity/version', 'Linux version 4.19.0\n']],
};

const REQUEST: RunCacheRequest = { kernel: '4.19', view: { identityMounted: true, ioUring: false }, behaviourOptions: [] };

let dir: string;
let tables: string;
let inputs: RunCacheInputs;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-run-cache-'));
  tables = path.join(dir, 'tables');
  fs.mkdirSync(path.join(tables, 'x86_64'), { recursive: true });
  fs.writeFileSync(path.join(tables, 'x86_64', 'linux-4.19.json'), '{"a":1}\n');
  inputs = { buildId: 'build-1', tablesDir: tables, host: '6.18.0\n#1 SMP\nx86_64\nboot-1' };
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a compile of 4.19 would have read: its table, and a persona file it looked for and did not find. */
function deps() {
  return dependencies(tables, [path.join(tables, 'x86_64', 'linux-4.19.json'), path.join(tables, 'personas', '4.19.json')]);
}

function cacheDir(): string {
  const d = trustedDir(path.join(dir, 'sessions'));
  if (d === undefined) throw new Error('a fresh 0700 directory must be trusted');
  return d;
}

describe('entries', () => {
  it('round-trip a compiled run, bytes included', () => {
    const d = cacheDir();
    const key = runCacheKey(REQUEST, inputs);
    expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
    const back = readCachedRun(d, key);
    expect(back).toBeDefined();
    expect(Buffer.from(back!.filter).equals(Buffer.from(RUN.filter))).toBe(true);
    expect(Array.from(back!.nativeActions[0]![1][0]!.bytes!)).toEqual([1, 2, 3]);
    expect({ ...back, filter: undefined, nativeActions: undefined }).toEqual({ ...RUN, filter: undefined, nativeActions: undefined });
    expect(fs.statSync(path.join(d, `${entryName(key)}.json`)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
  });

  it('with a live resource in a verdict (an identity memfd) are not cacheable', () => {
    expect(isCacheable(RUN)).toBe(true);
    expect(isCacheable({ ...RUN, nativeActions: [[0xc000003e, [{ nr: 2, kind: 5, identity: [{ path: 'proc/version', fd: 9 }] }]]] })).toBe(false);
  });
});

describe('key', () => {
  const base = (): string => runCacheKey(REQUEST, inputs);
  it('is stable for the same inputs', () => expect(base()).toBe(base()));
  it('changes with everything a compiled run depends on', () => {
    const before = base();
    const table = path.join(tables, 'x86_64', 'linux-4.19.json');
    const changes: { what: string; key: () => string }[] = [
      { what: 'requested kernel', key: () => runCacheKey({ ...REQUEST, kernel: '4.14' }, inputs) },
      { what: 'no kernel', key: () => runCacheKey({ ...REQUEST, kernel: undefined }, inputs) },
      { what: 'identity view', key: () => runCacheKey({ ...REQUEST, view: { identityMounted: false, ioUring: false } }, inputs) },
      { what: 'io_uring', key: () => runCacheKey({ ...REQUEST, view: { identityMounted: true, ioUring: true } }, inputs) },
      { what: 'behaviour option', key: () => runCacheKey({ ...REQUEST, behaviourOptions: ['tiocsti'] }, inputs) },
      { what: 'build', key: () => runCacheKey(REQUEST, { ...inputs, buildId: 'build-2' }) },
      { what: 'host boot', key: () => runCacheKey(REQUEST, { ...inputs, host: inputs.host.replace('boot-1', 'boot-2') }) },
    ];
    const seen = new Set([before]);
    for (const c of changes) {
      const k = c.key();
      expect(seen.has(k), c.what).toBe(false);
      seen.add(k);
    }
  });
});

describe('dependencies', () => {
  const table = (): string => path.join(tables, 'x86_64', 'linux-4.19.json');
  const changes: { what: string; apply: () => void }[] = [
    {
      what: 'a table rewritten in place with the same size',
      apply: () => {
        fs.writeFileSync(table(), '{"a":2}\n');
        fs.utimesSync(table(), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
      },
    },
    { what: 'a table removed', apply: () => fs.rmSync(table()) },
    { what: 'a table added beside it (the nearest release may change)', apply: () => fs.writeFileSync(path.join(tables, 'x86_64', 'linux-4.20.json'), '{}') },
    { what: 'a persona file it looked for now exists', apply: () => (fs.mkdirSync(path.join(tables, 'personas')), fs.writeFileSync(path.join(tables, 'personas', '4.19.json'), '{}')) },
    { what: 'a new directory of tables', apply: () => fs.mkdirSync(path.join(tables, 'aarch64')) },
  ];
  for (const c of changes) {
    it(`make an entry a miss: ${c.what}`, () => {
      const d = cacheDir();
      const key = runCacheKey(REQUEST, inputs);
      expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
      expect(readCachedRun(d, key)).toBeDefined();
      c.apply();
      expect(readCachedRun(d, key)).toBeUndefined();
    });
  }
  it('a file it did not read changes nothing', () => {
    fs.writeFileSync(path.join(tables, 'x86_64', 'linux-5.10.json'), '{}');
    const d = cacheDir();
    const key = runCacheKey(REQUEST, inputs);
    expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
    const f = path.join(tables, 'x86_64', 'linux-5.10.json');
    fs.writeFileSync(f, '{"b":1}');
    expect(readCachedRun(d, key)).toBeDefined();
  });
});
