/**
 * Kernel features cr-shim needs, probed rather than inferred from the version:
 * a kernel that says it can return SECCOMP_RET_USER_NOTIF can run the shim.
 */
import { ShimError } from '../errors.js';
import { nativeSys } from '../native/libc.js';

const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
const SECCOMP_RET_TRACE = 0x7ff00000;

/** SECCOMP_GET_ACTION_AVAIL for one return action: true when the kernel knows it. */
export function seccompActionAvailable(action: number): boolean {
  return nativeSys.seccompActionAvail(action) === 0;
}

/** Throws a ShimError naming what is missing when this host cannot run the shim. */
export function assertHostSupported(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ShimError('check host', `cr-shim runs on x86_64 Linux; this is ${process.platform}/${process.arch}`, { code: 'ENOTSUP' });
  }
  if (!seccompActionAvailable(SECCOMP_RET_USER_NOTIF)) {
    throw new ShimError('check host', 'this kernel does not offer SECCOMP_RET_USER_NOTIF (Linux 5.0+ with CONFIG_SECCOMP_FILTER)', {
      code: 'ENOTSUP',
      hint: 'run cr-shim on a kernel with seccomp user notification',
    });
  }
}

export const SECCOMP_ACTIONS = { USER_NOTIF: SECCOMP_RET_USER_NOTIF, TRACE: SECCOMP_RET_TRACE } as const;
