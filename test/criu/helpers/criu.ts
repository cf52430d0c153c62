/**
 * A working criu for the tests, made the way CI makes it: when none is found, run
 * scripts/setup-criu.sh once per test file, then look again. Tests never skip for a missing
 * criu: the setup either yields one or the test fails with the setup's output.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { locateCriu, type CriuBinary } from '../../../src/criu/binary.js';
import { REPO_ROOT } from '../../helpers/programs.js';

const execFileAsync = promisify(execFile);

let found: Promise<CriuBinary> | undefined;

/** The criu cr-shim would use, setting it up first if needed. Rejects with the setup's error. */
export function ensureCriu(): Promise<CriuBinary> {
  found ??= (async () => {
    try {
      return await locateCriu();
    } catch {
      // Not set up on this machine yet.
    }
    try {
      await execFileAsync('bash', [`${REPO_ROOT}/scripts/setup-criu.sh`], { timeout: 600_000 });
    } catch (cause) {
      throw new Error('scripts/setup-criu.sh failed: no criu for the CRIU tests', { cause });
    }
    return locateCriu();
  })();
  return found;
}

/** The timeout for a beforeAll that may have to build the private criu root. */
export const SETUP_TIMEOUT_MS = 660_000;
