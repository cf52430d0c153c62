/**
 * A damaged seccomp.img is refused, never converted or restored with cr-shim's old filter kept:
 * each row of cases/seccomp-damage.json is made from a real dump of own-filter under
 * `cr-shim run --dumpable` (its own filter under cr-shim's), then given to convert, restore and
 * check. The damaged image stays byte-identical, convert writes nothing and restore restores
 * nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seccompDamage } from '../../src/criu/seccomp-integrity.js';
import { readManifest } from '../../src/criu/manifest.js';
import { ensureCriu, SETUP_TIMEOUT_MS } from './helpers/criu.js';
import { hashDir, killQuietly, startToFile, tempDir, underShim, waitGone } from './helpers/images.js';
import { makeSeccompDamage, SECCOMP_DAMAGE } from './helpers/seccomp-damage.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

const work = tempDir('seccomp-damage');
let good: string;
let pid: number | undefined;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The one refusal line for `img`, `damaged` being the row's pattern. */
const refusal = (img: string, damaged: string) =>
  new RegExp(`^cr-shim: read image seccomp\\.img: ${escape(img)}/seccomp\\.img is damaged: ${damaged}; dump the process again with cr-shim dump PID IMG\\n$`);

beforeAll(async () => {
  requireShimBuilt();
  await ensureCriu();
  const program = await startToFile(underShim('4.19', programPath('own-filter'), '--setsid'), path.join(work, 'own-filter.out'));
  pid = program.pid;
  good = path.join(work, 'good');
  const r = await runCli(['dump', String(pid), good]);
  expect(r.status, describeResult(r)).toBe(0);
  await waitGone(pid);
  expect(readManifest(good)?.shimFilter, 'the dump names cr-shim\'s filter').toBeDefined();
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  killQuietly(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the good dump', () => {
  it('is intact', () => {
    expect(seccompDamage(good, readManifest(good))).toBeUndefined();
  });
});

describe.each(SECCOMP_DAMAGE)('$fixture: $why', (row) => {
  const img = path.join(work, row.fixture);
  let before: string;
  beforeAll(() => {
    makeSeccompDamage(row.fixture, good, img);
    before = hashDir(img);
  });

  it('convert refuses with one line, writes nothing', async () => {
    const out = path.join(work, `${row.fixture}-out`);
    const r = await runCli(['convert', img, out]);
    expect(r.status, describeResult(r)).toBe(125);
    expect(r.stderr).toMatch(refusal(img, row.damaged));
    expect(r.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
    expect(hashDir(img)).toBe(before);
  });

  it('restore refuses with one line, restores nothing', async () => {
    const r = await runCli(['restore', img]);
    expect(r.status, describeResult(r)).toBe(125);
    expect(r.stderr).toMatch(refusal(img, row.damaged));
    expect(fs.existsSync(`/proc/${pid!}`), 'no task came back').toBe(false);
    expect(hashDir(img)).toBe(before);
  });

  it('check says it cannot be restored and why', async () => {
    const r = await runCli(['check', img]);
    expect(r.status, describeResult(r)).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^damaged +${escape(img)}/seccomp\\.img is damaged: ${row.damaged}$`, 'm'));
    expect(r.stdout).toMatch(/^verdict +cannot be restored here/m);
    expect(hashDir(img)).toBe(before);
  });
});
