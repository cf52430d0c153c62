/**
 * Fuzzing the CRIU image reader, bounded and seeded (a few seconds): damaged copies of a small
 * image must be read or refused with a ShimError (one line for the CLI), never another
 * exception, and never changed by being read. A failure names the seed, the case and the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requiredConversions } from '../../src/criu/convert.js';
import { CoreImage } from '../../src/criu/image/core.js';
import { decodeEntries, parseImage } from '../../src/criu/image/image-file.js';
import type { ImageKind } from '../../src/criu/image/magic.js';
import { readImageFilters } from '../../src/criu/image/seccomp.js';
import { readThreadCaps } from '../../src/criu/image/thread-caps.js';
import { openImageDir } from '../../src/criu/image-dir.js';
import { ShimError } from '../../src/errors.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { shimManifest, writeSyntheticImage } from './helpers/synthetic-image.js';

const SEED = 14;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-image-fuzz-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const FILTER = Buffer.from('0600000000000000', 'hex');
const good = path.join(work, 'good');
writeSyntheticImage(good, {
  processes: [
    { pid: 100, threads: [{ tid: 100, seccomp: { mode: 2, filter: 0 }, pdeathSig: 9, caps: 0x1ffn }, { tid: 101, caps: 0n }] },
    { pid: 102, threads: [{ tid: 102, seccomp: { mode: 2, filter: 1 }, caps: 1n << 40n }] },
  ],
  filters: [{ insns: FILTER }, { insns: FILTER, prev: 0 }],
  manifest: shimManifest(FILTER, 0, 100),
});
const FILES: [string, ImageKind][] = [['inventory.img', 'inventory'], ['pstree.img', 'pstree'], ['core-100.img', 'core'], ['core-101.img', 'core'], ['core-102.img', 'core'], ['seccomp.img', 'seccomp']];
const HOST = { bounding: 0xffn, source: 'fuzz' };

/** Everything cr-shim reads from an image before a restore. */
function readAll(dir: string): void {
  const image = openImageDir(dir);
  readImageFilters(dir);
  readThreadCaps(dir);
  for (const tid of image.tids) {
    const core = CoreImage.read(dir, tid);
    core.comm();
    core.seccomp();
    core.creds();
    core.pdeathSignal();
  }
  requiredConversions(dir, HOST);
}

function expectShimErrorOrNothing(run: () => void, where: string): void {
  try {
    run();
  } catch (err) {
    // Plain checks, not expect(): thousands of cases, and the stack only for a failure.
    if (!(err instanceof ShimError)) throw new Error(`${where}: not a ShimError: ${(err as Error).stack ?? String(err)}`);
    if (err.message.includes('\n')) throw new Error(`${where}: a message on several lines: ${err.message}`);
  }
}

describe(`image reader fuzz (seed ${SEED})`, () => {
  it('the good image reads', () => readAll(good));

  it('4000 damaged image files, parsed and decoded in memory: a ShimError or a result', () => {
    const rnd = new SeededRandom(SEED);
    for (let i = 0; i < 4000; i++) {
      const [name, kind] = FILES[rnd.below(FILES.length)]!;
      const bytes = rnd.mutate(fs.readFileSync(path.join(good, name)));
      expectShimErrorOrNothing(() => decodeEntries(parseImage(bytes, kind, name), name), `case ${i} ${name}`);
    }
  });

  it('60 damaged image directories, read the way check, convert and restore read them, are left unchanged', () => {
    const rnd = new SeededRandom(SEED + 1);
    const dir = path.join(work, 'case');
    fs.cpSync(good, dir, { recursive: true });
    for (let i = 0; i < 60; i++) {
      const [name] = FILES[rnd.below(FILES.length)]!;
      const original = fs.readFileSync(path.join(good, name));
      const bytes = rnd.mutate(original);
      fs.writeFileSync(path.join(dir, name), bytes);
      expectShimErrorOrNothing(() => readAll(dir), `case ${i} ${name}`);
      if (!fs.readFileSync(path.join(dir, name)).equals(bytes)) throw new Error(`case ${i}: ${name} changed by reading`);
      fs.writeFileSync(path.join(dir, name), original);
    }
  });
});
