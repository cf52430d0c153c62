/**
 * The session cache's trust rules (src/supervisor/run-cache.ts), on the real filesystem
 * as root: entries and directories another user could have made or changed are never
 * read. The rest of the cache is run-cache.unit.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryName, readCachedRun, runCacheKey, trustedDir, writeCachedRun, type Dependency, type RunCacheInputs } from '../../src/supervisor/run-cache.js';
import { makeCacheFixture, REQUEST, RUN, type CacheFixture } from './run-cache-fixture.js';

const NOBODY = 65534;

let fx: CacheFixture;
let dir: string;
let inputs: RunCacheInputs;
const deps = (): Dependency[] => fx.deps();
const cacheDir = (): string => fx.cacheDir();

beforeEach(() => {
  fx = makeCacheFixture();
  ({ dir, inputs } = fx);
});

afterEach(() => fx.dispose());

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


describe('what run compiles', () => {
  // Under personas before 6.6 opens are routed (O_DIRECT on tmpfs, openat2's flags) to proc-identity's
  // verdict; as root the identity files are bind mounts, so that verdict needs no memfds and the run
  // stays cacheable. Without the bind mounts (--dumpable) it holds memfds and is never cached.
  it.each([
    { release: '4.19', identityMounted: true, cacheable: true },
    { release: '6.12', identityMounted: true, cacheable: true },
    { release: '4.19', identityMounted: false, cacheable: false },
  ])('$release with identityMounted $identityMounted: cacheable $cacheable', async ({ release, identityMounted, cacheable }) => {
    const { prepareSession } = await import('../../src/supervisor/session.js');
    const { compileRun } = await import('../../src/supervisor/compiled-run.js');
    const { isCacheable } = await import('../../src/supervisor/run-cache.js');
    const run = compileRun(prepareSession(release, { view: { identityMounted, ioUring: false } }), { native: true });
    expect(isCacheable(run)).toBe(cacheable);
  });
});
