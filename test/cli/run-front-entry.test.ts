/**
 * The front entry a real `cr-shim run` writes beside its session-cache entry
 * (src/supervisor/run-cache.ts, src/supervisor/front-entry.ts, docs/FRONT.md). The cache is
 * private to the test: the run is made in a mount namespace of its own where a fresh directory
 * is bind-mounted on /var/cache/cr-shim (root's cache lives there and nowhere else).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archFromAudit } from '../../src/arch.js';
import { loadAddon } from '../../src/native/addon.js';
import { defaultTablesDir } from '../../src/tables/paths.js';
import { decodeFrontEntry, type FrontEntry } from '../../src/supervisor/front-entry.js';
import { entryName, hostRunCacheKey, readCachedRun } from '../../src/supervisor/run-cache.js';
import type { CompiledRun } from '../../src/supervisor/compiled-run-types.js';
import { REPO_ROOT } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { CLI_PATH } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

requireShimBuilt();

const ROOT_CACHE = '/var/cache/cr-shim';
/** The request `run --kernel 5.10` makes as root: identity files bind-mounted, io_uring refused, no behaviour option. */
const REQUEST = { kernel: '5.10', view: { identityMounted: true, ioUring: false }, behaviourOptions: [] };

let dir: string;
let sessions: string;
let key: string;
let front: Buffer;
let entry: FrontEntry;
let run: CompiledRun | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-front-entry-'));
  sessions = path.join(dir, 'sessions');
  fs.mkdirSync(ROOT_CACHE, { recursive: true, mode: 0o700 });
  const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
  const env = { ...process.env };
  delete env['CR_SHIM_TABLES'];
  delete env['CR_SHIM_SESSION_CACHE'];
  const r = await runProcess('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, ROOT_CACHE, process.execPath, CLI_PATH, 'run', '--kernel', '5.10', '--', '/bin/true'], { env });
  expect(r.status, describeResult(r)).toBe(0);

  const buildId = fs.readFileSync(path.join(REPO_ROOT, 'dist', 'cli', 'build-id'), 'utf8').trim();
  key = hostRunCacheKey(REQUEST, buildId)!;
  front = fs.readFileSync(path.join(sessions, `${entryName(key)}.front`));
  entry = decodeFrontEntry(front);
  run = readCachedRun(sessions, key);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the front entry of `cr-shim run --kernel 5.10 -- /bin/true`', () => {
  it('is the only one, beside its JSON entry, mode 0600, one link', () => {
    expect(fs.readdirSync(sessions).sort()).toEqual([`${entryName(key)}.front`, `${entryName(key)}.json`]);
    const st = fs.lstatSync(path.join(sessions, `${entryName(key)}.front`));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.nlink).toBe(1);
  });

  it("holds the JSON entry's key, which is hostRunCacheKey's text with the online CPUs as /sys gives them", () => {
    const json = JSON.parse(fs.readFileSync(path.join(sessions, `${entryName(key)}.json`), 'utf8')) as { key: string };
    expect(entry.key).toBe(json.key);
    expect(entry.key).toBe(key);
    expect(key.split('\n')).toContain(`cpus ${fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim()}`);
  });

  it("holds the JSON entry's run: filter and its sha256, notices, persona, deps, worker", () => {
    expect(run).toBeDefined();
    expect(Buffer.from(entry.filter).equals(Buffer.from(run!.filter))).toBe(true);
    expect(entry.filterSha256).toBe(run!.filterSha256);
    expect(entry.filterSha256).toBe(createHash('sha256').update(entry.filter).digest('hex'));
    expect(entry.notices).toEqual(run!.notices);
    expect(entry.identity).toEqual(run!.identity ?? []);
    expect(entry.added).toEqual(run!.added ?? []);
    expect(entry.persona).toEqual({ release: run!.worker.persona.release, mainline: run!.worker.persona.mainline });
    expect(JSON.parse(entry.worker)).toEqual(run!.worker);
    expect(entry.deps.length).toBeGreaterThan(0);
    expect(entry.deps.every((d) => d.path.startsWith(defaultTablesDir()))).toBe(true);
  });

  it('holds one verdict table per arch, as encodeActions writes it, and the routes by AUDIT_ARCH', () => {
    const addon = loadAddon();
    expect(entry.actions.map((a) => Buffer.from(a).toString('hex'))).toEqual(run!.nativeActions.map(([arch, actions]) => Buffer.from(addon.encodeActions(arch, actions)).toString('hex')));
    expect(entry.actions.length).toBeGreaterThan(0);
    expect(entry.routes.map((r) => ({ arch: archFromAudit(r.auditArch), nr: r.nr, name: r.name }))).toEqual(run!.worker.routes.map((r) => ({ arch: r.arch, nr: r.nr, name: r.name })));
  });
});
