/**
 * The session cache's trust rules (src/supervisor/run-cache.ts), on the real filesystem
 * as root: entries and directories another user could have made or changed are never
 * read. The rest of the cache is run-cache.unit.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledRun } from '../../src/supervisor/compiled-run-types.js';
import { dependencies, entryName, isCacheable, readCachedRun, runCacheKey, trustedDir, writeCachedRun, type RunCacheInputs, type RunCacheRequest } from '../../src/supervisor/run-cache.js';

const NOBODY = 65534;

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
  it('are not read when another user could have written them', () => {
    const d = cacheDir();
    const key = runCacheKey(REQUEST, inputs);
    const file = path.join(d, `${entryName(key)}.json`);
    const damage: { why: string; apply: () => void }[] = [
      { why: 'owned by another user', apply: () => fs.chownSync(file, NOBODY, NOBODY) },
      { why: 'group-writable', apply: () => fs.chmodSync(file, 0o660) },
      { why: 'world-readable', apply: () => fs.chmodSync(file, 0o604) },
      { why: 'a second hard link', apply: () => fs.linkSync(file, path.join(dir, 'other-link')) },
      {
        why: 'a symlink to a good entry',
        apply: () => {
          fs.renameSync(file, path.join(dir, 'moved.json'));
          fs.symlinkSync(path.join(dir, 'moved.json'), file);
        },
      },
      { why: 'not JSON', apply: () => fs.writeFileSync(file, '{"format":1,') },
      {
        why: "another key's entry",
        apply: () => {
          const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string };
          fs.writeFileSync(file, JSON.stringify({ ...body, key: body.key.replace('4.19', '4.14') }));
        },
      },
      { why: 'a filter that is no whole number of instructions', apply: () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/"filter":\{"\$b64":"[^"]*"\}/, '"filter":{"$b64":"AAAA"}')) },
    ];
    for (const d2 of damage) {
      fs.rmSync(path.join(dir, 'other-link'), { force: true });
      fs.rmSync(path.join(dir, 'moved.json'), { force: true });
      fs.rmSync(file, { force: true });
      expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
      expect(readCachedRun(d, key), 'before: ' + d2.why).toBeDefined();
      d2.apply();
      expect(readCachedRun(d, key), d2.why).toBeUndefined();
    }
    // A damaged entry is only a miss: the next write replaces it.
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, 'garbage', { mode: 0o600 });
    expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
    expect(readCachedRun(d, key)).toBeDefined();
  });

});

describe('directory', () => {
  const cases: { why: string; make: (p: string) => void }[] = [
    { why: 'owned by another user', make: (p) => (fs.mkdirSync(p, { mode: 0o700 }), fs.chownSync(p, NOBODY, NOBODY)) },
    { why: 'group-accessible', make: (p) => (fs.mkdirSync(p), fs.chmodSync(p, 0o750)) },
    { why: 'world-writable with the sticky bit', make: (p) => (fs.mkdirSync(p), fs.chmodSync(p, 0o1777)) },
    { why: 'a symlink to a good directory', make: (p) => (fs.mkdirSync(`${p}.real`, { mode: 0o700 }), fs.symlinkSync(`${p}.real`, p)) },
    { why: 'a file', make: (p) => fs.writeFileSync(p, '', { mode: 0o600 }) },
  ];
  for (const c of cases) {
    it(`is not used when ${c.why}`, () => {
      const p = path.join(dir, 'untrusted');
      c.make(p);
      expect(trustedDir(p)).toBeUndefined();
    });
  }
});

