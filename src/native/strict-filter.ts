/**
 * The strict-equivalent seccomp filter (native/strict-mode.c holds the one definition: read,
 * write, exit and rt_sigreturn allowed, ia32's read, write, exit and sigreturn, every other call
 * SECCOMP_RET_KILL_THREAD), for the code that puts it in an image rather than in a live thread.
 */
import { execFileSync } from 'node:child_process';
import { ShimError } from '../errors.js';
import { buildOutput } from './addon.js';

/** build/Release/cr-shim-strict. */
export const STRICT_HELPER_PATH = buildOutput('cr-shim-strict');

let cached: Buffer | undefined;

/** The filter's raw struct sock_filter bytes (`cr-shim-strict filter`). Throws ShimError when the helper cannot run. */
export function strictFilter(): Buffer {
  if (cached !== undefined) return cached;
  let bytes: Buffer;
  try {
    bytes = execFileSync(STRICT_HELPER_PATH, ['filter'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    throw new ShimError('cr-shim-strict filter', (cause as Error).message, { cause, code: 'ENOEXEC', hint: 'build the native helpers: npx node-gyp rebuild' });
  }
  if (bytes.length === 0 || bytes.length % 8 !== 0) throw new ShimError('cr-shim-strict filter', `${bytes.length} bytes, not whole 8-byte instructions`, { code: 'EPROTO' });
  cached = bytes;
  return bytes;
}
