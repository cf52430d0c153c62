import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import { cannotRead, criuCheck, criuFloor, locateCriu, type CriuBinary } from '../../src/criu/binary.js';
import { ShimError } from '../../src/errors.js';

const execFileAsync = promisify(execFile);
const SETUP = fileURLToPath(new URL('../../scripts/setup-criu.sh', import.meta.url));

describe('a real criu', () => {
  let criu: CriuBinary | undefined;
  let unavailable: unknown;

  beforeAll(async () => {
    try {
      criu = await locateCriu();
      return;
    } catch {
      // Not set up on this machine yet: build the private root, as CI does.
    }
    try {
      await execFileAsync('bash', [SETUP], { timeout: 600_000 });
      criu = await locateCriu();
    } catch (cause) {
      unavailable = cause;
    }
  }, 660_000);

  // The project's own set-up installs CRIU, so a missing one is a failure everywhere, never a skip.
  it('is located and is at least the floor of this host\'s kernel', async () => {
    if (criu === undefined) throw new Error('scripts/setup-criu.sh did not yield a working criu', { cause: unavailable });
    const [major = 0, minor = 0] = criu.version.split('.').map(Number);
    const floor = criuFloor(os.release());
    expect(criu.floor).toEqual(floor);
    expect(major > floor.major || (major === floor.major && minor >= floor.minor), `${criu.version} >= ${floor.major}.${floor.minor}`).toBe(true);
    expect(['flag', 'env', 'private-root', 'PATH']).toContain(criu.source);
  });

  it('passes criu check', async () => {
    if (criu === undefined) throw new Error('scripts/setup-criu.sh did not yield a working criu', { cause: unavailable });
    const check = await criuCheck(criu.path);
    expect(check.output).toMatch(/^Looks good\.$/m);
    expect(check.ok).toBe(true);
  }, 60_000);
});

interface FloorCases {
  floor: { host: string; floor: string; reasonHas: string }[];
  reads: { criu: string; dumpedBy: string; reads: boolean }[];
}
const CASES = JSON.parse(fs.readFileSync(new URL('./cases/criu-floor.json', import.meta.url), 'utf8')) as FloorCases;

describe('the floor, by host kernel', () => {
  it.each(CASES.floor)('$host: at least $floor', ({ host, floor, reasonHas }) => {
    const f = criuFloor(host);
    expect(`${f.major}.${f.minor}`).toBe(floor);
    expect(f.reason).toContain(reasonHas);
  });
});

describe('which criu reads which image', () => {
  it.each(CASES.reads)('criu $criu reads an image of $dumpedBy: $reads', ({ criu, dumpedBy, reads }) => {
    const why = cannotRead({ path: '/x/criu', version: criu, source: 'env' }, dumpedBy, '/img');
    if (reads) expect(why).toBeUndefined();
    else expect(why).toBe(`/img was dumped by criu ${dumpedBy} and the criu at hand (/x/criu, from CR_SHIM_CRIU) is ${criu}: an older CRIU cannot read a newer one's images`);
  });
});

describe('refusals', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cr-shim-criu-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses criu 3.17.1 and names the version and the fix', async () => {
    const fake = join(dir, 'criu');
    await writeFile(fake, '#!/bin/sh\necho "Version: 3.17.1"\n');
    await chmod(fake, 0o755);
    const err = await locateCriu({ explicit: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimError);
    expect((err as ShimError).code).toBe('ECRIU');
    expect((err as ShimError).message).toContain('3.17.1');
    expect((err as ShimError).message).toContain('run scripts/setup-criu.sh or pass --criu PATH');
  });

  it('refuses criu 4.1.1 on a 6.16+ host, with the reason, and takes it below', async () => {
    const fake = join(dir, 'criu-4.1');
    await writeFile(fake, '#!/bin/sh\necho "Version: 4.1.1"\n');
    await chmod(fake, 0o755);
    const err = await locateCriu({ explicit: fake, hostRelease: '6.18.44' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimError);
    expect((err as ShimError).message).toBe(`criu ${fake} (from --criu) is version 4.1.1, older than 4.2 which this host needs (${criuFloor('6.18.44').reason}): run scripts/setup-criu.sh or pass --criu PATH`);
    const below = await locateCriu({ explicit: fake, hostRelease: '6.12.117' });
    expect(below).toMatchObject({ version: '4.1.1', source: 'flag', floor: { major: 4, minor: 1 } });
  });

  it('reports a --criu path that does not exist', async () => {
    const missing = join(dir, 'no-such-criu');
    const err = await locateCriu({ explicit: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimError);
    expect((err as ShimError).code).toBe('ECRIU');
    expect((err as ShimError).message).toContain(missing);
    expect((err as ShimError).message).toMatch(/missing or not executable/);
    expect((err as ShimError).message).toContain('--criu');
  });
});
