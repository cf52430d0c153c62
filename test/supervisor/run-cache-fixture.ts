/**
 * A session cache in a temporary directory for the run-cache tests: a compiled run, a request,
 * a tables directory holding one table, and the cache directory beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledRun } from '../../src/supervisor/compiled-run-types.js';
import { dependencies, trustedDir, type Dependency, type RunCacheInputs, type RunCacheRequest } from '../../src/supervisor/run-cache.js';

export const RUN: CompiledRun = {
  filter: Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]),
  filterSha256: 'f'.repeat(64),
  notices: ['kernel 4.19.1: using the syscall tables of 4.19'],
  worker: { persona: { release: '4.19.0' } as CompiledRun['worker']['persona'], routes: [{ arch: 'x86_64', nr: 63, name: 'uname', handler: 'uname', args: ['struct old_utsname *'] }] },
  nativeActions: [[0xc000003e, [{ nr: 63, kind: 1, arg: 0, bytes: new Uint8Array([1, 2, 3]), val: 0 }]]],
  identity: [['/srv/identity/version', 'Linux version 4.19.0\n']],
};

export const REQUEST: RunCacheRequest = { kernel: '4.19', view: { identityMounted: true, ioUring: false }, behaviourOptions: [] };

export interface CacheFixture {
  dir: string;
  tables: string;
  inputs: RunCacheInputs;
  /** What a compile of 4.19 would have read: its table, and a persona file it looked for and did not find. */
  deps(): Dependency[];
  /** The cache directory, made and trusted. */
  cacheDir(): string;
  dispose(): void;
}

export function makeCacheFixture(): CacheFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-run-cache-'));
  const tables = path.join(dir, 'tables');
  fs.mkdirSync(path.join(tables, 'x86_64'), { recursive: true });
  fs.writeFileSync(path.join(tables, 'x86_64', 'linux-4.19.json'), '{"a":1}\n');
  return {
    dir,
    tables,
    inputs: { buildId: 'build-1', tablesDir: tables, host: '6.18.0\n#1 SMP\nx86_64\nboot-1' },
    deps: () => dependencies(tables, [path.join(tables, 'x86_64', 'linux-4.19.json'), path.join(tables, 'personas', '4.19.json')]),
    cacheDir: () => {
      const d = trustedDir(path.join(dir, 'sessions'));
      if (d === undefined) throw new Error('a fresh 0700 directory must be trusted');
      return d;
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
