/**
 * Files in an image directory, as an attacker who may write there would use them (issue 14):
 * a set-id file must not become a set-id-root file in a converted image, a symlink or FIFO must
 * not be followed or read by cr-shim or CRIU, an output inside the input is refused, and the
 * copies are 0600 in 0700 directories. Small images built from scratch; the CLI as a user runs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonRegularEntries } from '../../src/criu/image-files.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';
import { hashDir } from './helpers/images.js';
import { writeSyntheticImage } from './helpers/synthetic-image.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-image-files-'));
let n = 0;

/** A small valid image with one extra file `extra` written by `plant`. */
function image(plant: (dir: string) => void = () => undefined): string {
  const dir = path.join(work, `img-${++n}`);
  writeSyntheticImage(dir, { processes: [{ pid: 4242, threads: [{ tid: 4242, caps: 0n }] }], filters: [], manifest: {} });
  plant(dir);
  return dir;
}

/** A root-only file standing for /etc/shadow. */
const secret = path.join(work, 'root-only');

beforeAll(() => {
  requireShimBuilt();
  fs.writeFileSync(secret, 'token=s3cr3t\n', { mode: 0o600 });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('convert copies regular files only, never with set-id or exec bits', () => {
  it('a setuid file in the image is a plain 0600 file in the output; directories are 0700', async () => {
    const src = image((dir) => {
      fs.writeFileSync(path.join(dir, 'pages-9.img'), 'payload');
      fs.chmodSync(path.join(dir, 'pages-9.img'), 0o4755);
    });
    const before = hashDir(src);
    const out = path.join(work, 'setuid-out');
    const r = await runCli(['convert', src, out]);
    expect(r.status, describeResult(r)).toBe(0);
    expect(fs.statSync(out).mode & 0o7777).toBe(0o700);
    for (const name of fs.readdirSync(out)) expect([name, fs.statSync(path.join(out, name)).mode & 0o7777]).toEqual([name, 0o600]);
    expect(fs.readFileSync(path.join(out, 'pages-9.img'), 'utf8')).toBe('payload');
    expect(hashDir(src)).toBe(before);
  });
});

describe('symlinks and other non-regular files inside an image are refused', () => {
  const link = (dir: string) => fs.symlinkSync(secret, path.join(dir, 'pages-1.img'));
  const fifo = (dir: string) => execFileSync('mkfifo', [path.join(dir, 'pages-1.img')]);

  it.each([
    ['check', (img: string) => ['check', img]],
    ['convert', (img: string) => ['convert', img, path.join(work, `out-${++n}`)]],
    ['restore', (img: string) => ['restore', img]],
  ])('%s: a symlink to a root-only file, one line, status 125, nothing read or written', async (_cmd, args) => {
    const src = image(link);
    const before = hashDir(src);
    const r = await runCli(args(src));
    expect(r.status, describeResult(r)).toBe(125);
    expect(r.stderr).toBe(
      `cr-shim: open image: ${src}/pages-1.img is a symlink: an image holds only regular files, and CRIU would open it as root; ` +
        'replace it with the file it points to, or run cr-shim convert --copy-links IMG OUT to copy its content as a plain file\n',
    );
    expect(hashDir(src)).toBe(before);
  });

  it('a FIFO is refused, not read (a read would block)', async () => {
    const src = image(fifo);
    expect(nonRegularEntries(src)).toEqual([{ path: 'pages-1.img', kind: 'fifo' }]);
    const r = await runCli(['convert', src, path.join(work, 'fifo-out')], { timeoutMs: 20_000 });
    expect(r.status, describeResult(r)).toBe(125);
    expect(r.stderr).toMatch(/^cr-shim: open image: .*pages-1\.img is a fifo: .*; remove it from the image directory\n$/);
    expect(fs.existsSync(path.join(work, 'fifo-out'))).toBe(false);
  });

  it('convert --copy-links copies a symlink\'s content as a plain 0600 file', async () => {
    const src = image(link);
    const out = path.join(work, 'copied-links');
    const r = await runCli(['convert', '--copy-links', src, out]);
    expect(r.status, describeResult(r)).toBe(0);
    const st = fs.lstatSync(path.join(out, 'pages-1.img'));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(fs.readFileSync(path.join(out, 'pages-1.img'), 'utf8')).toBe('token=s3cr3t\n');
  });
});

describe('an output inside the input is refused', () => {
  it.each([
    ['a subdirectory', (src: string) => path.join(src, 'sub')],
    ['a deeper one', (src: string) => path.join(src, 'a', 'b')],
    ['through a symlink to the image', (src: string) => {
      const alias = path.join(work, `alias-${++n}`);
      fs.symlinkSync(src, alias);
      return path.join(alias, 'sub');
    }],
  ])('convert IMG into %s', async (_what, dst) => {
    const src = image();
    const before = hashDir(src);
    const out = dst(src);
    const r = await runCli(['convert', src, out], { timeoutMs: 20_000 });
    expect(r.status, describeResult(r)).toBe(2);
    expect(r.stderr).toBe(`cr-shim: convert: ${out} is inside the image ${src}; write the converted image to a directory outside IMG\n`);
    expect(hashDir(src)).toBe(before);
  });
});
