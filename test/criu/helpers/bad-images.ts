/**
 * The damaged image directories of cases/bad-images.json, each made from a good image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listCoreTids } from '../../../src/criu/image/core.js';
import { copyImage } from './images.js';

export interface BadImageRow {
  fixture: string;
  why: string;
  check: { status: number; stderr: string };
  convert: { status: number; stderr: string };
}

export const BAD_IMAGES = (JSON.parse(fs.readFileSync(new URL('../cases/bad-images.json', import.meta.url), 'utf8')) as { rows: BadImageRow[] }).rows;

function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'cr-shim.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(m);
  fs.writeFileSync(file, JSON.stringify(m, null, 2));
}

const FIXTURES: Record<string, (good: string, dir: string) => void> = {
  missing: () => undefined,
  empty: (_good, dir) => fs.mkdirSync(dir),
  'corrupt-inventory': (good, dir) => {
    copyImage(good, dir);
    fs.writeFileSync(path.join(dir, 'inventory.img'), 'this is not an inventory\n');
  },
  'truncated-core': (good, dir) => {
    copyImage(good, dir);
    const core = path.join(dir, `core-${listCoreTids(dir)[0]!}.img`);
    const bytes = fs.readFileSync(core);
    fs.writeFileSync(core, bytes.subarray(0, Math.floor(bytes.length / 2)));
  },
  'bad-manifest': (good, dir) => {
    copyImage(good, dir);
    editManifest(dir, (m) => ((m.kernel as Record<string, unknown>).mainline = '6.18.44'));
  },
  'manifest-not-json': (good, dir) => {
    copyImage(good, dir);
    const file = path.join(dir, 'cr-shim.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40));
  },
  'other-arch': (good, dir) => {
    copyImage(good, dir);
    editManifest(dir, (m) => (m.arch = 'aarch64'));
  },
};

/** Make the fixture `name` at `dir` from the good image `good`. */
export function makeBadImage(name: string, good: string, dir: string): void {
  const make = FIXTURES[name];
  if (make === undefined) throw new Error(`no fixture ${name} in test/criu/helpers/bad-images.ts`);
  make(good, dir);
}

/** A row's stderr pattern with {img} replaced (regex-escaped) by the fixture path, as one whole line. */
export function stderrPattern(pattern: string, img: string): RegExp {
  const escaped = img.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^cr-shim: .*${pattern.replaceAll('{img}', escaped)}.*\\n$`);
}
