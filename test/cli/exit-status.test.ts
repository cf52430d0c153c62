/**
 * The same cause gives the same exit status and the same kind of line in every command
 * (cases/exit-statuses.json), and the statuses are the ones README.md documents.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-status.js';
import { writeSyntheticImage } from '../criu/helpers/synthetic-image.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

interface Row { args: string[]; status: number; stderr: string }
const ROWS = (JSON.parse(fs.readFileSync(new URL('./cases/exit-statuses.json', import.meta.url), 'utf8')) as { rows: Row[] }).rows;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-exit-'));
/** Above the kernel's pid_max limit (4194304 at most): never a process. */
const NOPID = '1073741800';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fill = (s: string) => s.replaceAll('{dir}', dir).replaceAll('{nopid}', NOPID);

beforeAll(() => {
  requireShimBuilt();
  fs.mkdirSync(path.join(dir, 'notimg'));
  fs.writeFileSync(path.join(dir, 'notimg', 'notes.txt'), 'not an image\n');
  const image = { processes: [{ pid: 4242, threads: [{ tid: 4242, caps: 0n }] }], filters: [] };
  writeSyntheticImage(path.join(dir, 'image'), { ...image, manifest: {} });
  writeSyntheticImage(path.join(dir, 'arm64'), { ...image, manifest: { arch: 'aarch64' } });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('exit statuses (cases/exit-statuses.json)', () => {
  it.each(ROWS.map((r) => [r.args.join(' '), r] as const))('cr-shim %s', async (_name, row) => {
    const r = await runCli(row.args.map(fill));
    expect(r.status, describeResult(r)).toBe(row.status);
    expect(r.stderr).toMatch(new RegExp(`^cr-shim: .*${escape(fill(row.stderr))}.*\\n$`));
    expect(r.stderr, 'one cr-shim: prefix').not.toMatch(/^cr-shim: cr-shim:/);
    expect(fs.existsSync(path.join(dir, 'new')), 'a refused dump creates nothing').toBe(false);
  });

  it('README.md documents every status cr-shim gives itself, 126 included', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('Exit status'));
    for (const status of Object.values(EXIT)) expect(section, `status ${status}`).toMatch(new RegExp(`\\b${status}\\b`));
  });
});
