/**
 * The session cache (src/supervisor/run-cache.ts) in a temporary directory: entries
 * round-trip, everything a compiled run depends on changes its key or makes its entry
 * a miss. Its trust rules, which need files of another owner, are run-cache.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeFrontEntry } from '../../src/supervisor/front-entry.js';
import { entryName, isCacheable, readCachedRun, runCacheKey, writeCachedRun, writeFrontEntry, type Dependency, type RunCacheInputs } from '../../src/supervisor/run-cache.js';
import { makeCacheFixture, REQUEST, RUN, type CacheFixture } from './run-cache-fixture.js';

let fx: CacheFixture;
let dir: string;
let tables: string;
let inputs: RunCacheInputs;
const deps = (): Dependency[] => fx.deps();
const cacheDir = (): string => fx.cacheDir();

beforeEach(() => {
  fx = makeCacheFixture();
  ({ dir, tables, inputs } = fx);
});

afterEach(() => fx.dispose());

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

/** A stand-in for NotifyAddon.encodeActions: AUDIT_ARCH and the number of actions, as a table header. */
const fakeEncode = (arch: number, actions: unknown[]): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(arch >>> 0, 0);
  b.writeUInt32LE(actions.length, 4);
  return b;
};
const persona = { ...RUN.worker.persona, mainline: '4.19' };
const FRONT_RUN = { ...RUN, worker: { ...RUN.worker, persona } };

describe('front entries', () => {
  it('are written beside the JSON entry, mode 0600, with the same key and deps', async () => {
    const d = cacheDir();
    const key = runCacheKey(REQUEST, inputs);
    expect(writeCachedRun(d, key, FRONT_RUN, deps())).toBe(true);
    expect(await writeFrontEntry(d, key, FRONT_RUN, deps(), fakeEncode)).toBe(true);
    const file = path.join(d, `${entryName(key)}.front`);
    expect(fs.lstatSync(file).mode & 0o777).toBe(0o600);
    const e = decodeFrontEntry(fs.readFileSync(file));
    expect(e).toMatchObject({ key, deps: deps(), filterSha256: RUN.filterSha256, persona: { release: '4.19.0', mainline: '4.19' } });
    expect(e.actions).toEqual([Uint8Array.from(fakeEncode(0xc000003e, [1]))]);
    expect(JSON.parse(e.worker)).toEqual(FRONT_RUN.worker);
    expect(fs.readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('that cannot be written leave no older one behind', async () => {
    const d = cacheDir();
    const key = runCacheKey(REQUEST, inputs);
    expect(await writeFrontEntry(d, key, FRONT_RUN, deps(), fakeEncode)).toBe(true);
    const refuse = (): Uint8Array => {
      throw Object.assign(new Error('identity memfds'), { code: 'ENOTSUP' });
    };
    expect(await writeFrontEntry(d, key, FRONT_RUN, deps(), refuse)).toBe(false);
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('go with their JSON entry when it is pruned, and alone when it is gone', () => {
    const d = cacheDir();
    const old = new Date(Date.now() - 3600_000);
    const names = Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(16, '0'));
    names.forEach((n, i) => {
      for (const ext of ['json', 'front']) {
        fs.writeFileSync(path.join(d, `${n}.${ext}`), '', { mode: 0o600 });
        fs.utimesSync(path.join(d, `${n}.${ext}`), old, new Date(old.getTime() + i * 1000));
      }
    });
    const stray = 'ffffffffffffffff.front';
    fs.writeFileSync(path.join(d, stray), '', { mode: 0o600 });
    const key = runCacheKey(REQUEST, inputs);
    expect(writeCachedRun(d, key, RUN, deps())).toBe(true);
    const left = fs.readdirSync(d);
    // 65 JSON entries: the oldest goes, with its front entry; the stray front entry goes too.
    expect(left).not.toContain(`${names[0]}.json`);
    expect(left).not.toContain(`${names[0]}.front`);
    expect(left).not.toContain(stray);
    expect(left).toContain(`${names[1]}.front`);
    expect(left).toContain(`${entryName(key)}.json`);
    expect(left.filter((f) => f.endsWith('.json'))).toHaveLength(64);
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
