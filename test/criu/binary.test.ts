import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criuCheck, locateCriu, type CriuBinary } from '../../src/criu/binary.js';
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
  it('is located and is at least 4.1', async () => {
    if (criu === undefined) throw new Error('scripts/setup-criu.sh did not yield a working criu', { cause: unavailable });
    expect(criu.version).toMatch(/^(4\.([1-9]|\d{2,})|[5-9]|\d{2,})/);
    expect(['flag', 'env', 'private-root', 'PATH']).toContain(criu.source);
  });

  it('passes criu check', async () => {
    if (criu === undefined) throw new Error('scripts/setup-criu.sh did not yield a working criu', { cause: unavailable });
    const check = await criuCheck(criu.path);
    expect(check.output).toMatch(/^Looks good\.$/m);
    expect(check.ok).toBe(true);
  }, 60_000);
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
