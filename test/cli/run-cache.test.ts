/**
 * `cr-shim run` starts from the session cache when it has the compiled run
 * (src/supervisor/run-cache.ts): shown by a table damaged in place behind the
 * cache's back (same size, same mtime), which a run that read the tables
 * would refuse, while a hit runs as before; a changed mtime is a miss.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { REPO_ROOT } from '../helpers/programs.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

requireShimBuilt();

const ARGS = ['run', '--kernel', '4.19', '--', 'cat', '/proc/sys/kernel/osrelease'];

let dir: string;
let tables: string;
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, CR_SHIM_TABLES: tables, ...extra });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-run-cache-cli-'));
  tables = path.join(dir, 'tables');
  fs.cpSync(path.join(REPO_ROOT, 'tables'), tables, { recursive: true });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cr-shim run and the session cache', () => {
  it('a hit reads no table; a miss does', async () => {
    const first = await runCli(ARGS, { env: env() });
    expect(first.status, describeResult(first)).toBe(0);
    expect(first.stdout).toBe('4.19\n');

    // Damage the persona's table without changing its size or times (touch -r keeps nanoseconds).
    const table = path.join(tables, 'x86_64', 'linux-4.19.json');
    const ref = path.join(dir, 'times');
    fs.writeFileSync(ref, '');
    execFileSync('touch', ['-r', table, ref]);
    fs.writeFileSync(table, ' '.repeat(fs.statSync(table).size));
    execFileSync('touch', ['-r', ref, table]);

    const hit = await runCli(ARGS, { env: env() });
    expect(hit.status, describeResult(hit)).toBe(0);
    expect(hit.stdout).toBe('4.19\n');

    const off = await runCli(ARGS, { env: env({ CR_SHIM_SESSION_CACHE: 'off' }) });
    expect(off.status, describeResult(off)).toBe(125);
    expect(off.stderr).toContain('linux-4.19.json');

    // Touched: another key, a miss, so the damaged table is read and refused.
    fs.utimesSync(table, new Date(), new Date());
    const miss = await runCli(ARGS, { env: env() });
    expect(miss.status, describeResult(miss)).toBe(125);
    expect(miss.stderr).toContain('linux-4.19.json');
  });
});
